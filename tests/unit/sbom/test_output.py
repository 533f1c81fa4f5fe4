"""CycloneDX 1.6 and SPDX 2.3 output: valid, complete and deterministic."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from scripts.golden import build_sbom_sample_result

from secloop.core.package import Package, PackageLocation
from secloop.core.result import ScanResult
from secloop.output.interface import OutputFormat, ReportContext
from secloop.output.registry import formatter_for
from secloop.output.spdx import DOCUMENT_ID, TARGET_ID, spdx_id_for
from tests.conftest import corpus_path


def _render(fmt: OutputFormat, result: ScanResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(formatter_for(fmt).render(result, ReportContext()))
    return data


@pytest.fixture(scope="module")
def cdx_validator() -> Draft7Validator:
    """bom-1.6 with its spdx and jsf schemas, resolved from local files only."""
    schema_dir: Path = corpus_path("cyclonedx-spec", "schema")
    resources = []
    for name in ("bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"):
        contents = json.loads((schema_dir / name).read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents)
        resources += [(name, resource), (contents.get("$id", name), resource)]
    registry: Registry[Any] = Registry().with_resources(resources)
    schema = json.loads((schema_dir / "bom-1.6.schema.json").read_text(encoding="utf-8"))
    return Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def sample() -> ScanResult:
    return build_sbom_sample_result()


def test_cyclonedx_is_valid_against_the_official_schema(
    cdx_validator: Draft7Validator, sample: ScanResult
) -> None:
    document = _render(OutputFormat.CYCLONEDX, sample)
    errors = sorted(cdx_validator.iter_errors(document), key=str)
    assert not errors, errors[0].message if errors else ""


def test_cyclonedx_components_vulnerabilities_and_metadata(sample: ScanResult) -> None:
    document = _render(OutputFormat.CYCLONEDX, sample)
    assert document["specVersion"] == "1.6"
    assert document["metadata"]["timestamp"] == "2025-01-15T09:30:12Z"
    by_ref = {c["bom-ref"]: c for c in document["components"]}
    mux = by_ref["pkg:golang/github.com/gorilla/mux@v1.8.0"]
    paths = [p["value"] for p in mux["properties"] if p["name"] == "secloop:path"]
    assert paths == ["go.mod", "tools/go.mod"]
    urllib3 = by_ref["pkg:pypi/urllib3@1.26.16"]
    layers = [p["value"] for p in urllib3["properties"] if p["name"] == "secloop:layer_diff_id"]
    assert layers == ["sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"]
    assert any(c["type"] == "operating-system" and c["version"] == "12" for c in by_ref.values())
    vulns = {v["id"]: v for v in document["vulnerabilities"]}
    urllib3_vuln = vulns["GHSA-v845-jxx5-vc9f"]
    assert urllib3_vuln["affects"][0]["ref"] == "pkg:pypi/urllib3@1.26.16"
    versions = {v["version"]: v["status"] for v in urllib3_vuln["affects"][0]["versions"]}
    assert versions == {"1.26.16": "affected", "1.26.17": "unaffected", "2.0.6": "unaffected"}
    assert urllib3_vuln["ratings"][0]["method"] == "CVSSv31"
    assert urllib3_vuln["ratings"][0]["score"] == pytest.approx(5.3)
    assert [r["id"] for r in urllib3_vuln["references"]] == ["CVE-2023-43804"]
    depends = {d["ref"]: d.get("dependsOn", []) for d in document["dependencies"]}
    manifests = {ref for ref, c in by_ref.items() if ref.startswith("secloop:manifest:")}
    assert {by_ref[ref]["name"] for ref in manifests} == {
        loc.path for p in sample.packages for loc in p.locations
    }
    assert all(by_ref[ref]["type"] == "application" for ref in manifests)
    # the target depends on its manifests, the OS and a package found at no path;
    # each manifest on its packages
    placeless = {p.purl for p in sample.packages if not p.locations}
    assert placeless == {"pkg:npm/left-pad@1.3.0"}
    assert set(depends["secloop:target"]) == manifests | placeless | {"secloop:os:debian@12"}
    assert depends["secloop:manifest:tools/go.mod"] == ["pkg:golang/github.com/gorilla/mux@v1.8.0"]
    below = {purl for ref in manifests for purl in depends[ref]}
    assert below | placeless == {ref for ref in by_ref if ref.startswith("pkg:")}


def test_empty_inventory_is_still_valid(cdx_validator: Draft7Validator, sample: ScanResult) -> None:
    empty = replace(sample, packages=(), findings=(), operating_system=None)
    document = _render(OutputFormat.CYCLONEDX, empty)
    assert not list(cdx_validator.iter_errors(document))
    assert "vulnerabilities" not in document


def test_serial_number_follows_the_result(sample: ScanResult) -> None:
    first = _render(OutputFormat.CYCLONEDX, sample)["serialNumber"]
    assert _render(OutputFormat.CYCLONEDX, sample)["serialNumber"] == first
    fewer = replace(sample, packages=sample.packages[:1])
    assert _render(OutputFormat.CYCLONEDX, fewer)["serialNumber"] != first


def test_spdx_required_fields_and_relationships(sample: ScanResult) -> None:
    document = _render(OutputFormat.SPDX, sample)
    for key in ("spdxVersion", "dataLicense", "SPDXID", "name", "documentNamespace"):
        assert document[key], key
    assert document["spdxVersion"] == "SPDX-2.3"
    assert document["dataLicense"] == "CC0-1.0"
    assert document["creationInfo"]["created"] == "2025-01-15T09:30:12Z"
    assert document["creationInfo"]["creators"][0].startswith("Tool: secloop-")
    ids = [p["SPDXID"] for p in document["packages"]]
    assert len(ids) == len(set(ids))
    for package in document["packages"]:
        for key in ("name", "SPDXID", "downloadLocation", "filesAnalyzed"):
            assert key in package, (package["SPDXID"], key)
        assert package["SPDXID"].startswith("SPDXRef-")
    relations = {
        (r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"])
        for r in document["relationships"]
    }
    assert (DOCUMENT_ID, "DESCRIBES", TARGET_ID) in relations
    for element in ids:
        if element != TARGET_ID:
            assert (TARGET_ID, "CONTAINS", element) in relations
    requests = next(
        p for p in document["packages"] if p["SPDXID"] == spdx_id_for("pkg:pypi/requests@2.31.0")
    )
    locators = {r["referenceType"]: r["referenceLocator"] for r in requests["externalRefs"]}
    assert locators["purl"] == "pkg:pypi/requests@2.31.0"
    assert locators["advisory"].endswith("GHSA-9wx4-h78v-vm56")


def test_large_inventory_renders_quickly(sample: ScanResult) -> None:
    packages = tuple(
        Package.create(
            name=f"pkg-{i}",
            version=f"1.0.{i}",
            ecosystem="npm",
            locations=(PackageLocation(path=f"app{i % 50}/package-lock.json"),),
        )
        for i in range(10_000)
    )
    big = replace(sample, packages=packages)
    for fmt in (OutputFormat.CYCLONEDX, OutputFormat.SPDX):
        started = time.perf_counter()
        document = _render(fmt, big)
        elapsed = time.perf_counter() - started
        print(f"{fmt}: 10,000 packages in {elapsed:.2f}s")
        assert len(document.get("components", document.get("packages", []))) >= 10_000
        assert elapsed < 10


def test_cyclonedx_reads_back_with_the_official_library(sample: ScanResult) -> None:
    """The CycloneDX project's own library reads what we write (where installed)."""
    pytest.importorskip("cyclonedx")
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    text = formatter_for(OutputFormat.CYCLONEDX).render(sample, ReportContext())
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
