"""secloop's domain vocabulary: pure values, no I/O (see ../shared/DESIGN.md)."""

from secloop.core.advisory import (
    Advisory,
    AffectedPackage,
    AffectedRange,
    EventKind,
    RangeEvent,
    RangeType,
    SeverityScore,
)
from secloop.core.errors import (
    ConfigError,
    Error,
    InputError,
    NothingScannedError,
    ReportError,
    TargetError,
    UsageError,
)
from secloop.core.finding import (
    BaselineState,
    Finding,
    FindingKind,
    RelatedFinding,
    Suppression,
    SuppressionKind,
    VulnerabilityDetail,
)
from secloop.core.fingerprint import assign_fingerprints
from secloop.core.location import KubernetesResource, LayerRef, Location
from secloop.core.package import Package, PackageLocation
from secloop.core.result import (
    Coverage,
    Failed,
    OperatingSystem,
    Scanned,
    ScanResult,
    Skipped,
    SkipReason,
)
from secloop.core.root_cause import RootCause
from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.core.target import Target, TargetKind

__all__ = [
    "Advisory",
    "AffectedPackage",
    "AffectedRange",
    "BaselineState",
    "ConfigError",
    "Coverage",
    "Error",
    "EventKind",
    "Failed",
    "Finding",
    "FindingKind",
    "InputError",
    "KubernetesResource",
    "LayerRef",
    "Location",
    "NothingScannedError",
    "OperatingSystem",
    "Package",
    "PackageLocation",
    "RangeEvent",
    "RangeType",
    "RelatedFinding",
    "ReportError",
    "RootCause",
    "Rule",
    "ScanResult",
    "Scanned",
    "Severity",
    "SeverityScore",
    "SkipReason",
    "Skipped",
    "Suppression",
    "SuppressionKind",
    "Target",
    "TargetError",
    "TargetKind",
    "UsageError",
    "VulnerabilityDetail",
    "assign_fingerprints",
]
