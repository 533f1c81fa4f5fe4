"""``# nosec`` (Bandit compatibility) and unusable input: clear ScanErrors, no crashes."""

from __future__ import annotations

import pytest

from secloop.scan.interface import ScanError
from tests.unit.code.support import SCANNER, content_of, rule_lines, scan_text

SOURCE = """
import os
import subprocess

def run(cmd):
    os.system(cmd){comment}
    subprocess.run(cmd, shell=True)
"""


@pytest.mark.parametrize(
    ("comment", "silenced"),
    [
        ("  # nosec", True),
        ("  #nosec", True),
        ("  # nosec B605", True),
        ("  # nosec: B605, B602", True),
        ("  # nosec PY-CMDI-002", True),
        ("  # nosec B602", False),
        ("  # nosec PY-SQLI-001", False),
        ("  # nosec because this is a trusted admin tool", True),
        ("", False),
    ],
)
def test_nosec(comment: str, silenced: bool) -> None:
    findings = scan_text(SOURCE.format(comment=comment))
    assert rule_lines(findings, "PY-CMDI-002") == ([] if silenced else [5])
    assert rule_lines(findings, "PY-CMDI-001") == [6]


def test_nosec_anywhere_on_a_multiline_call() -> None:
    findings = scan_text(
        """
        import subprocess

        def run(cmd):
            subprocess.run(
                cmd,
                shell=True,  # nosec B602
            )
        """
    )
    assert findings == []


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(ScanError, match=r"^pkg/broken\.py:3: not valid Python 3"):
        scan_text("x = 1\n\ndef f(:\n", path="pkg/broken.py")


def test_python2_code_gets_a_hint() -> None:
    with pytest.raises(ScanError, match=r"old\.py:1: .*\(Python 2 code\?\)"):
        scan_text('print "hello"\n', path="old.py")


def test_non_utf8_source_is_a_scan_error() -> None:
    with pytest.raises(ScanError, match=r"latin\.py"):
        list(SCANNER.scan_file(content_of(b"x = '\xe9'\n", "latin.py")))


def test_declared_encoding_is_honoured() -> None:
    data = b"# -*- coding: latin-1 -*-\nimport os\nos.system('caf\xe9' + x)\n"
    (finding,) = SCANNER.scan_file(content_of(data, "legacy.py"))
    assert finding.rule_id == "PY-CMDI-002"


def test_deep_nesting_is_a_scan_error_not_a_crash() -> None:
    source = "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n"
    with pytest.raises(ScanError, match=r"deep\.py"):
        scan_text(source, path="deep.py")


def test_invalid_escape_warnings_do_not_escape() -> None:
    # pytest turns warnings into errors: a SyntaxWarning from ast.parse would fail here
    assert scan_text('import re\nPATTERN = re.compile("\\d+")\n') == []
