"""SARIF 2.1.0 from any tool (OASIS SARIF 2.1.0; section numbers below cite it).

Steps per result:

1. Resolve the rule: ``ruleId``, else ``rule.id``, else ``rule.index`` / ``ruleIndex``
   into ``tool.driver.rules`` (3.27.5-3.27.7); a result with none uses its message.
2. Skip results that are not problems: ``kind`` ``pass`` or ``notApplicable``
   (3.27.9), and ``baselineState`` ``absent`` (3.27.24: present in the baseline, gone
   now). Each skip is listed in ``ImportedReport.dropped``; nothing vanishes silently.
3. Severity: a ``security-severity`` score (GitHub's convention, on the result or its
   rule) wins; else ``level`` (3.27.10), defaulting to the rule's
   ``defaultConfiguration.level`` and then ``warning`` (3.49.14).
4. Suppressions (3.27.23, 3.35): a result with a suppression whose ``status`` is
   absent or ``accepted`` is imported suppressed; ``underReview``/``rejected`` are not.
5. Identity: ``partialFingerprints``/``fingerprints`` (3.27.16-17) become the anchor,
   so the tool's own identity survives line shifts; secloop's ``secloop/v1`` value is
   used as the fingerprint itself, making a SARIF upload agree with a JSON upload.

The run is partial when an invocation did not succeed (3.20.14).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from pydantic import Field

from secloop.core.finding import (
    BaselineState,
    Finding,
    FindingKind,
    Suppression,
    SuppressionKind,
    VulnerabilityDetail,
)
from secloop.core.location import Location
from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.server.errors import IngestError
from secloop.server.ingest._common import (
    WireModel,
    cwe_refs,
    finish,
    load_json,
    relative_path,
    validate,
)
from secloop.server.ingest.interface import (
    CoverageSummary,
    ImportedReport,
    Importer,
    ImportFormat,
    ImportLimits,
)

WHAT = "SARIF 2.1.0"
SECLOOP_FINGERPRINT = "secloop/v1"
LEVELS = {
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "note": Severity.LOW,
    "none": Severity.UNKNOWN,
}
_SECRET_TOOLS = frozenset({"gitleaks", "trufflehog", "detect-secrets", "ggshield"})
_ADVISORY = re.compile(r"\b(CVE-\d{4}-\d{4,}|GHSA(?:-[23456789cfghjmpqrvwx]{4}){3})\b", re.I)
_NOT_PROBLEMS = frozenset({"pass", "notApplicable"})
_TITLE_LENGTH = 200


class TextModel(WireModel):
    text: str | None = None
    markdown: str | None = None
    id: str | None = None
    arguments: tuple[str, ...] = ()


class ConfigurationModel(WireModel):
    level: str | None = None


class RuleModel(WireModel):
    id: str
    name: str | None = None
    short_description: TextModel | None = Field(default=None, alias="shortDescription")
    full_description: TextModel | None = Field(default=None, alias="fullDescription")
    help_uri: str | None = Field(default=None, alias="helpUri")
    default: ConfigurationModel | None = Field(default=None, alias="defaultConfiguration")
    message_strings: dict[str, TextModel] = Field(default_factory=dict, alias="messageStrings")
    properties: dict[str, Any] = Field(default_factory=dict)


class DriverModel(WireModel):
    name: str
    version: str | None = None
    semantic_version: str | None = Field(default=None, alias="semanticVersion")
    rules: tuple[RuleModel, ...] = ()


class ToolModel(WireModel):
    driver: DriverModel


class ArtifactLocationModel(WireModel):
    uri: str | None = None
    uri_base_id: str | None = Field(default=None, alias="uriBaseId")


class SnippetModel(WireModel):
    text: str | None = None


class RegionModel(WireModel):
    start_line: int | None = Field(default=None, alias="startLine")
    end_line: int | None = Field(default=None, alias="endLine")
    start_column: int | None = Field(default=None, alias="startColumn")
    snippet: SnippetModel | None = None


class PhysicalModel(WireModel):
    artifact: ArtifactLocationModel | None = Field(default=None, alias="artifactLocation")
    region: RegionModel | None = None


class LogicalModel(WireModel):
    name: str | None = None
    fully_qualified_name: str | None = Field(default=None, alias="fullyQualifiedName")


class LocationModel(WireModel):
    physical: PhysicalModel | None = Field(default=None, alias="physicalLocation")
    logical: tuple[LogicalModel, ...] = Field(default=(), alias="logicalLocations")


class SuppressionModel(WireModel):
    kind: str = "external"
    status: str | None = None
    justification: str | None = None


class RuleReferenceModel(WireModel):
    id: str | None = None
    index: int | None = None


class ResultModel(WireModel):
    rule_id: str | None = Field(default=None, alias="ruleId")
    rule_index: int | None = Field(default=None, alias="ruleIndex")
    rule: RuleReferenceModel | None = None
    kind: str = "fail"
    level: str | None = None
    message: TextModel
    locations: tuple[LocationModel, ...] = ()
    partial_fingerprints: dict[str, str] = Field(default_factory=dict, alias="partialFingerprints")
    fingerprints: dict[str, str] = Field(default_factory=dict)
    baseline_state: str | None = Field(default=None, alias="baselineState")
    suppressions: list[SuppressionModel] | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


class InvocationModel(WireModel):
    execution_successful: bool = Field(default=True, alias="executionSuccessful")


class RunModel(WireModel):
    tool: ToolModel
    results: list[ResultModel] | None = None
    invocations: tuple[InvocationModel, ...] = ()
    original_uri_base_ids: dict[str, ArtifactLocationModel] = Field(
        default={}, alias="originalUriBaseIds"
    )


class LogModel(WireModel):
    version: str
    runs: list[RunModel]


def _message(text: TextModel, rule: RuleModel | None) -> str:
    """3.11: plain text, else markdown, else a rule message string with its arguments."""
    template = text.text or text.markdown
    if template is None and text.id and rule is not None and text.id in rule.message_strings:
        template = rule.message_strings[text.id].text
    message = template or ""
    for index, argument in enumerate(text.arguments):
        message = message.replace(f"{{{index}}}", argument)
    return message.strip()


def _score(properties: Mapping[str, Any]) -> Severity | None:
    raw = properties.get("security-severity")
    try:
        return Severity.from_cvss_score(float(raw)) if raw is not None else None
    except (TypeError, ValueError):
        return None


class _RunReader:
    """Turns the results of one run into findings (steps 1-5 of the module doc)."""

    def __init__(self, run: RunModel, source: str) -> None:
        self.run = run
        self.source = source
        self.tool = run.tool.driver.name
        self.rules = run.tool.driver.rules
        self.by_id = {rule.id: rule for rule in self.rules}
        self.dropped: list[str] = []

    def rule_for(self, result: ResultModel) -> RuleModel | None:  # step (1)
        rule_id = result.rule_id or (result.rule.id if result.rule else None)
        if rule_id is not None and rule_id in self.by_id:
            return self.by_id[rule_id]
        index = (
            result.rule_index
            if result.rule_index is not None
            else (result.rule.index if result.rule else None)
        )
        if index is not None and 0 <= index < len(self.rules):
            return self.rules[index]
        return None

    def findings(self) -> Iterator[Finding]:
        for number, result in enumerate(self.run.results or ()):
            if result.kind in _NOT_PROBLEMS:  # step (2)
                self.dropped.append(f"{self.tool} result {number}: kind {result.kind}")
            elif result.baseline_state == "absent":
                self.dropped.append(f"{self.tool} result {number}: baselineState absent")
            else:
                yield self.finding(result)

    def severity(self, result: ResultModel, rule: RuleModel | None) -> Severity:  # step (3)
        scored = _score(result.properties) or (_score(rule.properties) if rule else None)
        if scored is not None:
            return scored
        named = result.properties.get("severity")
        if isinstance(named, str) and named.upper() in Severity.__members__:
            return Severity[named.upper()]
        level = result.level or (rule.default.level if rule and rule.default else None)
        level = level or "warning"
        if level not in LEVELS:
            raise IngestError(f"{self.source}: {WHAT} result has unknown level {level!r}")
        return LEVELS[level]

    def location(self, result: ResultModel) -> tuple[Location, str | None]:
        if not result.locations:
            return Location(), None
        first = result.locations[0]
        physical = first.physical or PhysicalModel()
        artifact = physical.artifact or ArtifactLocationModel()
        path = relative_path(self._resolve(artifact))
        if path is None and first.logical:
            logical = first.logical[0]
            path = logical.fully_qualified_name or logical.name
        region = physical.region or RegionModel()
        start = region.start_line if region.start_line and region.start_line > 0 else None
        end = region.end_line if start and region.end_line and region.end_line >= start else None
        column = region.start_column if region.start_column and region.start_column > 0 else None
        snippet = region.snippet.text if region.snippet else None
        return Location(path=path, start_line=start, end_line=end, start_column=column), snippet

    def _resolve(self, artifact: ArtifactLocationModel) -> str | None:
        base = self.run.original_uri_base_ids.get(artifact.uri_base_id or "")
        if artifact.uri and base and base.uri and not artifact.uri.startswith(("file:", "/")):
            return base.uri.rstrip("/") + "/" + artifact.uri
        return artifact.uri

    def kind(self, result: ResultModel, rule_id: str) -> FindingKind:
        declared = result.properties.get("kind")
        if isinstance(declared, str) and declared in FindingKind.__members__.values():
            return FindingKind(declared)
        if self.tool.lower() in _SECRET_TOOLS:
            return FindingKind.SECRET
        if _ADVISORY.search(rule_id):
            return FindingKind.VULNERABILITY
        return FindingKind.CODE

    def finding(self, result: ResultModel) -> Finding:
        rule = self.rule_for(result)
        message = _message(result.message, rule)
        rule_id = rule.id if rule else (result.rule_id or message[:_TITLE_LENGTH] or self.tool)
        location, snippet = self.location(result)
        kind = self.kind(result, rule_id)
        identity = {**result.fingerprints, **result.partial_fingerprints}
        own = identity.pop(SECLOOP_FINGERPRINT, "")
        return Finding(
            kind=kind,
            rule_id=rule_id,
            severity=self.severity(result, rule),
            title=(message.splitlines() or [rule_id])[0][:_TITLE_LENGTH],
            message=message,
            location=location,
            scanner=str(result.properties.get("scanner") or self.tool.lower()),
            anchor="|".join(f"{k}={v}" for k, v in sorted(identity.items())),
            evidence=snippet,
            references=(rule.help_uri,) if rule and rule.help_uri else (),
            frameworks=cwe_refs(_cwe_tags(rule)),
            vulnerability=_vulnerability(kind, rule_id, result.properties),
            fingerprint=own,
            suppression=_suppression(result.suppressions),
            baseline_state=_baseline(result.baseline_state),
        )


def _cwe_tags(rule: RuleModel | None) -> list[str]:
    tags = rule.properties.get("tags", []) if rule else []
    if not isinstance(tags, list):
        return []
    found = (re.search(r"cwe[-/](\d+)", str(tag), re.I) for tag in tags)
    return [match.group(1) for match in found if match]


def _vulnerability(
    kind: FindingKind, rule_id: str, properties: Mapping[str, Any]
) -> VulnerabilityDetail | None:
    if kind is not FindingKind.VULNERABILITY:
        return None
    ids = properties.get("vulnerabilityIds")
    listed = [str(i) for i in ids] if isinstance(ids, list) else []
    match = _ADVISORY.search(rule_id)
    advisory = listed[0] if listed else (match.group(1).upper() if match else rule_id)
    return VulnerabilityDetail(
        advisory_id=advisory,
        aliases=tuple(listed[1:]),
        installed_version=str(properties.get("installedVersion", "")),
    )


def _suppression(suppressions: list[SuppressionModel] | None) -> Suppression | None:
    for item in suppressions or ():  # step (4)
        if item.status in (None, "accepted"):
            kind = SuppressionKind.INLINE if item.kind == "inSource" else SuppressionKind.EXTERNAL
            reason = item.justification or f"suppressed in the SARIF report ({item.kind})"
            return Suppression(kind=kind, reason=reason, source="sarif")
    return None


def _baseline(state: str | None) -> BaselineState | None:
    if state == "new":
        return BaselineState.NEW
    if state in ("unchanged", "updated"):
        return BaselineState.UNCHANGED
    return None


def _rules(run: RunModel) -> dict[str, Rule]:
    """Rules that declare ``peers`` (secloop's SARIF does) feed peer correlation."""
    rules: dict[str, Rule] = {}
    for rule in run.tool.driver.rules:
        peers = rule.properties.get("peers")
        if isinstance(peers, dict) and peers:
            title = rule.short_description.text if rule.short_description else None
            rules[rule.id] = Rule(
                id=rule.id,
                kind=FindingKind.MISCONFIGURATION,
                title=title or rule.id,
                severity=_score(rule.properties) or Severity.UNKNOWN,
                peers={str(k): str(v) for k, v in peers.items()},
            )
    return rules


class SarifImporter(Importer):
    format: ClassVar[ImportFormat] = ImportFormat.SARIF

    def matches(self, document: object) -> bool:
        return isinstance(document, dict) and "runs" in document and "version" in document

    def parse(self, data: bytes, *, source: str, limits: ImportLimits) -> ImportedReport:
        document = load_json(data, source=source, limits=limits, what=WHAT)
        log = validate(LogModel, document, source=source, what=WHAT)
        if log.version != "2.1.0":
            raise IngestError(f"{source}: SARIF version {log.version!r} is not supported (2.1.0)")
        readers = [_RunReader(run, source) for run in log.runs]
        findings = [finding for reader in readers for finding in reader.findings()]
        failed = sum(1 for r in log.runs for inv in r.invocations if not inv.execution_successful)
        drivers = [run.tool.driver for run in log.runs]
        first = drivers[0] if drivers else None
        return ImportedReport(
            format=self.format,
            tool=first.name.lower() if first else "sarif",
            tool_version=(first.version or first.semantic_version or "") if first else "",
            findings=finish(findings, source=source, limits=limits),
            scanners=tuple(dict.fromkeys(d.name.lower() for d in drivers)),
            rules={rid: rule for run in log.runs for rid, rule in _rules(run).items()},
            complete=failed == 0,
            coverage=CoverageSummary(failed=failed),
            dropped=tuple(note for reader in readers for note in reader.dropped),
        )
