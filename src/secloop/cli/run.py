"""The scan verb's body: configuration, scan, policy, report, gate.

Imported only when ``secloop scan`` runs, so the CLI stays quick to start.
"""

from __future__ import annotations

import gc
import logging
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import click

from secloop.cli.options import ScanOptions
from secloop.cli.progress import terminal_progress
from secloop.config import Settings, find_config, load_config
from secloop.core.errors import EXIT_CLEAN, EXIT_FINDINGS, ReportError, UsageError
from secloop.core.result import ScanResult
from secloop.core.severity import Severity
from secloop.intel.cache import IntelCache, default_cache_path
from secloop.intel.model import ExploitSignal, IntelSnapshot
from secloop.output.interface import SBOM_FORMATS, Formatter, OutputFormat, ReportContext
from secloop.output.json_format import load_result
from secloop.output.registry import formatter_for
from secloop.policy.apply import PolicySettings, apply_policy
from secloop.policy.gate import ExploitGate, evaluate_gate, require_coverage
from secloop.policy.licenses import LicensePolicy
from secloop.policy.links import SubjectOf
from secloop.policy.suppressions import DEFAULT_IGNORE_FILE, IgnoreFile, load_ignore_file
from secloop.policy.vex import load_vex
from secloop.scan.engine import ProgressSink, ScanRequest, run_scan
from secloop.scan.interface import ScanLimits
from secloop.scan.misconfig.pss_scan import PssSettings
from secloop.scan.misconfig.rego import CompiledPolicies
from secloop.scan.misconfig.render import require_rendered
from secloop.scan.registry import Registry, default_registry

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Effective:
    """Command-line options over configuration over defaults."""

    scanners: tuple[str, ...] | None
    severities: tuple[Severity, ...] | None
    fmt: OutputFormat
    output: Path | None
    exit_code: int
    fail_on: Severity
    ignore_unfixed: bool
    excludes: tuple[str, ...]
    use_gitignore: bool
    allow_empty: bool
    limits: ScanLimits
    ignore_file: Path | None
    policies: tuple[Path, ...] = ()
    policy_namespaces: tuple[str, ...] = ()
    pss: PssSettings | None = None
    allowed_registries: tuple[str, ...] = ()
    strict_render: bool = False
    licenses: LicensePolicy | None = None  # None: no licence policy, no license scanner
    verify: bool = False  # --verify: the secrets scanner checks secrets with providers
    exploit: ExploitGate = field(default_factory=ExploitGate)  # --fail-on-kev, --epss-above
    severity_gated: bool = True  # False: only the exploit criteria fail the gate


def _pick(cli_value: T | None, config_value: T | None, default: T) -> T:
    if cli_value is not None:
        return cli_value
    return config_value if config_value is not None else default


def _settings_for(options: ScanOptions) -> Settings:
    path = options.config_path or find_config(Path.cwd())
    return load_config(path) if path is not None else Settings()


def _ignore_file_path(options: ScanOptions, settings: Settings) -> Path | None:
    if options.ignore_file is not None:
        return options.ignore_file
    if settings.ignore_file is not None:
        return Path(settings.ignore_file)
    roots = [options.path] if options.path.is_dir() else []
    for root in [*roots, Path.cwd()]:
        candidate = root / DEFAULT_IGNORE_FILE
        if candidate.is_file():
            return candidate
    return None


def _pss_settings(options: ScanOptions, settings: Settings) -> PssSettings | None:
    """``--pss-level``/``--pss-version`` over ``pss_level``/``pss_version`` in the config."""
    from secloop.scan.misconfig.kubernetes.pss import PssLevel, PssVersion, PssVersionError

    level = options.pss_level or settings.pss_level
    version = options.pss_version or settings.pss_version
    if level is None:
        if version is not None:
            raise UsageError("--pss-version (pss_version) needs --pss-level (pss_level)")
        return None
    try:
        parsed = PssVersion.parse(version or "latest")
    except PssVersionError as err:
        raise UsageError(f"{err}; expected latest or v1.N, e.g. v1.30") from None
    return PssSettings(level=PssLevel(level.lower()), version=parsed)


def _license_policy(options: ScanOptions, settings: Settings) -> LicensePolicy | None:
    """``licenses:`` from the configuration with ``--deny-license`` patterns added and
    ``--license-unknown`` over ``licenses.unknown``; None when nothing asks for licences."""
    configured = settings.licenses or LicensePolicy()
    policy = replace(
        configured,
        deny=(*configured.deny, *options.deny_license),
        report_unknown=_pick(options.license_unknown, configured.report_unknown, False),
    )
    return policy if policy.active else None


