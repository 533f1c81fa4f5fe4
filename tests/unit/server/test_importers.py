"""Every importer on the real sample reports of ../shared/corpus/defectdojo-scan-samples.

expected.json records what DefectDojo's parsers return for each file. The tests
assert the finding count of every file, the severities by index, and the asserted
fields where secloop maps the same concept (title, rule id, advisory id, package,
path, line, CWE, fix, CVSS vector). Where secloop deliberately differs, the
difference is listed below with its reason and asserted as secloop's value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from secloop.core.finding import Finding, FindingKind
from secloop.core.severity import Severity
from secloop.server.errors import IngestError, UploadTooLargeError
from secloop.server.ingest import (
    IMPORTERS,
    ImportedReport,
    ImportFormat,
    ImportLimits,
    detect,
    import_report,
    importer_for,
)
from tests.conftest import CORPUS_ROOT

SAMPLES_ROOT = CORPUS_ROOT / "defectdojo-scan-samples"
FOLDERS = {
    "trivy": ImportFormat.TRIVY,
    "anchore_grype": ImportFormat.GRYPE,
    "gitleaks": ImportFormat.GITLEAKS,
    "semgrep": ImportFormat.SEMGREP,
    "bandit": ImportFormat.BANDIT,
    "checkov": ImportFormat.CHECKOV,
    "zap": ImportFormat.ZAP,
    "sarif": ImportFormat.SARIF,
    "osv_scanner": ImportFormat.OSV_SCANNER,
}
# DefectDojo's words; secloop has no "Info": informational findings are UNKNOWN, the
# rung below every gate threshold.
WORDS = {
    "Critical": Severity.CRITICAL,
    "High": Severity.HIGH,
    "Medium": Severity.MEDIUM,
    "Low": Severity.LOW,
    "Info": Severity.UNKNOWN,
}
# Deliberate differences from DefectDojo, by (file, index): secloop's value.
SEVERITY_DIFFERENCES = {
    # SARIF level "note" is LOW (secloop's own SARIF writes LOW as note); DefectDojo: Info.
    ("sarif/dockle_0_3_15.sarif", "1"): Severity.LOW,
    ("sarif/dockle_0_3_15.sarif", "2"): Severity.LOW,
    ("sarif/dockle_0_3_15.sarif", "3"): Severity.LOW,
    # Community Checkov reports no severity: UNKNOWN, not a guessed Medium.
    ("checkov/checkov-report-multiple-check_type.json", "0"): Severity.UNKNOWN,
    ("checkov/checkov-report-multiple-check_type.json", "11"): Severity.UNKNOWN,
    # An OSV record without a severity is UNKNOWN, not DefectDojo's default Low.
    ("osv_scanner/some_findings.json", "0"): Severity.UNKNOWN,
}
# Titles secloop words differently (the rule id and message are asserted instead).
TITLE_DIFFERS = {
    # DefectDojo: "<id>_<package>"; secloop: "<id> in <pkg> <ver>"
    "osv_scanner/many_findings.json",
    "osv_scanner/some_findings.json",
    "sarif/dependency_check.sarif",  # DefectDojo prefixes the rule id and truncates
    "gitleaks/data_one.json",  # "Hard Coded <rule>" is used, DefectDojo adds a tag word
}


def _cases() -> list[tuple[str, dict[str, Any]]]:
    path = SAMPLES_ROOT / "expected.json"
    if not path.exists():
        return [("(corpus absent)", {})]
    data: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return [(key, value) for key, value in data.items() if key.split("/")[0] in FOLDERS]


def _import(key: str) -> ImportedReport:
    path = SAMPLES_ROOT / key
    if not path.exists():
        pytest.skip(f"third-party corpus not available at {SAMPLES_ROOT} (../shared is absent)")
    return import_report(path.read_bytes(), source=key, fmt=FOLDERS[key.split("/", maxsplit=1)[0]])


def _select(findings: tuple[Finding, ...], selector: str) -> Finding:
    if selector.startswith("where "):
        wanted = selector.split("'")[1]
        return next(f for f in findings if f.rule_id == wanted or wanted in f.location.display)
    return findings[int(selector)]


@pytest.mark.parametrize(("key", "expected"), _cases(), ids=[case[0] for case in _cases()])
def test_finding_count_matches_the_corpus(key: str, expected: dict[str, Any]) -> None:
    report = _import(key)
    if "findings_min" in expected:
        assert len(report.findings) >= expected["findings_min"]
    else:
        assert len(report.findings) == expected["findings"]
    assert all(f.fingerprint for f in report.findings)


@pytest.mark.parametrize(("key", "expected"), _cases(), ids=[case[0] for case in _cases()])
def test_severities_match_the_corpus(key: str, expected: dict[str, Any]) -> None:
    report = _import(key)
    for selector, word in expected.get("severities", {}).items():
        want = SEVERITY_DIFFERENCES.get((key, selector), WORDS[word])
        assert _select(report.findings, selector).severity is want, (key, selector)


def _normal_path(path: str | None) -> str | None:
    if path is None:
        return None
    return path.removeprefix("file://").lstrip("/") or None


def _check_field(key: str, finding: Finding, name: str, value: Any) -> None:
    detail, package = finding.vulnerability, finding.package
    if name == "title" and key not in TITLE_DIFFERS:
        assert finding.title == value
    elif name == "vuln_id_from_tool":
        assert finding.rule_id == str(value).rsplit(":", 1)[-1]
    elif name == "unsaved_vulnerability_ids[0]":
        assert detail is not None
        assert detail.advisory_id == value
    elif name == "component_name" and finding.kind is FindingKind.VULNERABILITY:
        assert package is not None
        assert package.name == value
    elif name == "component_version" and finding.kind is FindingKind.VULNERABILITY:
        assert package is not None
        assert package.version == value
    elif name == "file_path" and finding.location.resource is None:
        assert _normal_path(finding.location.path) == _normal_path(value)
    elif name == "line":
        assert finding.location.start_line == (int(value) if value else None)
    elif name == "cwe" and value:
        assert f"CWE-{str(value).removeprefix('CWE-')}" in finding.frameworks["cwe"]
    elif name == "cvssv3" and value:
        assert detail is not None
        assert value in detail.cvss_vectors


@pytest.mark.parametrize(("key", "expected"), _cases(), ids=[case[0] for case in _cases()])
def test_asserted_fields_match_the_corpus(key: str, expected: dict[str, Any]) -> None:
    report = _import(key)
    for selector, fields in expected.get("asserted", {}).items():
        finding = _select(report.findings, selector)
        for name, value in fields.items():
            _check_field(key, finding, name, value)


def test_grype_merges_one_cve_at_two_paths_and_keeps_related_ids_as_aliases() -> None:
    same = _import("anchore_grype/same_cve_different_paths.json")
    assert [f.rule_id for f in same.findings] == ["CVE-2021-33574"]
    fields = _import("anchore_grype/check_all_fields.json")
    django = next(f for f in fields.findings if f.rule_id == "GHSA-v6rh-hp5x-86rv")
    assert django.vulnerability is not None
    assert django.vulnerability.aliases == ("CVE-2021-44420",)
    assert fields.tool_version == "0.28.0"


def test_grype_fix_versions() -> None:
    (fixed,) = _import("anchore_grype/fix_available.json").findings
    (unfixed,) = _import("anchore_grype/fix_not_available.json").findings
    assert fixed.vulnerability is not None
    assert fixed.vulnerability.fixed_versions == ("1.2.3",)
    assert unfixed.vulnerability is not None
    assert not unfixed.vulnerability.fixable


def test_trivy_not_affected_status_is_imported_suppressed() -> None:
    report = _import("trivy/all_statuses.json")
    suppressed = [f for f in report.findings if f.suppressed]
    assert len(suppressed) == 1
    assert suppressed[0].suppression is not None
    assert "not_affected" in suppressed[0].suppression.reason


def test_trivy_kinds_and_kubernetes_resources() -> None:
    mixed = _import("trivy/misconfigurations_and_secrets.json")
    assert [f.kind for f in mixed.findings] == [
        FindingKind.VULNERABILITY,
        FindingKind.VULNERABILITY,
        FindingKind.MISCONFIGURATION,
        FindingKind.SECRET,
        FindingKind.SECRET,
    ]
    cluster = _import("trivy/kubernetes.json")
    resource = cluster.findings[10].location.resource
    assert resource is not None
    assert resource.display == "Deployment/default/redis-follower"


def test_gitleaks_collapses_one_secret_in_several_commits_and_never_stores_it() -> None:
    report = _import("gitleaks/gitleaks8_many.json")
    assert [f.location.path for f in report.findings] == [
        "/conf/aws.tf",
        "conf/rsa.pk",
        "tests/api.py",
    ]
    assert all("secretAWSsecret" not in (f.evidence or "") for f in report.findings)
    assert all("secretAWSsecret" not in f.anchor for f in report.findings)


def test_sarif_respects_suppressions_baseline_state_and_tool_name() -> None:
    report = _import("sarif/SuppressionTestCurrent.sarif")
    assert report.tool == "codescanner"
    assert [f.suppressed for f in report.findings] == [True, True, True, False]
    taint = _import("sarif/taint-python-report.sarif")
    assert all("scanPrimaryLocationHash=" in f.anchor for f in taint.findings)
    assert {f.baseline_state.value for f in taint.findings if f.baseline_state} == {"new"}


def test_sarif_absent_results_and_passes_are_dropped_with_a_reason() -> None:
    log = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "Demo", "version": "1.0"}},
                "invocations": [{"executionSuccessful": False}],
                "results": [
                    {"ruleId": "A", "message": {"text": "gone"}, "baselineState": "absent"},
                    {"ruleId": "B", "message": {"text": "ok"}, "kind": "pass"},
                    {
                        "ruleId": "C",
                        "message": {"text": "kept"},
                        "suppressions": [{"kind": "inSource", "status": "rejected"}],
                    },
                ],
            }
        ],
    }
    report = import_report(json.dumps(log).encode(), source="demo.sarif")
    assert [f.rule_id for f in report.findings] == ["C"]
    assert not report.findings[0].suppressed
    assert len(report.dropped) == 2
    assert report.complete is False


def test_osv_scanner_keeps_aliases_for_correlation() -> None:
    report = _import("osv_scanner/many_findings.json")
    django = next(f for f in report.findings if f.rule_id == "GHSA-53qw-q765-4fww")
    assert django.vulnerability is not None
    assert "PYSEC-2022-1" in django.vulnerability.aliases


def test_zap_xml_and_json_give_the_same_findings() -> None:
    xml_report = _import("zap/zap-xml-plus-format.xml")
    alert = {
        "pluginid": "90028",
        "alert": "Insecure HTTP Method - PUT",
        "name": "Insecure HTTP Method - PUT",
        "riskcode": "2",
        "desc": "<p>PUT</p>",
        "cweid": "749",
        "instances": [{"uri": "http://localhost:8080/x", "method": "PUT"}],
    }
    document = {
        "@version": "2.11.1",
        "site": [{"@name": "http://localhost:8080", "alerts": [alert]}],
    }
    json_report = import_report(json.dumps(document).encode(), source="zap.json")
    assert json_report.format is ImportFormat.ZAP
    assert [f.rule_id for f in json_report.findings] == [f.rule_id for f in xml_report.findings]
    assert json_report.findings[0].severity is Severity.MEDIUM
    assert json_report.findings[0].frameworks["cwe"] == ("CWE-749",)


def _is_empty(key: str, expected: dict[str, Any]) -> bool:
    """A report with no findings (or no content) has no shape to detect its format by."""
    path = SAMPLES_ROOT / key
    data = path.read_bytes().strip() if path.exists() else b""
    return not data or data == b"null" or expected.get("findings") == 0


_DETECTABLE = [case for case in _cases() if not _is_empty(*case)]
_EMPTY = [case for case in _cases() if (SAMPLES_ROOT / case[0]).exists() and _is_empty(*case)]


@pytest.mark.parametrize(("key", "expected"), _DETECTABLE, ids=[c[0] for c in _DETECTABLE])
def test_format_is_detected(key: str, expected: dict[str, Any]) -> None:
    path = SAMPLES_ROOT / key
    if not path.exists():
        pytest.skip("third-party corpus absent")
    assert detect(path.read_bytes(), source=key) is FOLDERS[key.split("/", maxsplit=1)[0]]


@pytest.mark.parametrize(("key", "expected"), _EMPTY, ids=[c[0] for c in _EMPTY])
def test_empty_reports_import_as_empty_with_their_format_named(
    key: str, expected: dict[str, Any]
) -> None:
    assert expected.get("findings", 0) == 0
    assert _import(key).findings == ()


def test_every_format_has_an_importer() -> None:
    assert {importer_for(fmt).format for fmt in ImportFormat} == set(ImportFormat)
    assert len(IMPORTERS) == len(ImportFormat)


@pytest.mark.parametrize("fmt", list(ImportFormat))
def test_malformed_report_is_a_clear_error_naming_the_file(fmt: ImportFormat) -> None:
    with pytest.raises(IngestError) as caught:
        import_report(b'{"runs": 5, "results": 7, "matches": 1', source="broken.json", fmt=fmt)
    assert str(caught.value).startswith("broken.json: ")


@pytest.mark.parametrize("fmt", list(ImportFormat))
def test_wrong_shape_is_a_clear_error(fmt: ImportFormat) -> None:
    with pytest.raises(IngestError, match=r"^wrong\.json: "):
        import_report(
            b'{"version": "9", "runs": 5, "results": 7, "matches": 1, "check_type": 3}',
            source="wrong.json",
            fmt=fmt,
        )


def test_limits_on_size_depth_and_count() -> None:
    with pytest.raises(UploadTooLargeError, match="over the limit of 10"):
        import_report(b"[" * 20, source="big.json", limits=ImportLimits(max_bytes=10))
    with pytest.raises(IngestError, match="nests deeper"):
        import_report(b"[" * 100 + b"]" * 100, source="deep.json", fmt=ImportFormat.TRIVY)
    report = SAMPLES_ROOT / "bandit/dd.json"
    if report.exists():
        with pytest.raises(IngestError, match="over the limit of 5"):
            import_report(
                report.read_bytes(), source="dd.json", limits=ImportLimits(max_findings=5)
            )


def test_unknown_severity_word_is_rejected() -> None:
    document: dict[str, object] = {"errors": [], "metrics": {}}
    document["results"] = [
        {
            "test_id": "B1",
            "filename": "a.py",
            "line_number": 1,
            "issue_text": "x",
            "issue_severity": "EXTREME",
        }
    ]
    with pytest.raises(IngestError, match="unknown severity 'EXTREME'"):
        import_report(json.dumps(document).encode(), source="b.json", fmt=ImportFormat.BANDIT)


def test_zap_xml_with_entities_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]>'
        b"<OWASPZAPReport>&a;</OWASPZAPReport>"
    )
    with pytest.raises(IngestError, match="refused"):
        import_report(bomb, source="bomb.xml", fmt=ImportFormat.ZAP)


def test_unknown_shape_cannot_be_detected(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="cannot tell the report format"):
        detect(b'{"hello": "world"}', source="x.json")
