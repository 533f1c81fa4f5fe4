"""secloop's own JSON report: complete, versioned, and readable back into a ScanResult.

Writing builds plain dictionaries straight from the frozen domain values (fast and
deterministic: keys in a fixed order, findings in the result's order). Reading goes
through the pydantic wire model in :mod:`secloop.output.json_wire`, the trust boundary.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring  # the C implementation when available
from typing import Any, TextIO

from pydantic import ValidationError

from secloop.core.errors import ReportError
from secloop.core.exposure import WorkloadExposure
from secloop.core.finding import (
    Finding,
    RelatedFinding,
    SecretVerification,
    Suppression,
    VulnerabilityDetail,
)
from secloop.core.location import KubernetesResource, LayerRef, Location
from secloop.core.package import Package
from secloop.core.result import Coverage, Failed, Scanned, ScanResult, Skipped
from secloop.core.rule import Rule
from secloop.intel.model import ExploitSignal
from secloop.output.interface import Formatter, OutputFormat, ReportContext
from secloop.output.json_text import Encoded, Out, write_value

__all__ = ["JsonFormatter", "load_result", "result_to_document", "write_report"]

Document = dict[str, Any]


def _without_none(data: Document) -> Document:
    return {key: value for key, value in data.items() if value is not None}


def _layer(layer: LayerRef | None) -> Document | None:
    if layer is None:
        return None
    return _without_none(
        {"diff_id": layer.diff_id, "index": layer.index, "created_by": layer.created_by}
    )


def _resource(resource: KubernetesResource | None) -> Document | None:
    if resource is None:
        return None
    return _without_none(
        {
            "api_version": resource.api_version,
            "kind": resource.kind,
            "name": resource.name,
            "namespace": resource.namespace,
        }
    )


def _location(location: Location) -> Document:
    return _without_none(
        {
            "path": location.path,
            "start_line": location.start_line,
            "end_line": location.end_line,
            "start_column": location.start_column,
            "end_column": location.end_column,
            "layer": _layer(location.layer),
            "resource": _resource(location.resource),
        }
    )


def _package(package: Package | None) -> Document | None:
    if package is None:
        return None
    return _without_none(
        {
            "name": package.name,
            "version": package.version,
            "ecosystem": package.ecosystem,
            "purl": package.purl,
            "source_name": package.source_name,
            "locations": [
                _without_none({"path": loc.path, "line": loc.line, "layer": _layer(loc.layer)})
                for loc in package.locations
            ],
            "license": package.license,
            "direct": package.direct,
            "dev": True if package.dev else None,  # written only when set, as the others
            "depends_on": list(package.depends_on) or None,
        }
    )


def _verification(verification: SecretVerification | None) -> Document | None:
    if verification is None:
        return None
    return _without_none(
        {
            "status": verification.status.value,
            "verifier": verification.verifier,
            "reason": verification.reason or None,
        }
    )


def _suppression(suppression: Suppression | None) -> Document | None:
    if suppression is None:
        return None
    return _without_none(
        {
            "kind": suppression.kind.value,
            "reason": suppression.reason,
            "source": suppression.source,
            "expires": suppression.expires.isoformat() if suppression.expires else None,
        }
    )


def _vulnerability(detail: VulnerabilityDetail | None) -> Document | None:
    if detail is None:
        return None
    return {
        "advisory_id": detail.advisory_id,
        "aliases": list(detail.aliases),
        "installed_version": detail.installed_version,
        "fixed_versions": list(detail.fixed_versions),
        "cvss_vectors": list(detail.cvss_vectors),
    }


def exploit_document(signal: ExploitSignal | None) -> Document | None:
    """KEV membership and EPSS score from the local intelligence cache at report time."""
    if signal is None:
        return None
    kev = signal.kev
    return _without_none(
        {
            "kev": kev is not None,
            "kev_cve": signal.kev_cve,
            "kev_date_added": kev.date_added.isoformat() if kev else None,
            "kev_due_date": kev.due_date.isoformat() if kev and kev.due_date else None,
            "kev_ransomware": kev.ransomware if kev else None,
            "epss": signal.epss,
            "epss_percentile": signal.epss_percentile,
            "epss_cve": signal.epss_cve,
        }
    )


def _related(related: tuple[RelatedFinding, ...]) -> list[Document] | None:
    """Root-cause links (ADR 6); left out when there are none, as most findings have."""
    return [
        {
            "fingerprint": link.fingerprint,
            "rule_id": link.rule_id,
            "location": link.location,
            "root_cause": link.root_cause.value,
        }
        for link in related
    ] or None


def _finding(finding: Finding, exploits: Mapping[str, ExploitSignal]) -> Document:
    return _without_none(
        {
            "kind": finding.kind.value,
            "rule_id": finding.rule_id,
            "severity": finding.severity.name,
            "title": finding.title,
            "message": finding.message,
            "location": _location(finding.location),
            "scanner": finding.scanner,
            "anchor": finding.anchor,
            "evidence": finding.evidence,
            "remediation": finding.remediation,
            "references": list(finding.references),
            "frameworks": {k: list(v) for k, v in finding.frameworks.items()},
            "package": _package(finding.package),
            "vulnerability": _vulnerability(finding.vulnerability),
            "fingerprint": finding.fingerprint,
            "suppression": _suppression(finding.suppression),
            "baseline_state": finding.baseline_state.value if finding.baseline_state else None,
            "verification": _verification(finding.verification),
            "exploit": exploit_document(exploits.get(finding.fingerprint)),
            "related": _related(finding.related),
            "image": finding.image,
        }
    )


def _rule(rule: Rule) -> Document:
    return _without_none(
        {
            "id": rule.id,
            "kind": rule.kind.value,
            "title": rule.title,
            "severity": rule.severity.name,
            "description": rule.description,
            "remediation": rule.remediation,
            "references": list(rule.references),
            "peers": dict(rule.peers),
            "frameworks": {k: list(v) for k, v in rule.frameworks.items()},
            "help_uri": rule.help_uri,
            "tags": list(rule.tags),
            "root_cause": rule.root_cause.value if rule.root_cause else None,
        }
    )


def _coverage(item: Coverage) -> Document:
    match item:
        case Scanned():
            return {"path": item.path, "status": "scanned", "by": list(item.by)}
        case Skipped():
            return {
                "path": item.path,
                "status": "skipped",
                "reason": item.reason.value,
                "detail": item.detail,
            }
        case Failed():
            return {
                "path": item.path,
                "status": "failed",
                "reason": item.reason,
                "by": [item.by] if item.by else [],
            }


def _workloads(workloads: tuple[WorkloadExposure, ...]) -> list[Document] | None:
    """Each workload's exposure (core.exposure); left out when the scan found none."""
    return [
        {
            "resource": _resource(w.resource),
            "images": list(w.images),
            "exposure": w.level.value,
            "paths": list(w.paths),
        }
        for w in workloads
    ] or None


