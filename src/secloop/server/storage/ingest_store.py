"""Storing an imported report: dedupe, correlate, record occurrences, close and reopen.

Steps, all inside the caller's one transaction (nothing half-written on failure):

1. Lock the project row (``SELECT ... FOR UPDATE`` on PostgreSQL) so that two
   concurrent uploads to one project cannot both create the same finding; the
   unique ``(asset_id, value)`` key constraint is the backstop.
2. Load the asset's identity keys, findings and sources into memory: one query each,
   then every report finding is matched without a round trip.
3. Match each report finding: its fingerprint key first, then its correlation keys
   (:mod:`secloop.server.correlate`); else it is a new finding.
4. Write in bulk (:mod:`secloop.server.storage.bulk`, COPY on PostgreSQL): new
   findings with their priority and due date already computed, keys, sources,
   occurrences, audit rows.
5. Lifecycle (:mod:`secloop.server.lifecycle`): findings seen again that were fixed
   are reopened; after a complete scan, sources of this tool and scanner not seen are
   marked gone, and findings with no present source left are fixed.
6. Exposure (:mod:`secloop.server.storage.exposure_store`): record the report's
   Kubernetes workloads and derive each affected finding's exposure from them.
7. Re-prioritise only the existing findings whose severity this report raised, and
   those whose derived exposure changed (in any asset of the project).
8. Root-cause links (:mod:`secloop.server.storage.links`): secloop's own, and those
   of findings of this and earlier scans with the same subject and cause.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from secloop.core.finding import Finding
from secloop.server.correlate import PeerIndex, correlation_keys, fingerprint_key, tool_of
from secloop.server.ingest.interface import ImportedReport
from secloop.server.lifecycle import Status, status_after_ingest, status_after_miss
from secloop.server.priority import cvss_score, first_cve
from secloop.server.storage import bulk, exposure_store, links, prioritise
from secloop.server.storage.models import (
    KEY_LENGTH,
    NAME_LENGTH,
    SEARCH_SEPARATOR,
    FindingKeyRow,
    FindingRow,
    FindingSearchRow,
    FindingSourceRow,
    OccurrenceRow,
    ProjectRow,
    ScanRow,
    StatusChangeRow,
)

SYSTEM_USER = "secloop"


@dataclass(slots=True)
class IngestCounts:
    total: int = 0
    new: int = 0
    merged: int = 0
    reopened: int = 0
    fixed: int = 0
    suppressed: int = 0


@dataclass(slots=True)
class _Target:
    """A finding being written: an existing row (``id``) or a new one (``row``)."""

    id: int | None
    status: Status
    severity: int
    suppressed: bool
    row: dict[str, Any] | None = None
    tools: set[str] = field(default_factory=set)
    seen: bool = False
    stored_severity: int | None = None  # as loaded: a change means a new priority


@dataclass(slots=True)
class _Source:
    id: int | None
    target: _Target
    tool: str
    scanner: str
    present: bool
    seen: bool = False


def _clip(text: str, length: int = NAME_LENGTH) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _key(value: str) -> str:
    """Keys longer than the column are hashed, keeping them exact and unique."""
    if len(value) <= KEY_LENGTH:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def _search_text(row: dict[str, Any]) -> str:
    """The ``finding_search`` text of a new finding row (as migration 0006 fills it)."""
    parts = (row["title"], row["rule_id"], row["location"], row["package"], row["cve_id"])
    return SEARCH_SEPARATOR.join(p or "" for p in parts)


def _location(finding: Finding) -> str:
    loc = finding.location
    where = loc.display
    if loc.resource is not None and loc.path is not None:
        where = f"{loc.resource.display} ({where})"
    if not where and finding.package is not None:
        where = finding.package.purl
    return _clip(where, 1000)


class _Batch:
    """Steps (2)-(5) for one scan of one asset."""

    def __init__(self, session: Session, scan: ScanRow, report: ImportedReport, now: datetime):
        self.session, self.scan, self.report, self.now = session, scan, report, now
        self.counts = IngestCounts()
        self.targets: dict[int, _Target] = {}
        self.new_targets: list[_Target] = []
        self.keys: dict[str, _Target] = {}
        self.new_keys: list[tuple[_Target, str]] = []
        self.sources: dict[tuple[int, str, str], _Source] = {}
        self.new_sources: list[tuple[_Source, dict[str, Any]]] = []
        self.occurrences: list[tuple[_Target, dict[str, Any]]] = []
        self.placed: list[_Target] = []  # the target of each report finding, in order

    def load(self) -> None:  # step (2)
        asset_id = self.scan.asset_id
        rows = self.session.execute(
            select(
                FindingRow.id, FindingRow.status, FindingRow.severity, FindingRow.suppressed
            ).where(FindingRow.asset_id == asset_id)
        )
        for fid, status, severity, suppressed in rows:
            self.targets[fid] = _Target(
                fid, Status(status), severity, suppressed, stored_severity=severity
            )
        keys = self.session.execute(
            select(FindingKeyRow.value, FindingKeyRow.finding_id).where(
                FindingKeyRow.asset_id == asset_id
            )
        )
        self.keys = {value: self.targets[fid] for value, fid in keys}
        sources = self.session.execute(
            select(
                FindingSourceRow.id, FindingSourceRow.finding_id, FindingSourceRow.tool,
                FindingSourceRow.scanner, FindingSourceRow.fingerprint, FindingSourceRow.present,
            )
            .join(FindingRow, FindingRow.id == FindingSourceRow.finding_id)
            .where(FindingRow.asset_id == asset_id)
        )  # fmt: skip
        for sid, fid, tool, scanner, fp, present in sources:
            target = self.targets[fid]
            target.tools.add(tool)
            self.sources[(id(target), tool, fp)] = _Source(sid, target, tool, scanner, present)

    def match(self, finding: Finding, peers: PeerIndex) -> None:  # step (3)
        tool = tool_of(self.report, finding)
        own = _key(fingerprint_key(finding))
        keys = correlation_keys(finding, tool, peers)
        target, reason = self.keys.get(own), ""
        if target is None:
            for key in keys:
                candidate = self.keys.get(_key(key.value))
                if candidate is not None and not (key.cross_tool_only and tool in candidate.tools):
                    target, reason = candidate, key.reason
                    break
        if target is None:
            target = self._new_target(finding)
        elif reason:
            self.counts.merged += 1
        self._attach(target, finding, tool, reason, [own, *(_key(k.value) for k in keys)])
        self.placed.append(target)

    def _new_target(self, finding: Finding) -> _Target:
        package, detail = finding.package, finding.vulnerability
        row: dict[str, Any] = {
            "project_id": self.scan.project_id,
            "asset_id": self.scan.asset_id,
            "kind": finding.kind.value,
            "rule_id": _clip(finding.rule_id),
            "title": _clip(finding.title or finding.rule_id),
            "message": finding.message,
            "status": Status.NEW.value,
            "fingerprint": _clip(finding.fingerprint, 100),
            "location": _location(finding),
            "package": _clip(package.name) if package else None,
            "package_version": _clip(package.version, 200) if package else None,
            "advisory_id": _clip(detail.advisory_id, 100) if detail else None,
            "fixed_versions": _clip(", ".join(detail.fixed_versions)) if detail else None,
            "cve_id": first_cve(detail.advisory_id, *detail.aliases) if detail else None,
            "cvss_score": cvss_score(detail.cvss_vectors) if detail else None,
            "first_seen_at": self.now,
            "last_seen_at": self.now,
            "last_scan_id": self.scan.id,
            "updated_at": self.now,
        }
        target = _Target(None, Status.NEW, int(finding.severity), finding.suppressed, row=row)
        self.new_targets.append(target)
        self.counts.new += 1
        return target

    def _attach(
        self, target: _Target, finding: Finding, tool: str, reason: str, keys: Sequence[str]
    ) -> None:
        self.counts.total += 1
        self.counts.suppressed += finding.suppressed
        target.seen = True
        target.severity = max(target.severity, int(finding.severity))
        target.suppressed = target.suppressed and finding.suppressed
        target.tools.add(tool)
        for value in keys:
            if value not in self.keys:
                self.keys[value] = target
                self.new_keys.append((target, value))
        self._source(target, finding, tool, reason)
        self.occurrences.append((target, {
            "scan_id": self.scan.id,
            "tool": tool,
            "location": _location(finding),
            "severity": int(finding.severity),
            "suppressed": finding.suppressed,
            "baseline_state": finding.baseline_state.value if finding.baseline_state else None,
        }))  # fmt: skip

    def _source(self, target: _Target, finding: Finding, tool: str, reason: str) -> None:
        fp = _clip(finding.fingerprint, 100)
        existing = self.sources.get((id(target), tool, fp))
        if existing is not None:
            existing.seen = True
            return
        source = _Source(None, target, tool, _clip(finding.scanner, 100), True, seen=True)
        self.sources[(id(target), tool, fp)] = source
        self.new_sources.append((source, {
            "project_id": self.scan.project_id,
            "tool": tool,
            "scanner": source.scanner,
            "rule_id": _clip(finding.rule_id),
            "fingerprint": fp,
            "reason": reason or "first reported",
            "present": True,
            "last_scan_id": self.scan.id,
        }))  # fmt: skip


def _audit(
    target_id: int, *, old: Status | None, new: Status, user: str, reason: str, now: datetime
) -> dict[str, Any]:
    return {
        "finding_id": target_id,
        "user": user,
        "at": now,
        "old_status": old.value if old else None,
        "new_status": new.value,
        "reason": reason,
    }


class _Writer:
    """Step (4) and (5): bulk writes of what :class:`_Batch` decided."""

    def __init__(self, batch: _Batch, user: str, exposure: exposure_store.Derivation) -> None:
        self.batch, self.user, self.exposure = batch, user, exposure
        self.session = batch.session
        self.audit: list[dict[str, Any]] = []

    def write(self) -> None:
        self._insert_findings()
        self._insert_rows(FindingSearchRow, [
            {"finding_id": t.id, "text": _search_text(t.row)}
            for t in self.batch.new_targets
            if t.row is not None
        ])  # fmt: skip
        self._update_seen()
        # In key order: the unique (asset_id, value) index is then filled left to right
        # instead of at random pages (the keys are mostly hashes), halving its cost.
        self._insert_rows(FindingKeyRow, [
            {"finding_id": t.id, "asset_id": self.batch.scan.asset_id, "value": v}
            for t, v in sorted(self.batch.new_keys, key=lambda pair: pair[1])
        ])  # fmt: skip
        self._insert_rows(FindingSourceRow, [
            {**row, "finding_id": s.target.id} for s, row in self.batch.new_sources
        ])  # fmt: skip
        self._insert_rows(OccurrenceRow, [
            {**row, "finding_id": t.id} for t, row in self.batch.occurrences
        ])  # fmt: skip
        self._close_missing()
        self._insert_rows(StatusChangeRow, self.audit)

    def _insert_rows(self, model: type[Any], rows: list[dict[str, Any]]) -> None:
        # Below the ORM (see secloop.server.storage.bulk): these rows need no identity.
        bulk.insert_rows(self.session.connection(), model.__table__, rows)

    def _update_rows(self, model: type[Any], rows: list[dict[str, Any]]) -> None:
        """``UPDATE ... WHERE id = row["id"]`` in bulk; every row sets the same columns."""
        bulk.update_rows(self.session.connection(), model.__table__, rows)

    def _insert_findings(self) -> None:
        batch = self.batch
        rows = [
            {**t.row, "severity": t.severity, "suppressed": t.suppressed}
            for t in batch.new_targets
            if t.row is not None
        ]
        scan = batch.scan
        self.exposure.fill(rows)  # step (6) for new rows: scored and written once
        prioritise.score_new(self.session, rows, asset_id=scan.asset_id, project_id=scan.project_id)
        table: Table = FindingRow.__table__  # type: ignore[assignment]  # declarative tables are Tables
        ids = bulk.insert_with_ids(self.session.connection(), table, rows)
        reason = f"first reported in scan {batch.scan.id}"
        for target, new_id in zip(batch.new_targets, ids, strict=True):
            target.id = new_id
            self.audit.append(
                _audit(
                    new_id, old=None, new=Status.NEW, user=self.user, reason=reason, now=batch.now
                )
            )

    def _update_seen(self) -> None:
        batch = self.batch
        updates: list[dict[str, Any]] = []
        for target in batch.targets.values():
            if not target.seen or target.id is None:
                continue
            new_status = status_after_ingest(target.status)
            if new_status is not target.status:
                batch.counts.reopened += 1
                reason = f"reported again in scan {batch.scan.id}"
                self.audit.append(
                    _audit(
                        target.id,
                        old=target.status,
                        new=new_status,
                        user=SYSTEM_USER,
                        reason=reason,
                        now=batch.now,
                    )
                )
                target.status = new_status
            updates.append({
                "id": target.id, "status": target.status.value, "severity": target.severity,
                "suppressed": target.suppressed, "last_seen_at": batch.now,
                "last_scan_id": batch.scan.id, "updated_at": batch.now, "fixed_at": None,
            })  # fmt: skip
        self._update_rows(FindingRow, updates)
        seen_sources = [
            {"id": s.id, "present": True, "last_scan_id": batch.scan.id}
            for s in batch.sources.values()
            if s.seen and s.id is not None
        ]
        self._update_rows(FindingSourceRow, seen_sources)

    def _close_missing(self) -> None:  # step (5)
        batch, report = self.batch, self.batch.report
        if not report.complete:
            return
        tools = {tool_of(report, f) for f in report.findings} | {report.tool.lower()}
        scanners = {s.lower() for s in report.scanners} | {report.tool.lower()}
        gone = [
            s for s in batch.sources.values()
            if s.id is not None and s.present and not s.seen
            and s.tool in tools and s.scanner.lower() in scanners
        ]  # fmt: skip
        self._update_rows(FindingSourceRow, [{"id": s.id, "present": False} for s in gone])
        for source in gone:
            source.present = False
        self._fix_abandoned({id(s.target): s.target for s in gone}.values())

    def _fix_abandoned(self, candidates: Iterable[_Target]) -> None:
        batch = self.batch
        alive = {id(s.target) for s in batch.sources.values() if s.present}
        updates: list[dict[str, Any]] = []
        for target in candidates:
            if id(target) in alive or target.id is None:
                continue
            new_status = status_after_miss(target.status, complete=True)
            if new_status is target.status:
                continue
            reason = f"no longer reported by {batch.report.tool} in scan {batch.scan.id}"
            self.audit.append(
                _audit(
                    target.id,
                    old=target.status,
                    new=new_status,
                    user=SYSTEM_USER,
                    reason=reason,
                    now=batch.now,
                )
            )
            target.status = new_status
            updates.append({
                "id": target.id, "status": new_status.value, "updated_at": batch.now,
                "fixed_at": batch.now,
            })  # fmt: skip
            batch.counts.fixed += 1
        self._update_rows(FindingRow, updates)


def _stored_ids(targets: Sequence[_Target]) -> list[int]:
    """The row id of each target; every one was written by :class:`_Writer`."""
    ids = [t.id for t in targets if t.id is not None]
    if len(ids) != len(targets):
        raise RuntimeError("a report finding was matched but never written")
    return ids


def lock_project(session: Session, project_id: int) -> None:
    """Step (1): serialise ingests per project (a no-op lock on SQLite, which has one writer)."""
    session.execute(select(ProjectRow.id).where(ProjectRow.id == project_id).with_for_update())


def store_report(
    session: Session,
    *,
    scan: ScanRow,
    report: ImportedReport,
    peers: PeerIndex,
    now: datetime,
) -> IngestCounts:
    """Steps (1)-(8) for one imported report, in the caller's transaction."""
    lock_project(session, scan.project_id)
    exposure = exposure_store.Derivation(session, scan, report)  # step (6): workloads first
    batch = _Batch(session, scan, report, now)
    batch.load()
    known = peers.with_rules(report.rules.values()) if report.rules else peers
    for finding in report.findings:
        batch.match(finding, known)
    _Writer(batch, scan.uploaded_by, exposure).write()
    links.store_links(  # step (8): needs the row ids, changes no priority input
        session,
        project_id=scan.project_id,
        report=report,
        finding_ids=_stored_ids(batch.placed),
        peers=known,
        now=now,
    )
    # New rows were scored as they were inserted; of the others only a raised severity
    # changes an input of the priority (intel, exposure and SLA edits refresh themselves).
    raised = [
        t.id for t in batch.targets.values() if t.id is not None and t.severity != t.stored_severity
    ]
    prioritise.refresh(session, asset_id=scan.asset_id, finding_ids=raised)
    exposed = exposure.apply()  # step (6) for stored findings, in any asset of the project
    if exposed:
        prioritise.refresh(session, project_id=scan.project_id, finding_ids=exposed)
    return batch.counts
