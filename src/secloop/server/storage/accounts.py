"""Users, API tokens, project memberships and the login throttle, in the database.

Login throttling is per username, whether or not the user exists (so that a lockout
does not reveal which names are real), and kept in the database so that several
server processes share it: after ``FREE_FAILURES`` consecutive failures a username
is locked for 30 s, doubling with each further failure up to 15 minutes. A success
clears the count; counts older than an hour are forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from secloop.server.access import (
    ALL_SCOPES,
    AccountError,
    AuthenticationError,
    Principal,
    Role,
    Scope,
    check_username,
    hash_password,
    needs_rehash,
    new_token,
    scopes_text,
    token_digest,
    token_hint,
    verify_password,
)
from secloop.server.errors import NotFoundError
from secloop.server.storage.models import (
    ApiTokenRow,
    LoginThrottleRow,
    MembershipRow,
    ProjectRow,
    UserRow,
)

FREE_FAILURES = 5
BASE_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)
LAST_USED_GRANULARITY = timedelta(minutes=1)  # fewer writes: one per token per minute


def has_users(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(UserRow.id.is_not(None)))))


# Users -------------------------------------------------------------------------------


def create_user(
    session: Session,
    username: str,
    password: str,
    *,
    now: datetime,
    display_name: str = "",
    is_admin: bool = False,
) -> UserRow:
    check_username(username)
    if session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
        raise AccountError(f"user {username!r} already exists")
    row = UserRow(
        username=username,
        display_name=display_name.strip()[:200] or username,
        password_hash=hash_password(password),
        is_admin=is_admin,
        active=True,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def get_user(session: Session, username: str) -> UserRow:
    row = session.scalar(select(UserRow).where(UserRow.username == username))
    if row is None:
        raise NotFoundError(f"no user {username!r}")
    return row


def get_user_by_id(session: Session, user_id: int) -> UserRow:
    row = session.get(UserRow, user_id)
    if row is None:
        raise NotFoundError(f"no user {user_id}")
    return row


def list_users(session: Session) -> list[UserRow]:
    return list(session.scalars(select(UserRow).order_by(UserRow.username)))


def set_active(session: Session, username: str, *, active: bool) -> UserRow:
    row = get_user(session, username)
    row.active = active
    return row


def set_password(session: Session, username: str, password: str) -> None:
    get_user(session, username).password_hash = hash_password(password)


@dataclass(frozen=True, slots=True)
class LoginRefused:
    """A failed login; returned, not raised, so that the failure count is committed."""

    message: str
    retry_after: int | None = None  # seconds, when the username is locked


def login(
    session: Session, username: str, password: str, *, now: datetime
) -> UserRow | LoginRefused:
    """The user whose password this is; throttled per username (see the module doc).

    1. A locked username is refused before any password check.
    2. The password is verified, against a dummy hash for an unknown user, so that
       unknown and known usernames take the same time and get the same answer.
    3. A failure is counted (and may lock the name); a success clears the count and
       upgrades the hash if the Argon2 parameters changed since it was made.
    """
    key = username[:200]
    throttle = session.get(LoginThrottleRow, key)
    if throttle is not None and throttle.last_failure_at < now - FORGET_AFTER:
        session.delete(throttle)
        session.flush()
        throttle = None
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        wait = int((throttle.locked_until - now).total_seconds()) + 1  # (1)
        return LoginRefused(f"Too many failed logins: try again in {wait} s.", retry_after=wait)
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    ok = verify_password(user.password_hash if user else None, password)  # (2)
    if user is None or not ok or not user.active:
        _count_failure(session, key, throttle, now)  # (3)
        return LoginRefused("Wrong username or password.")
    if throttle is not None:
        session.delete(throttle)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _count_failure(
    session: Session, key: str, throttle: LoginThrottleRow | None, now: datetime
) -> None:
    if throttle is None:
        throttle = LoginThrottleRow(username=key, failures=0, last_failure_at=now)
        session.add(throttle)
    throttle.failures += 1
    throttle.last_failure_at = now
    over = throttle.failures - FREE_FAILURES
    if over >= 0:
        throttle.locked_until = now + min(BASE_LOCK * (2 ** min(over, 10)), MAX_LOCK)
    session.execute(  # keep the table small: forget stale names
        delete(LoginThrottleRow).where(LoginThrottleRow.last_failure_at < now - FORGET_AFTER)
    )
    session.flush()


def principal_for(
    session: Session,
    user: UserRow,
    *,
    scopes: frozenset[Scope] = ALL_SCOPES,
    token_id: int | None = None,
) -> Principal:
    memberships = session.execute(
        select(MembershipRow.project_id, MembershipRow.role).where(MembershipRow.user_id == user.id)
    )
    return Principal(
        name=user.username,
        user_id=user.id,
        server_admin=user.is_admin,
        roles={project_id: Role(role) for project_id, role in memberships},
        scopes=scopes,
        token_id=token_id,
    )


def session_principal(session: Session, username: str) -> Principal:
    """The principal of a dashboard session; a disabled or deleted user ends the session."""
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None or not user.active:
        raise AuthenticationError("the session's user no longer exists or is disabled")
    return principal_for(session, user)


# Tokens ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedToken:
    row: ApiTokenRow
    secret: str  # shown once, never stored


def create_token(
    session: Session,
    user: UserRow,
    *,
    name: str,
    scopes: frozenset[Scope],
    now: datetime,
    expires_at: datetime | None = None,
) -> IssuedToken:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise AccountError("a token needs a name of 1-100 characters")
    if expires_at is not None and expires_at <= now:
        raise AccountError("a token's expiry must be in the future")
    secret = new_token()
    row = ApiTokenRow(
        user_id=user.id,
        name=name,
        token_hash=token_digest(secret),
        hint=token_hint(secret),
        scopes=scopes_text(scopes),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return IssuedToken(row, secret)


def list_tokens(session: Session, user_id: int | None = None) -> list[tuple[ApiTokenRow, str]]:
    """Tokens with their owner's username, optionally of one user only."""
    query = select(ApiTokenRow, UserRow.username).join(UserRow, UserRow.id == ApiTokenRow.user_id)
    if user_id is not None:
        query = query.where(ApiTokenRow.user_id == user_id)
    return [(row, name) for row, name in session.execute(query.order_by(ApiTokenRow.id))]


