"""End to end: OSV records for Maven, NuGet, Hex, Pub and CRAN imported into a temp
database, and a project with the new lockfile formats scanned through ``run_scan`` with
the real registry. Each finding names the advisory and the file and line of the entry,
which proves the ecosystem and package names the parsers write are OSV's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from secloop.scan.engine import ScanRequest, run_scan
from secloop.scan.registry import default_registry
from secloop.vulndb.importer import import_path


def _record(advisory: str, ecosystem: str, name: str, fixed: str) -> dict[str, Any]:
    return {
        "id": advisory,
        "modified": "2024-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": name},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}
                ],
            }
        ],
    }


RECORDS = [
    _record("GHSA-jfh8-c2jp-5v3q", "Maven", "org.apache.logging.log4j:log4j-core", "2.15.0"),
    _record("GHSA-5crp-9r3c-p9vr", "NuGet", "Newtonsoft.Json", "13.0.1"),
    _record("GHSA-2q6v-32mr-8p8x", "Hex", "plug", "1.3.2"),
    _record("GHSA-4rgh-jx4f-qfcq", "Pub", "http", "0.13.3"),
    _record("TEST-CRAN-0001", "CRAN", "commonmark", "1.8"),
]

PROJECT: dict[str, str] = {
    "java/pom.xml": """<project>
  <properties><log4j.version>2.14.1</log4j.version></properties>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>${log4j.version}</version>
    </dependency>
  </dependencies>
</project>
""",
    "java/gradle.lockfile": "org.apache.logging.log4j:log4j-core:2.15.0=runtimeClasspath\n",
    "dotnet/packages.lock.json": json.dumps(
        {
            "version": 1,
            "dependencies": {
                "net8.0": {"Newtonsoft.Json": {"type": "Direct", "resolved": "12.0.3"}}
            },
        },
        indent=2,
    ),
    "elixir/mix.lock": '%{\n  "plug": {:hex, :plug, "1.3.0", "a", [:mix], [], "hexpm", "b"},\n}\n',
    "dart/pubspec.lock": (
        'packages:\n  http:\n    dependency: "direct main"\n    version: "0.13.0"\n'
    ),
    "r/renv.lock": json.dumps(
        {"Packages": {"commonmark": {"Version": "1.7", "Repository": "CRAN"}}}, indent=2
    ),
}


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    for record in RECORDS:
        (source / f"{record['id']}.json").write_text(json.dumps(record))
    db_path = tmp_path / "db" / "vulndb.sqlite"
    outcome = import_path(source, db_path)
    assert outcome.problems == ()
    monkeypatch.setenv("SECLOOP_DB", str(db_path))
    return db_path


def test_new_formats_are_matched_with_file_and_line(database: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    for relative, text in PROJECT.items():
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text(text)
    result = run_scan(ScanRequest(spec=str(project), scanners=("vuln",)), default_registry())
    assert result.failed == ()
    found = sorted((f.rule_id, f.location.display) for f in result.findings)
    assert found == [
        ("GHSA-2q6v-32mr-8p8x", "elixir/mix.lock:2"),
        ("GHSA-4rgh-jx4f-qfcq", "dart/pubspec.lock:2"),
        ("GHSA-5crp-9r3c-p9vr", "dotnet/packages.lock.json:5"),
        ("GHSA-jfh8-c2jp-5v3q", "java/pom.xml:4"),  # gradle's 2.15.0 is fixed
        ("TEST-CRAN-0001", "r/renv.lock:3"),
    ]
