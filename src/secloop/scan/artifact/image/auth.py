"""Registry credentials and the token dance of the distribution spec.

Sources of credentials, first match wins: explicit ``--username/--password``, then
``~/.docker/config.json`` (``$DOCKER_CONFIG``) in the Docker CLI's order: the
credential helper ``credHelpers`` names for the registry host, else the ``credsStore``
helper for every host, else ``auths`` entries (``auth`` base64 or
``username``/``password``). Helpers are external programs (:mod:`.credhelper`).
Identity (refresh) tokens are not used yet.

Challenges (RFC 7235 ``WWW-Authenticate``): ``Basic`` is answered with the credentials;
``Bearer realm=...,service=...,scope=...`` sends them (if any) to the realm for a
token (Docker token spec), which is then sent as ``Authorization: Bearer``.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from secloop.scan.artifact.image.credhelper import run_credential_helper

__all__ = ["Challenge", "Credentials", "docker_config_credentials", "parse_challenge"]

_PARAM = re.compile(r'([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')
_DOCKER_HUB_KEYS = ("https://index.docker.io/v1/", "index.docker.io", "docker.io")
_DOCKER_HUB_HOSTS = ("index.docker.io", "docker.io", "registry-1.docker.io")
_DOCKER_HUB_SERVER = "https://index.docker.io/v1/"  # what Docker sends its helpers


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str

    def basic_header(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def __repr__(self) -> str:  # never print a password
        return f"Credentials(username={self.username!r}, password='***')"


@dataclass(frozen=True, slots=True)
class Challenge:
    scheme: str  # lower case: "basic" or "bearer"
    params: Mapping[str, str]


def parse_challenge(header: str) -> Challenge | None:
    scheme, _, rest = header.strip().partition(" ")
    if not scheme:
        return None
    params = {m.group(1).lower(): m.group(2) or m.group(3) or "" for m in _PARAM.finditer(rest)}
    return Challenge(scheme=scheme.lower(), params=params)


def _config_path(environ: Mapping[str, str]) -> Path:
    directory = environ.get("DOCKER_CONFIG")
    return Path(directory) / "config.json" if directory else Path.home() / ".docker/config.json"


def _keys_for(host: str) -> tuple[str, ...]:
    if host in _DOCKER_HUB_HOSTS:
        return _DOCKER_HUB_KEYS
    return (host, f"https://{host}", f"http://{host}", f"https://{host}/v1/", f"https://{host}/v2/")


def _decode(entry: Mapping[str, object]) -> Credentials | None:
    if isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
        return Credentials(str(entry["username"]), str(entry["password"]))
    auth = entry.get("auth")
    if not isinstance(auth, str) or not auth:
        return None
    try:
        user, sep, password = base64.b64decode(auth).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return Credentials(user, password) if sep else None


def _helper_for(document: Mapping[str, object], host: str) -> tuple[str, str] | None:
    """The helper name for ``host`` and the config key that named it, if any."""
    helpers = document.get("credHelpers")
    if isinstance(helpers, dict):
        for key in _DOCKER_HUB_HOSTS if host in _DOCKER_HUB_HOSTS else (host,):
            if isinstance(helpers.get(key), str) and helpers[key]:
                return str(helpers[key]), f"credHelpers[{key!r}]"
    store = document.get("credsStore")
    if isinstance(store, str) and store:
        return store, "credsStore"
    return None


def _from_auths(document: Mapping[str, object], host: str) -> Credentials | None:
    auths = document.get("auths")
    if not isinstance(auths, dict):
        return None
    for key in _keys_for(host):
        entry = auths.get(key)
        if isinstance(entry, dict) and (found := _decode(entry)) is not None:
            return found
    return None


def docker_config_credentials(
    host: str, environ: Mapping[str, str] | None = None
) -> Credentials | None:
    """Credentials for ``host`` from the Docker client configuration, if any.

    Raises CredentialHelperError when the configuration names a helper that cannot
    answer (see :mod:`.credhelper`); ``environ`` defaults to this process's.
    """
    environ = os.environ if environ is None else environ
    path = _config_path(environ)
    try:
        document = json.loads(path.read_bytes()[: 1024 * 1024])
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    helper = _helper_for(document, host)
    if helper is None:
        return _from_auths(document, host)
    name, key = helper
    server = _DOCKER_HUB_SERVER if host in _DOCKER_HUB_HOSTS else host
    answer = run_credential_helper(name, server, environ=environ, origin=f"{path} {key}")
    return None if answer is None else Credentials(answer.username, answer.secret)
