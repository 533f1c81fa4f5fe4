"""Opt-in liveness checks of found secrets (``--verify``): ask the provider whether the
credential works, with the provider's own documented, read-only "who am I" call.

A :class:`Verifier` answers for some rule ids: ``verify(secret)`` returns a
:class:`~secloop.core.finding.SecretVerification` (verified, invalid, or unknown with
a reason). :class:`HttpVerifier` implements the common case, one authenticated GET
(or POST for Slack) whose status code says it all; :func:`default_verifiers` lists the
providers shipped (GitHub, GitLab, Slack, Stripe, npm), each with an overridable base
URL so tests aim them at a loopback double.

Safety, because the secret leaves the machine here and only here:

* off unless asked for; every request goes to the provider's fixed HTTPS host;
* no redirects are followed (a redirect could carry the credential elsewhere);
* strict timeouts and bounded concurrency (:class:`VerificationService`), and one
  request per distinct secret per run (results are cached by the secret's hash);
* the secret is sent only in a header, never in a URL, and never logged: reasons
  name the status code or the error class, not the request.
"""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Protocol

from secloop.core.finding import Finding, SecretVerification, VerificationStatus
from secloop.core.severity import Severity

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "HttpVerifier",
    "VerificationService",
    "Verifier",
    "default_verifiers",
]

DEFAULT_TIMEOUT_SECONDS = 5.0
DEFAULT_CONCURRENCY = 4
#: A provider's reply is read up to this many bytes: enough for the JSON we look at.
_MAX_REPLY_BYTES = 64 * 1024


class Verifier(Protocol):
    """Checks secrets of some rules against their provider."""

    @property
    def name(self) -> str: ...

    @property
    def rule_ids(self) -> frozenset[str]: ...

    def verify(self, secret: str) -> SecretVerification: ...


#: Reads a provider's reply (status, JSON body or None) into a verification status.
Interpreter = Callable[[int, object], tuple[VerificationStatus, str]]


def _by_status(status: int, _body: object) -> tuple[VerificationStatus, str]:
    """200 means live, 401 means rejected; anything else proves nothing."""
    if status == 200:
        return VerificationStatus.VERIFIED, ""
    if status == 401:
        return VerificationStatus.INVALID, "the provider rejected the credential (HTTP 401)"
    return VerificationStatus.UNKNOWN, f"unexpected reply: HTTP {status}"


def _stripe(status: int, body: object) -> tuple[VerificationStatus, str]:
    """Stripe answers 403 to a live restricted key that may not read the balance."""
    if status == 403:
        return VerificationStatus.VERIFIED, "live key without permission to read the balance"
    return _by_status(status, body)


def _slack(status: int, body: object) -> tuple[VerificationStatus, str]:
    """auth.test always answers 200; ``ok`` and ``error`` in the JSON say the rest."""
    if status != 200:
        return _by_status(status, body)
    if not isinstance(body, dict):
        return VerificationStatus.UNKNOWN, "unexpected reply: not a JSON object"
    if body.get("ok") is True:
        return VerificationStatus.VERIFIED, ""
    error = str(body.get("error", ""))
    if error in {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "account_inactive",
        "token_expired",
    }:
        return VerificationStatus.INVALID, f"the provider rejected the credential ({error})"
    return VerificationStatus.UNKNOWN, f"unexpected reply: {error or 'no error code'}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse every redirect: the Authorization header must not follow it anywhere."""

    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


#: Shared by every verifier (handlers keep no per-request state).
_OPENER = urllib.request.build_opener(_NoRedirect())


@dataclass(frozen=True, slots=True)
class HttpVerifier:
    """One request to ``base_url + path`` with the secret in a header.

    ``header`` is a format string for the header value (``"Bearer {secret}"``).
    """

    name: str
    rule_ids: frozenset[str]
    base_url: str
    path: str
    header_name: str = "Authorization"
    header: str = "Bearer {secret}"
    method: str = "GET"
    interpret: Interpreter = _by_status
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    def verify(self, secret: str) -> SecretVerification:
        request = urllib.request.Request(  # noqa: S310 - https provider URL or a test's loopback
            self.base_url.rstrip("/") + self.path,
            method=self.method,
            headers={
                self.header_name: self.header.format(secret=secret),
                "Accept": "application/json",
                "User-Agent": "secloop-verify",
            },
        )
        try:
            with _OPENER.open(request, timeout=self.timeout) as reply:
                status, raw = reply.status, reply.read(_MAX_REPLY_BYTES)
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read(_MAX_REPLY_BYTES)
            err.close()
        except (OSError, ValueError) as err:  # URLError, timeouts, refused connections
            return self._result(VerificationStatus.UNKNOWN, f"no answer: {type(err).__name__}")
        status_, reason = self.interpret(status, _json(raw))
        return self._result(status_, reason)

    def _result(self, status: VerificationStatus, reason: str) -> SecretVerification:
        return SecretVerification(status=status, verifier=self.name, reason=reason)


def _json(raw: bytes) -> object:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


