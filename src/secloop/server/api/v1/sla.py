"""``/api/v1``: asset exposure, SLA policies, time-to-fix metrics, intelligence feeds.

Every write here changes an input of the priority or the due date, so each one
re-prioritises the findings it affects in the same transaction: the list sorted by
priority is never stale after the response.
"""

from __future__ import annotations

from fastapi import APIRouter

from secloop.server.access import Action
from secloop.server.api.v1.deps import Actor, State, require, require_project
from secloop.server.api.v1.schemas import (
    AssetOut,
    ExposurePatch,
    FeedOut,
    FixStatsOut,
    ProjectTimeToFix,
    SlaDays,
    SlaOut,
    WorkloadOut,
)
from secloop.server.sla import SlaPolicy
from secloop.server.storage import exposure_store, metrics, prioritise
from secloop.server.storage.db import transaction
from secloop.server.storage.intel_store import feed_status

router = APIRouter(tags=["prioritisation"])


def _sla_out(policy: SlaPolicy) -> SlaOut:
    return SlaOut(
        critical=policy.critical, high=policy.high, medium=policy.medium, low=policy.low,
        kev=policy.kev,
    )  # fmt: skip


@router.get("/assets", response_model=list[AssetOut])
def list_assets(state: State, actor: Actor, project: str | None = None) -> list[AssetOut]:
    with state.sessions() as session:
        if project is not None:
            require_project(session, actor, Action.READ, project)
        visible = actor.visible_projects()
        return [
            AssetOut(
                id=a.id, project=a.project, name=a.name, kind=a.kind, exposure=a.exposure,
                open_findings=a.open_findings,
            )
            for a in metrics.list_assets(session, project, visible)
        ]  # fmt: skip


@router.patch("/assets/{asset_id}", response_model=AssetOut)
def set_exposure(asset_id: int, patch: ExposurePatch, state: State, actor: Actor) -> AssetOut:
    """Set how reachable an asset is (internet, internal, isolated); re-prioritises it.

    An asset's exposure is a project setting: it needs the project's admin role.
    """
    with transaction(state.sessions) as session:
        require(actor, Action.MANAGE, metrics.asset_project_id(session, asset_id))
        metrics.set_exposure(session, asset_id, patch.exposure)
    with state.sessions() as session:
        (asset,) = [a for a in metrics.list_assets(session) if a.id == asset_id]
        return AssetOut(
            id=asset.id, project=asset.project, name=asset.name, kind=asset.kind,
            exposure=asset.exposure, open_findings=asset.open_findings,
        )  # fmt: skip


@router.get("/projects/{name}/workloads", response_model=list[WorkloadOut])
def list_workloads(name: str, state: State, actor: Actor) -> list[WorkloadOut]:
    """The project's Kubernetes workloads, widest exposure first, with the path that
    explains each one (derived from the manifests of its latest full scans)."""
    with state.sessions() as session:
        require_project(session, actor, Action.READ, name)
        project = metrics.project_by_name(session, name)
        return [
            WorkloadOut(
                asset=w.asset, resource=w.resource, exposure=w.exposure.value, path=w.path,
                more_paths=w.more_paths, images=list(w.images),
            )
            for w in exposure_store.project_workloads(session, project.id)
        ]  # fmt: skip


@router.get("/projects/{name}/sla", response_model=SlaOut)
def get_sla(name: str, state: State, actor: Actor) -> SlaOut:
    with state.sessions() as session:
        require_project(session, actor, Action.READ, name)
        return _sla_out(prioritise.policy_of(metrics.project_by_name(session, name)))


@router.put("/projects/{name}/sla", response_model=SlaOut)
def put_sla(name: str, days: SlaDays, state: State, actor: Actor) -> SlaOut:
    """Replace the project's SLA days (null restores a default); re-dates its findings."""
    with transaction(state.sessions) as session:
        require_project(session, actor, Action.MANAGE, name)
        return _sla_out(metrics.set_sla(session, name, days.model_dump()))


@router.get("/metrics/time-to-fix", response_model=list[ProjectTimeToFix])
def time_to_fix(state: State, actor: Actor, project: str | None = None) -> list[ProjectTimeToFix]:
    """Mean and median days from first seen to fixed, per project and severity."""
    with state.sessions() as session:
        if project is not None:
            require_project(session, actor, Action.READ, project)
        stats = metrics.time_to_fix(session, project, actor.visible_projects())
    return [
        ProjectTimeToFix(
            project=name,
            by_severity=[
                FixStatsOut(
                    severity=severity.name,  # type: ignore[arg-type]  # names are the Literal's
                    fixed=s.fixed, mean_days=s.mean_days, median_days=s.median_days,
                )
                for severity, s in sorted(by.items(), reverse=True)
            ],
        )
        for name, by in stats.items()
    ]  # fmt: skip


@router.get("/intel", response_model=list[FeedOut])
def intel_status(state: State, actor: Actor) -> list[FeedOut]:
    """Which KEV and EPSS copies the priorities use, and as of when (no project data)."""
    del actor  # any authenticated actor: every scope includes read
    with state.sessions() as session:
        return [
            FeedOut(
                name=f.name, source=f.source, as_of=f.as_of, version=f.version,
                fetched_at=f.fetched_at, entries=f.entries,
            )
            for f in feed_status(session)
        ]  # fmt: skip
