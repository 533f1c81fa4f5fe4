"""Lifecycle: fixed on a complete re-import, reopened when back, risk acceptance expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from secloop.server.api.v1.deps import AppState
from secloop.server.errors import TransitionError
from secloop.server.lifecycle import (
    RiskAcceptance,
    Status,
    acceptance_expired,
    check_transition,
    status_after_ingest,
    status_after_miss,
)
from secloop.server.storage import repository
from secloop.server.storage.db import transaction
from tests.unit.server.conftest import findings, upload
from tests.unit.server.reports import PRIVILEGED_POD, SAFE_POD, secloop_scan, trivy_vulns

TODAY = date(2026, 1, 2)
TWO = trivy_vulns(("CVE-1", "django", "3.2.9"), ("CVE-2", "requests", "2.0.0"))
ONE = trivy_vulns(("CVE-1", "django", "3.2.9"))


def _statuses(client: TestClient) -> dict[str, str]:
    return {f["rule_id"]: f["status"] for f in findings(client)}


def test_complete_reimport_fixes_what_is_gone_and_reopens_what_comes_back(
    client: TestClient,
) -> None:
    upload(client, TWO, fmt="trivy")
    second = upload(client, ONE, fmt="trivy")
    assert second["counts"]["fixed"] == 1
    assert _statuses(client) == {"CVE-1": "new", "CVE-2": "fixed"}
    third = upload(client, TWO, fmt="trivy")
    assert third["counts"]["reopened"] == 1
    assert _statuses(client) == {"CVE-1": "new", "CVE-2": "reopened"}
    fixed_id = next(f["id"] for f in findings(client) if f["rule_id"] == "CVE-2")
    history = client.get(f"/api/v1/findings/{fixed_id}/history").json()
    assert [(h["old_status"], h["new_status"], h["user"]) for h in history] == [
        (None, "new", "local"),
        ("new", "fixed", "secloop"),
        ("fixed", "reopened", "secloop"),
    ]
    assert "no longer reported by trivy" in history[1]["reason"]


def test_partial_scan_never_closes(client: TestClient) -> None:
    upload(client, TWO, fmt="trivy")
    partial = upload(client, ONE, fmt="trivy", full_scan=False)
    assert partial["complete"] is False
    assert partial["counts"]["fixed"] == 0
    assert set(_statuses(client).values()) == {"new"}


def test_other_tools_and_assets_are_not_closed_by_a_reimport(client: TestClient) -> None:
    upload(client, TWO, fmt="trivy", asset="a")
    upload(client, TWO, fmt="trivy", asset="b")
    upload(client, ONE, fmt="trivy", asset="a")
    assert _statuses(client) != {}
    assert len([f for f in findings(client, asset="b") if f["status"] == "new"]) == 2


def test_secloop_rescan_after_the_fix_closes_the_finding(
    client: TestClient, tmp_path: Path
) -> None:
    upload(client, secloop_scan(tmp_path / "r1", PRIVILEGED_POD), fmt="secloop")
    scan = upload(client, secloop_scan(tmp_path / "r2", SAFE_POD), fmt="secloop")
    assert scan["counts"]["fixed"] >= 1
    assert _statuses(client)["SL-K8S-001"] == "fixed"


def test_false_positive_keeps_its_status_when_gone_and_back(client: TestClient) -> None:
    upload(client, TWO, fmt="trivy")
    target = next(f["id"] for f in findings(client) if f["rule_id"] == "CVE-2")
    response = client.patch(f"/api/v1/findings/{target}", json={"status": "false_positive"})
    assert response.status_code == 200
    upload(client, ONE, fmt="trivy")
    upload(client, TWO, fmt="trivy")
    assert _statuses(client)["CVE-2"] == "false_positive"


def test_expired_risk_acceptance_reopens_the_finding(client: TestClient) -> None:
    upload(client, ONE, fmt="trivy")
    (finding,) = findings(client)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    accepted = client.patch(
        f"/api/v1/findings/{finding['id']}",
        json={
            "status": "risk_accepted",
            "justification": "not reachable from the internet",
            "owner": "alice",
            "expires": tomorrow.isoformat(),
        },
        headers={"X-Secloop-User": "bob"},
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["risk_acceptance"]["owner"] == "alice"
    state: AppState = client.app.state.secloop  # type: ignore[attr-defined]
    later = datetime.combine(tomorrow + timedelta(days=1), datetime.min.time(), UTC)
    with transaction(state.sessions) as session:
        assert repository.reopen_expired_acceptances(session, later.date(), later) == 1
    history = client.get(f"/api/v1/findings/{finding['id']}/history").json()
    assert [h["new_status"] for h in history] == ["new", "risk_accepted", "reopened"]
    assert history[1]["user"] == "bob"
    assert history[1]["reason"] == "not reachable from the internet"
    assert "expired" in history[2]["reason"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "risk_accepted", "owner": "a", "expires": "2999-01-01"}, "justification"),
        ({"status": "risk_accepted", "justification": "why"}, "expiry"),
        (
            {"status": "risk_accepted", "justification": "why", "expires": "2000-01-01"},
            "future",
        ),
        ({"status": "new"}, "only ingest"),
        ({"status": "reopened"}, "only ingest"),
    ],
)
def test_invalid_transitions_are_refused(
    client: TestClient, body: dict[str, str], message: str
) -> None:
    upload(client, ONE, fmt="trivy")
    (finding,) = findings(client)
    response = client.patch(f"/api/v1/findings/{finding['id']}", json=body)
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert len(client.get(f"/api/v1/findings/{finding['id']}/history").json()) == 1


def test_transition_rules() -> None:
    acceptance = RiskAcceptance(justification="ok", owner="o", expires=TODAY + timedelta(days=1))
    check_transition(Status.NEW, Status.TRIAGED, acceptance=None, today=TODAY)
    check_transition(Status.OPEN, Status.RISK_ACCEPTED, acceptance=acceptance, today=TODAY)
    with pytest.raises(TransitionError, match="already"):
        check_transition(Status.OPEN, Status.OPEN, acceptance=None, today=TODAY)
    no_owner = RiskAcceptance(justification="ok", owner=" ", expires=TODAY + timedelta(days=1))
    with pytest.raises(TransitionError, match="owner"):
        check_transition(Status.OPEN, Status.RISK_ACCEPTED, acceptance=no_owner, today=TODAY)
    assert status_after_ingest(Status.FIXED) is Status.REOPENED
    assert status_after_ingest(Status.RISK_ACCEPTED) is Status.RISK_ACCEPTED
    for status in Status:
        after = status_after_miss(status, complete=True)
        assert after is (
            Status.FIXED
            if status in {Status.NEW, Status.OPEN, Status.TRIAGED, Status.REOPENED}
            else status
        )
        assert status_after_miss(status, complete=False) is status
    assert acceptance_expired(TODAY - timedelta(days=1), TODAY)
    assert not acceptance_expired(TODAY, TODAY)
    assert not acceptance_expired(None, TODAY)
    assert acceptance_expired(datetime(2025, 1, 1, tzinfo=UTC), TODAY)
