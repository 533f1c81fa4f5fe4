"""The image configuration checks (SL-IMG-nnn): user, secrets, history, ports,
health check, OS end of life, and how the image was pulled."""

from __future__ import annotations

import re
from collections.abc import Iterator

from secloop.core.root_cause import RootCause
from secloop.core.severity import Severity
from secloop.scan.image_checks.base import (
    ImageCheck,
    ImageFacts,
    ImageHit,
    history_items,
    image_rule,
    shell_text,
)
from secloop.scan.image_checks.eol import TABLE_REVIEWED, end_of_life
from secloop.scan.misconfig.dockerfile.shell import commands, program

__all__ = ["IMAGE_CHECKS"]

_USER_DOC = "https://github.com/opencontainers/image-spec/blob/main/config.md#properties"
_ROOT_NAMES = frozenset({"", "root", "0"})
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "python", "python3"})
_FETCHERS = frozenset({"curl", "wget"})
_SUBSHELL_FETCH = re.compile(
    r"\b(ba|z|da|k)?sh\s+(-\w+\s+)*(-c\s+)?[\"']?(\$\(|<\()\s*(curl|wget)\b"
)
_ADD_URL = re.compile(r"(?:^|\s)ADD\s+(?:--\S+\s+)*((?:https?|ftp)://\S+)")
_RISKY_PORTS = {"22": "SSH", "23": "Telnet"}
_CREDENTIAL_ADVICE = (
    "Pass secrets at run time (orchestrator secrets, mounted files) or at build time with "
    "`RUN --mount=type=secret`; rotate the exposed credential."
)


class RunsAsRoot(ImageCheck):
    rule = image_rule(
        id="SL-IMG-001",
        root_cause=RootCause.RUNS_AS_ROOT,
        title="Image runs as root",
        severity=Severity.MEDIUM,
        description=(
            "The image configuration's User is empty, `root` or UID 0, so containers run as "
            "root unless the platform overrides the user: a container escape lands as root."
        ),
        remediation="Set a non-root user in the image (`USER 10001` in the Dockerfile).",
        references=(_USER_DOC,),
        peers={"hadolint": "DL3002", "trivy": "DS002"},
        frameworks={"cis-docker": ("4.1",)},
    )

    def evaluate(self, facts: ImageFacts) -> Iterator[ImageHit]:
        user = (facts.config.user or "").strip()
        if user.split(":", 1)[0].strip().lower() in _ROOT_NAMES:
            shown = repr(user) if user else "no user (root)"
            yield ImageHit(message=f"the image runs as {shown}", anchor="user", evidence=user)


def _secret_hits(facts: ImageFacts, text: str, what: str, anchor: str) -> Iterator[ImageHit]:
    for found in facts.secrets.scan(text):
        yield ImageHit(
            message=f"{found.title} in {what}",
            anchor=f"{anchor}:{found.anchor}",
            evidence=found.evidence,
        )


class SecretInEnv(ImageCheck):
    rule = image_rule(
        id="SL-IMG-002",
        root_cause=RootCause.SECRET_IN_ENVIRONMENT,
        title="Secret in the image environment",
        severity=Severity.HIGH,
        description=(
            "A credential in the configuration's Env is readable by anyone who can pull the "
            "image (`docker inspect`) and by every process in the container."
        ),
        remediation=_CREDENTIAL_ADVICE,
        peers={"trivy": "DS031"},
    )

    def evaluate(self, facts: ImageFacts) -> Iterator[ImageHit]:
        for variable in facts.config.env:
            name = variable.partition("=")[0]
            yield from _secret_hits(facts, variable, f"ENV {name}", f"env:{name}")


class SecretInLabel(ImageCheck):
    rule = image_rule(
        id="SL-IMG-003",
        title="Secret in an image label",
        severity=Severity.HIGH,
        description="A credential in a label is readable by anyone who can pull the image.",
        remediation=_CREDENTIAL_ADVICE,
    )

    def evaluate(self, facts: ImageFacts) -> Iterator[ImageHit]:
        for key, value in facts.config.labels:
            yield from _secret_hits(facts, f"{key}={value}", f"label {key}", f"label:{key}")


