"""``/api/v1/findings``: list with filters, detail, triage, comments, history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from secloop.core.severity import Severity
from secloop.server.access import Action, Principal
from secloop.server.api.v1.deps import Actor, State, require, require_project
from secloop.server.api.v1.schemas import (
    CommentIn,
    CommentOut,
    FindingDetail,
    FindingOut,
    FindingPage,
    HistoryEntry,
    LinkedFindingOut,
    OccurrenceOut,
    PriorityLevel,
    RiskAcceptanceOut,
    SeverityName,
    SourceOut,
    StatusPatch,
)
from secloop.server.errors import TransitionError
from secloop.server.lifecycle import RiskAcceptance, Status
from secloop.server.service import utc_now
from secloop.server.sla import is_overdue
from secloop.server.storage import links, repository
from secloop.server.storage.db import transaction
from secloop.server.storage.models import FindingRow
from secloop.server.storage.repository import FindingSort

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
        "cve_id": row.cve_id,
        "cvss_score": row.cvss_score,
        "kev": row.kev,
        "epss": row.epss,
        "epss_percentile": row.epss_percentile,
        "priority": row.priority_score,
        "priority_level": f"P{row.priority_level}",
        "priority_explanation": row.priority_reason,
        "due_date": row.due_date,
        "overdue": is_overdue(Status(row.status), row.due_date, utc_now().date()),
        "fixed_at": row.fixed_at,
    }


@router.get("", response_model=FindingPage)
def list_findings(
    *,
    state: State,
    actor: Actor,
    project: str | None = None,
    asset: str | None = None,
    status_: Annotated[list[Status] | None, Query(alias="status")] = None,
    severity: Annotated[list[SeverityName] | None, Query()] = None,
    kind: str | None = None,
    tool: str | None = None,
    priority: Annotated[list[PriorityLevel] | None, Query()] = None,
    kev: bool | None = None,
    overdue: bool = False,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: FindingSort = FindingSort.SEVERITY,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
) -> FindingPage:
    """Findings in ``sort`` order (most severe first by default).

    ``status``, ``severity`` and ``priority`` (P1..P5) may repeat; ``kev=true`` keeps
    findings whose CVE is in CISA KEV; ``overdue=true`` keeps active findings past
    their SLA due date; ``q`` matches title, rule, location, package or CVE.
    """
    now = utc_now()
    flt = repository.FindingFilter(
        project=project,
        asset=asset,
        status=tuple(status_ or ()),
        severity=tuple(Severity[name] for name in severity or ()),
        kind=kind,
        tool=tool.lower() if tool else None,
        priority=tuple(int(level[1]) for level in priority or ()),
        kev=kev,
        overdue_on=now.date() if overdue else None,
        text=q.strip() if q and q.strip() else None,
        sort=sort,
        limit=per_page,
        offset=(page - 1) * per_page,
        project_ids=actor.visible_projects(),
    )
    with transaction(state.sessions) as session:
        if project is not None:
            require_project(session, actor, Action.READ, project)
        repository.reopen_expired_acceptances(session, now.date(), now)
        total, rows = repository.list_findings(session, flt)
        items = [finding_out(row) for row in rows]
    return FindingPage(total=total, page=page, per_page=per_page, items=items)


@router.get("/overdue", response_model=FindingPage)
def overdue_findings(
    *,
    state: State,
    actor: Actor,
    project: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
) -> FindingPage:
    """Active findings past their SLA due date, the longest overdue first."""
    return list_findings(
        state=state, actor=actor, project=project, overdue=True, sort=FindingSort.DUE, page=page,
        per_page=per_page,
    )  # fmt: skip


def _authorize(state: State, actor: Principal, action: Action, finding_id: int) -> None:
    with state.sessions() as session:
        require(actor, action, repository.get_finding(session, finding_id).project_id)


def _detail(state: State, finding_id: int) -> FindingDetail:
    with state.sessions() as session:
        row = repository.get_finding(session, finding_id)
        sources = repository.finding_sources(session, finding_id)
        occurrences = repository.finding_occurrences(session, finding_id)
        comments = repository.finding_comments(session, finding_id)
        linked = links.finding_links(session, finding_id)
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
            same_root_cause=[
                LinkedFindingOut(
                    id=link.id,
                    rule_id=link.rule_id,
                    title=link.title,
                    location=link.location,
                    asset=link.asset,
                    status=Status(link.status),
                    root_cause=link.root_cause,
                    reason=link.reason,
                )
                for link in linked
            ],
            risk_acceptance=RiskAcceptanceOut(
                justification=row.risk_justification,
                owner=row.risk_owner,
                expires=row.risk_expires,
            )
            if accepted
            else None,
        )


@router.get("/{finding_id}", response_model=FindingDetail)
def get_finding(finding_id: int, state: State, actor: Actor) -> FindingDetail:
    """One finding with the tools that reported it, why they merged, and its occurrences."""
    _authorize(state, actor, Action.READ, finding_id)
    return _detail(state, finding_id)


@router.patch("/{finding_id}", response_model=FindingDetail)
def patch_finding(finding_id: int, patch: StatusPatch, state: State, actor: Actor) -> FindingDetail:
    """Change the status; risk acceptance needs a justification, an owner and an expiry."""
    _authorize(state, actor, Action.WRITE, finding_id)
    user = actor.name
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
def add_comment(finding_id: int, comment: CommentIn, state: State, actor: Actor) -> CommentOut:
    _authorize(state, actor, Action.WRITE, finding_id)
    with transaction(state.sessions) as session:
        row = repository.add_comment(
            session, finding_id, user=actor.name, body=comment.body, now=utc_now()
        )
        return CommentOut(id=row.id, user=row.user, at=row.at, body=row.body)


@router.get("/{finding_id}/history", response_model=list[HistoryEntry])
def history(finding_id: int, state: State, actor: Actor) -> list[HistoryEntry]:
    """Every status the finding was given: by whom, when, from what, and why."""
    _authorize(state, actor, Action.READ, finding_id)
    with state.sessions() as session:
        return [
            HistoryEntry(
                user=h.user, at=h.at, new_status=Status(h.new_status), reason=h.reason,
                old_status=Status(h.old_status) if h.old_status else None,
            )
            for h in repository.finding_history(session, finding_id)
        ]  # fmt: skip
