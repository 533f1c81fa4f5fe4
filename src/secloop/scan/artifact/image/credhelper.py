"""Docker credential helpers: the ``docker-credential-<name>`` programs that
``credsStore`` and ``credHelpers`` in ``~/.docker/config.json`` name.

The protocol (github.com/docker/docker-credential-helpers, "get"): the program is run
with the single argument ``get`` and the server address on stdin; it prints
``{"ServerURL": ..., "Username": ..., "Secret": ...}`` and exits 0, or prints
``credentials not found in native keychain`` and exits non-zero when it has nothing for
that server. A ``Username`` of ``<token>`` means ``Secret`` is an identity (OAuth2
refresh) token.

Steps, as the Docker CLI does them (cli/config/credentials/native_store.go):
(1) the helper name must be a plain name: it becomes part of a program name looked up
    on ``PATH``, so a ``/`` or ``..`` could run any file;
(2) the program is run directly, never through a shell, with a timeout, the server on
    stdin and nothing else;
(3) "credentials not found" means anonymous access, like Docker; a helper that is
    missing, times out, fails otherwise or prints something that is not the documented
    JSON is an error, like Docker (a login the user set up must not silently vanish);
(4) the secret is never logged or put in an error message: on failure only the exit
    status and the helper's error text (stderr, else stdout) are reported.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

from secloop.scan.artifact.image.interface import CredentialHelperError

__all__ = ["HelperAnswer", "run_credential_helper"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_NOT_FOUND = "credentials not found"
_MAX_OUTPUT = 64 * 1024
_IDENTITY_TOKEN_USER = "<token>"  # noqa: S105 - a marker the protocol defines, not a secret


@dataclass(frozen=True, slots=True)
class HelperAnswer:
    username: str
    secret: str

    def __repr__(self) -> str:  # never print a secret
        return f"HelperAnswer(username={self.username!r}, secret='***')"


def _program(name: str, environ: Mapping[str, str], origin: str) -> str:
    if not _NAME.fullmatch(name) or ".." in name:  # (1)
        raise CredentialHelperError(f"{origin}: {name!r} is not a credential helper name")
    program = f"docker-credential-{name}"
    found = shutil.which(program, path=environ.get("PATH"))
    if found is None:
        raise CredentialHelperError(
            f"{origin}: {program} is not on PATH; install it, or remove it from the "
            "Docker configuration to pull anonymously"
        )
    return found


def _error_text(done: subprocess.CompletedProcess[bytes]) -> str:
    text = (done.stderr or done.stdout)[:_MAX_OUTPUT].decode("utf-8", "replace").strip()
    return " ".join(text.split())[:300]


def _parse(stdout: bytes, origin: str) -> HelperAnswer:
    try:
        document = json.loads(stdout[:_MAX_OUTPUT])
    except ValueError:
        document = None
    username = document.get("Username") if isinstance(document, dict) else None
    secret = document.get("Secret") if isinstance(document, dict) else None
    if not isinstance(username, str) or not isinstance(secret, str):
        raise CredentialHelperError(
            f"{origin}: the helper's answer is not JSON with Username and Secret strings"
        )
    if username == _IDENTITY_TOKEN_USER:
        raise CredentialHelperError(
            f"{origin}: the helper holds an identity token (single sign-on login), which "
            "secloop cannot use yet; log in with a password or access token, or pass "
            "--username/--password"
        )
    return HelperAnswer(username=username, secret=secret)


def run_credential_helper(
    name: str,
    server: str,
    *,
    environ: Mapping[str, str],
    origin: str,
    timeout_seconds: float = 30.0,
) -> HelperAnswer | None:
    """``docker-credential-<name> get`` for ``server``; None when it has no credentials.

    ``origin`` says where the helper was named (for messages), ``environ`` is the
    environment the helper runs in (its ``PATH`` finds it).
    """
    program = _program(name, environ, origin)
    try:
        done = subprocess.run(  # noqa: S603 - (2) a resolved program, no shell, fixed argv
            [program, "get"],
            input=server.encode(),
            capture_output=True,
            timeout=timeout_seconds,
            env=dict(environ),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CredentialHelperError(
            f"{origin}: {program} did not answer within {timeout_seconds:g} s"
        ) from None
    except OSError as err:
        raise CredentialHelperError(f"{origin}: cannot run {program} ({err.strerror})") from None
    if done.returncode != 0:
        message = _error_text(done)  # (4)
        if _NOT_FOUND in message.lower():  # (3)
            return None
        raise CredentialHelperError(
            f"{origin}: {program} get failed with exit status {done.returncode}"
            + (f": {message}" if message else "")
        )
    return _parse(done.stdout, origin)