class SecretInHistory(ImageCheck):
    rule = image_rule(
        id="SL-IMG-004",
        title="Secret in the image history",
        severity=Severity.HIGH,
        description=(
            "Build commands are kept in the image history, build arguments included "
            "(`RUN |1 TOKEN=...`): a credential there is readable by anyone who can pull "
            "the image, even when no layer holds it."
        ),
        remediation=_CREDENTIAL_ADVICE,
        peers={"trivy": "DS031"},
    )

    def evaluate(self, facts: ImageFacts) -> Iterator[ImageHit]:
        for item in history_items(facts):
            for hit in _secret_hits(
                facts, item.created_by, f"history entry {item.position}", f"history:{item.position}"
            ):
                yield ImageHit(
                    message=hit.message, anchor=hit.anchor, layer=item.layer, evidence=hit.evidence
                )


def _pipes_remote_to_shell(text: str) -> bool:
    """``curl|wget ... | sh`` (through any pipeline stages) or ``sh -c "$(curl ...)"``."""
    if _SUBSHELL_FETCH.search(text):
        return True
    fetching = False
    for command in commands(text):
        name, _ = program(command)
        if command.piped_from and fetching and name in _SHELLS:
            return True
        fetching = name in _FETCHERS or (command.piped_from and fetching)
    return False


class RemoteScriptInHistory(ImageCheck):
    rule = image_rule(
        id="SL-IMG-005",
        root_cause=RootCause.REMOTE_SCRIPT_IN_BUILD,
        title="Remote script piped to a shell in the image history",
        severity=Severity.HIGH,
        description=(
            "A layer was built by `curl ... | sh`: whatever the server sent ran unverified "
            "as the build user, usually root, and its effects are in the image."
        ),
        remediation="Download to a file, verify its checksum or signature, then run it.",
        frameworks={"mitre-attack-containers": ("T1195", "T1059")},
    )

    def evaluate(self, facts: ImageFacts) -> Iterator[ImageHit]:
        for item in history_items(facts):
            text = shell_text(item.created_by)
            if ("curl" in text or "wget" in text) and _pipes_remote_to_shell(text):
                yield ImageHit(
                    message=f"history entry {item.position} runs remote content in a shell",
                    anchor=f"history:{item.position}",
                    layer=item.layer,
                    evidence=text[:200],
                )


class AddUrlInHistory(ImageCheck):
    rule = image_rule(
        id="SL-IMG-006",
        root_cause=RootCause.UNVERIFIED_REMOTE_ADD,
        title="ADD from a URL in the image history",
        severity=Severity.MEDIUM,
        description=(
            "A layer was built by `ADD <url>` without a checksum: it holds whatever the "
            "server returned at build time, unverified."
        ),
        remediation="Use `ADD --checksum=sha256:...` or download and verify in a RUN step.",
        references=("https://docs.docker.com/reference/dockerfile/#add---checksum",),
        frameworks={"mitre-attack-containers": ("T1195",)},
    )

    def evaluate(self, facts: ImageFacts) -> Iterator[ImageHit]:
        for item in history_items(facts):
            text = shell_text(item.created_by)
            match = _ADD_URL.search(text)
            if match and "--checksum" not in text:
                yield ImageHit(
                    message=f"history entry {item.position} adds {match.group(1)} unverified",
                    anchor=f"history:{item.position}",
                    layer=item.layer,
                    evidence=text[:200],
                )


class RiskyPortExposed(ImageCheck):
    rule = image_rule(
        id="SL-IMG-007",
        root_cause=RootCause.REMOTE_SHELL_PORT,
        title="SSH or Telnet port exposed",
        severity=Severity.MEDIUM,
        description=(
            "The configuration exposes port 22 (SSH) or 23 (Telnet): remote shells in a "
            "container widen its attack surface; Telnet sends credentials in clear text."
        ),
        remediation="Remove the EXPOSE; use `docker exec` or `kubectl exec` to get a shell.",
        peers={"trivy": "DS004"},
    )

    def evaluate(self, facts: ImageFacts) -> Iterator[ImageHit]:
        for port in facts.config.exposed_ports:
            service = _RISKY_PORTS.get(port.split("/", 1)[0].strip())
            if service:
                yield ImageHit(
                    message=f"port {port} ({service}) is exposed",
                    anchor=f"port:{port}",
                    evidence=port,
                )


