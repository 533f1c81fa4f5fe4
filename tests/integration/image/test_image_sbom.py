"""``secloop image REF -f cyclonedx|spdx`` on the umoci-built image (this machine's
real dpkg database in its first layer): the SBOM lists what ``dpkg-query`` lists,
each component with the layer it came from, and the CycloneDX document validates
against the official bom-1.6 schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from tests.integration.image.test_registry_images import _dpkg_query
from tests.unit.image.test_cli_image import _run, vulndb  # noqa: F401 - a fixture
from tests.unit.sbom.test_output import cdx_validator  # noqa: F401 - a fixture

pytestmark = pytest.mark.integration


def _layer_diff_ids(layout: Path) -> list[str]:
    index = json.loads((layout / "index.json").read_text())
    manifest_digest = index["manifests"][0]["digest"].split(":", 1)[1]
    manifest = json.loads((layout / "blobs/sha256" / manifest_digest).read_text())
    config_digest = manifest["config"]["digest"].split(":", 1)[1]
    config = json.loads((layout / "blobs/sha256" / config_digest).read_text())
    return list(config["rootfs"]["diff_ids"])


def _release() -> str:
    """``<ID>-<VERSION_ID>`` of this machine's os-release, which the image copies."""
    text = Path("/etc/os-release").read_text()
    fields = {k: v.strip('"') for k, _, v in (line.partition("=") for line in text.splitlines())}
    return f"{fields['ID']}-{fields['VERSION_ID']}"


def test_cyclonedx_sbom_of_an_image(
    umoci_layout: Path,
    vulndb: Path,  # noqa: F811
    cdx_validator: Draft7Validator,  # noqa: F811
    tmp_path: Path,
) -> None:
    out = tmp_path / "bom.json"
    _run("image", f"{umoci_layout}:app", "-q", "-f", "cyclonedx", "-o", str(out))
    bom = json.loads(out.read_text())
    assert not list(cdx_validator.iter_errors(bom))
    assert bom["metadata"]["component"]["type"] == "container"
    libraries = [c for c in bom["components"] if c["type"] == "library"]
    assert {(c["name"], c["version"]) for c in libraries} == _dpkg_query()
    first_layer = _layer_diff_ids(umoci_layout)[0]
    for component in libraries:
        properties = {p["name"]: p["value"] for p in component["properties"]}
        assert properties["secloop:layer_diff_id"] == first_layer
        assert component["purl"].startswith("pkg:deb/debian/")
        # the image's release qualifies every OS package, as Syft and Trivy write it
        assert f"distro={_release()}" in component["purl"]
    systems = [c for c in bom["components"] if c["type"] == "operating-system"]
    assert [c["name"] for c in systems] == ["debian"]


def test_spdx_sbom_of_an_image(umoci_layout: Path, vulndb: Path, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "sbom.spdx.json"
    _run("image", f"{umoci_layout}:app", "-q", "-f", "spdx", "-o", str(out))
    document = json.loads(out.read_text())
    assert document["spdxVersion"] == "SPDX-2.3"
    by_id = {p["SPDXID"]: p for p in document["packages"]}
    target = by_id["SPDXRef-Target"]
    assert target["primaryPackagePurpose"] == "CONTAINER"
    assert target["versionInfo"].startswith("sha256:")
    libraries = [p for p in document["packages"] if p["primaryPackagePurpose"] == "LIBRARY"]
    assert {(p["name"], p["versionInfo"]) for p in libraries} == _dpkg_query()
    assert all(p["externalRefs"][0]["referenceType"] == "purl" for p in libraries)
    contained = {
        r["relatedSpdxElement"]
        for r in document["relationships"]
        if r["spdxElementId"] == "SPDXRef-Target" and r["relationshipType"] == "CONTAINS"
    }
    assert {p["SPDXID"] for p in libraries} <= contained
