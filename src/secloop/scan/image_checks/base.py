"""What an image check is: rule metadata plus a stateless ``evaluate(facts)``.

Checks read :class:`ImageFacts`, the parts of an opened image that no file holds (its
configuration, history, where it was pulled from) plus the detected OS release, and
never the image's files: those belong to the file scanners.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import ClassVar

from secloop.core.location import LayerRef
from secloop.core.result import OperatingSystem
from secloop.core.rule import Rule
from secloop.scan.artifact.image.interface import ImageConfig, ImageOrigin
from secloop.scan.misconfig.rules import misconfig_rule
from secloop.scan.secrets.engine import SecretEngine

__all__ = [
    "CONFIG_PATH",
    "HistoryItem",
    "ImageCheck",
    "ImageFacts",
    "ImageHit",
    "history_items",
    "image_rule",
    "shell_text",
]

#: The Location path of findings about the configuration rather than a layer.
CONFIG_PATH = "(image config)"
_REFERENCE = "https://github.com/opencontainers/image-spec/blob/main/config.md"
#: ``RUN`` (buildkit), ``|2 A=1 B=2`` (build arguments), ``/bin/sh -c``, ``#(nop)``.
_SHELL_PREFIX = re.compile(
    r"^\s*(?:RUN\s+)?(?:\|\d+\s+(?:\S+=\S*\s+)*)?(?:/bin/(?:ba)?sh\s+-c\s+)?(?:#\(nop\)\s*)?"
)
_BUILDKIT_SUFFIX = re.compile(r"\s*# buildkit\s*$")

#: An image rule: misconfiguration kind, ``image`` tag, the image-spec config reference.
image_rule = partial(misconfig_rule, family="image", default_reference=_REFERENCE)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageFacts:
    config: ImageConfig
    layers: tuple[LayerRef, ...]
    origin: ImageOrigin
    operating_system: OperatingSystem | None
    today: date
    secrets: SecretEngine


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageHit:
    """A failed evaluation; ``layer`` set for history items that created a layer
    (the finding then has no path), else the finding is at ``(image config)``."""

    message: str
    anchor: str
    layer: LayerRef | None = None
    evidence: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryItem:
    position: int
    created_by: str
    layer: LayerRef | None


class ImageCheck(ABC):
    rule: ClassVar[Rule]

    @abstractmethod
    def evaluate(self, facts: ImageFacts) -> Iterable[ImageHit]: ...


def history_items(facts: ImageFacts) -> Iterator[HistoryItem]:
    """History entries with a command, each with the layer it created when the history
    names layers reliably (as many non-empty entries as layers)."""
    history = facts.config.history
    layered = [h for h in history if not h.empty_layer]
    trusted = len(layered) == len(facts.layers)
    next_layer = 0
    for position, entry in enumerate(history):
        layer: LayerRef | None = None
        if not entry.empty_layer:
            if trusted:
                layer = facts.layers[next_layer]
            next_layer += 1
        if entry.created_by:
            yield HistoryItem(position=position, created_by=entry.created_by, layer=layer)


def shell_text(created_by: str) -> str:
    """A history command without the builder's ``/bin/sh -c #(nop)`` and ``# buildkit``."""
    text = _BUILDKIT_SUFFIX.sub("", created_by)
    return _SHELL_PREFIX.sub("", text, count=1)
