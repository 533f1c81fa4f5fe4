"""Dockerfile checks of build robustness: shells, signals, stages and user creation.

None of these is an exploit on its own; each is a way a build silently does something
other than what its author meant (a failed download piped into a shell still "succeeds",
a shell-form CMD swallows SIGTERM, a duplicated stage name copies from the wrong stage).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from secloop.core.severity import Severity
from secloop.scan.misconfig.dockerfile.base import DockerfileCheck, DockerHit, RunCheck, docker_rule
from secloop.scan.misconfig.dockerfile.parser import Dockerfile, Instruction
from secloop.scan.misconfig.dockerfile.shell import Command, program

__all__ = ["STYLE_CHECKS"]

_BEST = "https://docs.docker.com/build/building/best-practices/"
_NON_POSIX_SHELLS = ("pwsh", "powershell", "cmd")
_PIPEFAIL_SHELLS = frozenset({"bash", "zsh", "ash", "ksh", "mksh"})


def _shell_has_pipefail(shell: Instruction) -> bool | None:
    """True/False for a POSIX-ish SHELL; None when the shell is not POSIX (PowerShell, cmd)."""
    words = shell.exec_form or tuple(shell.arguments.split())
    if not words:
        return False
    name = words[0].rsplit("/", 1)[-1].lower()
    if name.startswith(_NON_POSIX_SHELLS):
        return None
    if name not in _PIPEFAIL_SHELLS:
        return False  # /bin/sh (dash) has no pipefail, whatever the flags say
    return "pipefail" in words


class Pipefail(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-034", title="Pipe in RUN without pipefail", severity=Severity.LOW,
        description=(
            "A RUN's exit status is the last command's: in `curl ... | tar x` a failed download "
            "still builds an image. `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` (or "
            "`set -o pipefail` in the RUN) makes the build fail instead."
        ),
        remediation='Add `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before the RUN.',
        references=("https://docs.docker.com/reference/dockerfile/#shell",),
        peers={"hadolint": "DL4006"},
    )  # fmt: skip

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        shell: dict[int, bool | None] = {}
        for instruction in dockerfile.instructions:
            if instruction.keyword == "SHELL":
                shell[instruction.stage] = _shell_has_pipefail(instruction)
            elif instruction.keyword == "RUN" and instruction.exec_form is None:
                state = shell.get(instruction.stage, False)
                if state is False and self._pipes(instruction):
                    yield DockerHit(instruction=instruction, message="pipe without pipefail")

    @staticmethod
    def _pipes(instruction: Instruction) -> bool:
        if "pipefail" in instruction.text:
            return False  # ``set -o pipefail`` inside the RUN itself
        return any(command.piped_from for command in instruction.commands)


class AptNotAptGet(RunCheck):
    rule = docker_rule(
        id="SL-DF-035", title="apt used instead of apt-get", severity=Severity.LOW,
        description="`apt` is for people: its interface and output are not stable for scripts.",
        remediation="Use `apt-get` (or `apt-cache`).",
        references=(_BEST,), peers={"hadolint": "DL3027"},
    )  # fmt: skip

    def check_run(
        self, dockerfile: Dockerfile, instruction: Instruction, cmds: list[Command]
    ) -> Iterable[DockerHit]:
        if any(program(command)[0] == "apt" for command in cmds):
            yield DockerHit(instruction=instruction, message="RUN uses apt")


def _uid(args: tuple[str, ...]) -> str | None:
    for index, arg in enumerate(args):
        if arg in {"-u", "--uid"} and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--uid="):
            return arg.removeprefix("--uid=")
        if arg.startswith("-u") and arg[2:].isdigit():
            return arg[2:]
    return None


class UseraddHighUid(RunCheck):
    rule = docker_rule(
        id="SL-DF-036", title="useradd with a high UID without -l", severity=Severity.LOW,
        description=(
            "useradd records every UID in /var/log/lastlog and faillog, sparse files sized by "
            "the highest UID: a large UID without `-l` (`--no-log-init`) can write gigabytes "
            "into the layer."
        ),
        remediation="Add `-l` (`--no-log-init`) to useradd.",
        references=(_BEST,), peers={"hadolint": "DL3046"},
    )  # fmt: skip

    def check_run(
        self, dockerfile: Dockerfile, instruction: Instruction, cmds: list[Command]
    ) -> Iterable[DockerHit]:
        for command in cmds:
            name, args = program(command)
            uid = _uid(args) if name == "useradd" else None
            no_log = {"-l", "--no-log-init"} & set(args)
            if uid is not None and uid.isdigit() and len(uid) > 5 and not no_log:
                yield DockerHit(instruction=instruction, message=f"useradd -u {uid} without -l")
                return


class ShellFormEntrypoint(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-037", title="CMD or ENTRYPOINT in shell form", severity=Severity.LOW,
        description=(
            "The shell form runs the program under `/bin/sh -c`, which becomes PID 1 and does "
            "not forward SIGTERM: the container is killed after the grace period instead of "
            "shutting down cleanly. (HEALTHCHECK in shell form is not reported: no signals.)"
        ),
        remediation='Use the exec form: `CMD ["gunicorn", "app:app"]`.',
        references=("https://docs.docker.com/reference/dockerfile/#shell-and-exec-form",),
        peers={"hadolint": "DL3025"},
    )  # fmt: skip

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        for instruction in dockerfile.instructions:
            if instruction.keyword in {"CMD", "ENTRYPOINT"} and instruction.exec_form is None:
                yield DockerHit(
                    instruction=instruction, message=f"{instruction.keyword} in shell form"
                )


class CurlAndWget(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-038", title="Both curl and wget used", severity=Severity.LOW,
        description="Two download tools in one stage add size and attack surface for nothing.",
        remediation="Use one of curl or wget throughout the stage.",
        references=(_BEST,), peers={"hadolint": "DL4001"},
    )  # fmt: skip

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        seen: dict[int, set[str]] = {}
        for instruction in dockerfile.instructions:
            if instruction.keyword != "RUN":
                continue
            tools = seen.setdefault(instruction.stage, set())
            before = len(tools)
            tools.update(
                program(c)[0] for c in instruction.commands if program(c)[0] in {"curl", "wget"}
            )
            if len(tools) == 2 and before < 2:
                yield DockerHit(instruction=instruction, message="stage uses both curl and wget")


class DuplicateStageName(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-039", title="Duplicate stage name", severity=Severity.MEDIUM,
        description="Two stages with one name make `COPY --from` and `--target` ambiguous.",
        remediation="Give every stage a unique `AS` name.",
        references=("https://docs.docker.com/build/building/multi-stage/",),
        peers={"hadolint": "DL3024"},
    )  # fmt: skip

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        names: set[str] = set()
        for stage in dockerfile.stages:
            alias = (stage.alias or "").lower()
            if alias and alias in names:
                yield DockerHit(
                    instruction=stage.from_instruction, message=f"stage {alias} repeated"
                )
            names.add(alias)


class CopyFromOwnStage(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-040", title="COPY --from its own stage", severity=Severity.MEDIUM,
        description="A stage cannot copy from itself: the build fails or pulls an image so named.",
        remediation="Copy from an earlier stage, or from an image by its full reference.",
        references=("https://docs.docker.com/build/building/multi-stage/",),
        peers={"hadolint": "DL3023"},
    )  # fmt: skip

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        for stage in dockerfile.stages:
            alias = (stage.alias or "").lower()
            for instruction in stage.instructions:
                source = instruction.flags.get("from", "").lower()
                if instruction.keyword == "COPY" and alias and source == alias:
                    yield DockerHit(
                        instruction=instruction, message=f"COPY --from={alias} in {alias}"
                    )


STYLE_CHECKS: tuple[DockerfileCheck, ...] = (
    Pipefail(),
    AptNotAptGet(),
    UseraddHighUid(),
    ShellFormEntrypoint(),
    CurlAndWget(),
    DuplicateStageName(),
    CopyFromOwnStage(),
)