def revoke_token(
    session: Session, token_id: int, *, now: datetime, user_id: int | None = None
) -> ApiTokenRow:
    """Revoke a token (of ``user_id`` only, when given); revoking twice keeps the first time."""
    row = session.get(ApiTokenRow, token_id)
    if row is None or (user_id is not None and row.user_id != user_id):
        raise NotFoundError(f"no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = now
    return row


def token_principal(session: Session, secret: str, *, now: datetime) -> Principal:
    """The principal a bearer token stands for; records when it was last used."""
    row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == token_digest(secret)))
    if row is None:
        raise AuthenticationError("unknown API token")
    if row.revoked_at is not None:
        raise AuthenticationError(f"API token {row.hint}… was revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise AuthenticationError(f"API token {row.hint}… expired")
    user = session.get(UserRow, row.user_id)
    if user is None or not user.active:
        raise AuthenticationError(f"API token {row.hint}… belongs to a disabled user")
    if row.last_used_at is None or row.last_used_at < now - LAST_USED_GRANULARITY:
        row.last_used_at = now
    scopes = frozenset(Scope(s) for s in row.scopes.split())
    return principal_for(session, user, scopes=scopes, token_id=row.id)


# Memberships -------------------------------------------------------------------------


def project_id(session: Session, name: str) -> int | None:
    return session.scalar(select(ProjectRow.id).where(ProjectRow.name == name))


def _project(session: Session, name: str) -> ProjectRow:
    row = session.scalar(select(ProjectRow).where(ProjectRow.name == name))
    if row is None:
        raise NotFoundError(f"no project {name!r}")
    return row


def set_member(session: Session, project: str, username: str, role: Role) -> MembershipRow:
    """Give ``username`` ``role`` in ``project`` (replacing any role they had)."""
    project_row, user = _project(session, project), get_user(session, username)
    row = session.get(MembershipRow, (user.id, project_row.id))
    if row is None:
        row = MembershipRow(user_id=user.id, project_id=project_row.id, role=role.value)
        session.add(row)
    row.role = role.value
    session.flush()
    return row


def add_creator(session: Session, project_id_: int, user_id: int) -> None:
    """The user who created a project by uploading to it becomes its admin."""
    if session.get(MembershipRow, (user_id, project_id_)) is None:
        session.add(MembershipRow(user_id=user_id, project_id=project_id_, role=Role.ADMIN.value))
        session.flush()


def remove_member(session: Session, project: str, username: str) -> None:
    project_row, user = _project(session, project), get_user(session, username)
    row = session.get(MembershipRow, (user.id, project_row.id))
    if row is None:
        raise NotFoundError(f"{username!r} is not a member of {project!r}")
    session.delete(row)


def list_members(session: Session, project: str) -> list[tuple[str, str, Role]]:
    """(username, display name, role) of a project's members, by username."""
    project_row = _project(session, project)
    query = (
        select(UserRow.username, UserRow.display_name, MembershipRow.role)
        .join(MembershipRow, MembershipRow.user_id == UserRow.id)
        .where(MembershipRow.project_id == project_row.id)
        .order_by(UserRow.username)
    )
    return [(name, display, Role(role)) for name, display, role in session.execute(query)]
