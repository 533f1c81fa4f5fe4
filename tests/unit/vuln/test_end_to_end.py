"""End to end: PyPA advisories imported into a temp database, a requirements file
scanned through ``run_scan`` with the real registry, and ``--ignore-unfixed``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from secloop.core.finding import Finding, FindingKind
from secloop.core.result import Failed
from secloop.core.severity import Severity
from secloop.policy.filters import drop_unfixed
from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.registry import default_registry
from secloop.vulndb.importer import import_path
from tests.conftest import corpus_path

RECORDS = (
    "jinja2/PYSEC-2019-217.yaml",  # fixed 2.10.1; aliases CVE-2019-10906, GHSA-462w-v97r-4m45
    "jinja2/PYSEC-2021-66.yaml",  # fixed 2.11.3
    "jinja2/PYSEC-2014-8.yaml",  # fixed 2.7.2: does not affect 2.10
    "apache-skywalking/PYSEC-2020-342.yaml",  # no fix; CVSS 3.1 9.8
)
# A GHSA record for the same vulnerability as PYSEC-2019-217, carrying a CVSS vector:
# grouped with it into one finding, and the source of that finding's severity.
GHSA = {
    "id": "GHSA-462w-v97r-4m45",
    "modified": "2024-01-01T00:00:00Z",
    "aliases": ["CVE-2019-10906"],
    "summary": "Jinja2 sandbox escape via string formatting",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "Jinja2"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.10.1"}]}],
        }
    ],
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N"}],
    "database_specific": {"severity": "HIGH"},
}


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    vulns = corpus_path("pypa-advisory-database", "vulns")
    source = tmp_path / "source"
    for record in RECORDS:
        (source / record).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(vulns / record, source / record)
    (source / "GHSA-462w-v97r-4m45.json").write_text(json.dumps(GHSA))
    db_path = tmp_path / "db" / "vulndb.sqlite"
    outcome = import_path(source, db_path)
    assert outcome.problems == ()
    assert outcome.report.advisories == 5
    monkeypatch.setenv("SECLOOP_DB", str(db_path))
    return db_path


def _scan(project: Path) -> list[Finding]:
    request = ScanRequest(spec=str(project), scanners=("vuln",))
    result = run_scan(request, default_registry())
    assert result.failed == ()
    return sorted(result.findings, key=lambda f: f.rule_id)


def test_requirements_scan_reports_each_vulnerability_once(database: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text(
        "Jinja2==2.10  # pinned on purpose\napache_skywalking==8.0.0\nflask>=2.0\n"
    )
    findings = _scan(project)
    summary = {
        f.rule_id: (
            f.vulnerability.aliases if f.vulnerability else (),
            f.vulnerability.fixed_versions if f.vulnerability else (),
            f.severity,
        )
        for f in findings
    }
    assert summary == {
        "PYSEC-2019-217": (("CVE-2019-10906", "GHSA-462w-v97r-4m45"), ("2.10.1",), Severity.HIGH),
        "PYSEC-2020-342": (("CVE-2020-13921",), (), Severity.CRITICAL),
        "PYSEC-2021-66": (
            ("CVE-2020-28493", "GHSA-g3rq-g295-4j3m", "SNYK-PYTHON-JINJA2-1012994"),
            ("2.11.3",),
            Severity.UNKNOWN,
        ),
    }
    jinja = findings[0]
    assert jinja.kind is FindingKind.VULNERABILITY
    assert jinja.location.path == "requirements.txt"
    assert jinja.location.start_line == 1  # the file and line of the dependency
    assert {f.location.start_line for f in findings[1:]} == {1, 2}
    assert jinja.package is not None
    assert jinja.package.direct is True
    assert jinja.remediation == "Upgrade jinja2 to 2.10.1 or later."
    assert jinja.anchor == "pkg:pypi/jinja2|PYSEC-2019-217"
    assert jinja.vulnerability is not None
    assert jinja.vulnerability.installed_version == "2.10"
    assert jinja.vulnerability.cvss_vectors == (GHSA["severity"][0]["score"],)  # type: ignore[index]
    assert all(f.fingerprint for f in findings)


def test_ignore_unfixed_drops_only_the_vulnerability_without_a_fix(
    database: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("jinja2==2.10\napache-skywalking==8.0.0\n")
    kept = drop_unfixed(_scan(project))
    assert sorted(f.rule_id for f in kept) == ["PYSEC-2019-217", "PYSEC-2021-66"]


def test_without_a_database_the_scan_records_that_matching_was_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECLOOP_DB", str(tmp_path / "missing.sqlite"))
    (tmp_path / "requirements.txt").write_text("jinja2==2.10\n")
    result = run_scan(ScanRequest(spec=str(tmp_path), scanners=("vuln",)), default_registry())
    assert result.findings == ()
    assert [p.name for p in result.packages] == ["jinja2"]
    (failure,) = result.failed
    assert isinstance(failure, Failed)
    assert failure.path == "(inventory)"
    assert failure.by == "vuln"
    assert "vulnerability database not found at" in failure.reason
    assert "secloop db import" in failure.reason


def test_a_release_found_twice_points_at_each_file_and_line(database: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "svc").mkdir(parents=True)
    (project / "requirements.txt").write_text("jinja2==2.10\n")
    (project / "svc" / "requirements.txt").write_text("# service\n\nflask==2.0.1\njinja2==2.10\n")
    places = {
        (f.location.path, f.location.start_line)
        for f in _scan(project)
        if f.rule_id == "PYSEC-2019-217"
    }
    assert places == {("requirements.txt", 1), ("svc/requirements.txt", 4)}