def _summary(result: ScanResult) -> Document:
    active = result.active_findings
    return {
        "total": len(result.findings),
        "active": len(active),
        "suppressed": sum(1 for f in result.findings if f.suppressed),
        "unchanged": sum(1 for f in result.findings if not f.suppressed and not f.active),
        "by_severity": {sev.name: n for sev, n in result.severity_counts().items()},
        "scanned": len(result.scanned),
        "skipped": len(result.skipped),
        "failed": len(result.failed),
    }


def result_to_document(
    result: ScanResult,
    exploits: Mapping[str, ExploitSignal] | None = None,
    *,
    with_findings: bool = True,
) -> Document:
    """The JSON document of a result, in the documented key order; ``exploits`` adds
    KEV/EPSS to the vulnerability findings they name (by fingerprint). Without
    ``with_findings`` the findings array is left empty (:func:`write_report` streams it)."""
    known = exploits or {}
    os_info = result.operating_system
    return _without_none(
        {
            "schema_version": "1",
            "tool": {"name": "secloop", "version": result.tool_version},
            "target": _without_none(
                {
                    "kind": result.target.kind.value,
                    "name": result.target.name,
                    "digest": result.target.digest,
                }
            ),
            "started_at": result.started_at.isoformat(),
            "finished_at": result.finished_at.isoformat(),
            "scanners": list(result.scanners),
            "summary": _summary(result),
            "findings": [_finding(f, known) for f in result.findings] if with_findings else [],
            "rules": {rule_id: _rule(rule) for rule_id, rule in result.rules.items()},
            "packages": [_package(p) for p in result.packages],
            "operating_system": {
                "family": os_info.family,
                "name": os_info.name,
                "version": os_info.version,
            }
            if os_info
            else None,
            "coverage": [_coverage(c) for c in result.coverage],
            "files_without_scanner": result.files_without_scanner,
            "timings": dict(result.timings),
            "versions": dict(result.versions),
            "warnings": list(result.warnings),
            "workloads": _workloads(result.workloads),
        }
    )


