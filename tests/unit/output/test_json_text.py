"""The streaming JSON writer must produce exactly what ``json.dumps(indent=2)`` does."""

from __future__ import annotations

import io
import json
from collections import OrderedDict
from enum import IntEnum, StrEnum
from typing import Any

import pytest

from secloop.core.result import ScanResult
from secloop.output.json_text import encode, write_array


class _Colour(StrEnum):
    RED = "red"


class _Level(IntEnum):
    HIGH = 3


def _reference(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


VALUES: list[Any] = [
    {},
    [],
    "",
    "plain",
    'quote " backslash \\ newline \n tab \t nul \x00 bell \x07 del \x7f',
    "unicode é ✓ 😀 \u2028 \u2029",
    0,
    -17,
    10**30,
    1.5,
    1e-07,
    1e16,
    float("nan"),
    float("inf"),
    float("-inf"),
    True,
    False,
    None,
    {"a": [], "b": {}, "c": [[]], "d": [{}], "e": [1, "x", None, True, 2.5]},
    {"nested": {"deeper": {"list": ["a", "b"], "n": 1}}, "after": "x"},
    (("tuple", 1), ["list", ("in", "tuple")]),
    {7: "int key", 2.5: "float key", True: "bool key", False: "false key", None: "null key"},
    {_Colour.RED: _Colour.RED, "level": _Level.HIGH, "ordered": OrderedDict(a=1)},
    [["only", "strings"], ["mixed", 1], []],
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_same_text_as_json_dumps(value: Any) -> None:
    assert encode(value) == _reference(value)


def test_array_from_a_generator_is_consumed_once_and_matches() -> None:
    items = [{"n": n, "tags": ["a", str(n)]} for n in range(3)]
    out = io.StringIO()
    write_array((item for item in items), out.write, "\n")
    assert out.getvalue() == _reference(items)
    empty = io.StringIO()
    write_array(iter(()), empty.write, "\n")
    assert empty.getvalue() == "[]"


def test_what_json_refuses_is_refused() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        encode({"when": object()})
    with pytest.raises(TypeError, match="keys must be"):
        encode({(1, 2): "tuple key"})


def test_report_streamed_to_a_file_is_the_rendered_report(sample: ScanResult) -> None:
    from secloop.output.interface import ReportContext
    from secloop.output.json_format import JsonFormatter, result_to_document

    expected = _reference(result_to_document(sample)) + "\n"
    stream = io.StringIO()
    JsonFormatter().write(sample, ReportContext(), stream)
    assert stream.getvalue() == expected
    assert JsonFormatter().render(sample, ReportContext()) == expected


def test_report_without_findings_streams_the_same(empty: ScanResult) -> None:
    from secloop.output.interface import ReportContext
    from secloop.output.json_format import JsonFormatter, result_to_document

    stream = io.StringIO()
    JsonFormatter().write(empty, ReportContext(), stream)
    assert stream.getvalue() == _reference(result_to_document(empty)) + "\n"


def test_findings_written_field_by_field_match_their_documents(sample: ScanResult) -> None:
    """The findings array is encoded without building each finding's dictionary; every
    optional field (here on top of the golden sample's: KEV/EPSS, verification, root-cause
    links, a layer, a location without a path, an empty location) must come out as
    ``json.dumps`` writes ``result_to_document``."""
    from dataclasses import replace
    from datetime import date

    from secloop.core.finding import RelatedFinding, SecretVerification, VerificationStatus
    from secloop.core.location import KubernetesResource, LayerRef, Location
    from secloop.core.root_cause import RootCause
    from secloop.intel.model import ExploitSignal, KevMark
    from secloop.output.json_format import result_to_document, write_report

    first = sample.findings[0]
    resource = KubernetesResource(api_version="v1", kind="Pod", name="web", namespace="prod")
    extra = (
        replace(
            first,
            fingerprint="e" * 32 + ":1",
            verification=SecretVerification(status=VerificationStatus.INVALID, verifier="gh"),
            related=(RelatedFinding(fingerprint="f" * 32 + ":1", rule_id="X-1",
                                    location="Dockerfile:3", root_cause=RootCause.RUNS_AS_ROOT),),
            location=Location(path="a.yaml", start_line=2, end_line=4, start_column=1,
                              end_column=9, layer=LayerRef(diff_id="sha256:1", index=0),
                              resource=resource),
            evidence=None,
            remediation=None,
            image=None,
        ),
        replace(first, location=Location(resource=resource), references=(), frameworks={}),
        replace(first, location=Location(), title="quote \" and é"),
    )  # fmt: skip
    result = replace(sample, findings=(*sample.findings, *extra))
    exploits = {
        "e" * 32 + ":1": ExploitSignal(
            kev_cve="CVE-1", kev=KevMark(date_added=date(2025, 1, 2)), epss=0.5, epss_cve="CVE-1"
        )
    }
    parts: list[str] = []
    write_report(result, exploits, parts.append)
    assert "".join(parts) == _reference(result_to_document(result, exploits)) + "\n"
