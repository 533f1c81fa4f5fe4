"""Access control: who is acting, and what they may do in which project.

Three things decide a request's rights:

* the **user**: a server admin (``is_admin``) may do everything in every project;
  anyone else has a **role** per project (membership): ``viewer`` reads,
  ``maintainer`` also uploads, triages and comments, ``admin`` also manages the
  project's members and settings (SLA, asset exposure) and may delete it;
* the **credential**: a dashboard session carries all of its user's rights; an API
  token only those of its **scopes** (``read``; ``write`` = read + upload, triage,
  comment; ``admin`` = read + manage projects, members and tokens). A token's
  effective rights are the intersection of its scopes and its user's roles;
* the **mode**: with no user in the database the server is in single-user local
  mode (open, actor ``local``), which the CLI refuses to expose beyond loopback.

Passwords are hashed with Argon2id (argon2-cffi's defaults: 64 MiB, 3 passes). API
tokens are ``slp_`` + 32 random bytes (base64url), so secret scanners can find a
leaked one; only their SHA-256 is stored, which is enough for a secret of that
entropy (no salt or slow hash is needed against guessing 256 bits).
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar, assert_never

from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from secloop.core.errors import EXIT_USAGE, ConfigError
from secloop.server.errors import ServerError

TOKEN_PREFIX = "slp_"  # noqa: S105 - the public prefix of every token, not a token
TOKEN_BYTES = 32
LOCAL_USER = "local"
MIN_PASSWORD_LENGTH = 10


class AccessError(ServerError):
    """Base of authentication and authorisation failures."""


class AuthenticationError(AccessError):
    """No credential, or one that is wrong, expired, revoked or of a disabled user (401)."""


class PermissionDeniedError(AccessError):
    """The credential is valid but does not allow this action here (403)."""


class AccountError(ServerError):
    """A user, token or membership request that cannot be carried out (bad name, duplicate)."""

    exit_code: ClassVar[int] = EXIT_USAGE  # the caller's mistake, on the command line too


class Role(StrEnum):
    VIEWER = "viewer"
    MAINTAINER = "maintainer"
    ADMIN = "admin"


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class Action(StrEnum):
    READ = "read"  # findings, scans, assets, SLA, dashboard pages
    WRITE = "write"  # upload scans, triage, comment
    MANAGE = "manage"  # members, SLA and exposure settings, delete the project


def role_actions(role: Role) -> frozenset[Action]:
    match role:
        case Role.VIEWER:
            return frozenset({Action.READ})
        case Role.MAINTAINER:
            return frozenset({Action.READ, Action.WRITE})
        case Role.ADMIN:
            return frozenset(Action)
        case _:
            assert_never(role)


def scope_actions(scope: Scope) -> frozenset[Action]:
    match scope:
        case Scope.READ:
            return frozenset({Action.READ})
        case Scope.WRITE:
            return frozenset({Action.READ, Action.WRITE})
        case Scope.ADMIN:
            return frozenset({Action.READ, Action.MANAGE})
        case _:
            assert_never(scope)


ALL_SCOPES = frozenset(Scope)


def parse_scopes(names: Iterable[str]) -> frozenset[Scope]:
    """Scopes from their names; an empty set or an unknown name is an error (fail closed)."""
    scopes: set[Scope] = set()
    for name in names:
        try:
            scopes.add(Scope(name.strip().lower()))
        except ValueError:
            known = ", ".join(s.value for s in Scope)
            raise AccountError(f"unknown scope {name!r} (known: {known})") from None
    if not scopes:
        raise AccountError("a token needs at least one scope (read, write or admin)")
    return frozenset(scopes)


def scopes_text(scopes: Iterable[Scope]) -> str:
    return " ".join(sorted(s.value for s in scopes))


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """The authenticated actor of one request and the rights it carries."""

    name: str
    user_id: int | None
    server_admin: bool
    roles: Mapping[int, Role] = field(default_factory=dict)  # project id -> role
    scopes: frozenset[Scope] = ALL_SCOPES
    token_id: int | None = None

    @property
    def local(self) -> bool:
        """Single-user local mode: no users exist, everything is allowed."""
        return self.user_id is None

    def _granted(self) -> frozenset[Action]:
        return frozenset().union(*(scope_actions(s) for s in self.scopes))

    def grants(self, action: Action) -> bool:
        """Whether the credential's scopes allow ``action`` at all (roles aside)."""
        return action in self._granted()

    def may(self, action: Action, project_id: int | None) -> bool:
        """Whether this actor may do ``action`` in the project (None: a project not yet made)."""
        if action not in self._granted():
            return False
        if self.server_admin:
            return True
        role = self.roles.get(project_id) if project_id is not None else None
        return role is not None and action in role_actions(role)

    def visible_projects(self) -> frozenset[int] | None:
        """Project ids this actor may read; None means every project."""
        if Action.READ not in self._granted():
            return frozenset()
        return None if self.server_admin else frozenset(self.roles)

    def may_create_project(self, *, users_may_create: bool) -> bool:
        """Upload to a project that does not exist yet, becoming its admin."""
        if Action.WRITE not in self._granted():
            return False
        return self.server_admin or (users_may_create and self.user_id is not None)