def write_report(
    result: ScanResult, exploits: Mapping[str, ExploitSignal] | None, out: Out
) -> None:
    """The report's text, as ``json.dumps(result_to_document(...), indent=2)`` plus a
    newline, handed to ``out`` in pieces: one finding's document exists at a time, so
    memory does not grow with a second copy of every finding."""
    known = exploits or {}
    document = result_to_document(result, known, with_findings=False)
    out("{")
    separator = "\n  "
    for key, value in document.items():
        out(f"{separator}{json.dumps(key)}: ")
        separator = ",\n  "
        if key == "findings" and result.findings:
            _write_findings(result.findings, known, out)
        else:
            write_value(value, out, "\n  ")
    out("\n}\n")


def _write_findings(
    findings: Sequence[Finding], exploits: Mapping[str, ExploitSignal], out: Out
) -> None:
    """The findings array, one piece per finding (a write per token costs more than
    the encoding when the stream is a file)."""
    shared: _Shared = {}
    separator = "[\n    "
    for finding in findings:
        out(separator + _finding_text(finding, exploits, shared))
        separator = ",\n    "
    out("\n  ]")


#: Encoded values cached by the id of the object they were made from (kept alive
#: with it, so that the id cannot be reused meanwhile).
_Shared = dict[int, tuple[object, Encoded]]
#: Indentation of a finding's keys, and of the keys of the objects inside a finding.
_FIELD = "\n      "
_INNER = "\n        "


def _finding_text(
    finding: Finding,
    exploits: Mapping[str, ExploitSignal],
    shared: _Shared,
) -> str:
    """``_finding``'s document as :func:`write_value` encodes it inside the findings
    array, written field by field without building the dictionary first (the findings
    are most of a report, and the generic walk over their dictionaries was most of the
    report's CPU time). Keys and the leaving-out of ``None`` follow ``_finding``
    exactly; tests compare the two texts. The rule's references and frameworks are the
    same objects in every finding of the rule: encoded once per object."""
    enc = encode_basestring
    # The kind is a StrEnum: its text is its value. ``_name_`` is the member's name,
    # without the descriptor that ``.name`` goes through (once per finding adds up).
    parts = [
        f'{{{_FIELD}"kind": {enc(finding.kind)},{_FIELD}"rule_id": {enc(finding.rule_id)}'
        f',{_FIELD}"severity": {enc(finding.severity._name_)},{_FIELD}"title": {enc(finding.title)}'
        f',{_FIELD}"message": {enc(finding.message)}'
        f',{_FIELD}"location": {_location_text(finding.location, shared)}'
        f',{_FIELD}"scanner": {enc(finding.scanner)},{_FIELD}"anchor": {enc(finding.anchor)}'
    ]
    if finding.evidence is not None:
        parts.append(f',{_FIELD}"evidence": {enc(finding.evidence)}')
    if finding.remediation is not None:
        parts.append(f',{_FIELD}"remediation": {enc(finding.remediation)}')
    references = _encoded_once(shared, finding.references, list(finding.references))
    frameworks = _encoded_once(
        shared, finding.frameworks, {k: list(v) for k, v in finding.frameworks.items()}
    )
    parts.append(f',{_FIELD}"references": {references},{_FIELD}"frameworks": {frameworks}')
    _append_field(parts, "package", _package(finding.package))
    _append_field(parts, "vulnerability", _vulnerability(finding.vulnerability))
    parts.append(f',{_FIELD}"fingerprint": {enc(finding.fingerprint)}')
    if finding.suppression is not None:
        _append_field(parts, "suppression", _suppression(finding.suppression))
    if finding.baseline_state is not None:
        parts.append(f',{_FIELD}"baseline_state": {enc(finding.baseline_state.value)}')
    if finding.verification is not None:
        _append_field(parts, "verification", _verification(finding.verification))
    if exploits:
        _append_field(parts, "exploit", exploit_document(exploits.get(finding.fingerprint)))
    if finding.related:
        _append_field(parts, "related", _related(finding.related))
    if finding.image is not None:
        parts.append(f',{_FIELD}"image": {enc(finding.image)}')
    parts.append("\n    }")
    return "".join(parts)


