"""One parse per manifest: the kubernetes, ``pss`` and ``rego`` scanners share it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.misconfig import shared_parse
from secloop.scan.misconfig.documents import ParsedStream, parse_stream
from secloop.scan.misconfig.kubernetes.pss import PssLevel, PssVersion
from secloop.scan.misconfig.pss_scan import PssSettings
from secloop.scan.misconfig.rego import load_policies
from secloop.scan.misconfig.shared_parse import parsed_stream
from secloop.scan.registry import default_registry
from tests.unit.misconfig.helpers import content

POD = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: x:1}]\n"
)
POLICY = 'package main\n\nimport rego.v1\n\ndeny contains "pod" if input.kind == "Pod"\n'


def test_same_content_object_is_parsed_once() -> None:
    first = content("k8s/pod.yaml", POD)
    assert parsed_stream(first) is parsed_stream(first)
    assert parsed_stream(first).documents[0].value["kind"] == "Pod"
    # Equal bytes in another content object (another file, another scan) parse anew.
    again = content("k8s/pod.yaml", POD)
    assert parsed_stream(again) is not parsed_stream(first)
    as_json = parsed_stream(content("pod.json", '{"apiVersion": "v1", "kind": "Pod"}'))
    assert as_json.documents[0].value == {"apiVersion": "v1", "kind": "Pod"}


def test_pipeline_parses_each_manifest_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pods.yaml").write_text(POD + "---\n" + POD.replace("name: p", "name: q"))
    (tmp_path / "pod.json").write_text(
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"}}'
    )
    (tmp_path / "values.yaml").write_text("replicas: 2\n")  # rego reads it, the others skip it
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "pods.rego").write_text(POLICY)
    parsed: Counter[str] = Counter()

    def counting(text: str, *, json_syntax: bool) -> ParsedStream:
        parsed[text] += 1
        return parse_stream(text, json_syntax=json_syntax)

    monkeypatch.setattr(shared_parse, "parse_stream", counting)
    registry = default_registry(
        policies=load_policies([tmp_path / "policy"]),
        pss=PssSettings(level=PssLevel.RESTRICTED, version=PssVersion.parse("latest")),
    )
    request = ScanRequest(
        spec=str(tmp_path), scanners=("kubernetes", "pss", "rego"), use_gitignore=False
    )
    result = run_scan(request, registry)
    by_scanner = Counter(f.scanner for f in result.findings)
    assert by_scanner["rego"] == 3
    assert by_scanner["pss"] > 0
    assert by_scanner["kubernetes"] > 0
    assert len(parsed) == 3
    assert set(parsed.values()) == {1}
