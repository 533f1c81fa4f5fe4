"""Dockerfile checks of what the build does: RUN commands, ADD sources."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator

from secloop.core.root_cause import RootCause
from secloop.core.severity import Severity
from secloop.scan.misconfig.dockerfile.base import (
    DockerfileCheck,
    DockerHit,
    RunCheck,
    ancestry,
    docker_rule,
    mount_targets,
    run_commands,
    stage_of,
)
from secloop.scan.misconfig.dockerfile.parser import Dockerfile, Instruction, Stage
from secloop.scan.misconfig.dockerfile.shell import Command, program

__all__ = ["RUN_CHECKS"]

_BEST = "https://docs.docker.com/build/building/best-practices/"
_URL = re.compile(r"^(https?|ftp)://", re.IGNORECASE)
_ARCHIVE = re.compile(r"\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|gz|bz2|xz)$", re.I)
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash"})
_FETCH = re.compile(r"\b(curl|wget)\b")
_SUBSHELL_FETCH = re.compile(
    r"\b(ba|z|da|k)?sh\s+(-\w+\s+)*(-c\s+)?[\"']?(\$\(|<\()\s*(curl|wget)\b"
)


def _is_apt_get(name: str, args: tuple[str, ...], sub: str) -> bool:
    return name == "apt-get" and sub in args


def _sources(instruction: Instruction) -> list[str]:
    if instruction.exec_form is not None:
        return list(instruction.exec_form[:-1])
    words = instruction.arguments.split()
    return [w.strip("\"'") for w in words[:-1]]


class AddLocalFiles(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-013",
        title="ADD used for local files",
        severity=Severity.LOW,
        description=(
            "ADD also fetches URLs and unpacks archives; COPY does only what it says, so a "
            "renamed file cannot silently change the build's behaviour."
        ),
        remediation="Use COPY for files and directories; keep ADD for archives to extract.",
        references=(_BEST,),
        peers={"hadolint": "DL3020", "trivy": "DS005"},
        frameworks={"cis-docker": ("4.9",)},
    )

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        for instruction in dockerfile.instructions:
            if instruction.keyword != "ADD" or instruction.heredocs:
                continue
            sources = _sources(instruction)
            local = [s for s in sources if not _URL.match(s) and not _ARCHIVE.search(s)]
            if local and not any(s.startswith("git@") for s in sources):
                yield DockerHit(
                    instruction=instruction,
                    message=f"ADD of local files {' '.join(local)}; use COPY",
                    evidence=" ".join(local),
                )


class AddRemoteUrl(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-014",
        root_cause=RootCause.UNVERIFIED_REMOTE_ADD,
        title="ADD downloads a remote URL without a checksum",
        severity=Severity.MEDIUM,
        description=(
            "ADD <url> fetches whatever the server returns at build time, unverified; a "
            "compromised or spoofed server injects content into the image."
        ),
        remediation="Use `ADD --checksum=sha256:...` or download and verify in a RUN step.",
        references=("https://docs.docker.com/reference/dockerfile/#add---checksum",),
        frameworks={"mitre-attack-containers": ("T1195",)},
    )

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        for instruction in dockerfile.instructions:
            if instruction.keyword != "ADD" or "checksum" in instruction.flags:
                continue
            for source in _sources(instruction):
                if _URL.match(source):
                    yield DockerHit(
                        instruction=instruction, message=f"ADD {source} is not verified"
                    )


class PipeToShell(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-015",
        root_cause=RootCause.REMOTE_SCRIPT_IN_BUILD,
        title="Remote script piped to a shell",
        severity=Severity.HIGH,
        description=(
            "`curl ... | sh` runs whatever the server sends, unverified, as the build user "
            "(usually root)."
        ),
        remediation="Download to a file, verify its checksum or signature, then run it.",
        frameworks={"mitre-attack-containers": ("T1195", "T1059")},
    )

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        for instruction in dockerfile.instructions:
            if instruction.keyword == "RUN" and self._pipes(instruction):
                yield DockerHit(instruction=instruction, message="remote content run by a shell")

    @staticmethod
    def _pipes(instruction: Instruction) -> bool:
        text = instruction.text
        if not _FETCH.search(text):
            return False
        if _SUBSHELL_FETCH.search(text):
            return True
        fetching = False
        for command in run_commands(instruction):
            name, _ = program(command)
            if command.piped_from and fetching and name in _SHELLS | {"python", "python3"}:
                return True
            fetching = name in {"curl", "wget"} or (command.piped_from and fetching)
        return False


class AptNoInstallRecommends(RunCheck):
    rule = docker_rule(
        id="SL-DF-016",
        title="apt-get install without --no-install-recommends",
        severity=Severity.LOW,
        description="Recommended packages bloat the image and its attack surface.",
        remediation="Use `apt-get install -y --no-install-recommends ...`.",
        references=(_BEST,),
        peers={"hadolint": "DL3015", "trivy": "DS029"},
    )

    def check_run(
        self, dockerfile: Dockerfile, instruction: Instruction, cmds: list[Command]
    ) -> Iterable[DockerHit]:
        for command in cmds:
            name, args = program(command)
            if _is_apt_get(name, args, "install") and not any(
                a in {"--no-install-recommends", "-o=APT::Install-Recommends=false"}
                or "Install-Recommends=false" in a
                for a in args
            ):
                yield DockerHit(instruction=instruction, message="apt-get install pulls recommends")
                return


def _docker_clean_removed(
    dockerfile: Dockerfile, instruction: Instruction, stage: Stage | None
) -> bool:
    """Whether this RUN, or an earlier one the image builds on, removes apt's docker-clean.

    Debian images delete downloaded archives through /etc/apt/apt.conf.d/docker-clean;
    once a RUN removes it (to keep a cache mount warm), the archives of every later
    install stay in the layer unless /var/cache/apt is a cache mount too.
    """
    stages = {s.index for s in ancestry(dockerfile, stage)} | {instruction.stage}
    return any(
        "docker-clean" in earlier.text
        for earlier in dockerfile.instructions
        if earlier.keyword == "RUN"
        and earlier.stage in stages
        and earlier.start_line <= instruction.start_line
    )


class AptListsNotCleaned(RunCheck):
    rule = docker_rule(
        id="SL-DF-017",
        title="apt lists not removed after install",
        severity=Severity.LOW,
        description="/var/lib/apt/lists left in a layer adds tens of megabytes and stale metadata.",
        remediation="End the same RUN with `&& rm -rf /var/lib/apt/lists/*`.",
        references=(_BEST,),
        peers={"hadolint": "DL3009"},
    )

    def check_run(
        self, dockerfile: Dockerfile, instruction: Instruction, cmds: list[Command]
    ) -> Iterable[DockerHit]:
        stage = stage_of(dockerfile, instruction)
        shipped = instruction.onbuild or stage is None
        if not shipped and stage not in ancestry(dockerfile, dockerfile.final_stage):
            return  # a stage the final image does not build on never ships its layers
        targets = mount_targets(instruction)
        lists_cached = any(t.startswith("/var/lib/apt") for t in targets)
        archives_cleaned = "/var/cache/apt" in targets or not _docker_clean_removed(
            dockerfile, instruction, stage
        )
        if lists_cached and archives_cleaned:
            return  # apt lists are a build cache; archives are cleaned by docker-clean
        installs = any(
            program(c)[0] in {"apt-get", "apt", "aptitude"} and "install" in program(c)[1]
            for c in cmds
        )
        cleaned = "/var/lib/apt/lists" in instruction.text and any(
            program(c)[0] == "rm" for c in cmds
        )
        if installs and not cleaned:
            yield DockerHit(instruction=instruction, message="apt lists stay in the layer")


class Sudo(RunCheck):
    rule = docker_rule(
        id="SL-DF-018",
        title="sudo used in RUN",
        severity=Severity.MEDIUM,
        description="sudo has unpredictable TTY and signal behaviour in builds; it also bloats.",
        remediation="Run as root for that step (USER root), or use gosu/su-exec at runtime.",
        peers={"hadolint": "DL3004", "trivy": "DS010"},
    )

    def check_run(
        self, dockerfile: Dockerfile, instruction: Instruction, cmds: list[Command]
    ) -> Iterable[DockerHit]:
        for command in cmds:
            words = [w for w in command.words if not ("=" in w and not w.startswith("-"))]
            if words and words[0].rsplit("/", 1)[-1] == "sudo":
                yield DockerHit(instruction=instruction, message="RUN uses sudo")
                return


class ChmodWorldWritable(RunCheck):
    rule = docker_rule(
        id="SL-DF-019",
        title="chmod 777",
        severity=Severity.MEDIUM,
        description="World-writable files let any process in the container rewrite them.",
        remediation="Grant the narrowest mode the owner needs (e.g. 755, 644).",
        frameworks={"mitre-attack-containers": ("T1222",)},
    )

    def check_run(
        self, dockerfile: Dockerfile, instruction: Instruction, cmds: list[Command]
    ) -> Iterable[DockerHit]:
        for command in cmds:
            name, args = program(command)
            if name == "chmod" and any(a in {"777", "0777", "a+rwx", "ugo+rwx"} for a in args):
                yield DockerHit(instruction=instruction, message="chmod makes files world-writable")
                return


_TRUTHY_NO_CACHE = re.compile(r"\bPIP_NO_CACHE_DIR[= ]\s*[\"']?(1|true|yes|on)\b", re.I)


def _pip_no_cache_env(dockerfile: Dockerfile, instruction: Instruction) -> bool:
    """``PIP_NO_CACHE_DIR`` set truthy by ENV/ARG earlier in the stage chain, or inline."""
    if _TRUTHY_NO_CACHE.search(instruction.text):
        return True
    chain = ancestry(dockerfile, stage_of(dockerfile, instruction))
    scope = [i for s in chain for i in s.instructions] if chain else dockerfile.instructions
    return any(
        i.keyword in {"ENV", "ARG"} and _TRUTHY_NO_CACHE.search(f"{i.keyword} {i.arguments}")
        for i in scope
        if i.start_line < instruction.start_line
    )


class PipCache(RunCheck):
    rule = docker_rule(
        id="SL-DF-020",
        title="pip install without --no-cache-dir",
        severity=Severity.LOW,
        description="pip's wheel cache ends up in the layer: size without benefit.",
        remediation="Use `pip install --no-cache-dir ...` or set `ENV PIP_NO_CACHE_DIR=1`.",
        peers={"hadolint": "DL3042"},
    )

    def check_run(
        self, dockerfile: Dockerfile, instruction: Instruction, cmds: list[Command]
    ) -> Iterable[DockerHit]:
        if _pip_no_cache_env(dockerfile, instruction) or any(
            "pip" in t for t in mount_targets(instruction)
        ):
            return
        for command in cmds:
            name, args = program(command)
            if name in {"python", "python3"} and args[:2] == ("-m", "pip"):
                name, args = "pip", args[2:]
            is_pip = re.fullmatch(r"pip([23](\.\d+)?)?", name) is not None
            if is_pip and "install" in args and "--no-cache-dir" not in args:
                yield DockerHit(instruction=instruction, message="pip install keeps its cache")
                return


class AptUpgrade(RunCheck):
    rule = docker_rule(
        id="SL-DF-021",
        title="apt-get upgrade in the build",
        severity=Severity.LOW,
        description=(
            "Upgrading all packages makes the image depend on the build date, not on the "
            "Dockerfile; update the base image instead."
        ),
        remediation="Rebuild on a newer base image; pin the packages you need.",
        peers={"trivy": "DS024"},
    )

    def check_run(
        self, dockerfile: Dockerfile, instruction: Instruction, cmds: list[Command]
    ) -> Iterable[DockerHit]:
        for command in cmds:
            name, args = program(command)
            if name in {"apt-get", "apt"} and {"upgrade", "dist-upgrade"} & set(args):
                yield DockerHit(instruction=instruction, message=f"{name} upgrade in RUN")
                return


class ApkNoCache(RunCheck):
    rule = docker_rule(
        id="SL-DF-022",
        title="apk add without --no-cache",
        severity=Severity.LOW,
        description="The apk index cache stays in the layer.",
        remediation="Use `apk add --no-cache ...`.",
        peers={"hadolint": "DL3019", "trivy": "DS025"},
    )

    def check_run(
        self, dockerfile: Dockerfile, instruction: Instruction, cmds: list[Command]
    ) -> Iterable[DockerHit]:
        if any(t.startswith("/var/cache/apk") for t in mount_targets(instruction)):
            return
        for command in cmds:
            name, args = program(command)
            if name == "apk" and "add" in args and "--no-cache" not in args:
                yield DockerHit(instruction=instruction, message="apk add keeps its cache")
                return


class CdInRun(RunCheck):
    rule = docker_rule(
        id="SL-DF-023",
        title="cd used instead of WORKDIR",
        severity=Severity.LOW,
        description="`cd` in RUN lasts one step; WORKDIR states the directory for all that follow.",
        remediation="Use WORKDIR to change directory.",
        peers={"hadolint": "DL3003", "trivy": "DS013"},
    )

    def check_run(
        self, dockerfile: Dockerfile, instruction: Instruction, cmds: list[Command]
    ) -> Iterable[DockerHit]:
        for command in cmds:
            if command.words and command.words[0] == "cd":
                yield DockerHit(instruction=instruction, message="RUN changes directory with cd")
                return


_SENSITIVE_FILE = re.compile(
    r"(secret|passw|token|credential|private|id_rsa|id_ed25519|\.pem$|\.key$|\.p12$"
    r"|\.pfx$|\.env$|\.netrc$|\.npmrc$|\.pypirc$|kubeconfig)",
    re.IGNORECASE,
)


def _copied_paths(instruction: Instruction, workdir: str) -> list[str]:
    """Absolute paths a COPY/ADD from the build context writes (``--from`` copies are not)."""
    words = instruction.exec_form or tuple(instruction.arguments.split())
    if instruction.flags.get("from") or len(words) < 2:
        return []
    *sources, destination = words
    if not destination.startswith("/"):
        destination = posixpath.join(workdir, destination)
    if destination.endswith("/") or len(sources) > 1:
        return [posixpath.join(destination, posixpath.basename(s.rstrip("/"))) for s in sources]
    return [posixpath.normpath(destination)]


def _removed_paths(cmds: Iterable[Command], workdir: str) -> list[str]:
    removed: list[str] = []
    for command in cmds:
        name, args = program(command)
        if name == "rm":
            removed += [
                posixpath.normpath(a if a.startswith("/") else posixpath.join(workdir, a))
                for a in args
                if not a.startswith("-") and "*" not in a and "$" not in a
            ]
    return removed


class DeletedInLaterLayer(DockerfileCheck):
    rule = docker_rule(
        id="SL-DF-042",
        title="File copied in, then deleted in a later layer",
        severity=Severity.LOW,
        description=(
            "Each instruction is a layer, and a later `rm` only hides a file: the layer COPY "
            "or ADD created still holds it, and `docker save` or `docker history` gives it "
            "back. A secret (a key, a token, a .env file) deleted this way is published with "
            "the image (HIGH); anything else only bloats it."
        ),
        remediation=(
            "Use the file where it is needed without a layer: `RUN --mount=type=secret` for "
            "secrets, `RUN --mount=type=bind` or a build stage for build inputs."
        ),
        references=("https://docs.docker.com/build/building/secrets/",),
        frameworks={"mitre-attack-containers": ("T1552",)},
    )

    def evaluate(self, dockerfile: Dockerfile) -> Iterator[DockerHit]:
        for stage in dockerfile.stages:
            yield from self._stage(stage)

    def _stage(self, stage: Stage) -> Iterator[DockerHit]:
        copied: dict[str, Instruction] = {}
        workdir = "/"
        for instruction in stage.instructions:
            if instruction.keyword == "WORKDIR" and instruction.arguments:
                workdir = posixpath.join(workdir, instruction.arguments.strip("\"' "))
            elif instruction.keyword in {"COPY", "ADD"}:
                copied.update(dict.fromkeys(_copied_paths(instruction, workdir), instruction))
            elif instruction.keyword == "RUN":
                for path in _removed_paths(instruction.commands, workdir):
                    if path in copied:
                        yield self._hit(path, copied.pop(path), instruction)

    @staticmethod
    def _hit(path: str, source: Instruction, removal: Instruction) -> DockerHit:
        sensitive = _SENSITIVE_FILE.search(posixpath.basename(path)) is not None
        return DockerHit(
            instruction=removal,
            message=f"{path} from the {source.keyword} at line {source.start_line} is deleted "
            "here, but stays in that layer",
            evidence=path,
            severity=Severity.HIGH if sensitive else Severity.LOW,
        )


RUN_CHECKS: tuple[DockerfileCheck, ...] = (
    AddLocalFiles(),
    AddRemoteUrl(),
    PipeToShell(),
    AptNoInstallRecommends(),
    AptListsNotCleaned(),
    Sudo(),
    ChmodWorldWritable(),
    PipCache(),
    AptUpgrade(),
    ApkNoCache(),
    CdInRun(),
    DeletedInLaterLayer(),
)
