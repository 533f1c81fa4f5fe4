"""What a Dockerfile check is: rule metadata plus a stateless ``evaluate(dockerfile)``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.scan.misconfig.dockerfile.parser import Dockerfile, Instruction, Stage
from secloop.scan.misconfig.dockerfile.shell import Command
from secloop.scan.misconfig.rules import misconfig_rule

__all__ = [
    "DockerHit",
    "DockerfileCheck",
    "RunCheck",
    "ancestry",
    "docker_rule",
    "mount_targets",
    "run_commands",
]

_REFERENCE = "https://docs.docker.com/reference/dockerfile/"


#: A dockerfile rule: misconfiguration kind, ``dockerfile`` tag, a default reference.
docker_rule = partial(misconfig_rule, family="dockerfile", default_reference=_REFERENCE)


@dataclass(frozen=True, slots=True, kw_only=True)
class DockerHit:
    """A failed evaluation at one instruction (or at line 1 when there is none)."""

    instruction: Instruction | None
    message: str
    evidence: str | None = None
    severity: Severity | None = None


class DockerfileCheck(ABC):
    rule: ClassVar[Rule]

    @abstractmethod
    def evaluate(self, dockerfile: Dockerfile) -> Iterable[DockerHit]: ...


def run_commands(instruction: Instruction) -> list[Command]:
    """The simple commands of a RUN (shell or exec form, heredocs included)."""
    return list(instruction.commands)


def stage_of(dockerfile: Dockerfile, instruction: Instruction) -> Stage | None:
    if 0 <= instruction.stage < len(dockerfile.stages):
        return dockerfile.stages[instruction.stage]
    return None


def ancestry(dockerfile: Dockerfile, stage: Stage | None) -> list[Stage]:
    """``stage`` and the earlier stages it builds on (``FROM <alias>``), nearest first."""
    chain: list[Stage] = []
    while stage is not None and stage not in chain:
        chain.append(stage)
        image = stage.image.lower()
        parents = [s for s in dockerfile.stages[: stage.index] if (s.alias or "").lower() == image]
        stage = parents[-1] if parents else None
    return chain


def mount_targets(instruction: Instruction) -> list[str]:
    """Targets of ``RUN --mount=type=cache|tmpfs,target=...`` (content not kept in the layer)."""
    targets: list[str] = []
    for mount in instruction.flags.get("mount", "").split():
        options = dict(part.partition("=")[::2] for part in mount.split(",") if part)
        if options.get("type") not in {"cache", "tmpfs"}:
            continue
        target = options.get("target") or options.get("dst") or options.get("destination")
        if target:
            targets.append(target.rstrip("/"))
    return targets


class RunCheck(DockerfileCheck):
    """A check of each RUN instruction's commands."""

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        for instruction in dockerfile.instructions:
            if instruction.keyword == "RUN":
                yield from self.check_run(dockerfile, instruction, run_commands(instruction))

    @abstractmethod
    def check_run(
        self, dockerfile: Dockerfile, instruction: Instruction, cmds: list[Command]
    ) -> Iterable[DockerHit]: ...
