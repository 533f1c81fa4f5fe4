"""Where a finding or package is: a file and lines, an image layer, a Kubernetes resource."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerRef:
    """An image layer: its diff id, position, and the history command that created it."""

    diff_id: str
    index: int
    created_by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class KubernetesResource:
    api_version: str
    kind: str
    name: str
    namespace: str | None = None

    @property
    def display(self) -> str:
        scope = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{scope}{self.name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    """``path`` is relative to the target root, with ``/`` separators; lines are 1-based."""

    path: str | None = None
    start_line: int | None = None
    end_line: int | None = None
    start_column: int | None = None
    end_column: int | None = None
    layer: LayerRef | None = None
    resource: KubernetesResource | None = None

    def __post_init__(self) -> None:
        if self.start_line is not None and self.start_line < 1:
            raise ValueError(f"start_line must be >= 1, got {self.start_line}")
        if (
            self.start_line is not None
            and self.end_line is not None
            and self.end_line < self.start_line
        ):
            raise ValueError(f"end_line {self.end_line} is before start_line {self.start_line}")

    @property
    def display(self) -> str:
        """``path:line`` (or ``path:start-end``) for humans; empty when there is no path."""
        if self.path is None:
            return self.resource.display if self.resource else ""
        if self.start_line is None:
            return self.path
        if self.end_line is not None and self.end_line != self.start_line:
            return f"{self.path}:{self.start_line}-{self.end_line}"
        return f"{self.path}:{self.start_line}"
