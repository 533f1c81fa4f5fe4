"""Real tools for image integration tests: umoci builds an OCI image, skopeo pushes
it, Debian's docker-registry serves it on loopback (plain HTTP, and TLS with a test
CA and htpasswd basic auth). Everything is built once per session under tmp.

Debian packages: umoci skopeo docker-registry apache2-utils openssl.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TOOLS = ("umoci", "skopeo", "docker-registry", "htpasswd", "openssl")
USER, PASSWORD = "tester", "registry-pass-123"
OS_RELEASE = Path("/etc/os-release")
DPKG_STATUS = Path("/var/lib/dpkg/status")


def require_tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(
            f"needs {', '.join(missing)} (apt-get install umoci skopeo docker-registry "
            "apache2-utils openssl)"
        )


def run(*args: str) -> str:
    done = subprocess.run(args, check=True, capture_output=True, text=True, timeout=300)
    return done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Registry:
    host: str
    ca_file: Path | None = None
    cert_dir: Path | None = None


def _wait(url: str, context: ssl.SSLContext | None) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1, context=context)  # noqa: S310
        except urllib.error.HTTPError:
            return  # 401 from a protected registry: it is up
        except OSError:
            time.sleep(0.2)
        else:
            return
    raise RuntimeError(f"registry at {url} did not start")


def _test_ca(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 / localhost, made with openssl."""
    ca_key, ca_crt = directory / "ca.key", directory / "ca.crt"
    key, csr, crt = directory / "server.key", directory / "server.csr", directory / "server.crt"
    ext = directory / "ext.cnf"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=secloop test CA", "-keyout", str(ca_key), "-out", str(ca_crt))  # fmt: skip
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
        "-keyout", str(key), "-out", str(csr))  # fmt: skip
    run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca_crt), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(crt))  # fmt: skip
    return ca_crt, key, crt


def _start(directory: Path, *, tls: bool) -> Iterator[Registry]:
    directory.mkdir(parents=True)
    port = _free_port()
    lines = [
        "version: 0.1",
        "log: {level: error}",
        f"storage: {{filesystem: {{rootdirectory: {directory / 'data'}}}}}",
        "http:",
        f"  addr: 127.0.0.1:{port}",
        "  secret: test-secret",
    ]
    context: ssl.SSLContext | None = None
    ca_file = cert_dir = None
    if tls:
        ca_file, key, crt = _test_ca(directory)
        cert_dir = directory / "certs"
        cert_dir.mkdir()
        shutil.copy(ca_file, cert_dir / "ca.crt")
        lines += ["  tls:", f"    certificate: {crt}", f"    key: {key}"]
        run("htpasswd", "-Bbc", str(directory / "htpasswd"), USER, PASSWORD)
        lines += ["auth:", f"  htpasswd: {{realm: test, path: {directory / 'htpasswd'}}}"]
        context = ssl.create_default_context(cafile=str(ca_file))
    (directory / "config.yml").write_text("\n".join(lines) + "\n")
    process = subprocess.Popen(
        ["docker-registry", "serve", str(directory / "config.yml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(f"{'https' if tls else 'http'}://127.0.0.1:{port}/v2/", context)
        yield Registry(host=f"127.0.0.1:{port}", ca_file=ca_file, cert_dir=cert_dir)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def plain_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    require_tools()
    yield from _start(tmp_path_factory.mktemp("registry") / "plain", tls=False)


@pytest.fixture(scope="session")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    require_tools()
    yield from _start(tmp_path_factory.mktemp("registry") / "tls", tls=True)


@pytest.fixture(scope="session")
def umoci_layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An OCI layout built by umoci: this machine's os-release and dpkg database in a
    first layer; a secret added then deleted (whiteout) and an app file on top."""
    require_tools()
    work = tmp_path_factory.mktemp("umoci")
    layout, bundle = work / "layout", work / "bundle"
    run("umoci", "init", "--layout", str(layout))
    run("umoci", "new", "--image", f"{layout}:app")
    run("umoci", "unpack", "--rootless", "--image", f"{layout}:app", str(bundle))
    rootfs = bundle / "rootfs"
    (rootfs / "etc").mkdir(exist_ok=True)
    (rootfs / "var/lib/dpkg").mkdir(parents=True, exist_ok=True)
    shutil.copy(OS_RELEASE.resolve(), rootfs / "etc/os-release")
    shutil.copy(DPKG_STATUS, rootfs / "var/lib/dpkg/status")
    (rootfs / "etc/deploy.key").write_text("AWS_SECRET=AKIAZ7VRSQ5TKPLJ3XBE\n")
    run("umoci", "repack", "--refresh-bundle", "--image", f"{layout}:app", str(bundle))
    (rootfs / "etc/deploy.key").unlink()
    (rootfs / "srv").mkdir()
    (rootfs / "srv/app.txt").write_text("hello\n")
    run("umoci", "repack", "--refresh-bundle", "--image", f"{layout}:app", str(bundle))
    run("umoci", "config", "--image", f"{layout}:app", "--config.user=1000")
    return layout
