"""Docker Compose services as checks need them: one view per service, short and long syntax alike.

The Compose specification (https://github.com/compose-spec/compose-spec/blob/main/spec.md)
allows most fields in two syntaxes: ``ports: ["127.0.0.1:5432:5432"]`` or
``ports: [{target: 5432, published: 5432, host_ip: 127.0.0.1}]``; ``environment`` as a
mapping or as ``KEY=VALUE`` items; ``volumes`` as ``src:dst:mode`` or a mapping. The
helpers here reduce both to one shape, keeping each item's field path so that findings
point at the line the user wrote.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from secloop.scan.misconfig.documents import Document, FieldPath
from secloop.scan.misconfig.kubernetes.model import as_list, as_map

__all__ = [
    "Bind",
    "EnvVar",
    "PublishedPort",
    "Service",
    "binds_of",
    "env_of",
    "ports_of",
    "services_of",
]

_PORT = re.compile(
    r"^(?:(?P<ip>\[[^\]]+\]|[^:\[\]]+):)??(?:(?P<published>[\d-]*):)?(?P<target>[\d-]+)(?:/\w+)?$"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    """One entry of ``services``; ``path`` is its absolute field path in the document."""

    name: str
    spec: Mapping[str, Any]
    path: FieldPath
    document: Document

    def field(self, *keys: str | int) -> FieldPath:
        return (*self.path, *keys)


@dataclass(frozen=True, slots=True)
class PublishedPort:
    """A port published on the host; ``host_ip`` is empty when bound to every interface.

    ``published`` is empty when Compose picks a random host port (``- "5432"``): the
    port is still reachable from every interface.
    """

    host_ip: str
    published: str
    target: str
    path: FieldPath


@dataclass(frozen=True, slots=True)
class Bind:
    """A bind mount: the host path (as written) and the item's path."""

    source: str
    path: FieldPath


@dataclass(frozen=True, slots=True)
class EnvVar:
    name: str
    value: str | None
    path: FieldPath


def services_of(document: Document) -> Iterator[Service]:
    """Every service of a Compose document; non-Compose documents yield nothing."""
    services = as_map(as_map(document.value).get("services"))
    for name, spec in services.items():
        if isinstance(spec, dict):
            yield Service(name=str(name), spec=spec, path=("services", name), document=document)


def ports_of(service: Service) -> Iterator[PublishedPort]:
    for index, item in enumerate(as_list(service.spec.get("ports"))):
        path = service.field("ports", index)
        if isinstance(item, dict):
            published = str(item.get("published") or "")
            host_ip = str(item.get("host_ip") or "")
            yield PublishedPort(host_ip, published, str(item.get("target", "")), path)
            continue
        match = _PORT.match(str(item).strip())
        if match is not None:
            ip = (match.group("ip") or "").strip("[]")
            yield PublishedPort(ip, match.group("published") or "", match.group("target"), path)


def binds_of(service: Service) -> Iterator[Bind]:
    """Host paths mounted into the service (named volumes and tmpfs are not host paths)."""
    for index, item in enumerate(as_list(service.spec.get("volumes"))):
        path = service.field("volumes", index)
        if isinstance(item, dict):
            if item.get("type", "volume") == "bind" and item.get("source"):
                yield Bind(str(item["source"]), path)
            continue
        source, colon, _ = str(item).partition(":")
        if colon and source.startswith(("/", "~", ".", "$")):
            yield Bind(source, path)


def env_of(service: Service) -> Iterator[EnvVar]:
    environment = service.spec.get("environment")
    if isinstance(environment, dict):
        for name, value in environment.items():
            text = None if value is None else str(value)
            yield EnvVar(str(name), text, service.field("environment", name))
        return
    for index, item in enumerate(as_list(environment)):
        name, equals, value = str(item).partition("=")
        yield EnvVar(name, value if equals else None, service.field("environment", index))