def resolve(options: ScanOptions, settings: Settings) -> Effective:
    severities = tuple(Severity.parse(s) for s in options.severity) if options.severity else None
    fail_on = Severity.parse(options.fail_on) if options.fail_on else None
    exploit = ExploitGate(fail_on_kev=bool(options.fail_on_kev), epss_above=options.epss_above)
    # Exploit criteria given alone replace the default "any finding fails" gate;
    # with a --fail-on (or fail_on) threshold, either one fails the build.
    severity_gated = fail_on is not None or settings.fail_on is not None or not exploit.active
    output = options.output or (Path(settings.output) if settings.output else None)
    max_bytes = _pick(options.max_file_size, settings.max_file_size, ScanLimits().max_file_bytes)
    no_gitignore = options.no_gitignore
    return Effective(
        scanners=options.scanners if options.scanners is not None else settings.scanners,
        severities=severities if severities is not None else settings.severity,
        fmt=OutputFormat(_pick(options.fmt, settings.format, OutputFormat.TABLE)),
        output=output,
        exit_code=_pick(options.exit_code, settings.exit_code, EXIT_FINDINGS),
        fail_on=_pick(fail_on, settings.fail_on, Severity.UNKNOWN),
        ignore_unfixed=_pick(options.ignore_unfixed, settings.ignore_unfixed, False),
        excludes=(*settings.exclude, *options.exclude),
        use_gitignore=not no_gitignore if no_gitignore else _pick(None, settings.gitignore, True),
        # A file selection that matches no scanner (a commit of docs only) is not a failure.
        allow_empty=_pick(options.allow_empty, settings.allow_empty, _selects_files(options)),
        limits=ScanLimits(max_file_bytes=max_bytes),
        ignore_file=_ignore_file_path(options, settings),
        # Command-line policy directories add to the configured ones, like --exclude.
        policies=(*(Path(p) for p in settings.policy), *options.policy),
        policy_namespaces=options.namespace or settings.namespace,
        pss=_pss_settings(options, settings),
        allowed_registries=(*settings.allowed_registries, *options.allowed_registry),
        strict_render=_pick(options.strict_render, settings.strict_render, False),
        licenses=_license_policy(options, settings),
        verify=options.verify,
        exploit=exploit,
        severity_gated=severity_gated,
    )


def _load_baseline(path: Path | None) -> ScanResult | None:
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ReportError(f"{path}: cannot read ({err.strerror or err})") from None
    return load_result(data, source=str(path))


def _write_report(
    formatter: Formatter, result: ScanResult, context: ReportContext, output: Path | None
) -> None:
    if output is None:
        text = formatter.render(result, context)
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8") as stream:  # streamed: see Formatter.write
            formatter.write(result, context, stream)
    except OSError as err:
        raise ReportError(f"{output}: cannot write the report ({err.strerror or err})") from None


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """A scan allocates millions of small containers (parsed documents, findings) that
    reference counting frees and that form no cycles, yet the cyclic collector's full
    passes over everything alive cost a tenth of a large scan's CPU. During the scan
    what existed before is frozen out of its passes and it runs less often (young
    cycles are still collected); both are undone afterwards."""
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()


