"""``/api/v1/findings``: list with filters, detail, triage, comments, history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from secloop.core.severity import Severity
from secloop.server.api.v1.deps import State, User
from secloop.server.api.v1.schemas import (
    CommentIn,
    CommentOut,
    FindingDetail,
    FindingOut,
    FindingPage,
    HistoryEntry,
    OccurrenceOut,
    RiskAcceptanceOut,
    SeverityName,
    SourceOut,
    StatusPatch,
)
from secloop.server.errors import TransitionError
from secloop.server.lifecycle import RiskAcceptance, Status
from secloop.server.service import utc_now
from secloop.server.storage import repository
from secloop.server.storage.db import transaction
from secloop.server.storage.models import FindingRow

router = APIRouter(prefix="/findings", tags=["findings"])

MAX_PER_PAGE = 500


def _severity(value: int) -> SeverityName:
    return Severity(value).name  # type: ignore[return-value]  # names are the Literal's values


def finding_out(row: FindingRow) -> FindingOut:
    return FindingOut(**_fields(row))


def _fields(row: FindingRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "project_id": row.project_id,
        "asset_id": row.asset_id,
        "kind": row.kind,
        "rule_id": row.rule_id,
        "title": row.title,
        "severity": _severity(row.severity),
        "status": Status(row.status),
        "location": row.location,
        "package": row.package,
        "package_version": row.package_version,
        "advisory_id": row.advisory_id,
        "fixed_versions": row.fixed_versions,
        "suppressed": row.suppressed,
        "fingerprint": row.fingerprint,
        "first_seen_at": row.first_seen_at,
        "last_seen_at": row.last_seen_at,
    }


@router.get("", response_model=FindingPage)
def list_findings(
    *,
    state: State,
    project: str | None = None,
    asset: str | None = None,
    status_: Annotated[list[Status] | None, Query(alias="status")] = None,
    severity: Annotated[list[SeverityName] | None, Query()] = None,
    kind: str | None = None,
    tool: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
) -> FindingPage:
    """Findings, most severe first; ``status`` and ``severity`` may repeat."""
    flt = repository.FindingFilter(
        project=project,
        asset=asset,
        status=tuple(status_ or ()),
        severity=tuple(Severity[name] for name in severity or ()),
        kind=kind,
        tool=tool.lower() if tool else None,
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    now = utc_now()
    with transaction(state.sessions) as session:
        repository.reopen_expired_acceptances(session, now.date(), now)
        total, rows = repository.list_findings(session, flt)
        items = [finding_out(row) for row in rows]
    return FindingPage(total=total, page=page, per_page=per_page, items=items)


def _detail(state: State, finding_id: int) -> FindingDetail:
    with state.sessions() as session:
        row = repository.get_finding(session, finding_id)
        sources = repository.finding_sources(session, finding_id)
        occurrences = repository.finding_occurrences(session, finding_id)
        comments = repository.finding_comments(session, finding_id)
        accepted = row.risk_justification is not None
        return FindingDetail(
            **_fields(row),
            message=row.message,
            tools=sorted({s.tool for s in sources}),
            sources=[
                SourceOut(
                    tool=s.tool,
                    scanner=s.scanner,
                    rule_id=s.rule_id,
                    fingerprint=s.fingerprint,
                    reason=s.reason,
                    present=s.present,
                )
                for s in sources
            ],
            occurrences=[
                OccurrenceOut(
                    scan_id=o.scan_id,
                    tool=o.tool,
                    location=o.location,
                    severity=_severity(o.severity),
                    suppressed=o.suppressed,
                    baseline_state=o.baseline_state,
                )
                for o in occurrences
            ],
            comments=[CommentOut(id=c.id, user=c.user, at=c.at, body=c.body) for c in comments],
            risk_acceptance=RiskAcceptanceOut(
                justification=row.risk_justification,
                owner=row.risk_owner,
                expires=row.risk_expires,
            )
            if accepted
            else None,
        )


@router.get("/{finding_id}", response_model=FindingDetail)
def get_finding(finding_id: int, state: State) -> FindingDetail:
    """One finding with the tools that reported it, why they merged, and its occurrences."""
    return _detail(state, finding_id)


@router.patch("/{finding_id}", response_model=FindingDetail)
def patch_finding(finding_id: int, patch: StatusPatch, state: State, user: User) -> FindingDetail:
    """Change the status; risk acceptance needs a justification, an owner and an expiry."""
    acceptance = None
    if patch.status is Status.RISK_ACCEPTED:
        if patch.expires is None:
            raise TransitionError("risk acceptance needs an expiry date (`expires`)")
        acceptance = RiskAcceptance(
            justification=patch.justification or "",
            owner=patch.owner or user,
            expires=patch.expires,
        )
    with transaction(state.sessions) as session:
        repository.change_status(
            session, finding_id, patch.status,
            user=user, reason=patch.reason, acceptance=acceptance, now=utc_now(),
        )  # fmt: skip
    return _detail(state, finding_id)


@router.post(
    "/{finding_id}/comments", response_model=CommentOut, status_code=status.HTTP_201_CREATED
)
def add_comment(finding_id: int, comment: CommentIn, state: State, user: User) -> CommentOut:
    with transaction(state.sessions) as session:
        row = repository.add_comment(
            session, finding_id, user=user, body=comment.body, now=utc_now()
        )
        return CommentOut(id=row.id, user=row.user, at=row.at, body=row.body)


@router.get("/{finding_id}/history", response_model=list[HistoryEntry])
def history(finding_id: int, state: State) -> list[HistoryEntry]:
    """Every status the finding was given: by whom, when, from what, and why."""
    with state.sessions() as session:
        return [
            HistoryEntry(
                user=h.user, at=h.at, new_status=Status(h.new_status), reason=h.reason,
                old_status=Status(h.old_status) if h.old_status else None,
            )
            for h in repository.finding_history(session, finding_id)
        ]  # fmt: skip
