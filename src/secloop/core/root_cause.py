"""Root causes: the one underlying mistake that several rule families each report.

A Dockerfile without ``USER``, an image configuration with user 0 and a Pod without
``runAsNonRoot`` are three findings of one cause: the workload runs as root. A rule
names its cause in :attr:`secloop.core.rule.Rule.root_cause`; the policy step
:mod:`secloop.policy.links` links findings of one subject that share a cause, and the
server does the same across scans (docs/adr/0006-root-cause-links.md).

The values are a stable vocabulary (they appear in JSON, SARIF and the server's
database): rename one only with a CHANGELOG entry. Each value is used by rules of at
least two families (``tests/unit/core/test_root_cause.py``): a cause that one family
alone reports has nothing to be linked with.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["RootCause"]


class RootCause(StrEnum):
    RUNS_AS_ROOT = "runs-as-root"
    NO_HEALTHCHECK = "no-healthcheck"
    SECRET_IN_ENVIRONMENT = "secret-in-environment"  # noqa: S105 - a cause, not a credential
    REMOTE_SCRIPT_IN_BUILD = "remote-script-in-build"
    UNVERIFIED_REMOTE_ADD = "unverified-remote-add"
    REMOTE_SHELL_PORT = "remote-shell-port"
    MUTABLE_IMAGE_REFERENCE = "mutable-image-reference"
    PLAIN_HTTP_REGISTRY = "plain-http-registry"

    @property
    def description(self) -> str:
        """What the cause is, for reports ("Same root cause: the workload runs as root")."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS: dict[RootCause, str] = {
    RootCause.RUNS_AS_ROOT: "the container runs as root",
    RootCause.NO_HEALTHCHECK: "nothing checks the container's health",
    RootCause.SECRET_IN_ENVIRONMENT: "a credential is set in the environment",
    RootCause.REMOTE_SCRIPT_IN_BUILD: "a remote script is piped to a shell during the build",
    RootCause.UNVERIFIED_REMOTE_ADD: "a remote file is added without a checksum",
    RootCause.REMOTE_SHELL_PORT: "an SSH or Telnet port is exposed",
    RootCause.MUTABLE_IMAGE_REFERENCE: "the image is referenced by a tag, not a digest",
    RootCause.PLAIN_HTTP_REGISTRY: "the image comes from a registry without TLS",
}
