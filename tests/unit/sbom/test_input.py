"""Reading CycloneDX and SPDX SBOMs, and scanning them for vulnerabilities."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scripts.golden import build_sbom_sample_result

from secloop.cli import main
from secloop.core.advisory import (
    Advisory,
    AffectedPackage,
    AffectedRange,
    EventKind,
    RangeEvent,
    RangeType,
)
from secloop.core.target import TargetKind
from secloop.output.interface import OutputFormat, ReportContext
from secloop.output.registry import formatter_for
from secloop.scan.sbom import SbomError, is_sbom_file, package_from_purl, read_sbom, scan_sbom
from secloop.scan.vuln import VulnerabilityScanner
from secloop.vulndb.store import build_database
from tests.conftest import corpus_path

SPEC_FIXTURES = "cyclonedx-spec", "tools", "src", "test", "resources"


def _spec_fixtures(prefix: str) -> list[Path]:
    root = corpus_path(*SPEC_FIXTURES)
    return sorted(p for p in root.glob(f"*/{prefix}-*.json"))


def test_every_valid_spec_fixture_reads() -> None:
    fixtures = _spec_fixtures("valid")
    assert len(fixtures) > 200
    for path in fixtures:
        read_sbom(path)  # no crash, no error


def test_every_invalid_spec_fixture_is_a_clear_error() -> None:
    pytest.importorskip("cyclonedx")  # schema checks need the sbom extra
    fixtures = _spec_fixtures("invalid")
    assert len(fixtures) > 100
    for path in fixtures:
        with pytest.raises(SbomError) as caught:
            read_sbom(path)
        assert str(caught.value).startswith(path.name + ":"), str(caught.value)


def test_every_example_bom_reads() -> None:
    for path in sorted(corpus_path("cyclonedx-examples").rglob("*.json")):
        read_sbom(path)


def test_juice_shop_npm_components() -> None:
    path = corpus_path("cyclonedx-examples", "SBOM", "juice-shop", "v11.1.2", "bom.json")
    document = read_sbom(path)
    assert document.format == "cyclonedx"
    assert len(document.packages) >= 800
    assert {p.ecosystem for p in document.packages} == {"npm"}
    assert all(p.locations[0].path == "bom.json" for p in document.packages)


@pytest.mark.parametrize(
    ("purl", "ecosystem", "name"),
    [
        ("pkg:npm/%40angular/core@9.0.0", "npm", "@angular/core"),
        (
            "pkg:maven/io.dropwizard/dropwizard-core@1.3.15",
            "Maven",
            "io.dropwizard:dropwizard-core",
        ),
        ("pkg:composer/laravel/framework@7.12.0", "Packagist", "laravel/framework"),
        ("pkg:golang/github.com/gorilla/mux@v1.8.0", "Go", "github.com/gorilla/mux"),
        ("pkg:deb/debian/openssl@3.0.11-1?distro=debian-12", "Debian:12", "openssl"),
        ("pkg:apk/alpine/musl@1.2.4-r1?distro=alpine-3.18.4", "Alpine:v3.18", "musl"),
    ],
)
def test_purls_become_packages(purl: str, ecosystem: str, name: str) -> None:
    package = package_from_purl(purl, "bom.json")
    assert package is not None
    assert (package.ecosystem, package.name) == (ecosystem, name)


@pytest.mark.parametrize("purl", ["pkg:github/x/y@1", "pkg:npm/no-version", "not a purl"])
def test_unusable_purls_are_skipped(purl: str) -> None:
    assert package_from_purl(purl, "bom.json") is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{", "not valid JSON"),
        (b"[]", "not an SBOM"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "9.9"}', "unsupported CycloneDX"),
        (b'{"spdxVersion": "SPDX-3.0"}', "unsupported spdxVersion"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": {}}', "not"),
    ],
)
def test_broken_documents_name_file_and_reason(tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(data)
    with pytest.raises(SbomError, match=f"^bad.json: .*{reason}"):
        read_sbom(path)


def _sample_sboms(tmp_path: Path) -> dict[str, Path]:
    sample = build_sbom_sample_result()
    paths = {}
    for fmt, name in ((OutputFormat.CYCLONEDX, "s.cdx.json"), (OutputFormat.SPDX, "s.spdx.json")):
        path = tmp_path / name
        path.write_text(formatter_for(fmt).render(sample, ReportContext()), encoding="utf-8")
        paths[str(fmt)] = path
    return paths


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_our_own_sboms_round_trip(tmp_path: Path, fmt: str) -> None:
    path = _sample_sboms(tmp_path)[fmt]
    assert is_sbom_file(path)
    document = read_sbom(path)
    expected = {p.purl for p in build_sbom_sample_result().packages}
    assert {p.purl for p in document.packages} == expected
    assert document.operating_system is not None
    assert document.operating_system.version == "12"


def _database(tmp_path: Path) -> Path:
    advisory = Advisory(
        id="GHSA-9wx4-h78v-vm56",
        aliases=("CVE-2024-35195",),
        summary="requests keeps verify=False",
        affected=(
            AffectedPackage(
                ecosystem="PyPI",
                name="requests",
                ranges=(
                    AffectedRange(
                        RangeType.ECOSYSTEM,
                        (
                            RangeEvent(EventKind.INTRODUCED, "0"),
                            RangeEvent(EventKind.FIXED, "2.32.0"),
                        ),
                    ),
                ),
            ),
        ),
        modified=datetime(2024, 6, 1, tzinfo=UTC),
    )
    path = tmp_path / "db.sqlite"
    build_database(path, [advisory], source="test")
    return path


def test_scan_sbom_finds_vulnerabilities(tmp_path: Path) -> None:
    path = _sample_sboms(tmp_path)["spdx"]
    scanner = VulnerabilityScanner(_database(tmp_path))
    result = scan_sbom(path, [scanner])
    assert result.target.kind is TargetKind.SBOM
    assert [f.rule_id for f in result.findings] == ["GHSA-9wx4-h78v-vm56"]
    assert result.findings[0].location.path == "s.spdx.json"
    assert [s.path for s in result.scanned] == ["s.spdx.json"]


def _run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db: Path | None, *args: str
) -> tuple[int, str, str]:
    if db is not None:
        monkeypatch.setenv("SECLOOP_DB", str(db))
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    captured = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err


def test_cli_scans_an_sbom_and_applies_vex(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _sample_sboms(tmp_path)["cyclonedx"]
    vex = tmp_path / "vex.json"
    vex.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "vulnerabilities": [
                    {
                        "id": "CVE-2024-35195",
                        "analysis": {
                            "state": "not_affected",
                            "justification": "code_not_reachable",
                        },
                        "affects": [{"ref": "pkg:pypi/requests@2.31.0"}],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    db = _database(tmp_path)
    args = ["scan", str(path), "--format", "json", "--quiet"]
    code, out, err = _run(capsys, monkeypatch, db, *args)
    assert code == 1, err
    code, out, err = _run(capsys, monkeypatch, db, *args, "--vex", str(vex))
    assert code == 0, err
    (finding,) = json.loads(out)["findings"]
    assert "VEX:" in json.dumps(finding)
    assert "code_not_reachable" in json.dumps(finding)


def test_cli_names_an_invalid_sbom(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "broken.cdx.json"
    path.write_text('{"bomFormat": "CycloneDX", "specVersion": "0.1"}', encoding="utf-8")
    code, _, err = _run(capsys, monkeypatch, None, "scan", str(path), "--quiet")
    assert code == 3
    assert "broken.cdx.json: unsupported CycloneDX specVersion" in err