class NoHealthcheck(ImageCheck):
    rule = image_rule(
        id="SL-IMG-008",
        root_cause=RootCause.NO_HEALTHCHECK,
        title="No HEALTHCHECK in the image",
        severity=Severity.LOW,
        description=(
            "Without a health check, an engine that honours it cannot tell a hung "
            "container from a working one."
        ),
        remediation="Add a HEALTHCHECK, or define probes where the container is deployed.",
        peers={"hadolint": "DL3057", "trivy": "DS026"},
    )

    def evaluate(self, facts: ImageFacts) -> Iterator[ImageHit]:
        if facts.config.healthcheck is None:
            yield ImageHit(message="the image configuration has no health check", anchor="health")


class EndOfLifeOs(ImageCheck):
    rule = image_rule(
        id="SL-IMG-009",
        title="End-of-life OS release",
        severity=Severity.HIGH,
        description=(
            "The image's OS release no longer gets free security updates, so new "
            "vulnerabilities in its packages stay unfixed and often unlisted. The dates "
            f"come from a table reviewed on {TABLE_REVIEWED.isoformat()} "
            "(`secloop.scan.image_checks.eol`), which needs updating as vendors publish dates."
        ),
        remediation="Rebuild on a supported release of the base image.",
        references=("https://endoflife.date/",),
    )

    def evaluate(self, facts: ImageFacts) -> Iterator[ImageHit]:
        os = facts.operating_system
        known = end_of_life(os)
        if os is None or known is None:
            return
        release, last_day = known
        if last_day is None:
            message = f"{os.name}: {os.family} {release} is older than every supported release"
        elif last_day < facts.today:
            message = f"{os.name}: {os.family} {release} reached end of life on {last_day}"
        else:
            return
        yield ImageHit(message=message, anchor=f"eol:{os.family}:{release}", evidence=os.version)


class NotPinnedByDigest(ImageCheck):
    rule = image_rule(
        id="SL-IMG-010",
        root_cause=RootCause.MUTABLE_IMAGE_REFERENCE,
        title="Image referenced by tag, not digest",
        severity=Severity.LOW,
        description=(
            "A tag can be moved to other content at any time; only a digest names the exact "
            "image that was scanned and will be deployed. Checked for registry references."
        ),
        remediation="Reference the image as `name@sha256:...` (keep the tag for humans).",
    )

    def evaluate(self, facts: ImageFacts) -> Iterator[ImageHit]:
        origin = facts.origin
        if origin.reference is not None and not origin.pinned_by_digest:
            yield ImageHit(
                message=f"{origin.reference} is a tag; it may name other content tomorrow",
                anchor="reference",
                evidence=origin.reference,
            )


class PulledOverPlainHttp(ImageCheck):
    rule = image_rule(
        id="SL-IMG-011",
        root_cause=RootCause.PLAIN_HTTP_REGISTRY,
        title="Image pulled over plain HTTP",
        severity=Severity.HIGH,
        description=(
            "The registry was reached without TLS (`--insecure-registry`): anyone on the "
            "path can read the credentials sent and choose which manifest is served. Blob "
            "digests are still verified, but a tag's manifest is not."
        ),
        remediation="Serve the registry over TLS (with `--ca-file` for a private CA).",
    )

    def evaluate(self, facts: ImageFacts) -> Iterator[ImageHit]:
        if facts.origin.plain_http:
            yield ImageHit(
                message=f"{facts.origin.reference or 'the image'} was pulled over plain HTTP",
                anchor="transport",
            )


IMAGE_CHECKS: tuple[ImageCheck, ...] = (
    RunsAsRoot(),
    SecretInEnv(),
    SecretInLabel(),
    SecretInHistory(),
    RemoteScriptInHistory(),
    AddUrlInHistory(),
    RiskyPortExposed(),
    NoHealthcheck(),
    EndOfLifeOs(),
    NotPinnedByDigest(),
    PulledOverPlainHttp(),
)
