"""Declared licences, dependency scope and directness in CycloneDX and SPDX output."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from jsonschema import Draft7Validator
from scripts.golden import build_sbom_sample_result

from secloop.core.package import Package, PackageLocation
from secloop.core.result import ScanResult
from secloop.output.cyclonedx import unique_packages
from secloop.output.interface import OutputFormat, ReportContext
from secloop.output.registry import formatter_for
from tests.unit.sbom.test_output import cdx_validator  # noqa: F401 - a fixture

DECLARED = {
    "mit": "MIT",
    "dual": "MIT OR Apache-2.0",
    "or-later": "GPL-2.0+",
    "custom": "LicenseRef-Acme",
    "free-text": "Acme Public Licence v1",
    "none": None,
}


def _result() -> ScanResult:
    packages = tuple(
        Package.create(
            name=name,
            version="1.0.0",
            ecosystem="npm",
            locations=(PackageLocation(path="package-lock.json", line=10 + i),),
            license=license,
            direct=i % 2 == 0,
            dev=name == "none",
        )
        for i, (name, license) in enumerate(DECLARED.items())
    )
    return replace(build_sbom_sample_result(), packages=packages, findings=())


def _render(fmt: OutputFormat) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(formatter_for(fmt).render(_result(), ReportContext()))
    return data


def test_cyclonedx_licence_choices_scope_and_direct(cdx_validator: Draft7Validator) -> None:  # noqa: F811
    document = _render(OutputFormat.CYCLONEDX)
    assert not list(cdx_validator.iter_errors(document))
    by_name = {c["name"]: c for c in document["components"] if c["name"] in DECLARED}
    assert {name: c.get("licenses") for name, c in by_name.items()} == {
        "mit": [{"license": {"id": "MIT"}}],
        "dual": [{"expression": "MIT OR Apache-2.0"}],
        "or-later": [{"expression": "GPL-2.0+"}],
        "custom": [{"expression": "LicenseRef-Acme"}],
        "free-text": [{"license": {"name": "Acme Public Licence v1"}}],
        "none": None,
    }
    assert by_name["none"]["scope"] == "excluded"
    assert "scope" not in by_name["mit"]
    direct = {
        name: p["value"]
        for name, c in by_name.items()
        for p in c["properties"]
        if p["name"] == "secloop:direct"
    }
    assert direct == {
        "mit": "true",
        "dual": "false",
        "or-later": "true",
        "custom": "false",
        "free-text": "true",
        "none": "false",
    }


def test_spdx_declared_licences_and_extracted_texts() -> None:
    document = _render(OutputFormat.SPDX)
    declared = {
        p["name"]: (p["licenseDeclared"], p["licenseConcluded"])
        for p in document["packages"]
        if p["name"] in DECLARED
    }
    assert declared == {
        "mit": ("MIT", "NOASSERTION"),
        "dual": ("MIT OR Apache-2.0", "NOASSERTION"),
        "or-later": ("GPL-2.0+", "NOASSERTION"),
        "custom": ("LicenseRef-Acme", "NOASSERTION"),
        "free-text": ("LicenseRef-Acme-Public-Licence-v1", "NOASSERTION"),
        "none": ("NOASSERTION", "NOASSERTION"),
    }
    # SPDX 2.3 clause 10: every LicenseRef used is defined in the document.
    assert document["hasExtractedLicensingInfos"] == [
        {"licenseId": "LicenseRef-Acme", "name": "Acme", "extractedText": "Acme"},
        {
            "licenseId": "LicenseRef-Acme-Public-Licence-v1",
            "name": "Acme Public Licence v1",
            "extractedText": "Acme Public Licence v1",
        },
    ]


def test_merging_one_purl_seen_twice_keeps_the_strongest_facts() -> None:
    first = Package.create(
        name="a", version="1", ecosystem="npm", locations=(PackageLocation(path="x"),), dev=True
    )
    second = Package.create(
        name="a",
        version="1",
        ecosystem="npm",
        locations=(PackageLocation(path="y", line=3),),
        license="MIT",
        direct=True,
    )
    (merged,) = unique_packages([first, second])
    assert (merged.license, merged.direct, merged.dev) == ("MIT", True, False)
    assert [loc.path for loc in merged.locations] == ["x", "y"]
    unknown = replace(second, direct=None)
    (kept,) = unique_packages([replace(first, direct=False), unknown])
    assert kept.direct is False
