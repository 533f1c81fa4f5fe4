"""Image configuration checks (SL-IMG) and secrets in deleted layers, on real images
built in the test, scanned through the engine's ``scan_artifact`` hook."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pytest

from secloop.core.finding import Finding
from secloop.core.result import Failed, OperatingSystem, ScanResult, Skipped, SkipReason
from secloop.core.rule import Rule
from secloop.scan.artifact.image.interface import ImageConfig, ImageLimits, ImageOrigin
from secloop.scan.artifact.image.opener import ImageOptions, LocalImageOpener
from secloop.scan.engine import scan_artifact
from secloop.scan.image_checks import DeletedLayerSecretsScanner, ImageConfigScanner
from secloop.scan.image_checks.base import ImageFacts
from secloop.scan.image_checks.checks import IMAGE_CHECKS
from secloop.scan.image_checks.docs import PAGE, render
from secloop.scan.image_checks.eol import end_of_life
from secloop.scan.interface import (
    Artifact,
    Inventory,
    PartialFailure,
    ScanError,
    ScanLimits,
    Scanner,
)
from secloop.scan.inventory.os.release import OsReleaseAnalyzer
from secloop.scan.secrets import SecretsScanner
from secloop.scan.secrets.engine import default_engine
from tests.unit.image.builders import Entry, Image, Layer, file, write_oci_layout

AWS_KEY = "AKIAZ7VRSQ5TKPLJ3XBE"
DEBIAN_10 = 'PRETTY_NAME="Debian GNU/Linux 10 (buster)"\nID=debian\nVERSION_ID="10"\n'
DEBIAN_12 = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
TODAY = date(2026, 11, 28)


def _scan(
    root: Path, image: Image, scanners: Iterable[Scanner], *, limits: ImageLimits | None = None
) -> ScanResult:
    layout = write_oci_layout(root, [image])
    opener = LocalImageOpener(ImageOptions(limits=limits or ImageLimits()))
    with opener.open(str(layout), limits=ScanLimits(), excludes=(), use_gitignore=False) as art:
        return scan_artifact(art, analyzers=(OsReleaseAnalyzer(),), scanners=tuple(scanners))


def _risky_image() -> Image:
    base = Layer(
        [file("etc/os-release", DEBIAN_10)], created_by="/bin/sh -c #(nop) ADD file:1 in /"
    )
    fetch = Layer(
        [file("opt/tool", "x")],
        created_by="RUN /bin/sh -c curl -fsSL https://get.example.com | sh # buildkit",
    )
    added = Layer(
        [file("opt/data.tgz", "x")], created_by="ADD https://example.com/data.tgz /opt/ # buildkit"
    )
    leak = Layer(
        [file("opt/done", "x")],
        created_by=f"RUN |1 AWS_ACCESS_KEY_ID={AWS_KEY} /bin/sh -c ./deploy.sh # buildkit",
    )
    return Image(
        [base, fetch, added, leak],
        user="0:0",
        env=["PATH=/usr/bin", f"AWS_ACCESS_KEY_ID={AWS_KEY}"],
        labels={"deploy.key": f"aws_access_key_id={AWS_KEY}"},
        exposed_ports=["22/tcp", "23", "8080/tcp"],
    )


def test_every_config_check_fires_on_a_risky_image(tmp_path: Path) -> None:
    scanner = ImageConfigScanner(today=lambda: TODAY)
    result = _scan(tmp_path / "risky", _risky_image(), [scanner])
    by_rule: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_rule.setdefault(finding.rule_id, []).append(finding)
    expected = {f"SL-IMG-00{n}" for n in range(1, 10)}
    assert set(by_rule) == expected
    assert by_rule["SL-IMG-001"][0].location.path == "(image config)"
    assert "'0:0'" in by_rule["SL-IMG-001"][0].message
    env = by_rule["SL-IMG-002"][0]
    assert "ENV AWS_ACCESS_KEY_ID" in env.message
    assert AWS_KEY not in (env.evidence or "")
    history = by_rule["SL-IMG-004"][0]
    assert history.location.path is None
    assert history.location.layer is not None
    assert history.location.layer.index == 3
    assert by_rule["SL-IMG-005"][0].location.layer.index == 1  # type: ignore[union-attr]
    assert "https://example.com/data.tgz" in by_rule["SL-IMG-006"][0].message
    assert sorted(f.evidence or "" for f in by_rule["SL-IMG-007"]) == ["22/tcp", "23"]
    assert "2024-06-30" in by_rule["SL-IMG-009"][0].message
    assert all(f.fingerprint for f in result.findings)
    assert set(result.rules) == expected


def test_a_hardened_image_passes_every_check(tmp_path: Path) -> None:
    image = Image(
        [Layer([file("etc/os-release", DEBIAN_12)], created_by="COPY rootfs /")],
        user="10001:10001",
        env=["PATH=/usr/bin"],
        labels={"org.opencontainers.image.source": "https://example.com/app"},
        exposed_ports=["8080/tcp"],
        healthcheck=["CMD", "/app/health"],
    )
    result = _scan(tmp_path / "ok", image, [ImageConfigScanner(today=lambda: TODAY)])
    assert result.findings == ()


def test_healthcheck_none_counts_as_no_healthcheck(tmp_path: Path) -> None:
    image = Image([Layer([file("a", "b")])], user="app", healthcheck=["NONE"])
    result = _scan(tmp_path / "none", image, [ImageConfigScanner(today=lambda: TODAY)])
    assert {f.rule_id for f in result.findings} == {"SL-IMG-008"}


def _facts(origin: ImageOrigin, os: OperatingSystem | None = None) -> ImageFacts:
    config = ImageConfig(os="linux", architecture="amd64", diff_ids=(), user="app")
    return ImageFacts(
        config=config,
        layers=(),
        origin=origin,
        operating_system=os,
        today=TODAY,
        secrets=default_engine(),
    )


@pytest.mark.parametrize(
    ("origin", "rules"),
    [
        (ImageOrigin(), set()),
        (ImageOrigin(reference="r.example/app:1", pinned_by_digest=True), set()),
        (ImageOrigin(reference="r.example/app:1"), {"SL-IMG-010"}),
        (ImageOrigin(reference="r.example/app:1", plain_http=True), {"SL-IMG-010", "SL-IMG-011"}),
    ],
)
def test_pull_checks_follow_the_origin(origin: ImageOrigin, rules: set[str]) -> None:
    facts = _facts(origin)
    fired = {c.rule.id for c in IMAGE_CHECKS for _ in c.evaluate(facts)} - {"SL-IMG-008"}
    assert fired == rules


@pytest.mark.parametrize(
    ("family", "version", "eol"),
    [
        ("debian", "12", False),
        ("debian", "10", True),
        ("debian", "7", True),  # older than the table
        ("ubuntu", "20.04:LTS", True),
        ("ubuntu", "24.04:LTS", False),
        ("alpine", "3.20.3", True),
        ("alpine", "3.22.1", False),
        ("rhel", "7.9", True),
        ("rocky", "9.4", False),
        ("fedora", "40", False),  # not in the table: no claim
        ("debian", "", False),
    ],
)
def test_end_of_life_table(family: str, version: str, eol: bool) -> None:
    os = OperatingSystem(family=family, name=family, version=version)
    fired = [
        h
        for c in IMAGE_CHECKS
        if c.rule.id == "SL-IMG-009"
        for h in c.evaluate(_facts(ImageOrigin(), os))
    ]
    assert bool(fired) is eol
    if family == "debian" and version == "12":
        assert end_of_life(os) == ("12", date(2028, 6, 30))


def _deleting_image() -> Image:
    base = Layer([file("etc/os-release", DEBIAN_12), file("app/settings.env", "A=1\n")])
    copy = Layer(
        [file("app/deploy.key", f"aws_access_key_id = {AWS_KEY}\n")],
        created_by="COPY deploy.key /app/ # buildkit",
    )
    remove = Layer(
        [Entry("app/.wh.deploy.key"), file("app/settings.env", f"AWS_ACCESS_KEY_ID={AWS_KEY}\n")],
        created_by="RUN /bin/sh -c rm /app/deploy.key # buildkit",
    )
    return Image([base, copy, remove], user="app")


def test_secret_in_a_deleted_file_is_reported_with_both_layers(tmp_path: Path) -> None:
    scanners = (SecretsScanner(), DeletedLayerSecretsScanner())
    result = _scan(tmp_path / "deleted", _deleting_image(), scanners)
    deleted = [f for f in result.findings if f.scanner == "secret-deleted"]
    assert len(deleted) == 1
    finding = deleted[0]
    assert finding.location.path == "app/deploy.key"
    assert finding.location.layer is not None
    assert finding.location.layer.index == 1
    assert "deleted in layer 2 (RUN /bin/sh -c rm /app/deploy.key # buildkit)" in finding.message
    assert finding.anchor.startswith("deleted:")
    assert AWS_KEY not in finding.message
    # the merged view never shows the deleted file to the other scanners
    assert all(c.path != "app/deploy.key" for c in result.coverage)
    live = [f for f in result.findings if f.scanner == "secret"]
    assert [f.location.path for f in live] == ["app/settings.env"]


def test_deleted_files_beyond_the_limit_are_in_the_coverage(tmp_path: Path) -> None:
    limits = ImageLimits(max_deleted_files=1)
    base = Layer([file("a/one", "AKIA"), file("a/two", "x"), file("a/three", "y")])
    wipe = Layer([Entry("a/.wh..wh..opq")], created_by="RUN rm -rf /a/*")
    result = _scan(
        tmp_path / "cap", Image([base, wipe]), [DeletedLayerSecretsScanner()], limits=limits
    )
    skipped = [c for c in result.coverage if isinstance(c, Skipped)]
    assert any(s.reason is SkipReason.LIMIT_REACHED and "2 more files" in s.detail for s in skipped)


class _ArtifactProbe(Scanner):
    """Records what the hook received; yields a partial failure, then fails."""

    name = "probe"
    kind = ImageConfigScanner.kind
    uses_inventory = True

    def __init__(self) -> None:
        self.seen: list[tuple[Artifact, Inventory]] = []

    def rules(self) -> list[Rule]:
        return []

    def scan_artifact(self, artifact: Artifact, inventory: Inventory) -> Iterable[PartialFailure]:
        self.seen.append((artifact, inventory))
        yield PartialFailure(reason="half read")
        raise ScanError("then broken")


def test_engine_calls_the_artifact_hook_once_with_the_inventory(tmp_path: Path) -> None:
    probe = _ArtifactProbe()
    image = Image([Layer([file("etc/os-release", DEBIAN_12)])])
    result = _scan(tmp_path / "hook", image, [probe])
    assert len(probe.seen) == 1
    assert probe.seen[0][1].operating_system is not None
    failed = [c for c in result.coverage if isinstance(c, Failed)]
    assert [(f.path, f.reason, f.by) for f in failed] == [
        ("(artifact)", "half read", "probe"),
        ("(artifact)", "then broken", "probe"),
    ]


def test_image_scanners_ignore_directories(tmp_path: Path) -> None:
    from secloop.scan.engine import ScanRequest, run_scan
    from secloop.scan.registry import default_registry

    (tmp_path / "a.txt").write_text("hello")
    result = run_scan(
        ScanRequest(spec=str(tmp_path), scanners=("image-config", "secret-deleted")),
        default_registry(),
    )
    assert result.findings == ()


def test_rules_page_is_up_to_date() -> None:
    page = Path(__file__).resolve().parents[3] / PAGE
    assert page.read_text(encoding="utf-8") == render(), (
        "regenerate with: .venv/bin/python -m secloop.scan.image_checks.docs"
    )


def test_registry_origin_names_the_tag_and_plain_http(tmp_path: Path) -> None:
    from secloop.scan.artifact.image.cache import BlobCache
    from secloop.scan.artifact.image.reference import parse_reference
    from secloop.scan.artifact.image.registry import RegistrySettings, RegistrySource
    from tests.unit.image.fake_registry import FakeRegistry

    def origin(spec: str, insecure: frozenset[str]) -> ImageOrigin:
        return RegistrySource(
            parse_reference(spec),
            name=spec,
            transport=FakeRegistry(),
            cache=BlobCache(tmp_path / "cache"),
            settings=RegistrySettings(insecure_hosts=insecure),
        ).origin

    plain = origin("localhost:5000/app:1.0", frozenset({"localhost:5000"}))
    assert plain == ImageOrigin(reference="localhost:5000/app:1.0", plain_http=True)
    pinned = origin("r.example/app@sha256:" + "a" * 64, frozenset())
    assert pinned.pinned_by_digest
    assert not pinned.plain_http
