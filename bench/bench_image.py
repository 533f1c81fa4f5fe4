"""Benchmark: scan a generated OCI image with many small files across five layers, or
a Debian image pulled from a local registry with a cold and a warm blob cache.

    .venv/bin/python bench/bench_image.py --files 100000
    .venv/bin/python bench/bench_image.py --files 1000000 --view-only
    .venv/bin/python bench/bench_image.py --files 100000 --view-only --compression zstd
    .venv/bin/python bench/bench_image.py --debian [--rootfs DIR]

Builds the layout once under a temporary directory (tarfile + gzip or zstd, no Docker), then
scans it in a fresh child process so the peak RSS (``ru_maxrss``) belongs to the scan
alone. ``--view-only`` times the merged view (index, walk, read every file); without
it the whole pipeline runs (system analyzers, every default scanner, no vuln DB).
Trivy and Grype are not installable here, so there are no peer figures.

``--debian`` uses a debootstrap tree (``--rootfs DIR``, else ``debootstrap --variant=minbase
bookworm`` from Debian's mirror into a temporary directory: root and network needed),
packs it with umoci, serves it from Debian's docker-registry on loopback (plain HTTP)
after a ``skopeo copy``, and runs ``secloop image REF --insecure-registry`` twice in child
processes: first with an empty ``--cache-dir`` (every blob pulled and verified), then
with the cache filled. With ``../shared/corpus/osv-records`` present the vuln scanner
matches against a database imported from it; otherwise it runs without a database.
The inventory is compared with ``dpkg-query -W`` on the same tree.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
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
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "files": files,
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "index_seconds": round(indexed - started, 2),
        "total_seconds": round(finished - started, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
    }


def _child(command: list[str], **kwargs: object) -> dict[str, float]:
    """Run ``command``; its own wall time, CPU time and peak RSS (``wait4``)."""
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):  # 1: findings at the gate
        raise SystemExit(f"{command[:3]} failed with exit code {process.returncode}")
    return {
        "wall_seconds": round(time.perf_counter() - began, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
    }


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rootfs(work: Path, given: str | None) -> Path:
    if given:
        return Path(given)
    target = work / "rootfs"
    print("debootstrap --variant=minbase bookworm (Debian's mirror) ...", flush=True)
    subprocess.run(
        ["debootstrap", "--variant=minbase", "bookworm", str(target), "http://deb.debian.org/debian"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return target


def _pack(rootfs: Path, work: Path) -> Path:
    """The tree as a one-layer OCI image made by umoci."""
    layout, bundle = work / "layout", work / "bundle"
    image = f"{layout}:bookworm"
    subprocess.run(["umoci", "init", "--layout", str(layout)], check=True)
    subprocess.run(["umoci", "new", "--image", image], check=True)
    subprocess.run(
        ["umoci", "unpack", "--image", image, str(bundle)], check=True, stdout=subprocess.DEVNULL
    )
    subprocess.run(["cp", "-a", f"{rootfs}/.", str(bundle / "rootfs")], check=True)
    subprocess.run(["umoci", "repack", "--image", image, str(bundle)], check=True)
    return layout


def _registry(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    config = work / "registry.yml"
    config.write_text(
        f"version: 0.1\nlog: {{level: error}}\nhttp: {{addr: 127.0.0.1:{port}}}\n"
        f"storage: {{filesystem: {{rootdirectory: {work / 'registry'}}}}}\n"
    )
    process = subprocess.Popen(
        ["docker-registry", "serve", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import urllib.request

    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    return process, f"127.0.0.1:{port}"


def _vuln_db(work: Path) -> dict[str, str]:
    records = Path(__file__).resolve().parents[2] / "shared/corpus/osv-records"
    if not records.is_dir():
        print("no ../shared/corpus/osv-records: the vuln scanner runs without a database")
        return {}
    db = work / "vulndb.sqlite"
    subprocess.run(
        [sys.executable, "-m", "secloop", "db", "import", str(records), "--db", str(db), "-q"],
        check=True,
        capture_output=True,  # the corpus holds schema test files it lists as skipped
    )
    return {"SECLOOP_DB": str(db)}


def _dpkg_query(rootfs: Path) -> set[tuple[str, str]]:
    listed = subprocess.run(
        ["dpkg-query", "--admindir", str(rootfs / "var/lib/dpkg"), "-W",
         "-f", "${Package}\t${Version}\n"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout  # fmt: skip
    return {tuple(line.split("\t")) for line in listed.splitlines()}  # type: ignore[misc]


def debian(rootfs_dir: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-image-") as temp:
        work = Path(temp)
        rootfs = _rootfs(work, rootfs_dir)
        layout = _pack(rootfs, work)
        size = sum(p.stat().st_size for p in layout.rglob("*") if p.is_file())
        registry, host = _registry(work)
        try:
            reference = f"{host}/debian:bookworm"
            subprocess.run(
                ["skopeo", "copy", "-q", "--dest-tls-verify=false", f"oci:{layout}:bookworm", f"docker://{reference}"],
                check=True,
            )  # fmt: skip
            env = {**os.environ, **_vuln_db(work)}
            cache, report = work / "cache", work / "report.json"
            command = [sys.executable, "-m", "secloop", "image", reference,
                       "--insecure-registry", "--cache-dir", str(cache),
                       "-q", "-f", "json", "-o", str(report)]  # fmt: skip
            cold = _child(command, env=env)
            warm = _child(command, env=env)
        finally:
            registry.terminate()
            registry.wait(timeout=10)
        result = json.loads(report.read_text())
        found = {(p["name"], p["version"]) for p in result["packages"]}
        findings = [f["kind"] for f in result["findings"]]
        expected = _dpkg_query(rootfs)
    summary = result["summary"]
    print(f"image: {reference}, debootstrap minbase bookworm, one layer, {size / 1e6:.1f} MB")
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(Counter(findings).items()))
    print(f"  files scanned {summary['scanned']}, skipped {summary['skipped']}, "
          f"failed {summary['failed']}; findings {summary['total']} ({kinds})")  # fmt: skip
    print(f"  packages: {len(found)}; equal to dpkg-query -W on the tree: {found == expected}")
    for name, figures in (("cold cache", cold), ("warm cache", warm)):
        print(f"  {name}: wall {figures['wall_seconds']} s, CPU {figures['cpu_seconds']} s, "
              f"peak RSS {figures['peak_rss_mib']} MiB")  # fmt: skip
    print(f"  load average after the scans: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--view-only", action="store_true")
    parser.add_argument("--compression", choices=("gzip", "zstd"), default="gzip")
    parser.add_argument("--scan", help=argparse.SUPPRESS)  # child process mode
    parser.add_argument("--debian", action="store_true", help="Debian image from a registry")
    parser.add_argument("--rootfs", help="with --debian: a debootstrap tree to use")
    args = parser.parse_args()
    if args.debian:
        debian(args.rootfs)
        return
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
    print(f"  scan CPU:   {figures['cpu_seconds']} s (user + system, the scan process)")
    print(f"  peak RSS:   {figures['peak_rss_mib']} MiB")
    print(f"  load average after the scan: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