def local_principal(name: str = LOCAL_USER) -> Principal:
    return Principal(name=name, user_id=None, server_admin=True)


# Passwords ---------------------------------------------------------------------------


class _Hashing:
    """The process's Argon2 hasher; :func:`use_password_parameters` may swap it."""

    hasher = PasswordHasher()  # Argon2id, the library's RFC 9106 "low memory" profile
    dummy: str | None = None


def _hasher() -> PasswordHasher:
    return _Hashing.hasher


def _dummy_hash() -> str:
    # Verified against when the username is unknown, so that the answer takes as long
    # as for a real user and response times do not tell which usernames exist.
    if _Hashing.dummy is None:
        _Hashing.dummy = _hasher().hash(secrets.token_urlsafe(16))
    return _Hashing.dummy


def use_password_parameters(parameters: Parameters | None) -> None:
    """Hash new passwords with these Argon2 parameters (None: the default profile).

    Existing hashes still verify (their parameters are in the hash) and are upgraded at
    the next login. Tests use ``argon2.profiles.CHEAPEST``: a 64 MiB hash per test user
    would make the suite slow on a small machine.
    """
    _Hashing.hasher = PasswordHasher.from_parameters(parameters) if parameters else PasswordHasher()
    _Hashing.dummy = None


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def hash_password(password: str) -> str:
    check_password_strength(password)
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant-time-ish verify; a missing user (``None``) is checked against a dummy hash."""
    try:
        _hasher().verify(stored_hash or _dummy_hash(), password)  # raises unless it matches
    except (VerificationError, InvalidHashError):
        return False
    return stored_hash is not None


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


# Tokens ------------------------------------------------------------------------------


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_hint(token: str) -> str:
    """The prefix and first characters: enough to tell tokens apart in a list."""
    return token[: len(TOKEN_PREFIX) + 6]


# Names and binding -------------------------------------------------------------------


def check_username(name: str) -> str:
    """Usernames: 1-100 of letters, digits, ``.``, ``_``, ``-`` and ``@``, not ``local``."""
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")
    if not 1 <= len(name) <= 100 or not set(name) <= allowed:
        raise AccountError(
            f"invalid username {name!r}: use 1-100 letters, digits, '.', '_', '-' or '@'"
        )
    if name == LOCAL_USER:
        raise AccountError(f"the username {LOCAL_USER!r} is reserved for local mode")
    return name


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, *, has_users: bool, insecure_no_auth: bool) -> None:
    """Refuse to expose an open (no-user) server beyond loopback unless told to."""
    if has_users or insecure_no_auth or is_loopback(host):
        return
    raise ConfigError(
        f"refusing to listen on {host}: the server has no users, so anyone who can reach it "
        "could read and change every finding. Create an admin first "
        "(`secloop server user add NAME --admin`), listen on 127.0.0.1, or pass "
        "--insecure-no-auth if the network is trusted."
    )
