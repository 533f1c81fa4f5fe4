"""Alerts uploaded to the findings server as ``runtime`` findings, in batches.

Each batch becomes one secloop JSON report (the format ``secloop scan --upload``
sends) and is handed to an *uploader*: the CLI passes the upload client, tests
may pass any callable. Steps:

1. an alert becomes a :class:`~secloop.core.finding.Finding` of kind ``runtime``:
   the rule is its rule id and title, the output line its message, the alert's
   fields its evidence, MITRE ATT&CK tags its ``mitre-attack`` mapping, and the
   Kubernetes object or pod it concerns its location;
2. its fingerprint anchor is the output line, so the same rule firing on the same
   thing again is the same finding on the server (which then counts it as seen
   again) rather than a new one; identical alerts within one batch are sent once;
3. a batch is sent when it holds ``batch_size`` alerts, when ``flush_seconds`` have
   passed since the last upload (checked as alerts arrive), and at ``close``;
   uploads are *not* full scans, so one batch never closes another's findings;
4. a failed upload counts every alert of the batch as failed, with the reason.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

from secloop.core.errors import Error
from secloop.core.finding import Finding, FindingKind
from secloop.core.fingerprint import assign_fingerprints
from secloop.core.location import KubernetesResource, Location
from secloop.core.result import ScanResult
from secloop.core.rule import Rule
from secloop.core.target import Target, TargetKind
from secloop.output.json_format import result_to_document
from secloop.runtime.event import Alert
from secloop.runtime.outputs.interface import AlertSink, Notice

__all__ = ["FindingsServerSink", "alert_finding", "alerts_report"]

SCANNER = "runtime"
_TECHNIQUE = re.compile(r"^T\d{4}(?:\.\d{3})?$")
Uploader = Callable[[str], object]


def _resource(alert: Alert) -> KubernetesResource | None:
    fields = alert.fields
    name = fields.get("ka.target.name") or fields.get("ka.resp.name")  # as the output had them
    if isinstance(name, str) and name:
        namespace = fields.get("ka.target.namespace")
        resource = fields.get("ka.target.resource")
        return KubernetesResource(
            api_version="",
            kind=resource if isinstance(resource, str) else "",
            name=name,
            namespace=namespace if isinstance(namespace, str) and namespace else None,
        )
    pod = fields.get("k8s.pod.name")
    if isinstance(pod, str) and pod:
        namespace = fields.get("k8s.ns.name")
        return KubernetesResource(
            api_version="v1",
            kind="Pod",
            name=pod,
            namespace=namespace if isinstance(namespace, str) else None,
        )
    return None


def alert_finding(alert: Alert) -> Finding:
    """Step (1): the runtime finding of one alert."""
    techniques = tuple(tag for tag in alert.tags if _TECHNIQUE.match(tag))
    return Finding(
        kind=FindingKind.RUNTIME,
        rule_id=alert.rule,
        severity=alert.priority.severity,
        title=alert.rule,
        message=alert.output,
        location=Location(resource=_resource(alert)),
        scanner=SCANNER,
        anchor=alert.output,
        evidence=json.dumps(alert.to_json_dict(), ensure_ascii=False, sort_keys=True),
        frameworks={"mitre-attack": techniques} if techniques else {},
    )


def alerts_report(alerts: list[Alert], *, target: str, source: str, tool_version: str) -> str:
    """Steps (1) and (2) for a batch: the secloop JSON report of its distinct alerts."""
    findings: dict[tuple[str, str], Finding] = {}
    for alert in alerts:
        findings.setdefault((alert.rule, alert.output), alert_finding(alert))
    rules = {
        a.rule: Rule(
            id=a.rule,
            kind=FindingKind.RUNTIME,
            title=a.rule,
            severity=a.priority.severity,
            tags=a.tags,
        )
        for a in alerts
    }
    times = [a.time_ns for a in alerts] or [time.time_ns()]
    result = ScanResult(
        target=Target(TargetKind.CLUSTER if source == "k8s_audit" else TargetKind.ROOTFS, target),
        started_at=datetime.fromtimestamp(min(times) / 1e9, UTC),
        finished_at=datetime.fromtimestamp(max(times) / 1e9, UTC),
        tool_version=tool_version,
        scanners=(SCANNER,),
        findings=tuple(assign_fingerprints(findings.values())),
        rules=rules,
    )
    return json.dumps(result_to_document(result), ensure_ascii=False)


class FindingsServerSink(AlertSink):
    """Batches alerts and uploads them through ``uploader``; see the module's steps."""

    def __init__(
        self,
        uploader: Uploader,
        *,
        target: str,
        tool_version: str,
        batch_size: int = 500,
        flush_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.name = "server"
        self.uploads = 0
        self._uploader = uploader
        self._target = target
        self._tool_version = tool_version
        self._batch_size = batch_size
        self._flush_seconds = flush_seconds
        self._clock = clock
        self._batch: list[Alert] = []
        self._last_upload = clock()

    def emit(self, notice: Notice) -> None:
        self._batch.append(notice.alert)
        due = self._clock() - self._last_upload >= self._flush_seconds
        if len(self._batch) >= self._batch_size or due:  # (3)
            self.flush()

    def flush(self) -> None:
        batch, self._batch = self._batch, []
        self._last_upload = self._clock()
        if not batch:
            return
        report = alerts_report(
            batch, target=self._target, source=batch[0].source, tool_version=self._tool_version
        )
        try:
            self._uploader(report)
        except Error as err:  # (4)
            self.stats.fail(f"{self.name}: {err.message}", len(batch))
            return
        self.uploads += 1
        self.stats.delivered += len(batch)

    def close(self) -> None:
        self.flush()
