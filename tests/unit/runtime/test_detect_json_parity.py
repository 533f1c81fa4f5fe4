"""``secloop detect`` prints the same bytes with and without orjson, as it did before it.

Over the 47 Kubernetes audit trace files of falco-legacy-tests, through Falco's
k8s audit rules: in JSON and text, first and all matching, with and without
``--explain``. Three captures are compared per configuration: the orjson path, the
stdlib path (``jsoncodec.ORJSON`` set to None, as on a base install), and the
reference the command printed before orjson (``json.dumps(alert.to_json_dict(),
ensure_ascii=False)`` per alert; ``Alert.to_text()`` in text). The trace files are
also decoded both ways, one by one, to compare what the source reads and drops.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from secloop.cli.runtime import detect_command
from secloop.runtime import jsoncodec
from secloop.runtime.engine import Engine, RuleMatching
from secloop.runtime.rules.ruleset import load_rules
from secloop.runtime.sources import K8sAuditSource
from tests.conftest import corpus_path

orjson: Any
try:
    import orjson
except ImportError:  # pragma: no cover - the runtime extra is part of the dev install
    orjson = None

pytestmark = pytest.mark.skipif(orjson is None, reason="orjson is not installed (runtime extra)")

#: Odd values the trace files do not have: escapes, non-ASCII, a 64-bit overflow, NaN.
ODD_USERS: list[Any] = [
    'quote " and \\ backslash',
    "caf\u00e9 \U0001f600 \u2028 bell\x07 tab\t",
    ", : ] } [ {",
    2**70,
    float("nan"),
]


def _trace_files() -> list[Path]:
    return sorted(corpus_path("falco-legacy-tests", "trace_files", "k8s_audit").glob("*.json"))


def _rules() -> Path:
    return corpus_path("falco-rules", "plugins", "k8saudit", "rules", "k8s_audit_rules.yaml")


def test_there_are_the_47_trace_files() -> None:
    assert len(_trace_files()) == 47


def _decoded(path: Path) -> tuple[list[Any], int, list[str]]:
    source = K8sAuditSource(path)
    payloads = [(event.num, event.time_ns, event.payload) for event in source]
    return payloads, source.stats.dropped, source.stats.reasons


def test_every_trace_file_decodes_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    for path in _trace_files():
        monkeypatch.setattr(jsoncodec, "ORJSON", orjson)
        fast = _decoded(path)
        monkeypatch.setattr(jsoncodec, "ORJSON", None)
        assert _decoded(path) == fast, path.name


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All events of the trace files as one JSON-lines file, plus variants with odd users."""
    lines: list[str] = []
    first: dict[str, Any] | None = None
    for path in _trace_files():
        for event in K8sAuditSource(path):
            payload = dict(event.payload)
            first = first or payload
            lines.append(json.dumps(payload))
    assert first is not None
    for user in ODD_USERS:
        lines.append(json.dumps({**first, "user": {"username": user, "groups": [user]}}))
    target = tmp_path_factory.mktemp("replay") / "events.jsonl"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def _detect(events: Path, args: list[str]) -> str:
    result = CliRunner().invoke(
        detect_command, ["--rules", str(_rules()), "--input", str(events), *args]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def _reference(events: Path, fmt: str, matching: str, explain: bool) -> str:
    """What ``detect`` printed before orjson: the stdlib's dumps of each alert's dict."""
    engine = Engine(
        load_rules([_rules()]),
        matching=RuleMatching(matching),
        explain=explain or fmt == "json",
    )
    lines = []
    for alert in engine.run(K8sAuditSource(events)):
        if fmt == "json":
            lines.append(json.dumps(alert.to_json_dict(), ensure_ascii=False))
        else:
            lines.append(alert.to_text())
    return "".join(f"{line}\n" for line in lines)


@pytest.mark.parametrize("fmt", ["json", "text"])
@pytest.mark.parametrize("matching", ["first", "all"])
@pytest.mark.parametrize("explain", [False, True])
def test_detect_prints_the_same_bytes_with_and_without_orjson(
    replay: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, matching: str, explain: bool
) -> None:
    args = ["--format", fmt, "--rule-matching", matching] + (["--explain"] if explain else [])
    monkeypatch.setattr(jsoncodec, "ORJSON", orjson)
    fast = _detect(replay, args)
    monkeypatch.setattr(jsoncodec, "ORJSON", None)
    stdlib = _detect(replay, args)
    assert fast == stdlib
    assert fast == _reference(replay, fmt, matching, explain)
    assert fast.count("\n") >= 45  # the trace files raise alerts: the comparison is not empty
    assert "caf\u00e9 \U0001f600" in fast  # and the odd users reach the output lines
