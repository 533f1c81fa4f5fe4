"""Exposure derived from Kubernetes manifests, kept on the findings it applies to.

A secloop scan that ran the kubernetes scanner reports how reachable each workload of
its manifests is (:mod:`secloop.core.exposure`). Steps of :class:`Derivation`, inside
the ingest's transaction:

1. A complete report with workloads replaces its asset's workload rows; a partial one
   (``full_scan=false``, failed inputs) may have seen only some manifests and leaves
   them. A report without workloads (another tool, no kubernetes scanner) says
   nothing about them.
2. Each finding in scope inherits an exposure:

   a. a finding whose location names a workload of its own asset (its
      ``location.resource``) takes that workload's level and widest path;
   b. else a finding of an asset that *is* an image a workload of the project runs
      (the asset's name or a scan target, compared as normalised image references)
      takes the widest exposure among those workloads, the path ending ``→ image REF``;
   c. else none (NULL: the priority treats it as unknown).

   The scope is the ingested asset, or every asset of the project when the workloads
   changed (an image scanned earlier becomes exposed, or stops being).
3. New findings get their derived exposure before they are inserted (scored and
   written once); of the stored ones only those whose derived exposure changed are
   written, and their ids are returned so the caller re-prioritises exactly those.

An exposure set on the asset by hand still wins in the priority
(:func:`secloop.server.priority.prioritise`); the derived one is kept regardless, so
clearing the setting brings it back without a new scan.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, or_, select
from sqlalchemy.orm import Session

from secloop.core.exposure import Exposure, WorkloadExposure
from secloop.scan.artifact.image.reference import identity_of
from secloop.server.ingest.interface import ImportedReport
from secloop.server.storage import bulk
from secloop.server.storage.models import (
    NAME_LENGTH,
    AssetRow,
    FindingRow,
    ScanRow,
    WorkloadRow,
)

__all__ = ["Derivation", "WorkloadView", "project_workloads"]


@dataclass(frozen=True, slots=True)
class _Reach:
    level: str
    path: str | None


@dataclass(frozen=True, slots=True)
class _Workload:
    asset_id: int
    resource: str
    level: Exposure
    paths: tuple[str, ...]
    images: tuple[str, ...]

    @property
    def widest_path(self) -> str:
        return self.paths[0] if self.paths else ""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkloadView:
    """A workload for the dashboard: its asset, exposure, widest path and images."""

    asset: str
    resource: str
    exposure: Exposure
    path: str
    more_paths: int
    images: tuple[str, ...]


def _clip(text: str) -> str:
    return text if len(text) <= NAME_LENGTH else text[: NAME_LENGTH - 1] + "…"


def _record(session: Session, scan: ScanRow, workloads: Sequence[WorkloadExposure]) -> bool:
    """Step (1): replace the asset's workloads; True when they changed."""
    wanted = {
        _clip(w.resource.display): (w.level.value, "\n".join(w.paths), "\n".join(w.images))
        for w in workloads
    }
    stored = {
        resource: (exposure, paths, images)
        for resource, exposure, paths, images in session.execute(
            select(
                WorkloadRow.resource, WorkloadRow.exposure, WorkloadRow.paths, WorkloadRow.images
            ).where(WorkloadRow.asset_id == scan.asset_id)
        )
    }  # fmt: skip
    if stored == wanted:
        return False
    session.execute(delete(WorkloadRow).where(WorkloadRow.asset_id == scan.asset_id))
    rows = [
        {
            "project_id": scan.project_id, "asset_id": scan.asset_id,
            "resource": resource, "exposure": exposure, "paths": paths, "images": images,
        }
        for resource, (exposure, paths, images) in sorted(wanted.items())
    ]  # fmt: skip
    table: Table = WorkloadRow.__table__  # type: ignore[assignment]  # declarative tables are Tables
    bulk.insert_rows(session.connection(), table, rows)
    return True


def _workloads(session: Session, project_id: int) -> list[_Workload]:
    found: list[_Workload] = []
    query = select(
        WorkloadRow.asset_id, WorkloadRow.resource, WorkloadRow.exposure, WorkloadRow.paths,
        WorkloadRow.images,
    ).where(WorkloadRow.project_id == project_id)  # fmt: skip
    for asset_id, resource, exposure, paths, images in session.execute(query):
        try:
            level = Exposure(exposure)
        except ValueError:
            level = Exposure.UNKNOWN
        found.append(
            _Workload(
                asset_id, resource, level, tuple(p for p in paths.split("\n") if p),
                tuple(i for i in images.split("\n") if i),
            )
        )  # fmt: skip
    return found


def project_workloads(session: Session, project_id: int) -> list[WorkloadView]:
    """The project's workloads, widest exposure first, then by asset and resource."""
    query = select(AssetRow.id, AssetRow.name).where(AssetRow.project_id == project_id)
    names: dict[int, str] = {row.id: row.name for row in session.execute(query)}
    views = [
        WorkloadView(
            asset=names.get(w.asset_id, ""), resource=w.resource, exposure=w.level,
            path=w.widest_path, more_paths=max(0, len(w.paths) - 1), images=w.images,
        )
        for w in _workloads(session, project_id)
    ]  # fmt: skip
    return sorted(views, key=lambda v: (-v.exposure.rank, v.asset, v.resource))


