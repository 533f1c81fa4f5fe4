"""Dockerfile checks of package installs: versions pinned, prompts answered, caches cleaned.

Unpinned installs make the image depend on the day it was built rather than on the
Dockerfile: a rebuild silently pulls new (possibly compromised or breaking) versions.
Caches left behind add size and stale metadata to every layer that ships.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Iterable
from typing import ClassVar

from secloop.core.severity import Severity
from secloop.scan.misconfig.dockerfile.base import (
    DockerfileCheck,
    DockerHit,
    RunCheck,
    docker_rule,
    mount_targets,
)
from secloop.scan.misconfig.dockerfile.packages import Invocation, invocation, pip_invocation
from secloop.scan.misconfig.dockerfile.parser import Dockerfile, Instruction
from secloop.scan.misconfig.dockerfile.shell import Command, program

__all__ = ["PACKAGE_CHECKS"]

_PIN_DOC = "https://docs.docker.com/build/building/best-practices/#apt-get"
_SUPPLY = {"mitre-attack-containers": ("T1195",)}
_APT_VALUED = frozenset({"-o", "-t", "-c", "--option", "--target-release", "--config-file"})
_APK_VALUED = frozenset(
    {"--repository", "-X", "--virtual", "-t", "--root", "-p", "--arch", "--cache-dir", "--keys-dir"}
)
_PIP_VALUED = frozenset(
    {
        "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
        "--extra-index-url", "--trusted-host", "--build", "--prefix", "--root", "-t",
        "--target", "--root-user-action", "--python", "-f", "--find-links", "--platform",
        "--python-version", "--implementation", "--abi", "--src", "--upgrade-strategy",
        "--progress-bar", "--cache-dir", "--log", "--proxy", "--retries", "--timeout",
        "--exists-action", "--cert", "--client-cert", "-C", "--config-settings",
        "--only-binary", "--no-binary", "--global-option", "--install-option",
    }
)  # fmt: skip
_NPM_VALUED = frozenset({"--registry", "--loglevel", "--prefix", "--cache", "--tag", "-w"})
_YUM_VALUED = frozenset({"--setopt", "--enablerepo", "--disablerepo", "--installroot", "-c"})
_PIP_SPEC = re.compile(r"(===?|>=|<=|~=|!=|<|>)")
_ARCHIVE = re.compile(r"\.(whl|tar|tar\.gz|tgz|zip|tar\.bz2|deb|rpm|apk)$", re.I)


class _PinCheck(RunCheck):
    """Fires once per RUN whose install leaves a package unpinned."""

    what: ClassVar[str]

    def check_run(
        self, dockerfile: Dockerfile, instruction: Instruction, cmds: list[Command]
    ) -> Iterable[DockerHit]:
        for command in cmds:
            found = self.install(command)
            loose = [p for p in found.packages if not self.pinned(p)] if found else []
            if loose:
                yield DockerHit(
                    instruction=instruction,
                    message=f"{self.what} without a version: {' '.join(loose)}",
                    evidence=" ".join(loose),
                )
                return

    @abstractmethod
    def install(self, command: Command) -> Invocation | None:
        """The package-manager invocation in ``command``, if it installs packages."""

    @abstractmethod
    def pinned(self, package: str) -> bool:
        """True when ``package`` names an exact version in this manager's syntax."""


class AptPin(_PinCheck):
    what = "apt-get install"
    rule = docker_rule(
        id="SL-DF-024", title="apt-get install without package versions", severity=Severity.LOW,
        description="Unpinned apt packages make rebuilds install whatever the mirror has that day.",
        remediation="Pin versions: `apt-get install -y curl=8.5.0-2`.",
        references=(_PIN_DOC,), peers={"hadolint": "DL3008"}, frameworks=_SUPPLY,
    )  # fmt: skip

    def install(self, command: Command) -> Invocation | None:
        return invocation(command, "apt-get", frozenset({"install"}), _APT_VALUED)

    def pinned(self, package: str) -> bool:
        return "=" in package or _ARCHIVE.search(package) is not None or "/" in package


class ApkPin(_PinCheck):
    what = "apk add"
    rule = docker_rule(
        id="SL-DF-025", title="apk add without package versions", severity=Severity.LOW,
        description="Unpinned apk packages make rebuilds install whatever the index has that day.",
        remediation="Pin versions: `apk add --no-cache curl=8.5.0-r0` (or `~8.5`).",
        references=(_PIN_DOC,), peers={"hadolint": "DL3018"}, frameworks=_SUPPLY,
    )  # fmt: skip

    def install(self, command: Command) -> Invocation | None:
        return invocation(command, "apk", frozenset({"add"}), _APK_VALUED)

    def pinned(self, package: str) -> bool:
        return any(c in package for c in "=~<>") or package.endswith(".apk")


