"""The explicit table of scan plugins. Nothing registers itself by being imported."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Protocol, TypeVar

from secloop.core.errors import UsageError
from secloop.core.finding import FindingKind
from secloop.scan.artifact.fs import FilesystemOpener
from secloop.scan.interface import Analyzer, ArtifactError, Opener, Scanner
from secloop.scan.inventory import language_analyzers
from secloop.scan.inventory.binaries import binary_analyzers

if TYPE_CHECKING:  # the scanners themselves are imported when they are built
    from secloop.policy.licenses import LicensePolicy
    from secloop.scan.misconfig.pss_scan import PssSettings
    from secloop.scan.misconfig.rego import CompiledPolicies

#: Short names users type for a whole family of scanners (``--scanners misconfig``).
KIND_ALIASES: dict[str, FindingKind] = {
    "vuln": FindingKind.VULNERABILITY,
    "misconfig": FindingKind.MISCONFIGURATION,
    "secrets": FindingKind.SECRET,
    "sast": FindingKind.CODE,
}


@dataclass(frozen=True, slots=True)
class Registry:
    openers: tuple[Opener, ...]
    analyzers: tuple[Analyzer, ...] = ()
    scanners: tuple[Scanner, ...] = ()

    def opener_for(self, spec: str) -> Opener:
        for opener in self.openers:
            if opener.can_open(spec):
                return opener
        raise ArtifactError(f"{spec}: no such file or directory")

    def choices(self) -> list[str]:
        """Every name ``--scanners`` accepts: scanner names, kinds and their aliases."""
        kinds = {s.kind for s in self.scanners}
        names = {s.name for s in self.scanners} | {k.value for k in kinds}
        names |= {alias for alias, kind in KIND_ALIASES.items() if kind in kinds}
        return sorted(names)

    def select_scanners(self, requested: Sequence[str] | None) -> tuple[Scanner, ...]:
        """The scanners named by ``requested`` (every default-enabled one when None);
        unknown names are usage errors. Opt-in scanners are chosen only by their name."""
        if requested is None:
            return tuple(s for s in self.scanners if s.default_enabled)
        wanted: list[Scanner] = []
        for token in requested:
            matched = self._match(token.strip().lower())
            if not matched:
                choices = ", ".join(self.choices()) or "(no scanners installed)"
                raise UsageError(f"unknown scanner {token!r}; choose from {choices}")
            wanted.extend(s for s in matched if s not in wanted)
        return tuple(wanted)

    def _match(self, token: str) -> list[Scanner]:
        return _matching(self.scanners, token)


_T = TypeVar("_T")


class _Named(Protocol):
    """What selection reads: a scanner, or a table entry describing one."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> FindingKind: ...
    @property
    def default_enabled(self) -> bool: ...


_N = TypeVar("_N", bound=_Named)


def _matching(candidates: Sequence[_N], token: str) -> list[_N]:
    """The candidates ``token`` (lower-cased) names: by name, or by kind (or a kind's
    alias) among the default-enabled ones."""
    kind = KIND_ALIASES.get(token)
    if kind is None and token in {k.value for k in FindingKind}:
        kind = FindingKind(token)
    return [s for s in candidates if s.name == token or (s.kind == kind and s.default_enabled)]


@dataclass(frozen=True, slots=True)
class ScannerEntry:
    """One row of the table: a scanner described without importing it (its module
    is imported by ``build``, only when the scanner is wanted). A test checks every
    row against the scanner it builds."""

    name: str
    kind: FindingKind
    build: Callable[[], Scanner]
    default_enabled: bool = True


def _wanted(entries: Sequence[ScannerEntry], requested: Sequence[str] | None) -> set[str] | None:
    """The names of the entries ``requested`` selects, as :meth:`Registry.select_scanners`
    would; None (build them all) without a selection or when a name matches nothing,
    so that the usage error lists every choice."""
    if requested is None:
        return None
    names: set[str] = set()
    for token in requested:
        matched = _matching(entries, token.strip().lower())
        if not matched:
            return None
        names.update(entry.name for entry in matched)
    return names


def default_registry(
    *,
    policies: CompiledPolicies | None = None,
    pss: PssSettings | None = None,
    licenses: LicensePolicy | None = None,
    allowed_registries: Sequence[str] = (),
    scanners: Sequence[str] | None = None,
) -> Registry:
    """Every plugin shipped with secloop, in evaluation order; with ``policies``
    (``--policy DIR``, compiled once per scan) also the ``rego`` scanner, with
    ``pss`` (``--pss-level``) the ``pss`` scanner (both also judge what the ``render``
    scanner renders), and with an active licence policy
    (``--deny-license``, ``licenses:``) the ``license`` scanner. ``allowed_registries``
    turns on the registry allowlist checks of the kubernetes, dockerfile and compose
    scanners. With ``scanners`` (a ``--scanners`` selection) only the scanners it
    selects are built, and their modules imported: ``select_scanners(scanners)``
    chooses the same ones as from the full registry, and a short scan does not pay
    for importing every other scanner."""
    entries = scanner_entries(
        policies=policies, pss=pss, licenses=licenses, allowed_registries=allowed_registries
    )
    wanted = _wanted(entries, scanners)
    return Registry(
        openers=(FilesystemOpener(),),
        analyzers=(*language_analyzers(), *binary_analyzers()),
        scanners=tuple(e.build() for e in entries if wanted is None or e.name in wanted),
    )


