"""What a Compose check is: rule metadata plus a stateless ``check(service)``.

Like the Kubernetes checks, a Compose check never builds a Finding: it returns
:class:`ComposeHit` values with the absolute field path of the problem (for a missing
field, the path it should be written at), and the scanner adds the line and anchor.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

from secloop.core.rule import Rule
from secloop.core.severity import Severity
from secloop.scan.misconfig.compose.model import Service
from secloop.scan.misconfig.documents import FieldPath
from secloop.scan.misconfig.rules import misconfig_rule

__all__ = ["COMPOSE_SPEC", "ComposeCheck", "ComposeHit", "compose_rule", "security_opts"]

COMPOSE_SPEC = "https://docs.docker.com/reference/compose-file/services/"

#: A compose rule: misconfiguration kind, ``compose`` tag, a default reference.
compose_rule = partial(misconfig_rule, family="compose", default_reference=COMPOSE_SPEC)


@dataclass(frozen=True, slots=True, kw_only=True)
class ComposeHit:
    path: FieldPath
    message: str
    evidence: str | None = None
    severity: Severity | None = None


class ComposeCheck(ABC):
    """A stateless rule over one service. Subclasses set ``rule`` as a class attribute."""

    rule: ClassVar[Rule]

    @abstractmethod
    def check(self, service: Service) -> Iterable[ComposeHit]: ...


def security_opts(service: Service) -> list[tuple[int, str]]:
    """``security_opt`` items normalised to ``key=value`` (Compose also accepts ``key:value``)."""
    items = service.spec.get("security_opt")
    found: list[tuple[int, str]] = []
    for index, item in enumerate(items if isinstance(items, list) else ()):
        text = str(item).strip()
        key, sep, value = text.partition("=") if "=" in text else text.partition(":")
        found.append((index, f"{key.strip()}={value.strip()}" if sep else key.strip()))
    return found
