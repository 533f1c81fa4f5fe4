"""``secloop image REF`` and ``secloop rootfs DIR``: the scan pipeline on a system.

Both take every option of ``secloop scan`` (the same Parameter objects, so help and
defaults cannot drift) and add their own. The image is opened first so its OS release
can be read; the OS package analyzers are then built for that release.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from secloop.cli.scan import scan_params

if TYPE_CHECKING:
    from secloop.cli.options import ScanOptions
    from secloop.cli.run import Effective
    from secloop.core.result import ScanResult
    from secloop.scan.artifact.image.opener import ImageOptions
    from secloop.scan.engine import ProgressSink
    from secloop.scan.interface import Opener

__all__ = ["image_command", "rootfs_command"]

#: The scan options that apply to a system. A whitelist: ``--no-gitignore`` has no
#: meaning in an image, and an option added to ``secloop scan`` later must be chosen here.
_SHARED = frozenset(
    {
        "scanners",
        "severity",
        "fmt",
        "output",
        "exit_code",
        "fail_on",
        "fail_on_kev",
        "epss_above",
        "ignore_unfixed",
        "baseline",
        "ignore_file",
        "exclude",
        "max_file_size",
        "allow_empty",
        "config_path",
        "upload_url",
        "project",
        "deny_license",
        "license_unknown",
        "quiet",
        "debug",
    }
)
_EXIT_CODES = """
\b
Exit codes:
  0  no finding at or above the gate
  1  findings at or above the gate (see --fail-on, --exit-code)
  2  usage error
  3  tool failure, or nothing could be scanned (see --allow-empty)
"""


_IMAGE_PARAMS: list[click.Parameter] = [
    click.Option(["--platform"], metavar="OS/ARCH[/VARIANT]", help="Image of a multi-arch index."),
    click.Option(
        ["--insecure-registry"],
        is_flag=True,
        help="Talk to the registry over plain HTTP (unsafe: anyone on the path can read "
        "and change what is pulled; blob digests are still verified).",
    ),
    click.Option(
        ["--ca-file"],
        type=click.Path(path_type=Path, dir_okay=False, exists=True),
        help="CA certificates (PEM) to trust for the registry's TLS.",
    ),
    click.Option(
        ["--username"],
        envvar="SECLOOP_REGISTRY_USERNAME",
        help="Registry user.  [default: from ~/.docker/config.json: the credHelpers or "
        "credsStore credential helper, else auths]",
    ),
    click.Option(
        ["--password"],
        envvar="SECLOOP_REGISTRY_PASSWORD",
        help="Registry password or token (prefer the SECLOOP_REGISTRY_PASSWORD variable).",
    ),
    click.Option(
        ["--cache-dir"],
        type=click.Path(path_type=Path, file_okay=False),
        help="Blob cache.  [default: $SECLOOP_CACHE_DIR or ~/.cache/secloop]",
    ),
    click.Option(
        ["--dockerfile"],
        type=click.Path(path_type=Path, dir_okay=False),
        help="The Dockerfile the image was built from: scanned in the same run, and its "
        "findings linked with the image's where they share a root cause (USER root and "
        "an image running as root).",
    ),
    click.Option(
        ["--timeout"],
        type=click.FloatRange(min=1),
        default=30.0,
        show_default=True,
        help="Seconds a registry connection may stall.",
    ),
]


def _image_options(raw: dict[str, Any], host: str | None) -> ImageOptions:
    """Options for opening the image; ``host`` is the registry, None for a local image."""
    from secloop.scan.artifact.image.auth import Credentials, docker_config_credentials
    from secloop.scan.artifact.image.interface import Platform
    from secloop.scan.artifact.image.opener import ImageOptions
    from secloop.scan.artifact.image.registry import RegistrySettings

    credentials: Credentials | None = None
    insecure: frozenset[str] = frozenset()
    if raw.get("username"):
        credentials = Credentials(str(raw["username"]), str(raw.get("password") or ""))
    if host:
        credentials = credentials or docker_config_credentials(host)
        insecure = frozenset({host}) if raw.get("insecure_registry") else frozenset()
    platform = Platform.parse(raw["platform"]) if raw.get("platform") else None
    return ImageOptions(
        platform=platform,
        registry=RegistrySettings(insecure_hosts=insecure, credentials=credentials),
        cache_dir=raw.get("cache_dir"),
        ca_file=raw.get("ca_file"),
        timeout_seconds=float(raw.get("timeout") or 30.0),
    )


def _scan_system(
    spec: str, opener: Opener, effective: Effective, progress: ProgressSink | None
) -> ScanResult:
    """Open, detect the OS release, then run the pipeline with analyzers built for it."""
    from secloop.output.interface import SBOM_FORMATS
    from secloop.scan.engine import scan_artifact
    from secloop.scan.inventory.os import (
        SystemArtifact,
        detect_operating_system,
        system_analyzers,
    )
    from secloop.scan.registry import default_registry

    # Keyword only when needed: tests substitute default_registry with a plain factory.
    licenses = effective.licenses
    base = default_registry() if licenses is None else default_registry(licenses=licenses)
    scanners = base.select_scanners(effective.scanners)
    with opener.open(
        spec, limits=effective.limits, excludes=effective.excludes, use_gitignore=False
    ) as artifact:
        system = artifact if isinstance(artifact, SystemArtifact) else None
        os_release = detect_operating_system(system) if system is not None else None
        analyzers = (*system_analyzers(os_release, system), *base.analyzers)
        return scan_artifact(
            artifact,
            analyzers=analyzers,
            scanners=scanners,
            progress=progress,
            collect_inventory=effective.fmt in SBOM_FORMATS,
        )


def _run(options: ScanOptions, opener: Opener, dockerfile: Path | None = None) -> int:
    """The scan verb's whole flow, with the system scan in place of the path walk; with
    ``dockerfile``, that file too, its findings linked with the image's."""
    from secloop.cli.run import run_scan_command
    from secloop.policy.links import built_from
    from secloop.scan.image_checks.built_from import (
        DOCKERFILE_SCANNER,
        add_dockerfile,
        report_path,
    )
    from secloop.scan.registry import default_registry

    def scan(effective: Effective, progress: ProgressSink | None) -> ScanResult:
        result = _scan_system(str(options.path), opener, effective, progress)
        if dockerfile is None:
            return result
        return add_dockerfile(
            result,
            dockerfile,
            registry=default_registry(
                allowed_registries=effective.allowed_registries, scanners=(DOCKERFILE_SCANNER,)
            ),
            limits=effective.limits,
        )

    subject = built_from(report_path(dockerfile)) if dockerfile is not None else None
    return run_scan_command(options, scan, link_subject=subject)


