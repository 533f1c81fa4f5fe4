"""Benchmark: scan a generated OCI image with many small files across five layers.

    .venv/bin/python bench/bench_image.py --files 100000
    .venv/bin/python bench/bench_image.py --files 1000000 --view-only
    .venv/bin/python bench/bench_image.py --files 100000 --view-only --compression zstd

Builds the layout once under a temporary directory (tarfile + gzip or zstd, no Docker), then
scans it in a fresh child process so the peak RSS (``ru_maxrss``) belongs to the scan
alone. ``--view-only`` times the merged view (index, walk, read every file); without
it the whole pipeline runs (system analyzers, every default scanner, no vuln DB).
Trivy and Grype are not installable here, so there are no peer figures.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

LAYERS = 5
PER_DIR = 100


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, BytesIO(data))


def _layer(work: Path, index: int, files: int) -> Path:
    path = work / f"layer{index}.tar"
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for number in range(files):
            directory = f"data/l{index}/d{number // PER_DIR}"
            _add(tar, f"{directory}/f{number}.txt", f"layer {index} file {number}\n".encode())
        if index == LAYERS - 1:
            _add(tar, "data/l0/.wh.d0", b"")  # a whiteout over the first layer
    return path


def _blob(root: Path, data_path: Path) -> dict[str, object]:
    digest = _sha256(data_path)
    target = root / "blobs/sha256" / digest.split(":", 1)[1]
    data_path.replace(target)
    return {"digest": digest, "size": target.stat().st_size}


def _compress(tar_path: Path, compression: str) -> Path:
    """The layer as ``tar+gzip`` (level 1) or ``tar+zstd`` (level 3, zstd's default)."""
    out_path = tar_path.with_suffix(f".tar.{compression}")
    with tar_path.open("rb") as source:
        if compression == "zstd":
            import zstandard

            with out_path.open("wb") as out:
                zstandard.ZstdCompressor(level=3).copy_stream(source, out)
        else:
            with gzip.open(out_path, "wb", compresslevel=1) as out:
                shutil.copyfileobj(source, out)
    tar_path.unlink()
    return out_path


def build(root: Path, files: int, compression: str = "gzip") -> Path:
    (root / "blobs/sha256").mkdir(parents=True)
    layers, diff_ids = [], []
    for index in range(LAYERS):
        tar_path = _layer(root, index, files // LAYERS)
        diff_ids.append(_sha256(tar_path))
        blob_path = _compress(tar_path, compression)
        media = f"application/vnd.oci.image.layer.v1.tar+{compression}"
        layers.append({"mediaType": media, **_blob(root, blob_path)})
    config = {
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": f"RUN generate {i}"} for i in range(LAYERS)],
    }
    manifest: dict[str, object] = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **_json(root, config)},
        "layers": layers,
    }
    top = {
        "schemaVersion": 2,
        "manifests": [{"mediaType": manifest["mediaType"], **_json(root, manifest)}],
    }
    (root / "index.json").write_text(json.dumps(top))
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return root


def _json(root: Path, document: object) -> dict[str, object]:
    path = root / "doc.json"
    path.write_text(json.dumps(document))
    return _blob(root, path)


def scan(layout: str, view_only: bool) -> dict[str, object]:
    from secloop.scan.artifact.image.opener import LocalImageOpener
    from secloop.scan.engine import scan_artifact
    from secloop.scan.interface import FileEntry, ScanLimits
    from secloop.scan.inventory.os import system_analyzers
    from secloop.scan.registry import default_registry

    started = time.perf_counter()
    limits = ScanLimits(max_files=10_000_000)
    artifact = LocalImageOpener().open(layout, limits=limits, excludes=(), use_gitignore=False)
    indexed = time.perf_counter()
    with artifact:
        if view_only:
            files = sum(1 for e in artifact.walk() if isinstance(e, FileEntry) and artifact.read(e))
        else:
            base = default_registry()
            scanners = tuple(s for s in base.scanners if s.name != "vuln")
            analyzers = (*system_analyzers(None), *base.analyzers)
            result = scan_artifact(artifact, analyzers=analyzers, scanners=scanners)
            files = len(result.scanned) + result.files_without_scanner
    finished = time.perf_counter()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "files": files,
        "index_seconds": round(indexed - started, 2),
        "total_seconds": round(finished - started, 2),
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--view-only", action="store_true")
    parser.add_argument("--compression", choices=("gzip", "zstd"), default="gzip")
    parser.add_argument("--scan", help=argparse.SUPPRESS)  # child process mode
    args = parser.parse_args()
    if args.scan:
        print(json.dumps(scan(args.scan, args.view_only)))
        return
    with tempfile.TemporaryDirectory() as work:
        began = time.perf_counter()
        layout = build(Path(work) / "layout", args.files, args.compression)
        built = time.perf_counter() - began
        size = sum(p.stat().st_size for p in layout.rglob("*") if p.is_file())
        command = [sys.executable, __file__, "--scan", str(layout)]
        command += ["--view-only"] if args.view_only else []
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    mode = "merged view only" if args.view_only else "full pipeline (no vuln DB)"
    print(f"image: {args.files} files in {LAYERS} {args.compression} layers, {size / 1e6:.1f} MB, "
          f"built in {built:.1f}s")  # fmt: skip
    print(f"scan ({mode}): {figures['files']} files surviving the whiteout")
    print(f"  index pass: {figures['index_seconds']} s")
    print(f"  total wall: {figures['total_seconds']} s")
    print(f"  peak RSS:   {figures['peak_rss_mib']} MiB")


if __name__ == "__main__":
    main()
