"""Passwords, tokens, roles and scopes, the login throttle, and the access API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2.profiles import CHEAPEST
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from secloop.core.errors import ConfigError
from secloop.server.access import (
    TOKEN_PREFIX,
    AccountError,
    Action,
    AuthenticationError,
    Principal,
    Role,
    Scope,
    check_bind,
    hash_password,
    local_principal,
    new_token,
    parse_scopes,
    role_actions,
    scope_actions,
    token_digest,
    use_password_parameters,
    verify_password,
)
from secloop.server.errors import NotFoundError
from secloop.server.storage import accounts
from secloop.server.storage.db import make_engine, session_factory, transaction, upgrade
from secloop.server.storage.models import ApiTokenRow, UserRow
from tests.unit.server.conftest import PASSWORD, add_user, bearer, findings, make_client, upload
from tests.unit.server.reports import trivy_vulns

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
REPORT = trivy_vulns(("CVE-1", "django", "3.2.9"))


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    upgrade(engine)
    with transaction(session_factory(engine)) as session:
        yield session
    engine.dispose()


def test_passwords_are_argon2id_and_verified() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "x")
    assert not verify_password(None, PASSWORD)  # unknown user: a dummy hash is verified
    assert not verify_password("not a hash", PASSWORD)
    assert hash_password(PASSWORD) != stored  # salted
    with pytest.raises(AccountError, match="at least 10 characters"):
        hash_password("short")


def test_the_default_profile_is_rfc_9106_low_memory_and_old_hashes_upgrade(db: Session) -> None:
    accounts.create_user(db, "old", PASSWORD, now=NOW)  # made with the tests' cheap profile
    use_password_parameters(None)
    try:
        assert hash_password(PASSWORD).startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        user = accounts.login(db, "old", PASSWORD, now=NOW)
        assert isinstance(user, UserRow)
        assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert not verify_password(None, PASSWORD)  # a dummy hash of the new profile
    finally:
        use_password_parameters(CHEAPEST)


def test_tokens_are_prefixed_random_and_stored_only_as_sha256(db: Session) -> None:
    one, two = new_token(), new_token()
    assert one.startswith(TOKEN_PREFIX)
    assert one != two
    assert len(one) >= len(TOKEN_PREFIX) + 43  # 32 random bytes in base64url
    user = accounts.create_user(db, "ann", PASSWORD, now=NOW)
    issued = accounts.create_token(db, user, name="ci", scopes=frozenset({Scope.READ}), now=NOW)
    row = db.scalars(select(ApiTokenRow)).one()
    assert row.token_hash == token_digest(issued.secret)
    assert issued.secret not in {row.token_hash, row.hint, row.name, row.scopes}
    assert row.hint == issued.secret[:10]
    principal = accounts.token_principal(db, issued.secret, now=NOW)
    assert (principal.name, principal.scopes, principal.token_id) == (
        "ann", frozenset({Scope.READ}), row.id,
    )  # fmt: skip
    assert row.last_used_at == NOW
    accounts.token_principal(db, issued.secret, now=NOW + timedelta(seconds=30))
    assert row.last_used_at == NOW  # recorded at most once a minute
    accounts.token_principal(db, issued.secret, now=NOW + timedelta(minutes=2))
    assert row.last_used_at == NOW + timedelta(minutes=2)


def test_revoked_expired_and_disabled_tokens_are_refused(db: Session) -> None:
    user = accounts.create_user(db, "ben", PASSWORD, now=NOW)
    scopes = frozenset({Scope.WRITE})
    revoked = accounts.create_token(db, user, name="a", scopes=scopes, now=NOW)
    accounts.revoke_token(db, revoked.row.id, now=NOW)
    with pytest.raises(AuthenticationError, match="was revoked"):
        accounts.token_principal(db, revoked.secret, now=NOW)
    first = revoked.row.revoked_at
    accounts.revoke_token(db, revoked.row.id, now=NOW + timedelta(days=1))
    assert revoked.row.revoked_at == first
    expiring = accounts.create_token(
        db, user, name="b", scopes=scopes, now=NOW, expires_at=NOW + timedelta(days=1)
    )
    assert accounts.token_principal(db, expiring.secret, now=NOW).name == "ben"
    with pytest.raises(AuthenticationError, match="expired"):
        accounts.token_principal(db, expiring.secret, now=NOW + timedelta(days=1))
    live = accounts.create_token(db, user, name="c", scopes=scopes, now=NOW)
    accounts.set_active(db, "ben", active=False)
    with pytest.raises(AuthenticationError, match="disabled user"):
        accounts.token_principal(db, live.secret, now=NOW)
    with pytest.raises(AuthenticationError, match="unknown API token"):
        accounts.token_principal(db, new_token(), now=NOW)
    with pytest.raises(NotFoundError):
        accounts.revoke_token(db, live.row.id, now=NOW, user_id=user.id + 1)
    with pytest.raises(AccountError, match="in the future"):
        accounts.create_token(db, user, name="d", scopes=scopes, now=NOW, expires_at=NOW)
    with pytest.raises(AccountError, match="a name"):
        accounts.create_token(db, user, name=" ", scopes=scopes, now=NOW)


def test_users_are_checked(db: Session) -> None:
    accounts.create_user(db, "cat", PASSWORD, now=NOW, display_name="Cat Stevens", is_admin=True)
    with pytest.raises(AccountError, match="already exists"):
        accounts.create_user(db, "cat", PASSWORD, now=NOW)
    for bad in ("", "local", "a b", "x" * 101, "semi;colon"):
        with pytest.raises(AccountError):
            accounts.create_user(db, bad, PASSWORD, now=NOW)
    (cat,) = accounts.list_users(db)
    assert (cat.display_name, cat.is_admin, cat.active) == ("Cat Stevens", True, True)
    accounts.set_password(db, "cat", "another long password")
    assert isinstance(accounts.login(db, "cat", "another long password", now=NOW), UserRow)
    with pytest.raises(NotFoundError):
        accounts.get_user(db, "dog")


def test_login_locks_a_username_after_repeated_failures_and_backs_off(db: Session) -> None:
    accounts.create_user(db, "dee", PASSWORD, now=NOW)
    for n in range(accounts.FREE_FAILURES):
        refused = accounts.login(db, "dee", "wrong password", now=NOW + timedelta(seconds=n))
        assert refused == accounts.LoginRefused("Wrong username or password.")
    at = NOW + timedelta(seconds=accounts.FREE_FAILURES)
    locked = accounts.login(db, "dee", PASSWORD, now=at)  # right password, but locked
    assert isinstance(locked, accounts.LoginRefused)
    assert locked.retry_after is not None
    assert 0 < locked.retry_after <= 30
    after_lock = at + timedelta(seconds=31)
    again = accounts.login(db, "dee", "wrong password", now=after_lock)  # 6th failure: 60 s
    assert again == accounts.LoginRefused("Wrong username or password.")
    longer = accounts.login(db, "dee", PASSWORD, now=after_lock + timedelta(seconds=31))
    assert isinstance(longer, accounts.LoginRefused)
    assert longer.retry_after is not None
    assert 25 <= longer.retry_after <= 30
    ok = accounts.login(db, "dee", PASSWORD, now=after_lock + timedelta(seconds=61))
    assert isinstance(ok, UserRow)
    fresh = accounts.login(db, "dee", "wrong password", now=after_lock + timedelta(seconds=62))
    assert fresh == accounts.LoginRefused("Wrong username or password.")  # the count restarted


def test_unknown_usernames_are_throttled_alike_and_old_failures_forgotten(db: Session) -> None:
    for _ in range(accounts.FREE_FAILURES):
        accounts.login(db, "ghost", "guess number n", now=NOW)
    locked = accounts.login(db, "ghost", "guess number n", now=NOW)
    assert isinstance(locked, accounts.LoginRefused)
    assert locked.retry_after is not None
    later = NOW + accounts.FORGET_AFTER + timedelta(seconds=1)
    refused = accounts.login(db, "ghost", "guess number n", now=later)
    assert refused == accounts.LoginRefused("Wrong username or password.")


def test_roles_and_scopes_intersect() -> None:
    assert role_actions(Role.VIEWER) == {Action.READ}
    assert role_actions(Role.MAINTAINER) == {Action.READ, Action.WRITE}
    assert role_actions(Role.ADMIN) == set(Action)
    assert scope_actions(Scope.READ) == {Action.READ}
    assert scope_actions(Scope.WRITE) == {Action.READ, Action.WRITE}
    assert scope_actions(Scope.ADMIN) == {Action.READ, Action.MANAGE}
    admin_read = Principal(
        name="a", user_id=1, server_admin=False, roles={7: Role.ADMIN},
        scopes=frozenset({Scope.READ}),
    )  # fmt: skip
    assert admin_read.may(Action.READ, 7)
    assert not admin_read.may(Action.WRITE, 7)
    assert not admin_read.may(Action.READ, 8)
    assert admin_read.visible_projects() == frozenset({7})
    root = Principal(name="r", user_id=2, server_admin=True, scopes=frozenset({Scope.WRITE}))
    assert root.may(Action.WRITE, 99)
    assert not root.may(Action.MANAGE, 99)
    assert root.visible_projects() is None
    assert root.may_create_project(users_may_create=False)
    maintainer = Principal(name="m", user_id=3, server_admin=False, roles={1: Role.MAINTAINER})
    assert not maintainer.may_create_project(users_may_create=False)
    assert maintainer.may_create_project(users_may_create=True)
    assert not admin_read.may_create_project(users_may_create=True)
    assert local_principal().may(Action.MANAGE, None)
    assert parse_scopes([" Read", "write"]) == {Scope.READ, Scope.WRITE}
    with pytest.raises(AccountError, match="unknown scope 'root'"):
        parse_scopes(["root"])
    with pytest.raises(AccountError, match="at least one scope"):
        parse_scopes([])


def test_an_open_server_refuses_to_listen_beyond_loopback() -> None:
    for host in ("127.0.0.1", "::1", "[::1]", "localhost", "127.8.9.10"):
        check_bind(host, has_users=False, insecure_no_auth=False)
    with pytest.raises(ConfigError, match=r"refusing to listen on 0\.0\.0\.0.*--insecure-no-auth"):
        check_bind("0.0.0.0", has_users=False, insecure_no_auth=False)  # noqa: S104
    with pytest.raises(ConfigError):
        check_bind("server.example", has_users=False, insecure_no_auth=False)
    check_bind("0.0.0.0", has_users=True, insecure_no_auth=False)  # noqa: S104
    check_bind("0.0.0.0", has_users=False, insecure_no_auth=True)  # noqa: S104


@pytest.fixture
def team(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with make_client(tmp_path) as client:
        upload(client, REPORT, project="shop")
        tokens = {
            "root": add_user(client, "root", admin=True),
            "pat": add_user(client, "pat", roles={"shop": "admin"}),
            "max": add_user(client, "max", roles={"shop": "maintainer"}),
        }
        yield client, tokens


def test_own_tokens_through_the_api(team: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = team
    created = client.post(
        "/api/v1/tokens", json={"name": "ci", "scopes": ["write"], "expires_days": 30},
        headers=bearer(tokens["max"]),
    )  # fmt: skip
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["token"].startswith(TOKEN_PREFIX)
    assert (body["user"], body["scopes"], body["revoked_at"]) == ("max", ["write"], None)
    listed = client.get("/api/v1/tokens", headers=bearer(tokens["max"])).json()
    assert [t["name"] for t in listed] == ["test", "ci"]
    assert all("token" not in t for t in listed)
    assert client.get("/api/v1/projects", headers=bearer(body["token"])).status_code == 200
    # the new token cannot create tokens (no admin scope) nor widen its scopes
    wider = client.post(
        "/api/v1/tokens", json={"name": "x", "scopes": ["admin"]}, headers=bearer(body["token"])
    )
    assert wider.status_code == 403
    # another user cannot revoke it; its owner can, and then it stops working
    assert (
        client.delete(f"/api/v1/tokens/{body['id']}", headers=bearer(tokens["pat"])).status_code
        == 404
    )
    assert (
        client.delete(f"/api/v1/tokens/{body['id']}", headers=bearer(tokens["max"])).status_code
        == 204
    )
    assert client.get("/api/v1/projects", headers=bearer(body["token"])).status_code == 401


def test_token_scopes_cannot_exceed_the_creator_s(tmp_path: Path) -> None:
    with make_client(tmp_path) as client:
        token = add_user(client, "sam", scopes=("admin",))
        wider = client.post(
            "/api/v1/tokens", json={"name": "w", "scopes": ["write"]}, headers=bearer(token)
        )
        assert wider.status_code == 403
        assert "scopes its creator" in wider.json()["detail"]
        assert (
            client.post(
                "/api/v1/tokens", json={"name": "w", "scopes": ["x"]}, headers=bearer(token)
            ).status_code
            == 422
        )


def test_tokens_in_local_mode_say_to_create_a_user(client: TestClient) -> None:
    response = client.get("/api/v1/tokens")
    assert response.status_code == 409
    assert "secloop server user add" in response.json()["detail"]


def test_project_admins_manage_members(team: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = team
    add_user(client, "vic")
    url = "/api/v1/projects/shop/members"
    put = client.put(f"{url}/vic", json={"role": "viewer"}, headers=bearer(tokens["pat"]))
    assert put.json() == {"user": "vic", "display_name": "vic", "role": "viewer"}
    members = client.get(url, headers=bearer(tokens["pat"])).json()
    assert [(m["user"], m["role"]) for m in members] == [
        ("max", "maintainer"), ("pat", "admin"), ("vic", "viewer"),
    ]  # fmt: skip
    assert (
        client.put(f"{url}/vic", json={"role": "boss"}, headers=bearer(tokens["pat"])).status_code
        == 422
    )
    assert (
        client.put(
            f"{url}/nobody", json={"role": "viewer"}, headers=bearer(tokens["pat"])
        ).status_code
        == 404
    )
    assert client.delete(f"{url}/vic", headers=bearer(tokens["pat"])).status_code == 204
    assert client.delete(f"{url}/vic", headers=bearer(tokens["pat"])).status_code == 404
    assert client.get(url, headers=bearer(tokens["max"])).status_code == 403


def test_uploads_create_projects_only_for_those_allowed(
    team: tuple[TestClient, dict[str, str]], tmp_path: Path
) -> None:
    client, tokens = team
    refused = client.post(
        "/api/v1/scans", files={"file": ("r.json", REPORT)}, data={"project": "new"},
        headers=bearer(tokens["max"]),
    )  # fmt: skip
    assert refused.status_code == 403
    assert refused.json()["detail"] == "max may not upload to project 'new'"
    upload(client, REPORT, project="new", headers=bearer(tokens["root"]))
    members = client.get("/api/v1/projects/new/members", headers=bearer(tokens["root"])).json()
    assert [(m["user"], m["role"]) for m in members] == [("root", "admin")]
    with make_client(tmp_path / "open", users_may_create_projects=True) as open_client:
        token = add_user(open_client, "una")
        upload(open_client, REPORT, project="mine", headers=bearer(token))
        mine = open_client.get("/api/v1/projects/mine/members", headers=bearer(token)).json()
        assert [(m["user"], m["role"]) for m in mine] == [("una", "admin")]
        assert findings(open_client, headers=bearer(token), project="mine")[0]["title"]


def test_a_project_admin_deletes_the_project(team: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = team
    assert client.delete("/api/v1/projects/shop", headers=bearer(tokens["max"])).status_code == 403
    assert client.delete("/api/v1/projects/shop", headers=bearer(tokens["pat"])).status_code == 204
    assert client.get("/api/v1/projects", headers=bearer(tokens["root"])).json() == []
    assert findings(client, headers=bearer(tokens["root"])) == []
    assert client.delete("/api/v1/projects/shop", headers=bearer(tokens["root"])).status_code == 404