def _append_field(parts: list[str], key: str, value: Any) -> None:
    """One of a finding's rarer fields, through the generic encoder; left out when None."""
    if value is not None:
        parts.append(f',{_FIELD}"{key}": ')
        write_value(value, parts.append, _FIELD)


def _location_text(location: Location, shared: _Shared) -> str:
    """``_location``'s object, encoded at a finding's field level."""
    fields: list[str] = []
    if location.path is not None:
        fields.append(f'"path": {encode_basestring(location.path)}')
    if location.start_line is not None:
        fields.append(f'"start_line": {_number(location.start_line)}')
    if location.end_line is not None:
        fields.append(f'"end_line": {_number(location.end_line)}')
    if location.start_column is not None:
        fields.append(f'"start_column": {_number(location.start_column)}')
    if location.end_column is not None:
        fields.append(f'"end_column": {_number(location.end_column)}')
    if location.layer is not None:
        fields.append(f'"layer": {_nested(_layer(location.layer))}')
    if location.resource is not None:
        resource = location.resource  # shared by the findings of one resource
        fields.append(f'"resource": {_resource_once(shared, resource)}')
    if not fields:
        return "{}"
    return "{" + _INNER + ("," + _INNER).join(fields) + _FIELD + "}"


def _number(value: int) -> str:
    """A line or column as ``json`` writes it (``int.__repr__`` for plain ints)."""
    if type(value) is int:
        return int.__repr__(value)
    parts: list[str] = []
    write_value(value, parts.append, _INNER)
    return "".join(parts)


def _nested(value: Any) -> str:
    parts: list[str] = []
    write_value(value, parts.append, _INNER)
    return "".join(parts)


def _resource_once(shared: _Shared, resource: KubernetesResource) -> str:
    """``_resource``'s object inside a location, encoded once per resource object (the
    findings of one resource share it)."""
    cached = shared.get(id(resource))
    if cached is not None and cached[0] is resource:
        return cached[1]
    text = Encoded(_nested(_resource(resource)))
    shared[id(resource)] = (resource, text)
    return text


def _encoded_once(shared: _Shared, source: object, value: Any) -> Encoded:
    """``value`` (made from ``source``) as encoded inside a finding; the cache holds
    ``source`` so that its id cannot be reused by another object meanwhile."""
    cached = shared.get(id(source))
    if cached is not None and cached[0] is source:
        return cached[1]
    parts: list[str] = []
    write_value(value, parts.append, "\n      ")
    text = Encoded("".join(parts))
    shared[id(source)] = (source, text)
    return text


class JsonFormatter(Formatter):
    format = OutputFormat.JSON

    def render(self, result: ScanResult, context: ReportContext) -> str:
        parts: list[str] = []
        write_report(result, context.exploits, parts.append)
        return "".join(parts)

    def write(self, result: ScanResult, context: ReportContext, stream: TextIO) -> None:
        write_report(result, context.exploits, stream.write)


def load_result(text: str | bytes, *, source: str) -> ScanResult:
    """Parse a secloop JSON report; ReportError names the source and the first problem."""
    # The wire model (pydantic schemas) takes a while to build; only reading needs it.
    from secloop.output.json_wire import ScanResultModel

    try:
        model = ScanResultModel.model_validate_json(text)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(document)"
        raise ReportError(
            f"{source}: not a secloop JSON report (schema 1): {where}: {first['msg']}"
        ) from None
    return model.to_domain()