def _git_pinned(url: str) -> bool:
    """A VCS URL pins a revision with ``@rev`` after its last path segment."""
    return "@" in url.split("#", 1)[0].rsplit("/", 1)[-1]


class PipPin(_PinCheck):
    what = "pip install"
    rule = docker_rule(
        id="SL-DF-026", title="pip install without package versions", severity=Severity.LOW,
        description=(
            "Unpinned pip packages resolve to the newest release at build time, so a malicious "
            "or breaking release reaches the image on the next build. Requirement files, "
            "constraints, local paths, archives and VCS URLs pinned with `@rev` are accepted."
        ),
        remediation="Pin with `==` (or use `-r requirements.txt` / `-c constraints.txt`).",
        references=("https://pip.pypa.io/en/stable/topics/repeatable-installs/",),
        peers={"hadolint": "DL3013"}, frameworks=_SUPPLY,
    )  # fmt: skip

    def install(self, command: Command) -> Invocation | None:
        found = pip_invocation(command, _PIP_VALUED)
        if found is None or {"-c", "--constraint"} & set(found.flags):
            return None
        return found

    def pinned(self, package: str) -> bool:
        if package.startswith(("git+", "hg+", "svn+", "bzr+")):
            return _git_pinned(package)
        if _PIP_SPEC.search(package) or _ARCHIVE.search(package):
            return True
        return "/" in package or package in {".", ".."} or package.startswith("$")


class NpmPin(_PinCheck):
    what = "npm install"
    rule = docker_rule(
        id="SL-DF-027", title="npm install without package versions", severity=Severity.LOW,
        description=(
            "`npm install <pkg>` without a version takes the newest release at build time. A "
            "bare `npm install` (or `npm ci`) reads the lockfile and is not reported."
        ),
        remediation="Pin with `pkg@1.2.3`, or install from package-lock.json with `npm ci`.",
        references=("https://docs.npmjs.com/cli/commands/npm-install",),
        peers={"hadolint": "DL3016"}, frameworks=_SUPPLY,
    )  # fmt: skip

    def install(self, command: Command) -> Invocation | None:
        return invocation(command, "npm", frozenset({"install", "i", "add"}), _NPM_VALUED)

    def pinned(self, package: str) -> bool:
        if package.startswith(("./", "../", "/", "~")) or _ARCHIVE.search(package):
            return True
        if package.startswith("git") or "://" in package:
            return "#" in package
        return package.rfind("@") > 0


class YumPin(_PinCheck):
    what = "yum install"
    rule = docker_rule(
        id="SL-DF-028", title="yum install without package versions", severity=Severity.LOW,
        description="Unpinned yum packages make rebuilds install whatever the repository has.",
        remediation="Pin versions: `yum install -y httpd-2.4.57` (modules: `name:stream`).",
        references=(_PIN_DOC,), peers={"hadolint": "DL3033"}, frameworks=_SUPPLY,
    )  # fmt: skip

    def install(self, command: Command) -> Invocation | None:
        found = invocation(command, "yum", frozenset({"install", "module"}), _YUM_VALUED)
        if found is not None and found.subcommand == "module":
            if not found.packages or found.packages[0] != "install":
                return None
            return Invocation("yum", "module", found.flags, found.packages[1:])
        return found

    def pinned(self, package: str) -> bool:
        return re.search(r"-\d", package) is not None or ":" in package or package.endswith(".rpm")


def _yes_flags(flags: Iterable[str], yes: frozenset[str], short: str) -> bool:
    return any(
        f in yes or (f.startswith("-") and not f.startswith("--") and short in f) for f in flags
    )


def _quiet_level(flags: Iterable[str]) -> int:
    level = 0
    for flag in flags:
        if flag == "--quiet":
            level += 1
        elif flag.startswith("-q="):
            level += int(flag[3:]) if flag[3:].isdigit() else 1
        elif flag.startswith("-") and not flag.startswith("--"):
            level += flag.count("q")
    return level


class AptAssumeYes(RunCheck):
    rule = docker_rule(
        id="SL-DF-029", title="apt-get install without -y", severity=Severity.LOW,
        description="Without `-y` apt-get waits for a confirmation no one gives: the build fails.",
        remediation="Use `apt-get install -y ...`.",
        references=(_PIN_DOC,), peers={"hadolint": "DL3014"},
    )  # fmt: skip

    def check_run(
        self, dockerfile: Dockerfile, instruction: Instruction, cmds: list[Command]
    ) -> Iterable[DockerHit]:
        for command in cmds:
            name, args = program(command)
            if name != "apt-get" or "install" not in args:
                continue
            flags = [a for a in args if a.startswith("-")]
            yes = _yes_flags(flags, frozenset({"--yes", "--assume-yes", "--force-yes"}), "y")
            if not yes and _quiet_level(flags) < 2:
                yield DockerHit(instruction=instruction, message="apt-get install without -y")
                return


