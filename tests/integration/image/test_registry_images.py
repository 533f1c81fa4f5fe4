"""Images built by umoci, copied by skopeo, served by Debian's docker-registry, scanned
by secloop straight from the registry (plain HTTP and TLS with basic auth) and from
the layout on disk."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from secloop.core.result import Skipped
from secloop.scan.artifact.image.artifact import ImageArtifact
from secloop.scan.artifact.image.auth import Credentials, docker_config_credentials
from secloop.scan.artifact.image.cache import BlobCache
from secloop.scan.artifact.image.http import UrllibTransport
from secloop.scan.artifact.image.interface import RegistryAuthError, RegistryError
from secloop.scan.artifact.image.opener import LocalImageOpener
from secloop.scan.artifact.image.reference import parse_reference
from secloop.scan.artifact.image.registry import RegistrySettings, RegistrySource
from secloop.scan.interface import FileContent, FileEntry, ScanLimits
from secloop.scan.inventory.os import detect_operating_system, system_analyzers
from tests.integration.image.conftest import PASSWORD, USER, Registry, run

pytestmark = pytest.mark.integration


def _push(layout: Path, registry: Registry, repository: str) -> str:
    destination = f"docker://{registry.host}/{repository}:1.0"
    args = ["skopeo", "copy", "--insecure-policy", f"oci:{layout}:app", destination]
    if registry.cert_dir is not None:
        args += [f"--dest-cert-dir={registry.cert_dir}", f"--dest-creds={USER}:{PASSWORD}"]
    else:
        args += ["--dest-tls-verify=false"]
    run(*args)
    return f"{registry.host}/{repository}:1.0"


def _source(
    ref: str, cache: Path, *, insecure: bool, ca: Path | None, creds: Credentials | None
) -> RegistrySource:
    reference = parse_reference(ref)
    settings = RegistrySettings(
        insecure_hosts=frozenset({reference.registry}) if insecure else frozenset(),
        credentials=creds,
        retries=2,
        backoff_seconds=0.05,
    )
    return RegistrySource(
        reference,
        name=ref,
        transport=UrllibTransport(ca_file=ca, timeout=10),
        cache=BlobCache(cache),
        settings=settings,
    )


def _inventory(artifact: ImageArtifact) -> tuple[set[tuple[str, str]], list[FileEntry]]:
    os_release = detect_operating_system(artifact)
    analyzers = system_analyzers(os_release)
    packages: set[tuple[str, str]] = set()
    entries = []
    for item in artifact.walk():
        if isinstance(item, Skipped):
            continue
        entries.append(item)
        for analyzer in analyzers:
            if analyzer.applies_to(item):
                content = FileContent(entry=item, data=artifact.read(item))
                packages |= {(p.name, p.version) for p in analyzer.analyze(content).packages}
    return packages, entries


def _dpkg_query() -> set[tuple[str, str]]:
    if shutil.which("dpkg-query") is None:
        pytest.skip("no dpkg-query on this machine")
    listed = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Status}\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        (line.split("\t")[0], line.split("\t")[1])
        for line in listed.splitlines()
        if line.endswith("\tinstalled")
    }


def test_plain_http_registry_image_matches_dpkg_query(
    umoci_layout: Path, plain_registry: Registry, tmp_path: Path
) -> None:
    ref = _push(umoci_layout, plain_registry, "team/app")
    source = _source(ref, tmp_path / "cache", insecure=True, ca=None, creds=None)
    with ImageArtifact(source, limits=ScanLimits()) as artifact:
        packages, entries = _inventory(artifact)
        assert artifact.target.digest is not None
    assert packages == _dpkg_query()
    paths = {e.path for e in entries}
    assert "srv/app.txt" in paths
    assert "etc/deploy.key" not in paths  # whited out by the second layer
    layers = {e.path: e.layer for e in entries}
    app_layer = layers["srv/app.txt"]
    assert app_layer is not None
    assert app_layer.index == 1


def test_plain_http_is_refused_without_the_insecure_flag(
    umoci_layout: Path, plain_registry: Registry, tmp_path: Path
) -> None:
    ref = _push(umoci_layout, plain_registry, "team/strict")
    with pytest.raises(RegistryError, match=r"TLS|cannot connect|connection"):
        ImageArtifact(
            _source(ref, tmp_path / "c", insecure=False, ca=None, creds=None), limits=ScanLimits()
        )


def test_tls_registry_with_custom_ca_and_basic_auth(
    umoci_layout: Path, tls_registry: Registry, tmp_path: Path
) -> None:
    ref = _push(umoci_layout, tls_registry, "secure/app")
    creds = Credentials(USER, PASSWORD)
    source = _source(ref, tmp_path / "cache", insecure=False, ca=tls_registry.ca_file, creds=creds)
    with ImageArtifact(source, limits=ScanLimits()) as artifact:
        packages, _ = _inventory(artifact)
    assert packages == _dpkg_query()
    wrong = Credentials(USER, "wrong")
    with pytest.raises(RegistryAuthError, match="401"):
        ImageArtifact(
            _source(ref, tmp_path / "c2", insecure=False, ca=tls_registry.ca_file, creds=wrong),
            limits=ScanLimits(),
        )
    with pytest.raises(RegistryError, match="TLS"):
        ImageArtifact(
            _source(ref, tmp_path / "c3", insecure=False, ca=None, creds=creds),
            limits=ScanLimits(),
        )


def test_umoci_layout_on_disk_matches_the_registry_copy(
    umoci_layout: Path, plain_registry: Registry, tmp_path: Path
) -> None:
    ref = _push(umoci_layout, plain_registry, "team/same")
    opener = LocalImageOpener()
    local = opener.open(
        f"{umoci_layout}:app", limits=ScanLimits(), excludes=(), use_gitignore=False
    )
    remote_source = _source(ref, tmp_path / "cache", insecure=True, ca=None, creds=None)
    with local, ImageArtifact(remote_source, limits=ScanLimits()) as remote:
        assert isinstance(local, ImageArtifact)
        assert _inventory(local)[0] == _inventory(remote)[0]
        assert local.target.digest == remote.target.digest


def test_zstd_image_recompressed_by_skopeo(
    umoci_layout: Path, plain_registry: Registry, tmp_path: Path
) -> None:
    """skopeo rewrites every layer as ``tar+zstd``; on disk and from the registry the
    inventory is the same as the gzip original's."""
    zstd_layout = tmp_path / "zstd-layout"
    run("skopeo", "copy", "--insecure-policy", "--dest-compress-format", "zstd",
        f"oci:{umoci_layout}:app", f"oci:{zstd_layout}:app")  # fmt: skip
    ref = _push(zstd_layout, plain_registry, "team/zstd")
    opener = LocalImageOpener()
    local = opener.open(f"{zstd_layout}:app", limits=ScanLimits(), excludes=(), use_gitignore=False)
    remote_source = _source(ref, tmp_path / "cache", insecure=True, ca=None, creds=None)
    with local, ImageArtifact(remote_source, limits=ScanLimits()) as remote:
        assert isinstance(local, ImageArtifact)
        media_types = {layer.descriptor.media_type for layer in remote.image.layers}
        assert media_types == {"application/vnd.oci.image.layer.v1.tar+zstd"}
        local_packages, entries = _inventory(local)
        assert local_packages == _inventory(remote)[0] == _dpkg_query()
    assert "srv/app.txt" in {e.path for e in entries}