def _configure_logging(debug: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _check_upload_options(options: ScanOptions) -> None:
    if options.upload_url and not options.project:
        raise UsageError("--upload needs --project NAME (the server project to file the scan in)")
    if options.project and not options.upload_url:
        raise UsageError("--project only applies with --upload URL")


def _upload(
    result: ScanResult, *, url: str, project: str, effective: Effective, quiet: bool
) -> None:
    """Send the full JSON report; a filtered scan is marked partial so the server closes
    nothing that the filter merely hid."""
    from secloop.cli.upload import upload_report
    from secloop.output.json_format import JsonFormatter

    full_scan = effective.severities is None and not effective.ignore_unfixed
    uploaded = upload_report(
        JsonFormatter().render(result, ReportContext()),
        url=url,
        project=project,
        asset=result.target.name,
        full_scan=full_scan,
    )
    if not quiet:
        click.echo(
            f"secloop: uploaded as scan {uploaded.scan_id} ({uploaded.status}): {uploaded.url}",
            err=True,
        )


def _intel_cache(exploit: ExploitGate) -> IntelCache:
    """The local KEV/EPSS cache; refuses exploit criteria whose feed it lacks before
    anything is scanned (a user's mistake: exit 2, with how to fix it)."""
    cache = IntelCache(default_cache_path())
    if exploit.active:
        exploit.require_feeds(IntelSnapshot(feeds=cache.feeds()), str(cache.path))
    return cache


def _exploit_signals(result: ScanResult, cache: IntelCache) -> dict[str, ExploitSignal]:
    """KEV/EPSS of the result's vulnerability findings, from the local cache only (no
    network at scan time); {} when no cache was ever written."""
    from secloop.intel.model import vulnerability_ids

    ids = [i for finding in result.findings for i in vulnerability_ids(finding)]
    if not ids:
        return {}
    return cache.lookup(ids).signals(result.findings)


#: How a verb turns the effective options into a raw result: ``secloop scan`` walks a
#: path with the default registry; ``secloop image`` and ``rootfs`` open a system.
ScanFunction = Callable[[Effective, ProgressSink | None], ScanResult]


def _selects_files(options: ScanOptions) -> bool:
    return options.only is not None or options.changed_since is not None


def _selection_excludes(options: ScanOptions) -> tuple[str, ...]:
    """Exclude-all-but patterns for several PATHs and ``--changed-since`` (both: the
    files in both selections)."""
    from secloop.scan.selection import changed_files, only_patterns

    if not _selects_files(options):
        return ()
    wanted: set[str] | None = None if options.only is None else set(options.only)
    if options.changed_since is not None:
        changed = set(changed_files(options.path, options.changed_since))
        wanted = changed if wanted is None else _within(changed, wanted)
    return only_patterns(wanted or ())


def _within(changed: set[str], selected: set[str]) -> set[str]:
    dirs = tuple(s for s in selected if s.endswith("/"))
    return {c for c in changed if c in selected or c.startswith(dirs)}


def _path_scan(options: ScanOptions) -> ScanFunction:
    from secloop.scan.sbom import is_sbom_file, scan_sbom

    if is_sbom_file(options.path):  # `secloop scan bom.json`: the SBOM's packages
        return lambda effective, progress: scan_sbom(
            options.path,
            _plain_registry(effective).select_scanners(effective.scanners),  # with --deny-license
            progress=progress,
        )

    def scan(effective: Effective, progress: ProgressSink | None) -> ScanResult:
        request = ScanRequest(
            spec=str(options.path),
            scanners=effective.scanners,
            limits=effective.limits,
            excludes=(*_selection_excludes(options), *effective.excludes),
            use_gitignore=effective.use_gitignore,
            collect_inventory=effective.fmt in SBOM_FORMATS,
        )
        return run_scan(request, _registry(effective), progress=progress)

    return scan


def _registry(effective: Effective) -> Registry:
    registry = _plain_registry(effective)
    if not effective.verify:
        return registry
    from secloop.scan.secrets.scanner import SecretsScanner
    from secloop.scan.secrets.verify import VerificationService, default_verifiers

    verification = VerificationService(default_verifiers())
    scanners = tuple(
        s.with_verification(verification) if isinstance(s, SecretsScanner) else s
        for s in registry.scanners
    )
    return replace(registry, scanners=scanners)


def _plain_registry(effective: Effective) -> Registry:
    policies = _policies(effective)
    if (
        policies is None
        and effective.pss is None
        and effective.licenses is None
        and not effective.allowed_registries
    ):
        # No keywords when not needed: tests substitute default_registry with a factory.
        if effective.scanners is None:
            return default_registry()
        return default_registry(scanners=effective.scanners)  # builds only those
    return default_registry(
        policies=policies,
        pss=effective.pss,
        licenses=effective.licenses,
        allowed_registries=effective.allowed_registries,
        scanners=effective.scanners,
    )


def _policies(effective: Effective) -> CompiledPolicies | None:
    """``--policy`` directories compiled once for the scan; a bad policy is a usage error."""
    if not effective.policies:
        return None
    from secloop.scan.misconfig.rego import load_policies

    return load_policies(effective.policies, effective.policy_namespaces)


def run_scan_command(
    options: ScanOptions, scan: ScanFunction | None = None, *, link_subject: SubjectOf | None = None
) -> int:
    """Run a scanning verb (``scan`` unless ``scan`` says otherwise) and return its exit
    code: configuration, scan, policy, report, upload, gate. ``link_subject`` says which
    findings concern one subject, for root-cause links (``secloop image --dockerfile``)."""
    _configure_logging(options.debug)
    _check_upload_options(options)
    settings = _settings_for(options)
    effective = resolve(options, settings)
    intel = _intel_cache(effective.exploit)
    ignore: IgnoreFile | None = (
        load_ignore_file(effective.ignore_file) if effective.ignore_file else None
    )
    baseline = _load_baseline(options.baseline)
    with terminal_progress(enabled=not options.quiet) as progress, _fewer_collections():
        raw = (scan or _path_scan(options))(effective, progress)
    result = apply_policy(
        raw,
        PolicySettings(
            severities=effective.severities,
            ignore_unfixed=effective.ignore_unfixed,
            ignore_file=ignore,
            baseline=baseline,
            today=datetime.now(UTC).date(),
            vex=load_vex(options.vex) if options.vex else None,
            link_subject=link_subject,
        ),
    )
    signals = _exploit_signals(result, intel)
    context = ReportContext(
        fail_on=effective.fail_on,
        exploits=signals,
        color=effective.output is None and sys.stdout.isatty(),
        width=shutil.get_terminal_size().columns if sys.stdout.isatty() else 120,
    )
    _write_report(formatter_for(effective.fmt), result, context, effective.output)
    if options.upload_url and options.project:
        _upload(
            result,
            url=options.upload_url,
            project=options.project,
            effective=effective,
            quiet=options.quiet,
        )
    if not options.quiet:
        for warning in result.warnings:
            click.echo(f"secloop: warning: {warning}", err=True)
    if effective.strict_render:
        require_rendered(result)
    if not effective.allow_empty:
        require_coverage(result)
    verdict = evaluate_gate(
        result,
        fail_on=effective.fail_on if effective.severity_gated else None,
        exploit=effective.exploit,
        signals=signals,
    )
    return EXIT_CLEAN if verdict.passed else effective.exit_code
