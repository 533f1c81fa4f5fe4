"""The scan command's options as one typed value (None: not given on the command line)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


def _split(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(part.strip() for part in str(value).split(",") if part.strip())


def _probability(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _only(value: object) -> tuple[str, ...] | None:
    return tuple(str(v) for v in value) if isinstance(value, tuple | list) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanOptions:
    path: Path
    scanners: tuple[str, ...] | None = None
    severity: tuple[str, ...] | None = None
    fmt: str | None = None
    output: Path | None = None
    exit_code: int | None = None
    fail_on: str | None = None
    fail_on_kev: bool | None = None
    epss_above: float | None = None
    ignore_unfixed: bool | None = None
    baseline: Path | None = None
    ignore_file: Path | None = None
    vex: Path | None = None
    only: tuple[str, ...] | None = None  # several PATHs: keep just these under ``path``
    changed_since: str | None = None
    exclude: tuple[str, ...] = ()
    no_gitignore: bool | None = None
    max_file_size: int | None = None
    allow_empty: bool | None = None
    config_path: Path | None = None
    upload_url: str | None = None
    project: str | None = None
    policy: tuple[Path, ...] = ()
    namespace: tuple[str, ...] = ()
    pss_level: str | None = None
    pss_version: str | None = None
    allowed_registry: tuple[str, ...] = ()
    strict_render: bool | None = None
    deny_license: tuple[str, ...] = ()
    license_unknown: bool | None = None
    verify: bool = False  # --verify: check found secrets with their providers
    quiet: bool = False
    debug: bool = False

    @classmethod
    def from_click(cls, path: Path, raw: Mapping[str, object]) -> ScanOptions:
        def path_or_none(key: str) -> Path | None:
            value = raw.get(key)
            return value if isinstance(value, Path) else None

        def flag(key: str) -> bool | None:
            value = raw.get(key)
            return bool(value) if value is not None else None

        def text(key: str) -> str | None:
            value = raw.get(key)
            return str(value) if value else None

        def integer(key: str) -> int | None:
            value = raw.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        fmt = raw.get("fmt")
        fail_on = raw.get("fail_on")
        exclude = raw.get("exclude") or ()
        return cls(
            path=path,
            scanners=_split(raw.get("scanners")),
            severity=_split(raw.get("severity")),
            fmt=str(fmt).lower() if fmt else None,
            output=path_or_none("output"),
            exit_code=integer("exit_code"),
            fail_on=str(fail_on) if fail_on else None,
            fail_on_kev=flag("fail_on_kev"),
            epss_above=_probability(raw.get("epss_above")),
            ignore_unfixed=flag("ignore_unfixed"),
            baseline=path_or_none("baseline"),
            ignore_file=path_or_none("ignore_file"),
            vex=path_or_none("vex"),
            only=_only(raw.get("only")),
            changed_since=text("changed_since"),
            exclude=tuple(str(e) for e in exclude) if isinstance(exclude, tuple | list) else (),
            no_gitignore=flag("no_gitignore"),
            max_file_size=integer("max_file_size"),
            allow_empty=flag("allow_empty"),
            config_path=path_or_none("config_path"),
            upload_url=text("upload_url"),
            project=text("project"),
            policy=tuple(Path(p) for p in _only(raw.get("policy")) or ()),
            namespace=_only(raw.get("namespace")) or (),
            pss_level=text("pss_level"),
            pss_version=text("pss_version"),
            allowed_registry=_only(raw.get("allowed_registry")) or (),
            strict_render=flag("strict_render"),
            deny_license=_only(raw.get("deny_license")) or (),
            license_unknown=flag("license_unknown"),
            verify=bool(raw.get("verify")),
            quiet=bool(raw.get("quiet")),
            debug=bool(raw.get("debug")),
        )