def test_tls_registry_with_credentials_from_a_credential_helper(
    umoci_layout: Path, tls_registry: Registry, tmp_path: Path
) -> None:
    """``credHelpers`` names a helper (a real executable on a private PATH speaking the
    docker-credential-helpers protocol) that holds the registry's htpasswd login."""
    ref = _push(umoci_layout, tls_registry, "secure/helper")
    bin_dir, config_dir = tmp_path / "bin", tmp_path / "docker"
    bin_dir.mkdir()
    config_dir.mkdir()
    helper = bin_dir / "docker-credential-testvault"
    helper.write_text(
        "#!/bin/sh\nread -r server\n"
        f'if [ "$server" = "{tls_registry.host}" ]; then\n'
        f'  printf \'{{"ServerURL":"%s","Username":"{USER}","Secret":"{PASSWORD}"}}\' "$server"\n'
        "else echo 'credentials not found in native keychain'; exit 1; fi\n"
    )
    helper.chmod(helper.stat().st_mode | stat.S_IXUSR)
    config = {"credHelpers": {tls_registry.host: "testvault"}}
    (config_dir / "config.json").write_text(json.dumps(config))
    env = {"DOCKER_CONFIG": str(config_dir), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    creds = docker_config_credentials(tls_registry.host, env)
    assert creds == Credentials(USER, PASSWORD)
    source = _source(ref, tmp_path / "cache", insecure=False, ca=tls_registry.ca_file, creds=creds)
    with ImageArtifact(source, limits=ScanLimits()) as artifact:
        packages, _ = _inventory(artifact)
    assert packages == _dpkg_query()
    # the same helper has nothing for another host: anonymous, which this registry refuses
    (config_dir / "config.json").write_text(json.dumps({"credsStore": "testvault"}))
    assert docker_config_credentials("127.0.0.2:1", env) is None
    with pytest.raises(RegistryAuthError, match="401"):
        ImageArtifact(
            _source(ref, tmp_path / "c2", insecure=False, ca=tls_registry.ca_file, creds=None),
            limits=ScanLimits(),
        )