#: The shipped providers: (name, rule ids, default base URL, path, header, method, reader).
_PROVIDERS: tuple[tuple[str, frozenset[str], str, str, str, str, str, Interpreter], ...] = (
    (
        "github",
        frozenset(
            {
                "SECRET-GITHUB-PAT",
                "SECRET-GITHUB-FINE-GRAINED-PAT",
                "SECRET-GITHUB-OAUTH-TOKEN",
                "SECRET-GITHUB-USER-TO-SERVER-TOKEN",
                "SECRET-GITHUB-SERVER-TO-SERVER-TOKEN",
            }
        ),
        "https://api.github.com",
        "/user",
        "Authorization",
        "Bearer {secret}",
        "GET",
        _by_status,
    ),
    (
        "gitlab",
        frozenset({"SECRET-GITLAB-PAT", "SECRET-GITLAB-PAT-ROUTABLE"}),
        "https://gitlab.com",
        "/api/v4/user",
        "PRIVATE-TOKEN",
        "{secret}",
        "GET",
        _by_status,
    ),
    (
        "slack",
        frozenset(
            {"SECRET-SLACK-BOT-TOKEN", "SECRET-SLACK-LEGACY-BOT-TOKEN", "SECRET-SLACK-USER-TOKEN"}
        ),
        "https://slack.com",
        "/api/auth.test",
        "Authorization",
        "Bearer {secret}",
        "POST",
        _slack,
    ),
    (
        "stripe",
        frozenset({"SECRET-STRIPE-LIVE-KEY", "SECRET-STRIPE-TEST-KEY"}),
        "https://api.stripe.com",
        "/v1/balance",
        "Authorization",
        "Bearer {secret}",
        "GET",
        _stripe,
    ),
    (
        "npm",
        frozenset({"SECRET-NPM-ACCESS-TOKEN", "SECRET-NPMRC-AUTH-TOKEN"}),
        "https://registry.npmjs.org",
        "/-/whoami",
        "Authorization",
        "Bearer {secret}",
        "GET",
        _by_status,
    ),
)


def default_verifiers(
    base_urls: Mapping[str, str] | None = None, *, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> tuple[HttpVerifier, ...]:
    """Every shipped verifier; ``base_urls`` (provider name -> URL) replaces a provider's
    host, which tests use to point at a loopback double."""
    overrides = dict(base_urls or {})
    unknown = overrides.keys() - {p[0] for p in _PROVIDERS}
    if unknown:
        raise ValueError(f"no verifier named {', '.join(sorted(unknown))}")
    return tuple(
        HttpVerifier(
            name=name,
            rule_ids=rule_ids,
            base_url=overrides.get(name, url),
            path=path,
            header_name=header_name,
            header=header,
            method=method,
            interpret=interpret,
            timeout=timeout,
        )
        for name, rule_ids, url, path, header_name, header, method, interpret in _PROVIDERS
    )


def _suffix(verification: SecretVerification) -> str:
    if verification.status is VerificationStatus.VERIFIED:
        return f"; verified live with {verification.verifier}"
    if verification.status is VerificationStatus.INVALID:
        return f"; rejected by {verification.verifier} (revoked or invalid)"
    return f"; liveness unknown ({verification.reason})"


def apply_verification(finding: Finding, verification: SecretVerification) -> Finding:
    """Record the outcome on the finding: a verified secret is raised to CRITICAL."""
    severity = Severity.CRITICAL if verification.status is VerificationStatus.VERIFIED else None
    return replace(
        finding,
        verification=verification,
        severity=severity or finding.severity,
        message=finding.message + _suffix(verification),
    )


class VerificationService:
    """Runs verifiers with bounded concurrency and one request per distinct secret.

    Shared by every file of a scan (thread-safe); findings of rules without a
    verifier pass through unchanged.
    """

    def __init__(
        self, verifiers: Iterable[Verifier], *, concurrency: int = DEFAULT_CONCURRENCY
    ) -> None:
        self._by_rule: dict[str, Verifier] = {}
        for verifier in verifiers:
            for rule_id in verifier.rule_ids:
                self._by_rule[rule_id] = verifier
        self._concurrency = max(1, concurrency)
        self._cache: dict[tuple[str, str], SecretVerification] = {}
        self._lock = threading.Lock()

    @property
    def rule_ids(self) -> frozenset[str]:
        return frozenset(self._by_rule)

    def verify(self, pairs: Sequence[tuple[Finding, str]]) -> list[Finding]:
        """The findings, those with a verifier carrying its outcome."""
        jobs = {
            self._key(finding, secret): (self._by_rule[finding.rule_id], secret)
            for finding, secret in pairs
            if finding.rule_id in self._by_rule
        }
        with self._lock:
            todo = {key: job for key, job in jobs.items() if key not in self._cache}
        if todo:
            with ThreadPoolExecutor(max_workers=min(self._concurrency, len(todo))) as pool:
                results = dict(
                    zip(
                        todo,
                        pool.map(lambda job: job[0].verify(job[1]), todo.values()),
                        strict=True,
                    )
                )
            with self._lock:
                self._cache.update(results)
        out: list[Finding] = []
        for finding, secret in pairs:
            if finding.rule_id not in self._by_rule:
                out.append(finding)
                continue
            with self._lock:
                verification = self._cache[self._key(finding, secret)]
            out.append(apply_verification(finding, verification))
        return out

    def _key(self, finding: Finding, secret: str) -> tuple[str, str]:
        digest = hashlib.sha256(secret.encode("utf-8")).hexdigest()
        return self._by_rule[finding.rule_id].name, digest
