"""``/api/v1/tokens`` (the caller's own API tokens) and ``/api/v1/projects/{name}/members``.

Creating or revoking a token needs a credential with the ``admin`` scope, and a new
token can carry no scope its creator's credential lacks. Members are managed by the
project's admins (and server admins).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Response, status

from secloop.server.access import (
    AccountError,
    Action,
    PermissionDeniedError,
    Principal,
    Role,
    Scope,
    parse_scopes,
)
from secloop.server.api.v1.deps import Actor, State, require_project
from secloop.server.api.v1.schemas import MemberIn, MemberOut, TokenCreated, TokenIn, TokenOut
from secloop.server.service import utc_now
from secloop.server.storage import accounts
from secloop.server.storage.db import transaction
from secloop.server.storage.models import ApiTokenRow

router = APIRouter(tags=["access"])


def token_out(row: ApiTokenRow, user: str) -> TokenOut:
    return TokenOut(
        id=row.id, name=row.name, user=user, hint=row.hint,
        scopes=row.scopes.split(),  # type: ignore[arg-type]  # stored from Scope values
        created_at=row.created_at, expires_at=row.expires_at,
        last_used_at=row.last_used_at, revoked_at=row.revoked_at,
    )  # fmt: skip


def _user_id(actor: Principal) -> int:
    if actor.user_id is None:
        raise AccountError(
            "the server has no users (local mode): create one with `secloop server user add`"
        )
    return actor.user_id


def _need_admin_scope(actor: Principal) -> None:
    if Scope.ADMIN not in actor.scopes:
        raise PermissionDeniedError("managing tokens needs a token with the `admin` scope")


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(state: State, actor: Actor) -> list[TokenOut]:
    """The caller's tokens, revoked and expired ones included; never their secrets."""
    user_id = _user_id(actor)
    with state.sessions() as session:
        return [token_out(row, name) for row, name in accounts.list_tokens(session, user_id)]


@router.post("/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(body: TokenIn, state: State, actor: Actor) -> TokenCreated:
    user_id = _user_id(actor)
    _need_admin_scope(actor)
    scopes = parse_scopes(body.scopes)
    if not scopes <= actor.scopes:
        raise PermissionDeniedError("a new token cannot have scopes its creator's token lacks")
    now = utc_now()
    expires = now + timedelta(days=body.expires_days) if body.expires_days else None
    with transaction(state.sessions) as session:
        user = accounts.get_user_by_id(session, user_id)
        issued = accounts.create_token(
            session, user, name=body.name, scopes=scopes, now=now, expires_at=expires
        )
        out = token_out(issued.row, user.username)
    return TokenCreated(**out.model_dump(), token=issued.secret)


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: int, state: State, actor: Actor) -> Response:
    """Revoke one of the caller's tokens (a server admin may revoke anyone's)."""
    user_id = _user_id(actor)
    _need_admin_scope(actor)
    with transaction(state.sessions) as session:
        owner = None if actor.server_admin else user_id
        accounts.revoke_token(session, token_id, now=utc_now(), user_id=owner)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/projects/{name}/members", response_model=list[MemberOut])
def list_members(name: str, state: State, actor: Actor) -> list[MemberOut]:
    with state.sessions() as session:
        require_project(session, actor, Action.MANAGE, name)
        return [
            MemberOut(user=user, display_name=display, role=role.value)
            for user, display, role in accounts.list_members(session, name)
        ]


@router.put("/projects/{name}/members/{username}", response_model=MemberOut)
def set_member(name: str, username: str, body: MemberIn, state: State, actor: Actor) -> MemberOut:
    """Give a user a role in the project, replacing the role they had."""
    with transaction(state.sessions) as session:
        require_project(session, actor, Action.MANAGE, name)
        accounts.set_member(session, name, username, Role(body.role))
        user = accounts.get_user(session, username)
        return MemberOut(user=user.username, display_name=user.display_name, role=body.role)


@router.delete("/projects/{name}/members/{username}", status_code=status.HTTP_204_NO_CONTENT)
def remove_member(name: str, username: str, state: State, actor: Actor) -> Response:
    with transaction(state.sessions) as session:
        require_project(session, actor, Action.MANAGE, name)
        accounts.remove_member(session, name, username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