def _split(raw: dict[str, Any], own: list[click.Parameter]) -> dict[str, Any]:
    names = {p.name for p in own}
    return {k: raw.pop(k) for k in list(raw) if k in names}


def _image_callback(image: str, **raw: Any) -> int:
    from secloop.cli.options import ScanOptions
    from secloop.core.errors import Error, UsageError
    from secloop.scan.artifact.image.opener import (
        LocalImageOpener,
        RegistryOpener,
        split_local_spec,
    )
    from secloop.scan.artifact.image.reference import parse_reference
    from secloop.scan.image_checks.built_from import check_dockerfile

    own = _split(raw, _IMAGE_PARAMS)
    dockerfile: Path | None = own.get("dockerfile")
    if dockerfile is not None:
        check_dockerfile(dockerfile)  # before anything is pulled
    opener: Opener
    if split_local_spec(image) is not None:
        opener = LocalImageOpener(_image_options(own, None))
    else:
        try:
            host = parse_reference(image).registry
        except Error:
            raise UsageError(
                f"{image}: not an image archive, OCI layout or image reference"
            ) from None
        opener = RegistryOpener(_image_options(own, host))
        if own.get("insecure_registry") and not raw.get("quiet"):
            click.echo(f"secloop: warning: {image}: pulling over plain HTTP", err=True)
    return _run(ScanOptions.from_click(Path(image), raw), opener, dockerfile)


def _rootfs_callback(directory: Path, **raw: Any) -> int:
    from secloop.cli.options import ScanOptions
    from secloop.scan.artifact.rootfs import RootfsOpener

    return _run(ScanOptions.from_click(directory, raw), RootfsOpener())


image_command = click.Command(
    "image",
    callback=_image_callback,
    params=[click.Argument(["image"]), *scan_params(_SHARED), *_IMAGE_PARAMS],
    help="Scan a container image: a docker save archive, an OCI layout (directory or "
    "tar; PATH:TAG picks one image), or a registry reference such as "
    "registry.example.com/app:1.0. Nothing is extracted to disk; registry blobs are "
    "verified and cached by digest.\n" + _EXIT_CODES,
)

rootfs_command = click.Command(
    "rootfs",
    callback=_rootfs_callback,
    params=[
        click.Argument(["directory"], type=click.Path(path_type=Path, file_okay=False)),
        *scan_params(_SHARED),
    ],
    help="Scan an unpacked root filesystem (a mounted VM image, a debootstrap tree, /): "
    "OS and installed packages, secrets, configuration. Absolute symlinks resolve "
    "inside DIRECTORY; proc, sys and dev are skipped.\n" + _EXIT_CODES,
)
