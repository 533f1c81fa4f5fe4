"""The explicit table of scan plugins. Nothing registers itself by being imported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from secloop.core.errors import UsageError
from secloop.core.finding import FindingKind
from secloop.policy.licenses import LicensePolicy
from secloop.scan.artifact.fs import FilesystemOpener
from secloop.scan.code.adapters import BanditScanner, SemgrepScanner
from secloop.scan.code.python.scanner import PythonCodeScanner
from secloop.scan.image_checks import DeletedLayerSecretsScanner, ImageConfigScanner
from secloop.scan.interface import Analyzer, ArtifactError, Opener, Scanner
from secloop.scan.inventory import language_analyzers
from secloop.scan.inventory.binaries import binary_analyzers
from secloop.scan.inventory.unpinned import UnpinnedDependencyScanner
from secloop.scan.license import LicenseScanner
from secloop.scan.misconfig import ComposeScanner, DockerfileScanner, KubernetesScanner
from secloop.scan.misconfig.pss_scan import PssScanner, PssSettings
from secloop.scan.misconfig.rego import CompiledPolicies, RegoScanner
from secloop.scan.misconfig.render import RenderScanner
from secloop.scan.secrets import SecretsScanner
from secloop.scan.vuln import VulnerabilityScanner

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
        kind = KIND_ALIASES.get(token)
        if kind is None and token in {k.value for k in FindingKind}:
            kind = FindingKind(token)
        return [
            s for s in self.scanners if s.name == token or (s.kind == kind and s.default_enabled)
        ]


def default_registry(
    *,
    policies: CompiledPolicies | None = None,
    pss: PssSettings | None = None,
    licenses: LicensePolicy | None = None,
    allowed_registries: Sequence[str] = (),
) -> Registry:
    """Every plugin shipped with secloop, in evaluation order; with ``policies``
    (``--policy DIR``, compiled once per scan) also the ``rego`` scanner, with
    ``pss`` (``--pss-level``) the ``pss`` scanner (both also judge what the ``render``
    scanner renders), and with an active licence policy
    (``--deny-license``, ``licenses:``) the ``license`` scanner. ``allowed_registries``
    turns on the registry allowlist checks of the kubernetes, dockerfile and compose
    scanners."""
    rego = RegoScanner(policies) if policies is not None else None
    pod_security = PssScanner(pss) if pss is not None else None
    custom: tuple[Scanner, ...] = tuple(s for s in (rego, pod_security) if s is not None)
    licensing: tuple[Scanner, ...] = (
        (LicenseScanner(licenses),) if licenses is not None and licenses.active else ()
    )
    kubernetes = KubernetesScanner(allowed_registries)
    return Registry(
        openers=(FilesystemOpener(),),
        analyzers=(*language_analyzers(), *binary_analyzers()),
        scanners=(
            SecretsScanner(),
            DeletedLayerSecretsScanner(),  # image layers only
            kubernetes,
            DockerfileScanner(allowed_registries),
            ComposeScanner(allowed_registries),
            *custom,
            # Kustomize overlays and helm charts, through the same checks, policies and PSS.
            RenderScanner(kubernetes.checks, rego=rego, pss=pod_security),
            ImageConfigScanner(),  # images only
            VulnerabilityScanner(),
            UnpinnedDependencyScanner(),  # loose declarations the analyzers cannot pin
            *licensing,
            PythonCodeScanner(),
            BanditScanner(),  # opt-in: --scanners bandit
            SemgrepScanner(),  # opt-in: --scanners semgrep
        ),
    )
