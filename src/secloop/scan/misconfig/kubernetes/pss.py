"""Pod Security Standards evaluator: baseline and restricted, control by control, by version.

Why a separate evaluator when SL-K8S checks already cover each control: the checks are
opinions with severities (and some go further than the standard, e.g. UID >= 10000),
while PSS is a pass/fail contract a cluster enforces at a pinned policy version. Users
ask "would this pod be admitted under ``restricted`` at v1.30?"; this answers exactly
that, with the PSS check IDs Pod Security Admission reports.

Steps of :func:`evaluate_pss`:

1. Resolve the version: ``latest`` or ``v1.N``; versions newer than the latest known
   policy are judged by the latest (as the admission controller does).
2. Select the controls of the level (restricted includes baseline) whose first version
   is at or below the requested one.
3. Run each control over the pod-spec view; each forbidden setting becomes a
   :class:`PssViolation` carrying the control ID, its level and the field path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from secloop.scan.misconfig.documents import FieldPath
from secloop.scan.misconfig.kubernetes import pss_controls as c
from secloop.scan.misconfig.kubernetes.model import Workload

__all__ = [
    "LATEST_MINOR",
    "PSS_CONTROLS",
    "PssControl",
    "PssLevel",
    "PssVersion",
    "PssVersionError",
    "PssViolation",
    "evaluate_pss",
    "highest_level",
]

#: The newest policy version whose rules are written here (Kubernetes 1.37).
LATEST_MINOR = 37
_VERSION = re.compile(r"^v?1\.(\d{1,3})$")


class PssLevel(StrEnum):
    """The three PSS levels, from least to most restrictive."""

    PRIVILEGED = "privileged"
    BASELINE = "baseline"
    RESTRICTED = "restricted"


class PssVersionError(ValueError):
    """A policy version that is neither ``latest`` nor ``v1.N``."""


@dataclass(frozen=True, slots=True)
class PssVersion:
    """A policy version ``v1.<minor>``; ``parse`` accepts ``latest``."""

    minor: int

    @classmethod
    def parse(cls, text: str) -> PssVersion:
        if text.strip().lower() == "latest":
            return cls(LATEST_MINOR)
        match = _VERSION.match(text.strip())
        if match is None:
            raise PssVersionError(f"invalid Pod Security Standards version {text!r}")
        return cls(min(int(match.group(1)), LATEST_MINOR))

    def __str__(self) -> str:
        return f"v1.{self.minor}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PssControl:
    """One control: its PSS ID, the lowest level it belongs to, and its first version."""

    id: str
    level: PssLevel
    since: int
    forbids: Callable[[c.PssContext], Iterator[c.Forbidden]]

    @property
    def peer(self) -> str:
        """The ``level:control`` form rule metadata uses for a PSS peer."""
        return f"{self.level}:{self.id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PssViolation:
    check: str
    level: PssLevel
    message: str
    path: FieldPath


_B, _R = PssLevel.BASELINE, PssLevel.RESTRICTED
PSS_CONTROLS: tuple[PssControl, ...] = (
    PssControl(id="hostNamespaces", level=_B, since=0, forbids=c.host_namespaces),
    PssControl(id="privileged", level=_B, since=0, forbids=c.privileged),
    PssControl(id="capabilities_baseline", level=_B, since=0, forbids=c.capabilities_baseline),
    PssControl(id="hostPathVolumes", level=_B, since=0, forbids=c.host_path_volumes),
    PssControl(id="hostPorts", level=_B, since=0, forbids=c.host_ports),
    PssControl(id="appArmorProfile", level=_B, since=0, forbids=c.app_armor_profile),
    PssControl(id="seLinuxOptions", level=_B, since=0, forbids=c.se_linux_options),
    PssControl(id="procMount", level=_B, since=0, forbids=c.proc_mount),
    PssControl(id="seccompProfile_baseline", level=_B, since=0, forbids=c.seccomp_profile_baseline),
    PssControl(id="sysctls", level=_B, since=0, forbids=c.sysctls),
    PssControl(id="windowsHostProcess", level=_B, since=0, forbids=c.windows_host_process),
    PssControl(
        id="hostProbesAndHostLifecycle", level=_B, since=34, forbids=c.host_probes_and_lifecycle
    ),
    PssControl(id="restrictedVolumes", level=_R, since=0, forbids=c.restricted_volumes),
    PssControl(id="runAsNonRoot", level=_R, since=0, forbids=c.run_as_non_root),
    PssControl(
        id="allowPrivilegeEscalation", level=_R, since=8, forbids=c.allow_privilege_escalation
    ),
    PssControl(
        id="seccompProfile_restricted", level=_R, since=19, forbids=c.seccomp_profile_restricted
    ),
    PssControl(id="capabilities_restricted", level=_R, since=22, forbids=c.capabilities_restricted),
    PssControl(id="runAsUser", level=_R, since=23, forbids=c.run_as_user),
    PssControl(id="procMount_restricted", level=_R, since=35, forbids=c.proc_mount_restricted),
)


def _controls(level: PssLevel, version: PssVersion) -> Iterator[PssControl]:
    """Step (2): the level's controls in force at ``version``."""
    if level is PssLevel.PRIVILEGED:
        return
    levels = {PssLevel.BASELINE} if level is PssLevel.BASELINE else {_B, _R}
    for control in PSS_CONTROLS:
        if control.level in levels and control.since <= version.minor:
            yield control


def evaluate_pss(
    workload: Workload, level: PssLevel, version: PssVersion | str = "latest"
) -> tuple[PssViolation, ...]:
    """Every violation of ``level`` at ``version``; empty means the pod would be admitted."""
    resolved = PssVersion.parse(version) if isinstance(version, str) else version  # (1)
    ctx = c.PssContext(workload, resolved.minor)
    return tuple(
        PssViolation(check=control.id, level=control.level, message=bad.detail, path=bad.path)
        for control in _controls(level, resolved)  # (2)
        for bad in control.forbids(ctx)  # (3)
    )


def highest_level(workload: Workload, version: PssVersion | str = "latest") -> PssLevel:
    """The most restrictive level the pod satisfies (privileged when not even baseline)."""
    if evaluate_pss(workload, PssLevel.RESTRICTED, version) == ():
        return PssLevel.RESTRICTED
    if evaluate_pss(workload, PssLevel.BASELINE, version) == ():
        return PssLevel.BASELINE
    return PssLevel.PRIVILEGED
