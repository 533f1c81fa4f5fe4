"""SBOMs inside scanned trees, licences read from SBOMs, and the scan -> SBOM -> scan
round trip finding the same vulnerabilities and licence findings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from secloop.cli import main
from secloop.core.advisory import (
    Advisory,
    AffectedPackage,
    AffectedRange,
    EventKind,
    RangeEvent,
    RangeType,
)
from secloop.scan.interface import FileContent, FileEntry
from secloop.scan.sbom import parse_sbom, reader
from secloop.scan.sbom.analyzer import SbomFileAnalyzer, is_sbom_name
from secloop.vulndb.store import build_database


@pytest.mark.parametrize(
    ("name", "wanted"),
    [
        ("bom.json", True),
        ("BOM.json", True),
        ("sbom.json", True),
        ("app.cdx.json", True),
        ("app.spdx.json", True),
        ("release.bom.json", True),
        ("package.json", False),
        ("bom.xml", False),
        ("abom.json", False),
    ],
)
def test_sbom_files_are_recognised_by_name(name: str, wanted: bool) -> None:
    assert is_sbom_name(name) is wanted
    entry = FileEntry(path=f"dist/{name}", size=10)
    assert SbomFileAnalyzer().applies_to(entry) is wanted


def _cdx(components: list[dict[str, Any]]) -> bytes:
    document = {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": components}
    return json.dumps(document).encode()


def _library(name: str, version: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "library",
        "bom-ref": name,
        "name": name,
        "version": version,
        "purl": f"pkg:npm/{name}@{version}",
        **extra,
    }


def test_cyclonedx_licences_are_kept() -> None:
    components = [
        _library("by-id", "1.0.0", licenses=[{"license": {"id": "MIT"}}]),
        _library("by-name", "1.0.0", licenses=[{"license": {"name": "Acme Licence"}}]),
        _library("expression", "1.0.0", licenses=[{"expression": "MIT OR Apache-2.0"}]),
        _library(
            "several",
            "1.0.0",
            licenses=[{"license": {"id": "MIT"}}, {"license": {"id": "GPL-3.0-only"}}],
        ),
        _library("none", "1.0.0"),
    ]
    packages = {p.name: p.license for p in parse_sbom(_cdx(components), "bom.json").packages}
    assert packages == {
        "by-id": "MIT",
        "by-name": "Acme Licence",
        "expression": "MIT OR Apache-2.0",
        "several": "MIT AND GPL-3.0-only",  # each entry applies
        "none": None,
    }


def test_unusable_licence_entries_declare_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # As without the sbom extra: no schema check rejects the entries first.
    monkeypatch.setattr(reader, "_check_schema", lambda data, version, path: None)
    odd = _library("odd", "1.0.0", licenses=["MIT", {"license": {"url": "https://x"}}])
    (package,) = parse_sbom(_cdx([odd]), "bom.json").packages
    assert package.license is None


def test_spdx_licences_are_kept() -> None:
    def package(name: str, **licences: str) -> dict[str, Any]:
        return {
            "SPDXID": f"SPDXRef-{name}",
            "name": name,
            "externalRefs": [{"referenceType": "purl", "referenceLocator": f"pkg:npm/{name}@1"}],
            **licences,
        }

    document = {
        "spdxVersion": "SPDX-2.3",
        "packages": [
            package("declared", licenseDeclared="Apache-2.0", licenseConcluded="MIT"),
            package("concluded", licenseDeclared="NOASSERTION", licenseConcluded="MIT"),
            package("extracted", licenseDeclared="LicenseRef-Acme-Licence"),
            package("unasserted", licenseDeclared="NOASSERTION", licenseConcluded="NONE"),
        ],
        "hasExtractedLicensingInfos": [
            {"licenseId": "LicenseRef-Acme-Licence", "name": "Acme Licence", "extractedText": "x"}
        ],
    }
    document_bytes = json.dumps(document).encode()
    packages = {p.name: p.license for p in parse_sbom(document_bytes, "s.spdx.json").packages}
    assert packages == {
        "declared": "Apache-2.0",
        "concluded": "MIT",
        "extracted": "Acme Licence",
        "unasserted": None,
    }


def _database(tmp_path: Path) -> Path:
    advisory = Advisory(
        id="GHSA-test-lodash",
        aliases=("CVE-2021-23337",),
        summary="lodash command injection",
        affected=(
            AffectedPackage(
                ecosystem="npm",
                name="lodash",
                ranges=(
                    AffectedRange(
                        RangeType.SEMVER,
                        (
                            RangeEvent(EventKind.INTRODUCED, "0"),
                            RangeEvent(EventKind.FIXED, "4.17.21"),
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


def _project(root: Path) -> Path:
    """A project tree: an npm lock (a vulnerable lodash under a GPL package) and a
    poetry lock, so that two ecosystems and a graph go through the round trip."""
    root.mkdir()
    lock = {
        "name": "shop",
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "shop", "dependencies": {"left": "^1"}},
            "node_modules/left": {
                "version": "1.0.0",
                "license": "GPL-3.0-only",
                "dependencies": {"lodash": "^4"},
            },
            "node_modules/lodash": {"version": "4.17.20", "license": "MIT"},
        },
    }
    (root / "package-lock.json").write_text(json.dumps(lock, indent=2), encoding="utf-8")
    poetry = '[[package]]\nname = "six"\nversion = "1.16.0"\n'
    (root / "poetry.lock").write_text(poetry, encoding="utf-8")
    return root


def _run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db: Path, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("SECLOOP_DB", str(db))
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    captured = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 0), captured.out, captured.err


_POLICY = ("--deny-license", "GPL-3.0-*", "--exit-code", "0", "--quiet")


def _inventory_findings(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (f["kind"], f["rule_id"], f["package"]["purl"])
        for f in report["findings"]
        if f["kind"] in {"vulnerability", "license"}
    }


@pytest.mark.parametrize("fmt", ["cyclonedx", "spdx"])
def test_scan_sbom_scan_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    db = _database(tmp_path)
    project = _project(tmp_path / "project")
    bom = tmp_path / f"out.{'cdx' if fmt == 'cyclonedx' else 'spdx'}.json"
    code, _, err = _run(capsys, monkeypatch, db, "scan", str(project), "-f", fmt, "-o", str(bom))
    assert code in (0, 1), err
    code, direct_out, err = _run(
        capsys, monkeypatch, db, "scan", str(project), "-f", "json", *_POLICY
    )
    assert code == 0, err
    code, sbom_out, err = _run(capsys, monkeypatch, db, "scan", str(bom), "-f", "json", *_POLICY)
    assert code == 0, err
    from_tree = _inventory_findings(json.loads(direct_out))
    from_sbom = _inventory_findings(json.loads(sbom_out))
    assert ("vulnerability", "GHSA-test-lodash", "pkg:npm/lodash@4.17.20") in from_tree
    assert any(kind == "license" and purl == "pkg:npm/left@1.0.0" for kind, _, purl in from_tree)
    assert from_sbom == from_tree
    packages = {p["purl"]: p for p in json.loads(sbom_out)["packages"]}
    assert set(packages) == {"pkg:npm/left@1.0.0", "pkg:npm/lodash@4.17.20", "pkg:pypi/six@1.16.0"}
    document = parse_sbom(bom.read_bytes(), bom.name)
    graph = {p.name: p.depends_on for p in document.packages}
    assert graph["left"] == ("pkg:npm/lodash@4.17.20",)


def test_sboms_in_a_tree_join_the_inventory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _database(tmp_path)
    tree = tmp_path / "tree"
    (tree / "vendor").mkdir(parents=True)
    vendored = [_library("lodash", "4.17.20", licenses=[{"license": {"id": "MIT"}}])]
    (tree / "vendor" / "bom.json").write_bytes(_cdx(vendored))
    (tree / "broken.spdx.json").write_text('{"spdxVersion": "SPDX-3.0"}', encoding="utf-8")
    args = ("scan", str(tree), "-f", "json", "--scanners", "vuln", "--exit-code", "0", "--quiet")
    code, out, err = _run(capsys, monkeypatch, db, *args)
    assert code == 0, err
    report = json.loads(out)
    (package,) = report["packages"]
    assert package["purl"] == "pkg:npm/lodash@4.17.20"
    assert package["license"] == "MIT"
    assert package["locations"] == [{"path": "vendor/bom.json"}]
    (finding,) = report["findings"]
    assert finding["rule_id"] == "GHSA-test-lodash"
    coverage = {c["path"]: c for c in report["coverage"]}
    assert coverage["vendor/bom.json"]["status"] == "scanned"
    broken = coverage["broken.spdx.json"]
    assert broken["status"] == "failed"
    assert broken["reason"] == (
        "broken.spdx.json: unsupported spdxVersion 'SPDX-3.0' (SPDX 2.x JSON is read)"
    )


def test_components_an_sbom_analyzer_cannot_use_are_reported_not_dropped() -> None:
    no_purl = {"type": "library", "bom-ref": "x", "name": "x", "version": "1.0"}
    data = _cdx([_library("lodash", "4.17.20"), no_purl])
    output = SbomFileAnalyzer().analyze(
        FileContent(entry=FileEntry(path="vendor/bom.json", size=len(data)), data=data)
    )
    assert [p.name for p in output.packages] == ["lodash"]
    assert output.problems == ("1 components without a purl of a known ecosystem: not scanned",)
