"""secloop JSON: every ScanResult written can be read back unchanged; bad reports are refused."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secloop.core import (
    BaselineState,
    Failed,
    Finding,
    FindingKind,
    KubernetesResource,
    LayerRef,
    Location,
    OperatingSystem,
    Package,
    PackageLocation,
    Rule,
    Scanned,
    ScanResult,
    Severity,
    Skipped,
    SkipReason,
    Suppression,
    SuppressionKind,
    Target,
    TargetKind,
    VulnerabilityDetail,
)
from secloop.core.errors import ReportError
from secloop.core.finding import RelatedFinding, SecretVerification, VerificationStatus
from secloop.core.root_cause import RootCause
from secloop.output.interface import ReportContext
from secloop.output.json_format import JsonFormatter, load_result, result_to_document

text = st.text(st.characters(codec="utf-8"), max_size=20)
ids = st.from_regex(r"[A-Z][A-Z0-9_-]{0,12}", fullmatch=True)
lines = st.integers(min_value=1, max_value=100_000)
layers = st.builds(LayerRef, diff_id=ids, index=st.integers(0, 50), created_by=st.none() | text)
resources = st.builds(
    KubernetesResource, api_version=ids, kind=ids, name=ids, namespace=st.none() | ids
)


@st.composite
def locations(draw: st.DrawFn) -> Location:
    start = draw(st.none() | lines)
    end = None if start is None else draw(st.none() | st.integers(start, start + 50))
    return Location(
        path=draw(st.none() | text),
        start_line=start,
        end_line=end,
        start_column=draw(st.none() | lines),
        end_column=draw(st.none() | lines),
        layer=draw(st.none() | layers),
        resource=draw(st.none() | resources),
    )


packages = st.builds(
    Package.create,
    name=ids,
    version=ids,
    ecosystem=st.sampled_from(["PyPI", "npm", "Debian:12"]),
    source_name=st.none() | ids,
    locations=st.lists(
        st.builds(PackageLocation, path=text, line=st.none() | lines, layer=st.none() | layers),
        max_size=2,
    ).map(tuple),
    license=st.none() | text,
    direct=st.none() | st.booleans(),
    dev=st.booleans(),
)
suppressions = st.builds(
    Suppression,
    kind=st.sampled_from(SuppressionKind),
    reason=text.filter(bool),
    source=text,
    expires=st.none() | st.dates(date(2020, 1, 1)),
)
vulns = st.builds(
    VulnerabilityDetail,
    advisory_id=ids,
    aliases=st.lists(ids).map(tuple),
    installed_version=ids,
    fixed_versions=st.lists(ids, max_size=2).map(tuple),
    cvss_vectors=st.lists(text, max_size=1).map(tuple),
)
verifications = st.builds(
    SecretVerification,
    status=st.sampled_from(VerificationStatus),
    verifier=ids,
    reason=text,
)
frameworks = st.dictionaries(ids, st.lists(ids, max_size=2).map(tuple), max_size=2)
related = st.builds(
    RelatedFinding,
    fingerprint=ids,
    rule_id=ids,
    location=text,
    root_cause=st.sampled_from(RootCause),
)
findings = st.builds(
    Finding,
    kind=st.sampled_from(FindingKind),
    rule_id=ids,
    severity=st.sampled_from(Severity),
    title=text,
    message=text,
    location=locations(),
    scanner=ids,
    anchor=text,
    evidence=st.none() | text,
    remediation=st.none() | text,
    references=st.lists(text, max_size=2).map(tuple),
    frameworks=frameworks,
    package=st.none() | packages,
    vulnerability=st.none() | vulns,
    fingerprint=ids,
    suppression=st.none() | suppressions,
    baseline_state=st.none() | st.sampled_from(BaselineState),
    verification=st.none() | verifications,
    related=st.lists(related, max_size=2).map(tuple),
    image=st.none() | text,
)
rules = st.builds(
    Rule,
    id=ids,
    kind=st.sampled_from(FindingKind),
    title=text,
    severity=st.sampled_from(Severity),
    description=text,
    remediation=text,
    references=st.lists(text, max_size=2).map(tuple),
    peers=st.dictionaries(ids, ids, max_size=2),
    frameworks=frameworks,
    help_uri=st.none() | text,
    tags=st.lists(ids, max_size=2).map(tuple),
    root_cause=st.none() | st.sampled_from(RootCause),
)
coverage = st.one_of(
    st.builds(Scanned, path=text, by=st.lists(ids, max_size=2).map(tuple)),
    st.builds(Skipped, path=text, reason=st.sampled_from(SkipReason), detail=text),
    st.builds(Failed, path=text, reason=text.filter(bool), by=ids),
)
times = st.datetimes(timezones=st.just(UTC))
results = st.builds(
    ScanResult,
    target=st.builds(Target, kind=st.sampled_from(TargetKind), name=text, digest=st.none() | ids),
    started_at=times,
    finished_at=times,
    tool_version=ids,
    scanners=st.lists(ids, max_size=3).map(tuple),
    findings=st.lists(findings, max_size=4).map(tuple),
    rules=st.dictionaries(ids, rules, max_size=2),
    packages=st.lists(packages, max_size=2).map(tuple),
    operating_system=st.none() | st.builds(OperatingSystem, family=ids, name=ids, version=ids),
    coverage=st.lists(coverage, max_size=4).map(tuple),
    files_without_scanner=st.integers(0, 1000),
    timings=st.dictionaries(ids, st.floats(0, 1e6), max_size=2),
    versions=st.dictionaries(ids, ids, max_size=2),
    warnings=st.lists(text, max_size=2).map(tuple),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(result=results)
def test_every_result_round_trips(result: ScanResult) -> None:
    rendered = JsonFormatter().render(result, ReportContext())
    assert load_result(rendered, source="r.json") == result


def test_document_has_the_documented_top_level_keys() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    result = ScanResult(
        target=Target(kind=TargetKind.DIRECTORY, name="."),
        started_at=now,
        finished_at=now,
        tool_version="1.0",
    )
    document = result_to_document(result)
    assert list(document) == [
        "schema_version",
        "tool",
        "target",
        "started_at",
        "finished_at",
        "scanners",
        "summary",
        "findings",
        "rules",
        "packages",
        "coverage",
        "files_without_scanner",
        "timings",
        "versions",
        "warnings",
    ]
    assert document["summary"]["by_severity"] == {s.name: 0 for s in Severity}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("not json", r"r.json: not a secloop JSON report \(schema 1\)"),
        ('{"schema_version": "2"}', "schema_version"),
        ("[]", r"\(document\)"),
    ],
)
def test_bad_reports_are_refused_with_the_source_named(payload: str, message: str) -> None:
    with pytest.raises(ReportError, match=message):
        load_result(payload, source="r.json")


def test_unknown_keys_are_refused() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    result = ScanResult(
        target=Target(kind=TargetKind.DIRECTORY, name="."),
        started_at=now,
        finished_at=now,
        tool_version="1.0",
    )
    document = result_to_document(result)
    document["surprise"] = 1
    with pytest.raises(ReportError, match="surprise"):
        load_result(json.dumps(document), source="r.json")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"path": "a", "status": "skipped", "reason": "whatever"}, "a skipped input needs"),
        ({"path": "a", "status": "failed"}, "a failed input needs a reason"),
    ],
)
def test_coverage_entries_are_checked(entry: dict[str, str], message: str) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    result = ScanResult(
        target=Target(kind=TargetKind.DIRECTORY, name="."),
        started_at=now,
        finished_at=now,
        tool_version="1.0",
    )
    document = result_to_document(result)
    document["coverage"] = [entry]
    with pytest.raises(ReportError, match=message):
        load_result(json.dumps(document), source="r.json")


def test_published_json_schema_is_current_and_validates_reports() -> None:
    import jsonschema
    from scripts.json_schema import SCHEMA_PATH, main, render_schema

    assert main(["--check"]) == 0, "run python scripts/json_schema.py"
    schema = json.loads(render_schema())
    now = datetime(2026, 1, 1, tzinfo=UTC)
    result = ScanResult(
        target=Target(kind=TargetKind.DIRECTORY, name="."),
        started_at=now,
        finished_at=now,
        tool_version="1.0",
        coverage=(Skipped(path="a", reason=SkipReason.BINARY),),
    )
    jsonschema.validate(result_to_document(result), schema)
    assert SCHEMA_PATH.name == "scan-result-1.json"
