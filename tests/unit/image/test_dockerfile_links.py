"""``secloop image REF --dockerfile PATH``: the Dockerfile is scanned in the same run and
its findings are linked with the image's where they share a root cause (ADR 6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest

from secloop.cli.image import image_command
from secloop.core.errors import UsageError
from tests.unit.image.builders import Image, Layer, file, write_oci_layout

DOCKERFILE = 'FROM debian:12\nCOPY app.txt /srv/\nCMD ["cat", "/srv/app.txt"]\n'


def _run(*args: str) -> int:
    group = click.Group(commands={"image": image_command})
    code = group.main(args=list(args), standalone_mode=False)
    return code if isinstance(code, int) else 0


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An image running as root, without a health check, and a Dockerfile holding
    another Dockerfile (which is *not* the one the image was built from)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "build").mkdir()
    (tmp_path / "build/Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    layer = Layer(
        [file("srv/app.txt", "hello\n"), file("Dockerfile", DOCKERFILE)],
        created_by="COPY app.txt /srv/",
    )
    write_oci_layout(tmp_path / "layout", [Image([layer], user="0")], tags=["1.0"])
    return "layout:1.0"


def _report(layout: str, fmt: str, *extra: str) -> str:
    out = Path("report." + fmt)
    _run("image", layout, "--scanners", "misconfig", "-q", "-f", fmt, "-o", str(out), *extra)
    return out.read_text(encoding="utf-8")


def _by_place(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(f["rule_id"], f["location"]["path"]): f for f in document["findings"]}


def test_image_and_dockerfile_findings_list_each_other(layout: str) -> None:
    document = json.loads(_report(layout, "json", "--dockerfile", "./build/Dockerfile"))
    found = _by_place(document)
    image = found[("SL-IMG-001", "(image config)")]
    dockerfile = found[("SL-DF-002", "build/Dockerfile")]
    assert image["related"] == [
        {
            "fingerprint": dockerfile["fingerprint"],
            "rule_id": "SL-DF-002",
            "location": "build/Dockerfile:1",
            "root_cause": "runs-as-root",
        }
    ]
    assert [link["fingerprint"] for link in dockerfile["related"]] == [image["fingerprint"]]
    health = found[("SL-IMG-008", "(image config)")]
    assert [link["rule_id"] for link in health["related"]] == ["SL-DF-007"]
    # the Dockerfile inside the image is scanned as a file of the image, and not linked
    assert "related" not in found[("SL-DF-002", "Dockerfile")]
    assert "related" not in found[("SL-DF-005", "build/Dockerfile")]  # no root cause
    assert {"path": "build/Dockerfile", "status": "scanned", "by": ["dockerfile"]} in document[
        "coverage"
    ]
    assert document["rules"]["SL-IMG-001"]["root_cause"] == "runs-as-root"


def test_without_dockerfile_nothing_is_linked(layout: str) -> None:
    document = json.loads(_report(layout, "json"))
    assert all("related" not in f for f in document["findings"])
    assert not any(f["location"].get("path") == "build/Dockerfile" for f in document["findings"])


def test_sarif_table_and_html_show_the_link(layout: str) -> None:
    sarif = json.loads(_report(layout, "sarif", "--dockerfile", "build/Dockerfile"))
    results = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]): r
        for r in sarif["runs"][0]["results"]
    }
    (related,) = results[("SL-IMG-001", "%28image%20config%29")]["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "build/Dockerfile"
    assert related["physicalLocation"]["region"]["startLine"] == 1
    assert related["message"]["text"].startswith("Same root cause (runs-as-root")
    assert "relatedLocations" not in results[("SL-DF-002", "Dockerfile")]
    table = _report(layout, "table", "--dockerfile", "build/Dockerfile")
    assert "linked: SL-DF-002 build/Dockerfile:1 (runs-as-root)" in table
    assert "linked: SL-IMG-001 (image config) (runs-as-root)" in table
    html = _report(layout, "html", "--dockerfile", "build/Dockerfile")
    assert "<dt>Same root cause</dt>" in html
    assert "linked: <code>SL-DF-002</code> build/Dockerfile:1" in html


@pytest.mark.parametrize(
    ("name", "reason"), [("missing/Dockerfile", "no such file"), ("notes.txt", "not named like")]
)
def test_a_bad_dockerfile_is_a_usage_error_before_anything_is_scanned(
    layout: str, name: str, reason: str
) -> None:
    Path("notes.txt").write_text("FROM x\n", encoding="utf-8")
    with pytest.raises(UsageError, match=reason) as raised:
        _run("image", layout, "-q", "--dockerfile", name)
    assert name in raised.value.message