class YumAssumeYes(RunCheck):
    rule = docker_rule(
        id="SL-DF-030", title="yum install without -y", severity=Severity.LOW,
        description="Without `-y` yum waits for a confirmation no one gives: the build fails.",
        remediation="Use `yum install -y ...`.",
        references=(_PIN_DOC,), peers={"hadolint": "DL3030"},
    )  # fmt: skip

    def check_run(
        self, dockerfile: Dockerfile, instruction: Instruction, cmds: list[Command]
    ) -> Iterable[DockerHit]:
        for command in cmds:
            name, args = program(command)
            if name != "yum" or not {"install", "groupinstall", "localinstall"} & set(args):
                continue
            if not _yes_flags(
                [a for a in args if a.startswith("-")], frozenset({"--assumeyes"}), "y"
            ):
                yield DockerHit(instruction=instruction, message="yum install without -y")
                return


class _CacheCleanCheck(RunCheck):
    """An install by ``managers`` must be followed, in the same RUN, by a cache cleanup.

    Cleanup is ``<manager> clean ...`` or ``rm`` of one of ``caches``; a cache or tmpfs
    mount over one of ``caches`` keeps the files out of the layer and counts too.
    """

    managers: ClassVar[frozenset[str]]
    installs: ClassVar[frozenset[str]] = frozenset(
        {"install", "in", "groupinstall", "localinstall"}
    )
    cleans: ClassVar[frozenset[str]] = frozenset({"clean"})
    caches: ClassVar[tuple[str, ...]]

    def check_run(
        self, dockerfile: Dockerfile, instruction: Instruction, cmds: list[Command]
    ) -> Iterable[DockerHit]:
        if any(t.startswith(self.caches) for t in mount_targets(instruction)):
            return
        installed: dict[str, int] = {}  # manager -> first install; a clean by the same
        cleaned: dict[str, int] = {}  # manager (or "rm") -> last cleanup, by command index
        for index, command in enumerate(cmds):
            name, args = program(command)
            if name != "rm" and name not in self.managers:
                continue  # most commands: skip building the word list
            words = [a for a in args if not a.startswith("-")]
            if name in self.managers and words and words[0] in self.installs:
                installed.setdefault(name, index)
            elif name in self.managers and words and words[0] in self.cleans:
                cleaned[name] = index
            elif name == "rm" and any(a.startswith(self.caches) for a in args):
                cleaned["rm"] = index
        for manager, at in installed.items():
            if max(cleaned.get(manager, -1), cleaned.get("rm", -1)) < at:
                yield DockerHit(
                    instruction=instruction,
                    message=f"{manager} install leaves its cache in the layer",
                )
                return


class YumClean(_CacheCleanCheck):
    managers = frozenset({"yum"})
    caches = ("/var/cache/yum",)
    rule = docker_rule(
        id="SL-DF-031", title="yum install without yum clean all", severity=Severity.LOW,
        description="yum's package cache stays in the layer: size and stale metadata.",
        remediation="End the RUN with `&& yum clean all` (or `rm -rf /var/cache/yum`).",
        references=(_PIN_DOC,), peers={"hadolint": "DL3032"},
    )  # fmt: skip


class DnfClean(_CacheCleanCheck):
    managers = frozenset({"dnf", "microdnf", "dnf5"})
    installs = frozenset(
        {
            "install", "in", "groupinstall", "localinstall", "reinstall", "rei", "upgrade",
            "up", "update", "upgrade-minimal", "up-min", "distro-sync",
        }
    )  # fmt: skip
    caches = ("/var/cache/dnf", "/var/cache/yum", "/var/cache/libdnf5")
    rule = docker_rule(
        id="SL-DF-032", title="dnf install without dnf clean all", severity=Severity.LOW,
        description="dnf's package cache stays in the layer: size and stale metadata.",
        remediation="End the RUN with `&& dnf clean all` (or `rm -rf /var/cache/dnf`).",
        references=(_PIN_DOC,), peers={"hadolint": "DL3040"},
    )  # fmt: skip


class ZypperClean(_CacheCleanCheck):
    managers = frozenset({"zypper"})
    cleans = frozenset({"clean", "cc"})
    caches = ("/var/cache/zypp",)
    rule = docker_rule(
        id="SL-DF-033", title="zypper install without zypper clean", severity=Severity.LOW,
        description="zypper's package cache stays in the layer: size and stale metadata.",
        remediation="End the RUN with `&& zypper clean` (or `zypper cc`).",
        references=(_PIN_DOC,), peers={"hadolint": "DL3036"},
    )  # fmt: skip


PACKAGE_CHECKS: tuple[DockerfileCheck, ...] = (
    AptPin(),
    ApkPin(),
    PipPin(),
    NpmPin(),
    YumPin(),
    AptAssumeYes(),
    YumAssumeYes(),
    YumClean(),
    DnfClean(),
    ZypperClean(),
)
