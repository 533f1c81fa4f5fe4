"""--verify against a loopback HTTP double of each provider's documented liveness check.

The double (http.server in a thread) answers like the real APIs: GitHub ``GET /user``
and GitLab ``GET /api/v4/user`` (200 or 401), Slack ``POST /api/auth.test`` (200 with
``{"ok": ...}``), Stripe ``GET /v1/balance`` (200, 401, or 403 for a restricted key),
npm ``GET /-/whoami`` (200 or 401). Nothing leaves the machine.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from secloop.cli import cli
from secloop.core.finding import SecretVerification, VerificationStatus
from secloop.core.severity import Severity
from secloop.scan.secrets import default_engine
from secloop.scan.secrets import verify as verify_module
from secloop.scan.secrets.verify import (
    HttpVerifier,
    VerificationService,
    apply_verification,
    default_verifiers,
)
from tests.unit.secrets.test_history import Repo

# FAKE credentials in their providers' shapes; the double decides which are "live".
GITHUB_LIVE = "ghp_FAKEq7Rm2Lx9Wc4Tz8Nb1Vd6Ks3Hj5Pg0Yf2"
GITHUB_DEAD = "ghp_FAKEz3Kd8Wq1Mv5Rt7Yb2Nc9Lx4Hp6Jg0Sa1"
GITLAB_LIVE = "glpat-FAKEx7Rm2Lq9Wc4Tz8Nb"
SLACK_LIVE = "xoxb-123456789012-1234567890123-FAKEq7Rm2Lx9Wc4Tz8Nb1Vd6"
SLACK_DEAD = "xoxb-123456789012-1234567890123-FAKEz3Kd8Wq1Mv5Rt7Yb2Nc9L"
STRIPE_LIVE = "sk_live_FAKE4eC39HqLyjWDarjtT1zdp7dc9Q2xRt"
STRIPE_RESTRICTED = "sk_live_FAKE9pQ2mN7vB4xK1cR8tL3wZ6yH5jD0sF"
NPM_LIVE = "npm_FAKEq7Rm2Lx9Wc4Tz8Nb1Vd6Ks3Hj5Pg0Y"

LIVE = {GITHUB_LIVE, GITLAB_LIVE, SLACK_LIVE, STRIPE_LIVE, NPM_LIVE}


class _Provider(BaseHTTPRequestHandler):
    """One handler for every provider, routed by path as the real hosts are."""

    seen: list[tuple[str, str, dict[str, str]]]
    in_flight = 0
    peak = 0
    lock = threading.Lock()
    delay = 0.0

    def log_message(self, *_args: object) -> None:  # keep test output clean
        return

    def _token(self) -> str:
        header = self.headers.get("PRIVATE-TOKEN") or self.headers.get("Authorization") or ""
        return header.removeprefix("Bearer ").strip()

    def _reply(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        cls = type(self)
        with cls.lock:
            cls.seen.append((self.command, self.path, dict(self.headers)))
            cls.in_flight += 1
            cls.peak = max(cls.peak, cls.in_flight)
        try:
            if cls.delay:
                time.sleep(cls.delay)
            self._route()
        finally:
            with cls.lock:
                cls.in_flight -= 1

    def _route(self) -> None:
        token, path = self._token(), self.path
        live = token in LIVE
        if path == "/plain":
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        elif path == "/busy/api/auth.test":
            self._reply(503, {"ok": False, "error": "service_unavailable"})
        elif path == "/odd/api/auth.test":
            self._reply(200, {"ok": False, "error": "ratelimited"})
        elif path == "/redirect/user":
            self._reply(302, {}, {"Location": "http://127.0.0.1:9/elsewhere"})
        elif path == "/api/auth.test":
            self._reply(200, {"ok": True} if live else {"ok": False, "error": "invalid_auth"})
        elif path == "/v1/balance" and token == STRIPE_RESTRICTED:
            self._reply(403, {"error": {"type": "invalid_request_error", "code": "permission"}})
        elif path in {"/user", "/api/v4/user", "/v1/balance", "/-/whoami"}:
            self._reply(200 if live else 401, {"login": "octocat"} if live else {"message": "no"})
        else:
            self._reply(404, {"message": "Not Found"})

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()


@pytest.fixture
def provider() -> Iterator[tuple[str, type[_Provider]]]:
    handler = type("Provider", (_Provider,), {"seen": [], "in_flight": 0, "peak": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _verifiers(url: str, timeout: float = 2.0) -> tuple[HttpVerifier, ...]:
    names = ("github", "gitlab", "slack", "stripe", "npm")
    return default_verifiers(dict.fromkeys(names, url), timeout=timeout)


def _by_name(url: str, name: str, timeout: float = 2.0) -> HttpVerifier:
    return next(v for v in _verifiers(url, timeout) if v.name == name)


@pytest.mark.parametrize(
    ("name", "secret", "status"),
    [
        ("github", GITHUB_LIVE, VerificationStatus.VERIFIED),
        ("github", GITHUB_DEAD, VerificationStatus.INVALID),
        ("gitlab", GITLAB_LIVE, VerificationStatus.VERIFIED),
        ("gitlab", "glpat-FAKEdeaddeaddeaddead", VerificationStatus.INVALID),
        ("slack", SLACK_LIVE, VerificationStatus.VERIFIED),
        ("slack", SLACK_DEAD, VerificationStatus.INVALID),
        ("stripe", STRIPE_LIVE, VerificationStatus.VERIFIED),
        ("stripe", STRIPE_RESTRICTED, VerificationStatus.VERIFIED),
        ("stripe", "sk_live_FAKEdeaddeaddeaddeaddead", VerificationStatus.INVALID),
        ("npm", NPM_LIVE, VerificationStatus.VERIFIED),
        ("npm", "npm_FAKEdeaddeaddeaddeaddeaddeaddead", VerificationStatus.INVALID),
    ],
)
def test_each_provider_answers_like_its_api(
    provider: tuple[str, type[_Provider]], name: str, secret: str, status: VerificationStatus
) -> None:
    url, handler = provider
    result = _by_name(url, name).verify(secret)
    assert result.status is status
    assert result.verifier == name
    assert secret not in result.reason
    method, path, headers = handler.seen[-1]
    assert secret not in path  # the secret travels in a header only
    assert secret in " ".join(headers.values())
    assert method == ("POST" if name == "slack" else "GET")


def test_redirects_are_not_followed(provider: tuple[str, type[_Provider]]) -> None:
    url, handler = provider
    verifier = HttpVerifier(
        name="github",
        rule_ids=frozenset({"SECRET-GITHUB-PAT"}),
        base_url=url + "/redirect",
        path="/user",
    )
    result = verifier.verify(GITHUB_LIVE)
    assert result.status is VerificationStatus.UNKNOWN
    assert result.reason == "unexpected reply: HTTP 302"
    assert [p for _, p, _ in handler.seen] == ["/redirect/user"]


def test_unknown_paths_and_odd_replies_prove_nothing(provider: tuple[str, type[_Provider]]) -> None:
    url, _ = provider
    lost = HttpVerifier(name="x", rule_ids=frozenset(), base_url=url, path="/nowhere")
    assert lost.verify(GITHUB_LIVE).status is VerificationStatus.UNKNOWN
    slack_on_github = HttpVerifier(
        name="slack",
        rule_ids=frozenset(),
        base_url=url,
        path="/user",
        interpret=verify_module._slack,
    )
    result = slack_on_github.verify(GITHUB_LIVE)
    assert result.status is VerificationStatus.UNKNOWN


@pytest.mark.parametrize(
    ("base", "path", "reason"),
    [
        ("/busy", "/api/auth.test", "unexpected reply: HTTP 503"),
        ("/odd", "/api/auth.test", "unexpected reply: ratelimited"),
        ("", "/plain", "unexpected reply: not a JSON object"),
    ],
)
def test_slack_replies_that_prove_nothing(
    provider: tuple[str, type[_Provider]], base: str, path: str, reason: str
) -> None:
    url, _ = provider
    slack = _by_name(url, "slack")
    verifier = HttpVerifier(
        name="slack",
        rule_ids=slack.rule_ids,
        base_url=url + base,
        path=path,
        method="POST",
        interpret=slack.interpret,
    )
    result = verifier.verify(SLACK_LIVE)
    assert result.status is VerificationStatus.UNKNOWN
    assert result.reason == reason


def test_service_lists_the_rules_it_checks() -> None:
    service = VerificationService(default_verifiers())
    assert {"SECRET-GITHUB-PAT", "SECRET-GITLAB-PAT", "SECRET-NPM-ACCESS-TOKEN"} <= service.rule_ids
    assert "SECRET-GENERIC-PASSWORD" not in service.rule_ids


def test_timeouts_and_refused_connections_are_unknown(
    provider: tuple[str, type[_Provider]],
) -> None:
    url, handler = provider
    handler.delay = 1.0
    started = time.perf_counter()
    result = _by_name(url, "github", timeout=0.2).verify(GITHUB_LIVE)
    assert time.perf_counter() - started < 0.9
    assert result.status is VerificationStatus.UNKNOWN
    assert result.reason.startswith("no answer:")
    closed = _by_name("http://127.0.0.1:9", "github", timeout=0.5).verify(GITHUB_LIVE)
    assert closed.status is VerificationStatus.UNKNOWN


def test_service_checks_each_secret_once_with_bounded_concurrency(
    provider: tuple[str, type[_Provider]],
) -> None:
    url, handler = provider
    handler.delay = 0.05
    engine = default_engine()
    secrets = [f"ghp_FAKE{i:02d}q7Rm2Lx9Wc4Tz8Nb1Vd6Ks3Hj5Pg0Y" for i in range(12)]
    text = "".join(f"token_{i} = {s}\n" for i, s in enumerate(secrets)) + f"again = {secrets[0]}\n"
    pairs = engine.scan_secrets(text, path="settings.env")
    assert len(pairs) == 13
    service = VerificationService(_verifiers(url), concurrency=3)
    findings = service.verify(pairs)
    assert len(handler.seen) == 12  # the repeated secret was asked about once
    assert handler.peak <= 3
    assert all(f.verification is not None for f in findings)
    assert all(
        f.verification.status is VerificationStatus.INVALID for f in findings if f.verification
    )
    service.verify(pairs)  # cached for the rest of the run
    assert len(handler.seen) == 12


def test_verified_secret_is_critical_and_says_so(provider: tuple[str, type[_Provider]]) -> None:
    url, _ = provider
    engine = default_engine()
    pairs = engine.scan_secrets(
        f"GH={GITHUB_LIVE}\nSTRIPE_TEST=sk_test_FAKE4eC39HqLyjWDarjtT1zdp7dc9Q2xRt\n"
        'password = "Zx81kPq2Lm4Nq7"\n',
        path=".env",
    )
    findings = VerificationService(_verifiers(url)).verify(pairs)
    by_rule = {f.rule_id: f for f in findings}
    github = by_rule["SECRET-GITHUB-PAT"]
    assert github.severity is Severity.CRITICAL
    assert github.verification is not None
    assert github.verification.status is VerificationStatus.VERIFIED
    assert github.message.endswith("; verified live with github")
    assert GITHUB_LIVE not in github.message
    assert by_rule["SECRET-STRIPE-TEST-KEY"].message.endswith("(revoked or invalid)")
    assert by_rule["SECRET-GENERIC-PASSWORD"].verification is None  # no verifier: unchanged


def test_unknown_outcome_keeps_severity_and_names_the_reason() -> None:
    finding = default_engine().scan(f"GH={GITHUB_LIVE}\n")[0]
    unknown = SecretVerification(
        status=VerificationStatus.UNKNOWN, verifier="github", reason="no answer: TimeoutError"
    )
    updated = apply_verification(finding, unknown)
    assert updated.severity is finding.severity
    assert updated.message.endswith("; liveness unknown (no answer: TimeoutError)")


def test_overriding_an_unknown_provider_is_an_error() -> None:
    with pytest.raises(ValueError, match="no verifier named bitbucket"):
        default_verifiers({"bitbucket": "http://127.0.0.1:1"})


@pytest.fixture
def aimed_at_double(
    provider: tuple[str, type[_Provider]], monkeypatch: pytest.MonkeyPatch
) -> type[_Provider]:
    """The CLI builds its verifiers with default_verifiers(): aim them at the double."""
    url, handler = provider
    real = verify_module.default_verifiers
    monkeypatch.setattr(verify_module, "default_verifiers", lambda: real(dict.fromkeys(
        ("github", "gitlab", "slack", "stripe", "npm"), url
    )))  # fmt: skip
    return handler


def test_scan_verify_end_to_end(aimed_at_double: type[_Provider], tmp_path: Path) -> None:
    (tmp_path / "app.env").write_text(f"GITHUB_TOKEN={GITHUB_LIVE}\nOLD={GITHUB_DEAD}\n")
    report = tmp_path / "report.json"
    args = ["scan", "--scanners", "secret", "--verify", "-f", "json", "-o", str(report)]
    result = CliRunner().invoke(cli, [*args, "--exit-code", "0", str(tmp_path / "app.env")])
    assert result.exit_code == 0, result.output
    findings = json.loads(report.read_text())["findings"]
    by_line = {f["location"]["start_line"]: f for f in findings}
    assert by_line[1]["severity"] == "CRITICAL"
    assert "verified live with github" in by_line[1]["message"]
    assert "rejected by github" in by_line[2]["message"]
    assert len(aimed_at_double.seen) == 2
    assert GITHUB_LIVE not in report.read_text()


def test_scan_without_verify_sends_nothing(
    aimed_at_double: type[_Provider], tmp_path: Path
) -> None:
    (tmp_path / "app.env").write_text(f"GITHUB_TOKEN={GITHUB_LIVE}\n")
    args = ["scan", "--scanners", "secret", "-f", "json", "--exit-code", "0", str(tmp_path)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    assert aimed_at_double.seen == []


def test_git_history_verify(aimed_at_double: type[_Provider], tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    repo.commit("add token", {"deploy.env": f"TOKEN={GITHUB_LIVE}\n".encode()})
    report = tmp_path / "report.json"
    args = ["secrets", "--git", str(repo.root), "--verify", "-f", "json", "-o", str(report)]
    result = CliRunner().invoke(cli, [*args, "--exit-code", "0"])
    assert result.exit_code == 0, result.output
    (finding,) = json.loads(report.read_text())["findings"]
    assert finding["severity"] == "CRITICAL"
    assert "added in commit" in finding["message"]
    assert finding["message"].endswith("verified live with github")