def scanner_entries(
    *,
    policies: CompiledPolicies | None = None,
    pss: PssSettings | None = None,
    licenses: LicensePolicy | None = None,
    allowed_registries: Sequence[str] = (),
) -> tuple[ScannerEntry, ...]:
    """The table behind :func:`default_registry` (same arguments), in evaluation order.
    Scanners that share a part (the kubernetes checks, the policies, the PSS settings,
    all also used by ``render``) build it once."""
    code, misconfig, secret = FindingKind.CODE, FindingKind.MISCONFIGURATION, FindingKind.SECRET

    @cache
    def kubernetes() -> Scanner:
        from secloop.scan.misconfig import KubernetesScanner

        return KubernetesScanner(allowed_registries)

    @cache
    def rego() -> Scanner | None:
        from secloop.scan.misconfig.rego import RegoScanner

        return RegoScanner(policies) if policies is not None else None

    @cache
    def pod_security() -> Scanner | None:
        from secloop.scan.misconfig.pss_scan import PssScanner

        return PssScanner(pss) if pss is not None else None

    def render() -> Scanner:
        # Kustomize overlays and helm charts, through the same checks, policies and PSS.
        from secloop.scan.misconfig import KubernetesScanner
        from secloop.scan.misconfig.pss_scan import PssScanner
        from secloop.scan.misconfig.rego import RegoScanner
        from secloop.scan.misconfig.render import RenderScanner

        checks = cast_scanner(kubernetes(), KubernetesScanner).checks
        rules, judge = rego(), pod_security()
        return RenderScanner(
            checks,
            rego=cast_scanner(rules, RegoScanner) if rules is not None else None,
            pss=cast_scanner(judge, PssScanner) if judge is not None else None,
        )

    def misconfig_scanner(name: str) -> Callable[[], Scanner]:
        def build() -> Scanner:
            from secloop.scan import misconfig as family

            kinds = {"dockerfile": family.DockerfileScanner, "compose": family.ComposeScanner}
            return kinds[name](allowed_registries)

        return build

    def plain(module: str, cls: str) -> Callable[[], Scanner]:
        def build() -> Scanner:
            scanner: Callable[[], Scanner] = getattr(import_module(module), cls)
            return scanner()

        return build

    def license_scanner() -> Scanner:
        from secloop.scan.license import LicenseScanner

        assert licenses is not None  # noqa: S101 - the entry exists only with a policy
        return LicenseScanner(licenses)

    custom = (
        *((ScannerEntry("rego", misconfig, _present(rego)),) if policies is not None else ()),
        *((ScannerEntry("pss", misconfig, _present(pod_security)),) if pss is not None else ()),
    )
    licensing = (
        (ScannerEntry("license", FindingKind.LICENSE, license_scanner),)
        if licenses is not None and licenses.active
        else ()
    )
    return (
        ScannerEntry("secret", secret, plain("secloop.scan.secrets", "SecretsScanner")),
        # image layers only
        ScannerEntry(
            "secret-deleted",
            secret,
            plain("secloop.scan.image_checks", "DeletedLayerSecretsScanner"),
        ),
        ScannerEntry("kubernetes", misconfig, kubernetes),
        ScannerEntry("dockerfile", misconfig, misconfig_scanner("dockerfile")),
        ScannerEntry("compose", misconfig, misconfig_scanner("compose")),
        *custom,
        ScannerEntry("render", misconfig, render),
        # images only
        ScannerEntry(
            "image-config", misconfig, plain("secloop.scan.image_checks", "ImageConfigScanner")
        ),
        ScannerEntry(
            "vuln", FindingKind.VULNERABILITY, plain("secloop.scan.vuln", "VulnerabilityScanner")
        ),
        # loose declarations the analyzers cannot pin
        ScannerEntry(
            "unpinned-deps",
            misconfig,
            plain("secloop.scan.inventory.unpinned", "UnpinnedDependencyScanner"),
        ),
        *licensing,
        ScannerEntry(
            "python", code, plain("secloop.scan.code.python.scanner", "PythonCodeScanner")
        ),
        # opt-in: --scanners bandit, --scanners semgrep
        ScannerEntry("bandit", code, plain("secloop.scan.code.adapters", "BanditScanner"), False),
        ScannerEntry("semgrep", code, plain("secloop.scan.code.adapters", "SemgrepScanner"), False),
    )


def _present(build: Callable[[], Scanner | None]) -> Callable[[], Scanner]:
    """``build`` for an entry that exists only when its scanner can be built."""

    def built() -> Scanner:
        scanner = build()
        assert scanner is not None  # noqa: S101 - the entry exists only then
        return scanner

    return built


def cast_scanner(scanner: Scanner, cls: type[_T]) -> _T:
    """``scanner`` as the concrete class a neighbour needs (render reads the
    kubernetes scanner's checks)."""
    if not isinstance(scanner, cls):
        raise TypeError(f"expected a {cls.__name__}, got {type(scanner).__name__}")
    return scanner
