"""Dockerfile checks of the image's shape: base images, user, metadata instructions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from secloop.core.root_cause import RootCause
from secloop.core.severity import Severity
from secloop.scan.misconfig.dockerfile.base import (
    DockerfileCheck,
    DockerHit,
    ancestry,
    docker_rule,
)
from secloop.scan.misconfig.dockerfile.parser import Dockerfile, Instruction, Stage

__all__ = ["IMAGE_CHECKS", "external_base"]

_BEST = "https://docs.docker.com/build/building/best-practices/"
_USER_DOC = "https://docs.docker.com/reference/dockerfile/#user"
_SENSITIVE = re.compile(
    r"(passw(or)?d|passwd|secret|token|api[_-]?key|apikey|private[_-]?key|access[_-]?key"
    r"|auth[_-]?key|credential)",
    re.IGNORECASE,
)
_ROOT_USERS = frozenset({"root", "0"})


def _stage_aliases(dockerfile: Dockerfile, before: int) -> set[str]:
    return {s.alias.lower() for s in dockerfile.stages[:before] if s.alias}


def _base_image(dockerfile: Dockerfile, stage: Stage) -> tuple[str, str, str | None] | None:
    """``(image, name, tag-or-digest-kind)`` of an external base; None for scratch/stages/vars."""
    image = stage.image
    if not image or "$" in image or image.lower() == "scratch":
        return None
    if image.lower() in _stage_aliases(dockerfile, stage.index):
        return None
    rest, _, digest = image.partition("@")
    slash, colon = rest.rfind("/"), rest.rfind(":")
    tag = rest[colon + 1 :] if colon > slash else None
    return image, rest, "@digest" if digest else tag


def external_base(dockerfile: Dockerfile, stage: Stage) -> str | None:
    """The base image a stage pulls from a registry; None for scratch, stages and ``$VAR``."""
    base = _base_image(dockerfile, stage)
    return base[0] if base is not None else None


class LastUserRoot(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-001",
        root_cause=RootCause.RUNS_AS_ROOT,
        title="Last USER is root",
        severity=Severity.MEDIUM,
        description=(
            "The final stage switches to root last, so containers run as root unless the "
            "platform overrides the user."
        ),
        remediation="End the final stage with `USER <non-root user>`.",
        references=(_USER_DOC,),
        peers={"hadolint": "DL3002", "trivy": "DS002"},
        frameworks={"cis-docker": ("4.1",), "mitre-attack-containers": ("T1611",)},
    )

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        users: list[Instruction] = []
        for stage in ancestry(dockerfile, dockerfile.final_stage):
            users = [i for i in stage.instructions if i.keyword == "USER" and not i.onbuild]
            if users:
                break  # the nearest stage that sets a user decides
        if users:
            name = users[-1].arguments.split(":", 1)[0].strip()
            if name.lower() in _ROOT_USERS:
                yield DockerHit(instruction=users[-1], message="the last USER is root")


class NoUser(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-002",
        root_cause=RootCause.RUNS_AS_ROOT,
        title="No USER instruction: image runs as root",
        severity=Severity.LOW,
        description=(
            "Without a USER in the final stage (or a stage it builds on) the image runs as "
            "its base image's user, which is root for almost every base image."
        ),
        remediation="Create an unprivileged user and end the final stage with `USER` it.",
        references=(_USER_DOC,),
        peers={"trivy": "DS002"},
        frameworks={"cis-docker": ("4.1",)},
    )

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        for stage in ancestry(dockerfile, dockerfile.final_stage):
            if any(i.keyword == "USER" for i in stage.instructions):
                return
        final = dockerfile.final_stage
        if final is not None:
            yield DockerHit(instruction=final.from_instruction, message="no USER: runs as root")


class UntaggedBase(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-003",
        title="Base image without a tag",
        severity=Severity.MEDIUM,
        description="An untagged FROM means `latest`: builds are not reproducible.",
        remediation="Pin a version tag, better a digest: `FROM image:1.2.3@sha256:...`.",
        references=(_BEST,),
        peers={"hadolint": "DL3006", "trivy": "DS001"},
        frameworks={"mitre-attack-containers": ("T1525",)},
    )

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        for stage in dockerfile.stages:
            base = _base_image(dockerfile, stage)
            if base is not None and base[2] is None:
                yield DockerHit(
                    instruction=stage.from_instruction,
                    message=f"base image {base[0]} has no tag",
                    evidence=base[0],
                )


class LatestBase(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-004",
        title="Base image uses the latest tag",
        severity=Severity.MEDIUM,
        description="`latest` moves with every release: builds change without a diff.",
        remediation="Pin a version tag, better a digest.",
        references=(_BEST,),
        peers={"hadolint": "DL3007", "trivy": "DS001"},
        frameworks={"mitre-attack-containers": ("T1525",)},
    )

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        for stage in dockerfile.stages:
            base = _base_image(dockerfile, stage)
            if base is not None and base[2] == "latest":
                yield DockerHit(
                    instruction=stage.from_instruction,
                    message=f"base image {base[0]} uses latest",
                    evidence=base[0],
                )


class BaseNotPinned(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-005",
        title="Base image not pinned by digest",
        severity=Severity.LOW,
        description="Tags can be re-pointed; only a digest fixes the exact base that was reviewed.",
        remediation="Append `@sha256:<digest>` to the FROM image (keep the tag for humans).",
        references=(_BEST,),
        frameworks={"mitre-attack-containers": ("T1525",)},
    )

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        for stage in dockerfile.stages:
            base = _base_image(dockerfile, stage)
            if base is not None and base[2] != "@digest":
                yield DockerHit(
                    instruction=stage.from_instruction,
                    message=f"base image {base[0]} is not pinned by digest",
                    evidence=base[0],
                )


def _env_names(instruction: Instruction) -> Iterator[str]:
    if instruction.keyword == "ARG":
        yield instruction.arguments.partition("=")[0].strip()
        return
    text = instruction.arguments
    if "=" not in text.split(" ", 1)[0]:  # legacy form: ENV NAME value
        yield text.split(" ", 1)[0]
        return
    for match in re.finditer(r"([A-Za-z_][A-Za-z0-9_.-]*)=", text):
        yield match.group(1)


class SecretInArgEnv(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-006",
        root_cause=RootCause.SECRET_IN_ENVIRONMENT,
        title="Secret passed through ARG or ENV",
        severity=Severity.HIGH,
        description=(
            "ARG and ENV values are stored in the image history and config; anyone who can "
            "pull the image can read them."
        ),
        remediation="Use BuildKit secret mounts: `RUN --mount=type=secret,id=...`.",
        references=("https://docs.docker.com/build/building/secrets/",),
        peers={"hadolint": "DL3064", "trivy": "DS031"},
        frameworks={"cis-docker": ("4.10",), "mitre-attack-containers": ("T1552",)},
    )

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        for instruction in dockerfile.instructions:
            if instruction.keyword not in {"ARG", "ENV"}:
                continue
            for name in _env_names(instruction):
                if _SENSITIVE.search(name) and not re.search(r"_(FILE|PATH|DIR)$", name, re.I):
                    yield DockerHit(
                        instruction=instruction,
                        message=f"{instruction.keyword} {name} looks like a secret",
                        evidence=name,
                    )


class NoHealthcheck(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-007",
        root_cause=RootCause.NO_HEALTHCHECK,
        title="No HEALTHCHECK",
        severity=Severity.LOW,
        description="Without a HEALTHCHECK the runtime cannot tell a hung service from a live one.",
        remediation="Add `HEALTHCHECK CMD <probe>` (`HEALTHCHECK NONE` if deliberate).",
        peers={"hadolint": "DL3057", "trivy": "DS026"},
        frameworks={"cis-docker": ("4.6",)},
    )

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        if not dockerfile.instructions:
            return
        final = dockerfile.final_stage
        scope = (
            [i for s in ancestry(dockerfile, final) for i in s.instructions]
            if final is not None
            else dockerfile.instructions
        )
        if any(i.keyword == "HEALTHCHECK" for i in scope):
            return
        anchor = final.from_instruction if final else dockerfile.instructions[0]
        yield DockerHit(instruction=anchor, message="no HEALTHCHECK instruction")


class ExposeSsh(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-008",
        root_cause=RootCause.REMOTE_SHELL_PORT,
        title="SSH port 22 exposed",
        severity=Severity.MEDIUM,
        description="An SSH daemon in a container is a second, unmanaged way in; use exec instead.",
        remediation="Remove `EXPOSE 22` and the SSH server.",
        peers={"trivy": "DS004"},
        frameworks={"mitre-attack-containers": ("T1133",)},
    )

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        for instruction in dockerfile.instructions:
            if instruction.keyword != "EXPOSE":
                continue
            for port in instruction.arguments.split():
                if port.split("/", 1)[0] == "22":
                    yield DockerHit(instruction=instruction, message="port 22 exposed")


class Maintainer(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-009",
        title="MAINTAINER is deprecated",
        severity=Severity.LOW,
        description="MAINTAINER is deprecated; its value is not queryable like a label.",
        remediation='Use `LABEL org.opencontainers.image.authors="..."`.',
        peers={"hadolint": "DL4000", "trivy": "DS022"},
    )

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        for instruction in dockerfile.instructions:
            if instruction.keyword == "MAINTAINER":
                yield DockerHit(instruction=instruction, message="MAINTAINER is deprecated")


class RelativeWorkdir(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-010",
        title="Relative WORKDIR",
        severity=Severity.LOW,
        description="A relative WORKDIR depends on every earlier WORKDIR: easy to break.",
        remediation="Use an absolute path in WORKDIR.",
        peers={"hadolint": "DL3000", "trivy": "DS009"},
    )

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        for instruction in dockerfile.instructions:
            if instruction.keyword != "WORKDIR":
                continue
            path = instruction.arguments.strip().strip("\"'")
            windows = re.match(r"^[A-Za-z]:[\\/]", path) is not None
            if path and not path.startswith(("/", "$")) and not windows:
                yield DockerHit(
                    instruction=instruction, message=f"WORKDIR {path} is relative", evidence=path
                )


class _Repeated(DockerfileCheck):
    keyword: str

    def evaluate(self, dockerfile: Dockerfile) -> Iterable[DockerHit]:
        for stage in dockerfile.stages:
            found = [i for i in stage.instructions if i.keyword == self.keyword and not i.onbuild]
            for instruction in found[:-1]:
                yield DockerHit(
                    instruction=instruction,
                    message=f"{self.keyword} overridden by a later {self.keyword} in this stage",
                )


class MultipleCmd(_Repeated):
    keyword = "CMD"
    rule = docker_rule(
        id="SL-DF-011",
        title="Multiple CMD instructions",
        severity=Severity.LOW,
        description="Only the last CMD of a stage takes effect; the others mislead readers.",
        remediation="Keep one CMD per stage.",
        peers={"hadolint": "DL4003", "trivy": "DS016"},
    )


class MultipleEntrypoint(_Repeated):
    keyword = "ENTRYPOINT"
    rule = docker_rule(
        id="SL-DF-012",
        title="Multiple ENTRYPOINT instructions",
        severity=Severity.LOW,
        description="Only the last ENTRYPOINT of a stage takes effect.",
        remediation="Keep one ENTRYPOINT per stage.",
        peers={"hadolint": "DL4004", "trivy": "DS007"},
    )


IMAGE_CHECKS: tuple[DockerfileCheck, ...] = (
    LastUserRoot(),
    NoUser(),
    UntaggedBase(),
    LatestBase(),
    BaseNotPinned(),
    SecretInArgEnv(),
    NoHealthcheck(),
    ExposeSsh(),
    Maintainer(),
    RelativeWorkdir(),
    MultipleCmd(),
    MultipleEntrypoint(),
)
