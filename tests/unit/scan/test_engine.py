"""The pipeline with fake plugins: one read per file, isolation, coverage, inline suppression."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from secloop.core.errors import UsageError
from secloop.core.finding import Finding, FindingKind, SuppressionKind
from secloop.core.result import Failed, Scanned, Skipped, SkipReason
from secloop.scan.artifact.fs import DirectoryArtifact, FilesystemOpener
from secloop.scan.engine import ScanRequest, run_scan, scan_artifact
from secloop.scan.interface import FileContent, FileEntry, PartialFailure, ScanError, ScanLimits
from secloop.scan.registry import Registry, default_registry
from tests.fakes import DenyListScanner, MarkerScanner, RequirementsAnalyzer

FIXED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _registry() -> Registry:
    return Registry(
        openers=(FilesystemOpener(),),
        analyzers=(RequirementsAnalyzer(),),
        scanners=(MarkerScanner(), DenyListScanner(["badpkg"])),
    )


def test_findings_inventory_and_coverage(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("ok\nSECURITY-MARKER here\n")
    (tmp_path / "requirements.txt").write_text("badpkg==1.0\ngood==2.0\n")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\0\0")
    result = run_scan(ScanRequest(spec=str(tmp_path)), _registry(), clock=lambda: FIXED)
    assert [(f.rule_id, f.location.display) for f in result.findings] == [
        ("FAKE-001", "notes.txt:2"),
        ("FAKE-PKG", "requirements.txt"),
    ]
    assert all(f.fingerprint for f in result.findings)
    assert [p.name for p in result.packages] == ["badpkg", "good"]
    assert result.scanned == (
        Scanned(path="notes.txt", by=("marker",)),
        Scanned(path="requirements.txt", by=("fake-requirements", "marker")),
    )
    assert result.files_without_scanner == 1  # image.png: no plugin wanted it
    assert set(result.rules) == {"FAKE-001", "FAKE-PKG"}
    assert result.started_at == FIXED
    assert result.scanners == ("marker", "denylist")
    assert set(result.timings) == {"files_seconds", "inventory_seconds", "total_seconds"}


def test_analyzers_run_only_when_a_scanner_reads_the_inventory_or_it_is_asked_for(
    tmp_path: Path,
) -> None:
    (tmp_path / "requirements.txt").write_text("badpkg==1.0\n")
    files_only = ScanRequest(spec=str(tmp_path), scanners=("marker",))
    result = run_scan(files_only, _registry(), clock=lambda: FIXED)
    assert result.packages == ()
    assert result.scanned == (Scanned(path="requirements.txt", by=("marker",)),)
    for_sbom = replace(files_only, collect_inventory=True)
    result = run_scan(for_sbom, _registry(), clock=lambda: FIXED)
    assert [p.name for p in result.packages] == ["badpkg"]


def test_parse_errors_and_plugin_bugs_are_recorded_and_the_scan_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("PARSE-ERROR\n")
    (tmp_path / "b.txt").write_text("CRASH\n")
    (tmp_path / "c.txt").write_text("SECURITY-MARKER\n")
    (tmp_path / "d.txt").write_bytes(b"\xfa\xfb not utf-8 \xc3\x28")
    result = run_scan(ScanRequest(spec=str(tmp_path)), _registry(), clock=lambda: FIXED)
    failed = {f.path: f for f in result.failed}
    assert failed["a.txt"] == Failed(
        path="a.txt", reason="a.txt: cannot parse (fake error)", by="marker"
    )
    assert failed["b.txt"].reason == "internal error: RuntimeError: fake plugin bug"
    assert "d.txt: not valid UTF-8" in failed["d.txt"].reason
    assert [f.location.path for f in result.findings] == ["c.txt"]


def test_binary_files_are_skipped_for_text_plugins(tmp_path: Path) -> None:
    (tmp_path / "blob.txt").write_bytes(b"SECURITY-MARKER\0\0\0")
    result = run_scan(ScanRequest(spec=str(tmp_path)), _registry(), clock=lambda: FIXED)
    (skipped,) = result.skipped
    assert skipped.reason is SkipReason.BINARY
    assert "marker" in skipped.detail
    assert result.findings == ()


def test_read_failures_are_recorded(tmp_path: Path) -> None:
    (tmp_path / "gone.txt").write_text("SECURITY-MARKER\n")
    (tmp_path / "kept.txt").write_text("SECURITY-MARKER\n")

    class VanishingArtifact(DirectoryArtifact):
        """A file deleted between the walk and the read, as on a busy filesystem."""

        def walk(self) -> Iterator[FileEntry | Skipped]:
            for item in super().walk():
                if item.path == "gone.txt":
                    (tmp_path / "gone.txt").unlink()
                yield item

    artifact = VanishingArtifact(tmp_path, limits=ScanLimits())
    result = scan_artifact(artifact, analyzers=(), scanners=(MarkerScanner(),))
    (failed,) = result.failed
    assert failed.path == "gone.txt"
    assert failed.by == "reader"
    assert "gone.txt: cannot read (No such file or directory)" in failed.reason
    assert [f.location.path for f in result.findings] == ["kept.txt"]


def test_inline_suppression_marks_but_keeps_the_finding(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(
        "SECURITY-MARKER  # secloop:ignore FAKE-001 test data, not a real marker\n"
        "# secloop:ignore FAKE-001,OTHER reviewed in SEC-42\n"
        "SECURITY-MARKER second\n"
        "SECURITY-MARKER third  # secloop:ignore FAKE-001\n"
        "SECURITY-MARKER fourth  # secloop:ignore OTHER-RULE because\n"
    )
    result = run_scan(ScanRequest(spec=str(tmp_path)), _registry(), clock=lambda: FIXED)
    by_line = {f.location.start_line: f for f in result.findings}
    first = by_line[1].suppression
    assert first is not None
    assert first.kind is SuppressionKind.INLINE
    assert first.reason == "test data, not a real marker"
    assert first.source == "a.txt:1"
    assert by_line[3].suppression is not None
    assert by_line[3].suppression.source == "a.txt:2"
    assert by_line[4].suppression is None  # no reason: not applied, and warned
    assert by_line[5].suppression is None  # another rule
    assert result.warnings == ("a.txt:4: secloop:ignore FAKE-001 has no reason; not applied",)


def test_scanner_selection(tmp_path: Path) -> None:
    registry = _registry()
    assert [s.name for s in registry.select_scanners(["marker"])] == ["marker"]
    assert [s.name for s in registry.select_scanners(["vuln"])] == ["denylist"]
    assert [s.name for s in registry.select_scanners(["code", "marker"])] == ["marker"]
    assert [s.name for s in registry.select_scanners(["VULNERABILITY"])] == ["denylist"]
    assert registry.select_scanners(None) == registry.scanners
    assert registry.choices() == ["code", "denylist", "marker", "sast", "vuln", "vulnerability"]
    with pytest.raises(UsageError, match="unknown scanner 'nope'; choose from code, denylist"):
        registry.select_scanners(["nope"])
    (tmp_path / "x.txt").write_text("SECURITY-MARKER\n")
    only_vuln = run_scan(ScanRequest(spec=str(tmp_path), scanners=("vuln",)), registry)
    assert only_vuln.findings == ()
    assert only_vuln.files_without_scanner == 1


def test_default_registry_lists_real_plugins() -> None:
    registry = default_registry()
    assert registry.openers
    assert len({s.name for s in registry.scanners}) == len(registry.scanners)


def test_file_content_decoding() -> None:
    entry = FileEntry(path="f", size=0)
    assert FileContent(entry=entry, data=b"\xef\xbb\xbfhi\n").text == "hi\n"
    utf16 = "héllo\n".encode("utf-16")
    content = FileContent(entry=entry, data=utf16)
    assert not content.is_binary
    assert content.lines == ["héllo"]
    assert FileContent(entry=entry, data=b"a\0b").is_binary
    with pytest.raises(ScanError, match="f: not valid UTF-8 text"):
        _ = FileContent(entry=entry, data=b"\xff").text
    assert FindingKind.SECRET.value == "secret"


def test_partial_failures_are_recorded_and_the_file_still_counts_as_scanned(
    tmp_path: Path,
) -> None:
    class HalfParsingScanner(MarkerScanner):
        name = "half"

        def scan_file(self, content: FileContent) -> Iterator[Finding | PartialFailure]:
            yield from super().scan_file(content)
            yield PartialFailure(f"{content.entry.path}: document 2 (line 9): invalid YAML")

    (tmp_path / "a.txt").write_text("SECURITY-MARKER\n")
    result = scan_artifact(
        DirectoryArtifact(tmp_path, limits=ScanLimits()),
        analyzers=(),
        scanners=(HalfParsingScanner(),),
    )
    assert result.scanned == (Scanned(path="a.txt", by=("half",)),)
    assert result.failed == (
        Failed(path="a.txt", reason="a.txt: document 2 (line 9): invalid YAML", by="half"),
    )
    assert len(result.findings) == 1


def test_packages_found_in_an_image_layer_carry_that_layer(tmp_path: Path) -> None:
    from secloop.core.location import LayerRef

    layer = LayerRef(diff_id="sha256:" + "a" * 64, index=2, created_by="RUN pip install")
    (tmp_path / "requirements.txt").write_text("badpkg==1.0\n")

    class LayeredArtifact(DirectoryArtifact):
        def walk(self) -> Iterator[FileEntry | Skipped]:
            for item in super().walk():
                yield replace(item, layer=layer) if isinstance(item, FileEntry) else item

    result = scan_artifact(
        LayeredArtifact(tmp_path, limits=ScanLimits()),
        analyzers=(RequirementsAnalyzer(),),
        scanners=(DenyListScanner(["badpkg"]),),
    )
    (package,) = result.packages
    assert package.locations[0].layer == layer
