"""OWASP ZAP reports: the traditional XML report and its JSON twin.

One finding per alert per site (a ZAP alert groups every URL it was seen on; its
instances become the evidence). The XML is parsed with ``defusedxml``: a report is
untrusted input and entity expansion or external entities must not be honoured.
The core model has no web-application kind yet, so alerts are imported as
misconfigurations of the site (TODO(#7): a DAST kind in ``FindingKind``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import ClassVar
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pydantic import Field

from secloop.core.finding import Finding, FindingKind
from secloop.core.location import Location
from secloop.core.severity import Severity
from secloop.server.errors import IngestError
from secloop.server.ingest._common import (
    WireModel,
    check_size,
    cwe_refs,
    finish,
    load_json,
    validate,
)
from secloop.server.ingest.interface import (
    ImportedReport,
    Importer,
    ImportFormat,
    ImportLimits,
)

WHAT = "OWASP ZAP"
ROOT_TAG = "OWASPZAPReport"
RISKS = {"0": Severity.UNKNOWN, "1": Severity.LOW, "2": Severity.MEDIUM, "3": Severity.HIGH}
_TAG = re.compile(r"<[^>]{0,500}>")
_MAX_EVIDENCE_INSTANCES = 20


class InstanceModel(WireModel):
    uri: str = ""
    method: str = ""
    param: str = ""
    evidence: str = ""


class AlertModel(WireModel):
    pluginid: str
    alert: str = ""
    name: str = ""
    riskcode: str
    desc: str = ""
    solution: str = ""
    reference: str = ""
    cweid: str = ""
    instances: tuple[InstanceModel, ...] = ()


class SiteModel(WireModel):
    name: str = Field(default="", alias="@name")
    alerts: tuple[AlertModel, ...] = ()


class ReportModel(WireModel):
    version: str = Field(default="", alias="@version")
    site: tuple[SiteModel, ...]


def _text(markup: str) -> str:
    """ZAP writes descriptions as HTML paragraphs; findings carry plain text."""
    return html.unescape(_TAG.sub(" ", markup)).strip()


def _evidence(instances: tuple[InstanceModel, ...]) -> str | None:
    lines = [
        " ".join(part for part in (i.method, i.uri, i.param and f"[{i.param}]") if part)
        for i in instances[:_MAX_EVIDENCE_INSTANCES]
    ]
    if len(instances) > _MAX_EVIDENCE_INSTANCES:
        lines.append(f"... and {len(instances) - _MAX_EVIDENCE_INSTANCES} more")
    return "\n".join(lines) or None


def _finding(site: SiteModel, alert: AlertModel, source: str) -> Finding:
    severity = RISKS.get(alert.riskcode.strip())
    if severity is None:
        raise IngestError(f"{source}: {WHAT} alert {alert.pluginid} has unknown riskcode")
    references = tuple(ref for ref in _text(alert.reference).split() if "://" in ref)
    return Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id=alert.pluginid,
        severity=severity,
        title=alert.name or alert.alert,
        message=_text(alert.desc) or alert.alert,
        location=Location(path=site.name or None),
        scanner="zap",
        anchor=alert.pluginid,
        evidence=_evidence(alert.instances),
        remediation=_text(alert.solution) or None,
        references=references,
        frameworks=cwe_refs([alert.cweid] if alert.cweid.strip() not in ("", "-1") else ()),
    )


def _findings(report: ReportModel, source: str) -> Iterator[Finding]:
    for site in report.site:
        for alert in site.alerts:
            yield _finding(site, alert, source)


def _child_text(element: Element, tag: str) -> str:
    return (element.findtext(tag) or "").strip()


def _xml_alert(item: Element) -> dict[str, object]:
    fields = ("pluginid", "alert", "name", "riskcode", "desc", "solution", "reference", "cweid")
    alert: dict[str, object] = {name: _child_text(item, name) for name in fields}
    alert["instances"] = [
        {name: _child_text(inst, name) for name in ("uri", "method", "param", "evidence")}
        for inst in item.iterfind("instances/instance")
    ]
    return alert


def _xml_document(data: bytes, source: str) -> dict[str, object]:
    """The XML report in the JSON report's shape, so one wire model validates both."""
    try:
        root = fromstring(data)
    except DefusedXmlException as err:
        raise IngestError(f"{source}: {WHAT} XML refused: {type(err).__name__}") from None
    except ParseError as err:
        raise IngestError(f"{source}: not a {WHAT} report: invalid XML: {err}") from None
    if root.tag != ROOT_TAG:
        raise IngestError(f"{source}: not a {WHAT} report: root element is <{root.tag}>")
    sites = [
        {
            "@name": site.get("name", ""),
            "alerts": [_xml_alert(i) for i in site.iterfind(".//alertitem")],
        }
        for site in root.iterfind("site")
    ]
    return {"@version": root.get("version", ""), "site": sites}


class ZapImporter(Importer):
    format: ClassVar[ImportFormat] = ImportFormat.ZAP

    def matches(self, document: object) -> bool:
        if document == f"<{ROOT_TAG}>":
            return True
        return isinstance(document, dict) and "site" in document and "@version" in document

    def parse(self, data: bytes, *, source: str, limits: ImportLimits) -> ImportedReport:
        check_size(data, source=source, limits=limits)
        if data.lstrip()[:1] == b"<":
            document: object = _xml_document(data, source)
        else:
            document = load_json(data, source=source, limits=limits, what=WHAT)
        report = validate(ReportModel, document, source=source, what=WHAT)
        return ImportedReport(
            format=self.format,
            tool="zap",
            tool_version=report.version,
            target=", ".join(site.name for site in report.site),
            findings=finish(_findings(report, source), source=source, limits=limits),
            scanners=("zap",),
        )
