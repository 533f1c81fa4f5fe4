"""The ``rego`` scanner: user policies (conftest-compatible) over every parsed document.

Inputs, as conftest builds them:

- each document of a YAML stream or JSON file, as-is (a Kubernetes manifest, a Compose
  file, any other configuration);
- a Dockerfile as a list of ``{Cmd, Flags, JSON, Original, Stage, SubCmd, Value}``
  objects, one per instruction (conftest's shape, from BuildKit's parser): ``Cmd`` is
  the lower-case keyword, ``Value`` the exec-form arguments, or the shell text as one
  item, or ``key, value`` pairs for ENV and LABEL, or the words of FROM.

A result's location is the document's first line, or the line of the field its
``path`` names (for a Dockerfile, ``[N]`` names the N-th instruction).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence
from typing import Any

from secloop.core.finding import Finding, FindingKind
from secloop.core.location import KubernetesResource, Location
from secloop.core.rule import Rule
from secloop.scan.interface import FileContent, FileEntry, PartialFailure, ScanError, Scanner
from secloop.scan.misconfig.dockerfile.parser import Dockerfile, Instruction, parse_dockerfile
from secloop.scan.misconfig.documents import Document, ParsedStream
from secloop.scan.misconfig.kubernetes.evaluate import describe_error
from secloop.scan.misconfig.kubernetes.model import resources_of
from secloop.scan.misconfig.rego.engine import CompiledPolicies, PolicyRuntimeError
from secloop.scan.misconfig.rego.results import PolicyResult, default_severity, policy_results
from secloop.scan.misconfig.scanner import is_dockerfile
from secloop.scan.misconfig.shared_parse import parsed_stream

__all__ = ["RegoScanner", "dockerfile_input"]

_DOCUMENT_SUFFIXES = (".yaml", ".yml", ".json")
_PAIR_KEYWORDS = ("ENV", "LABEL")


def _pairs(arguments: str) -> list[str]:
    """``A=1 B="x y"`` (or the legacy ``A 1``) as ``[A, 1, B, x y]``."""
    try:
        words = shlex.split(arguments)
    except ValueError:
        words = arguments.split()
    if words and "=" not in words[0]:
        return [words[0], " ".join(words[1:])]
    pairs: list[str] = []
    for word in words:
        key, _, value = word.partition("=")
        pairs.extend((key, value))
    return pairs


def _value(instruction: Instruction) -> list[str]:
    if instruction.exec_form is not None:
        return list(instruction.exec_form)
    if instruction.keyword in _PAIR_KEYWORDS:
        return _pairs(instruction.arguments)
    if instruction.keyword == "FROM":
        return instruction.arguments.split()
    return [instruction.text]


def dockerfile_input(dockerfile: Dockerfile, lines: Sequence[str]) -> list[dict[str, Any]]:
    """The Dockerfile as conftest's list of command objects."""
    return [
        {
            "Cmd": instruction.keyword.lower(),
            "Flags": [f"--{name}={value}" for name, value in instruction.flags.items()],
            "JSON": instruction.exec_form is not None,
            "Original": "\n".join(lines[instruction.start_line - 1 : instruction.end_line]),
            "Stage": max(instruction.stage, 0),
            "SubCmd": "",
            "Value": _value(instruction),
        }
        for instruction in dockerfile.instructions
    ]


def _resource_of(document: Document) -> KubernetesResource | None:
    resources = list(resources_of(document))
    return resources[0].ref if len(resources) == 1 and not resources[0].prefix else None


class RegoScanner(Scanner):
    """conftest-style ``deny``/``violation``/``warn`` rules from ``--policy`` directories."""

    name = "rego"
    kind = FindingKind.MISCONFIGURATION

    def __init__(self, policies: CompiledPolicies) -> None:
        self._policies = policies

    def rules(self) -> Sequence[Rule]:
        namespaces = set(self._policies.namespaces)
        rules = (
            Rule(
                id=f"REGO.{policy.package}.{rule}",
                kind=FindingKind.MISCONFIGURATION,
                title=f"Custom policy {policy.package}.{rule}",
                severity=default_severity(rule),
                description=f"A user-supplied Rego rule, defined in {policy.path}.",
                tags=("rego",),
            )
            for policy in self._policies.files
            if policy.package in namespaces
            for rule in policy.rules
        )
        return tuple({rule.id: rule for rule in rules}.values())

    def applies_to(self, entry: FileEntry) -> bool:
        return entry.name.lower().endswith(_DOCUMENT_SUFFIXES) or is_dockerfile(entry.name)

    def scan_file(self, content: FileContent) -> Iterable[Finding | PartialFailure]:
        path = content.entry.path
        if is_dockerfile(content.entry.name):
            return self._scan_dockerfile(content, path)
        stream = parsed_stream(content)
        if stream.errors and not stream.documents:
            raise ScanError("; ".join(describe_error(path, e) for e in stream.errors))
        return self.scan_stream(stream, path)

    def scan_stream(self, stream: ParsedStream, path: str) -> list[Finding | PartialFailure]:
        """Every policy on every document of ``stream`` (a file, or a rendered overlay),
        and a partial failure per document that could not be parsed."""
        outcomes: list[Finding | PartialFailure] = []
        for document in stream.documents:
            if document.value is not None:
                outcomes.extend(self._scan_document(document, path))
        outcomes.extend(PartialFailure(describe_error(path, e)) for e in stream.errors)
        return outcomes

    def _results(self, value: Any) -> list[PolicyResult]:
        return [
            result
            for namespace, rule, raw in self._policies.evaluate(value)
            for result in policy_results(namespace, rule, raw)
        ]

    def _scan_document(self, document: Document, path: str) -> list[Finding | PartialFailure]:
        label = f"document {document.index + 1}"
        try:
            results = self._results(document.value)
        except PolicyRuntimeError as err:
            return [PartialFailure(f"{path}: {label} (line {document.start_line}): {err}")]
        resource = _resource_of(document)
        subject = resource.display if resource is not None else label
        outcomes: list[Finding | PartialFailure] = []
        for result in results:
            line = document.start_line if result.path is None else document.line_of(result.path)
            location = Location(path=path, start_line=line, resource=resource)
            outcomes.append(_finding(result, location, subject))
        return outcomes

    def _scan_dockerfile(self, content: FileContent, path: str) -> list[Finding]:
        dockerfile = parse_dockerfile(content.text)
        try:
            results = self._results(dockerfile_input(dockerfile, content.lines))
        except PolicyRuntimeError as err:
            raise ScanError(f"{path}: {err}") from None
        instructions = dockerfile.instructions
        findings = []
        for result in results:
            index = result.path[0] if result.path else None
            line = 1
            if isinstance(index, int) and 0 <= index < len(instructions):
                line = instructions[index].start_line
            findings.append(_finding(result, Location(path=path, start_line=line), "dockerfile"))
        return findings


def _finding(result: PolicyResult, location: Location, subject: str) -> Finding:
    return Finding(
        kind=FindingKind.MISCONFIGURATION,
        rule_id=result.rule_id,
        severity=result.severity,
        title=f"Custom policy {result.namespace}.{result.rule}",
        message=f"{subject}: {result.message}",
        location=location,
        scanner=RegoScanner.name,
        anchor=f"{subject}:{result.namespace}.{result.rule}:{result.message}",
    )