def _by_image(workloads: Iterable[_Workload]) -> dict[str, _Reach]:
    """Step (2b): per deployed image, the widest exposure among the workloads running it."""
    best: dict[str, tuple[int, str, _Reach]] = {}
    for workload in workloads:
        kind, _, rest = workload.resource.partition("/")
        for image in workload.images:
            key = identity_of(image)
            if key is None:
                continue
            if workload.paths:
                path = f"{workload.widest_path} → image {image}"
            else:
                path = f"image {image} runs in {kind} {rest}"
            rank = (-workload.level.rank, workload.resource, _Reach(workload.level.value, path))
            if key not in best or rank[:2] < best[key][:2]:
                best[key] = rank
    return {key: reach for key, (_, _, reach) in best.items()}


def _image_refs(
    session: Session, asset_ids: Collection[int], current: dict[int, str]
) -> dict[int, set[str]]:
    """The image keys each asset may be: its name and its scans' targets."""
    refs: dict[int, set[str]] = {a: set() for a in asset_ids}
    names = select(AssetRow.id, AssetRow.name).where(AssetRow.id.in_(list(asset_ids)))
    targets = (
        select(ScanRow.asset_id, ScanRow.target)
        .where(ScanRow.asset_id.in_(list(asset_ids)), ScanRow.target != "")
        .distinct()
    )
    pairs: list[tuple[int, str]] = [
        *((a, t) for a, t in session.execute(names)),
        *((a, t) for a, t in session.execute(targets)),
    ]
    pairs.extend(current.items())
    for asset_id, text in pairs:
        key = identity_of(text)
        if key is not None:
            refs[asset_id].add(key)
    return refs


def _resource_of(location: str) -> str:
    """The workload a stored location names: ``Kind/ns/name (path:line)`` → ``Kind/ns/name``."""
    return location.split(" (", 1)[0]


def _derive_asset(
    session: Session, asset_id: int, resources: dict[str, _Reach], image: _Reach | None
) -> list[dict[str, Any]]:
    """Step (2) for one asset: the rows whose derived exposure changes."""
    query = select(
        FindingRow.id, FindingRow.location, FindingRow.derived_exposure, FindingRow.exposure_path
    ).where(FindingRow.asset_id == asset_id)
    if not resources and image is None:  # only stale values to clear
        query = query.where(FindingRow.derived_exposure.is_not(None))
    elif not resources and image is not None:  # every finding alike: only the different ones
        query = query.where(
            or_(
                FindingRow.derived_exposure.is_(None),
                FindingRow.derived_exposure != image.level,
                FindingRow.exposure_path.is_(None),
                FindingRow.exposure_path != image.path,
            )
        )
    changes: list[dict[str, Any]] = []
    for finding_id, location, level, path in session.execute(query):
        reach = resources.get(_resource_of(location), image)
        new = (reach.level, reach.path) if reach is not None else (None, None)
        if new != (level, path):
            changes.append({"id": finding_id, "derived_exposure": new[0], "exposure_path": new[1]})
    return changes


class Derivation:
    """Steps (1)-(3) for one ingest: prepared before the new findings are written.

    :meth:`fill` gives rows about to be inserted their derived exposure, so the ingest
    scores and writes them once; :meth:`apply` then corrects the existing findings.
    """

    def __init__(self, session: Session, scan: ScanRow, report: ImportedReport) -> None:
        self.session, self.scan = session, scan
        self.changed = False  # step (1)
        if report.workloads is not None and report.complete:
            self.changed = _record(session, scan, report.workloads)
        workloads = _workloads(session, scan.project_id)
        self.resources: dict[int, dict[str, _Reach]] = {}
        for w in workloads:
            reach = _Reach(w.level.value, _clip(w.widest_path) or None)
            self.resources.setdefault(w.asset_id, {})[w.resource] = reach
        self.images = _by_image(workloads)
        if self.changed:
            query = select(AssetRow.id).where(AssetRow.project_id == scan.project_id)
            self.scope = sorted(session.scalars(query))
        else:
            self.scope = [scan.asset_id]
        current = {scan.asset_id: report.target}
        self.refs = _image_refs(session, self.scope, current) if self.images else {}

    def _image(self, asset_id: int) -> _Reach | None:
        """Step (2b): the widest exposure among the workloads running the asset's image."""
        matches = [self.images[k] for k in sorted(self.refs.get(asset_id, ())) if k in self.images]
        if not matches:
            return None
        best = min(matches, key=lambda r: -Exposure(r.level).rank)
        return _Reach(best.level, _clip(best.path or ""))

    def fill(self, rows: Sequence[dict[str, Any]]) -> None:
        """Step (2) for finding rows of the scan's asset not yet inserted."""
        resources = self.resources.get(self.scan.asset_id, {})
        image = self._image(self.scan.asset_id)
        if not resources and image is None:
            return
        for row in rows:  # every row gets both keys: a bulk insert wants one set of columns
            reach = resources.get(_resource_of(row["location"]), image)
            level, path = (reach.level, reach.path) if reach is not None else (None, None)
            row["derived_exposure"], row["exposure_path"] = level, path

    def apply(self) -> list[int]:
        """Steps (2) and (3) for the stored findings in scope; returns those changed."""
        changes: list[dict[str, Any]] = []
        for asset_id in self.scope:
            resources = self.resources.get(asset_id, {})
            changes.extend(_derive_asset(self.session, asset_id, resources, self._image(asset_id)))
        table: Table = FindingRow.__table__  # type: ignore[assignment]  # declarative tables are Tables
        bulk.update_rows(self.session.connection(), table, changes)
        return [c["id"] for c in changes]
