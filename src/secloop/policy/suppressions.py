"""The ignore file, ``.secloopignore.yaml``: suppressions that carry a reason and may expire.

::

    suppressions:
      - rule: SL-K8S-001            # a rule id, or a glob such as SECRET-*
        path: "k8s/**/*.yaml"       # a gitignore-style glob over target-relative paths
        fingerprint: "3f2a...:1"    # one exact finding
        package: pyyaml             # a package name, or a purl prefix (pkg:pypi/pyyaml)
        reason: "accepted until the migration to v2"   # required
        expires: 2027-01-31         # optional; after it the entry stops applying

Every selector given must match (they combine with AND) and at least one is required,
so that an entry can never suppress everything by accident (fail closed). An expired
entry is not applied and produces a warning naming it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pathspec
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from secloop.core.errors import ConfigError
from secloop.core.finding import Finding, Suppression, SuppressionKind

__all__ = ["IgnoreEntry", "IgnoreFile", "apply_ignore_file", "load_ignore_file"]

DEFAULT_IGNORE_FILE = ".secloopignore.yaml"
_MAX_IGNORE_FILE_BYTES = 4 * 1024 * 1024


class _EntryModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str | None = None
    path: str | None = None
    fingerprint: str | None = None
    package: str | None = None
    reason: str = Field(min_length=1)
    expires: date | None = None

    @model_validator(mode="after")
    def _needs_a_selector(self) -> _EntryModel:
        if not (self.rule or self.path or self.fingerprint or self.package):
            raise ValueError("needs at least one of rule, path, fingerprint, package")
        return self


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    suppressions: list[_EntryModel] = []


@dataclass(frozen=True, slots=True, kw_only=True)
class IgnoreEntry:
    source: str  # "<file>#<n>", n counting entries from 1
    reason: str
    rule: str | None = None
    path: str | None = None
    fingerprint: str | None = None
    package: str | None = None
    expires: date | None = None

    def matches(self, finding: Finding) -> bool:
        if self.rule is not None and not fnmatch.fnmatchcase(finding.rule_id, self.rule):
            return False
        if self.fingerprint is not None and finding.fingerprint != self.fingerprint:
            return False
        if self.path is not None:
            path = finding.location.path
            if path is None or not pathspec.GitIgnoreSpec.from_lines([self.path]).match_file(path):
                return False
        if self.package is not None:
            package = finding.package
            if package is None:
                return False
            if package.name != self.package and not package.purl.startswith(self.package):
                return False
        return True

    def expired(self, today: date) -> bool:
        return self.expires is not None and today > self.expires


@dataclass(frozen=True, slots=True)
class IgnoreFile:
    path: str
    entries: tuple[IgnoreEntry, ...]


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    if first["type"] == "extra_forbidden":
        return (
            f"unknown key {where!r}; valid keys: rule, path, fingerprint, package, reason, expires"
        )
    return f"{where}: {first['msg']}" if where else first["msg"]


def load_ignore_file(path: Path) -> IgnoreFile:
    """Read and validate an ignore file; ConfigError names the file and the problem."""
    try:
        data = path.read_bytes()[:_MAX_IGNORE_FILE_BYTES]
        raw = yaml.safe_load(data) or {}
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror or err})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: invalid YAML{line}") from None
    try:
        model = _FileModel.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(f"{path}: {_first_error(err)}") from None
    entries = tuple(
        IgnoreEntry(source=f"{path.name}#{index}", **entry.model_dump())
        for index, entry in enumerate(model.suppressions, start=1)
    )
    return IgnoreFile(path=str(path), entries=entries)


def apply_ignore_file(
    findings: Sequence[Finding], ignore: IgnoreFile, *, today: date
) -> tuple[list[Finding], list[str]]:
    """Mark findings the file suppresses; return them with warnings for expired entries."""
    live = [e for e in ignore.entries if not e.expired(today)]
    warnings = [
        f"{e.source}: suppression expired on {e.expires}; no longer applied ({e.reason})"
        for e in ignore.entries
        if e.expired(today)
    ]
    marked: list[Finding] = []
    for finding in findings:
        entry = None if finding.suppressed else next((e for e in live if e.matches(finding)), None)
        if entry is None:
            marked.append(finding)
            continue
        suppression = Suppression(
            kind=SuppressionKind.EXTERNAL,
            reason=entry.reason,
            source=entry.source,
            expires=entry.expires,
        )
        marked.append(replace(finding, suppression=suppression))
    return marked, warnings
