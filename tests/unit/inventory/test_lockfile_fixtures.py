r"""Every lockfile analyzer against osv-scanner's fixtures (osv-lockfile-fixtures).

``expected.json`` gives the exact package list per fixture, or the expected error.
Comparison is on the set of (name, version): osv-scanner reports a git dependency
once per commit, secloop once per (name, version). Documented deviations:

* requirements files: only exact ``==`` pins are packages (osv-scanner reports ranges
  as their bound and unpinned names as ``0.0.0``; guessing versions invents or hides
  vulnerabilities), and ``-r`` includes are not followed (the walk analyses each file).
* ``line-continuation.txt``: ``bar == 4.5\\`` continued by ``.6`` joins, as pip joins
  it, into ``bar == 4.5\.6``, which pip rejects as an invalid requirement; osv-scanner
  reads ``4.5\\``. secloop reports no package rather than an impossible version.
* ``maven/interpolation.xml``: ``ranged-package`` is managed at the range
  ``[9.4.35.v20201120,9.5)``; osv-scanner reports its lower bound, secloop no package
  (the range is reported by the ``unpinned-deps`` scanner instead, as for requirements).
* The NuGet error test for lock file version 0 matches secloop's message too
  (``unsupported lock file version 0``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secloop.core.package import Package
from secloop.scan.interface import ScanError
from secloop.scan.inventory.cargo import parse_cargo_lock
from secloop.scan.inventory.composer import parse_composer_lock
from secloop.scan.inventory.conan import parse_conan_lock
from secloop.scan.inventory.gemfile import parse_gemfile_lock
from secloop.scan.inventory.gomod import parse_go_mod
from secloop.scan.inventory.gradle import parse_gradle_lock, parse_gradle_verification_metadata
from secloop.scan.inventory.maven import parse_pom
from secloop.scan.inventory.mix import parse_mix_lock
from secloop.scan.inventory.npm import parse_npm_lock
from secloop.scan.inventory.nuget import parse_nuget_lock
from secloop.scan.inventory.pdm import parse_pdm_lock
from secloop.scan.inventory.pipenv import parse_pipfile_lock
from secloop.scan.inventory.pnpm import parse_pnpm_lock
from secloop.scan.inventory.poetry import parse_poetry_lock
from secloop.scan.inventory.pub import parse_pubspec_lock
from secloop.scan.inventory.renv import parse_renv_lock
from secloop.scan.inventory.requirements import parse_requirements
from secloop.scan.inventory.yarn import parse_yarn_lock
from tests.conftest import CORPUS_ROOT, corpus_path

Parser = Callable[[str, str], tuple[Package, ...]]

PARSERS: dict[str, Parser] = {
    "ParseRequirementsTxt": parse_requirements,
    "ParsePoetryLock": parse_poetry_lock,
    "ParsePipenvLock": parse_pipfile_lock,
    "ParseNpmLock": parse_npm_lock,
    "ParseYarnLock": parse_yarn_lock,
    "ParsePnpmLock": parse_pnpm_lock,
    "ParseGoLock": parse_go_mod,
    "ParseCargoLock": parse_cargo_lock,
    "ParseGemfileLock": parse_gemfile_lock,
    "ParseComposerLock": parse_composer_lock,
    "ParsePdmLock": parse_pdm_lock,
    "ParseMavenLock": parse_pom,
    "ParseGradleLock": parse_gradle_lock,
    "ParseGradleVerificationMetadata": parse_gradle_verification_metadata,
    "ParseNuGetLock": parse_nuget_lock,
    "ParseMixLock": parse_mix_lock,
    "ParsePubspecLock": parse_pubspec_lock,
    "ParseRenvLock": parse_renv_lock,
    "ParseConanLock": parse_conan_lock,
}
FIXTURES = CORPUS_ROOT / "osv-lockfile-fixtures"
INVALID_REQUIREMENTS = {"line-continuation": {"bar"}}
#: Packages osv-scanner reports at a guessed version (a range's lower bound).
RANGES = {"fixtures/maven/interpolation.xml": {"org.mine:ranged-package"}}


def _records() -> list[dict[str, Any]]:
    expected = FIXTURES / "expected.json"
    if not expected.exists():
        return []
    records = json.loads(expected.read_text())
    # "expected_error" is fs.ErrNotExist: a missing file, or a missing -r include that
    # secloop does not follow; neither reaches an analyzer.
    return [
        r
        for r in records
        if r["parser"] in PARSERS and r.get("fixture_exists", True) and not r.get("expected_error")
    ]


def _pinned_names(text: str) -> set[str]:
    """Names written with an exact ``==`` pin in a requirements fixture."""
    names = set()
    for line in text.replace("\\\n", "").splitlines():
        match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^]]*\])?\s*==(?!=)\s*[0-9]", line)
        if match:
            names.add(re.sub(r"[-_.]+", "-", match.group(1)).lower())
    return names


def _expected(record: dict[str, Any], text: str) -> set[tuple[str, str]]:
    packages = record["expected_packages"]
    if record["parser"] == "ParseRequirementsTxt":
        stem = Path(record["fixture"]).stem
        pinned = _pinned_names(text)
        packages = [
            p
            for p in packages
            if stem in (p.get("DepGroups") or [stem])
            and p["Name"] in pinned
            and p["Name"] not in INVALID_REQUIREMENTS.get(stem, set())
        ]
    ranged = RANGES.get(record["fixture"], set())
    return {(p["Name"], p["Version"]) for p in packages if p["Name"] not in ranged}


@pytest.mark.parametrize("record", _records(), ids=lambda r: f"{r['parser']}:{r['fixture']}")
def test_fixture_gives_the_expected_packages_or_error(record: dict[str, Any]) -> None:
    path = corpus_path("osv-lockfile-fixtures", record["fixture"])
    text = path.read_text(encoding="utf-8")
    parse = PARSERS[record["parser"]]
    error = record.get("expected_error_containing")
    if error:
        with pytest.raises(ScanError, match=re.escape(record["fixture"])) as raised:
            parse(text, record["fixture"])
        if error != "could not extract from":  # osv-scanner's wording for a parse error
            assert error in str(raised.value)
        return
    packages = parse(text, record["fixture"])
    assert {(p.name, p.version) for p in packages} == _expected(record, text)
    assert all(p.locations[0].path == record["fixture"] for p in packages)


def _normal(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text.lower())


def _entry_block(lines: list[str], line: int) -> str:
    """The line and the indented lines under it: an entry whose key is a URL or a path
    names its package in its own fields."""
    block = [lines[line - 1]]
    indent = len(block[0]) - len(block[0].lstrip())
    for following in lines[line:]:
        if following.strip() and len(following) - len(following.lstrip()) <= indent:
            break
        block.append(following)
    return " ".join(block)


def _names_the_package(lines: list[str], package: Package, text: str) -> bool:
    line = package.locations[0].line
    assert line is not None
    if package.ecosystem == "Go":
        if package.name == "stdlib":
            return lines[line - 1].lstrip().startswith("go ")
        # A replaced module's line is the require directive of the module it replaces.
        replaced = f"=> {package.name}" in text
        return replaced or package.name in lines[line - 1]
    if package.ecosystem == "Maven":
        # A Gradle lock line starts with ``group:artifact:``; an XML element names group
        # and artifact in its attributes or its child elements.
        group, artifact = package.name.split(":")
        block = _entry_block(lines, line)
        in_xml = all(f'"{part}"' in block or f">{part}<" in block for part in (group, artifact))
        return in_xml or lines[line - 1].startswith(f"{package.name}:")
    # A TOML ``[[package]]`` header is followed by its name; other formats name it on
    # the entry's key line or, for URL and path keys, in the entry's fields.
    following = lines[line] if line < len(lines) else ""
    return _normal(package.name) in _normal(_entry_block(lines, line) + " " + following)


@pytest.mark.parametrize("record", _records(), ids=lambda r: f"{r['parser']}:{r['fixture']}")
def test_every_package_carries_the_line_of_its_entry(record: dict[str, Any]) -> None:
    if record.get("expected_error_containing"):
        return
    text = corpus_path("osv-lockfile-fixtures", record["fixture"]).read_text(encoding="utf-8")
    lines = text.splitlines()
    for package in PARSERS[record["parser"]](text, record["fixture"]):
        line = package.locations[0].line
        assert line is not None, package
        assert 1 <= line <= len(lines), package
        assert _names_the_package(lines, package, text), (package.name, lines[line - 1])
