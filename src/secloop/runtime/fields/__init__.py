"""Field catalogues per event source, in one explicit table.

A source without a catalogue here (``aws_cloudtrail``, ``gcp_auditlog``, ``okta``,
``github``: Falco plugin sources secloop does not read yet) still loads its rule
files: rules on it are reported as not evaluable and disabled, never fatal.
"""

from __future__ import annotations

from secloop.runtime.fields.base import ArgKind, Catalogue, Extractor, FieldSpec, FieldType

__all__ = [
    "ArgKind",
    "Catalogue",
    "Extractor",
    "FieldSpec",
    "FieldType",
    "catalogue_for",
    "known_sources",
]


def _table() -> dict[str, Catalogue]:
    from secloop.runtime.fields import k8s_audit, syscall

    return {"k8s_audit": k8s_audit.CATALOGUE, "syscall": syscall.CATALOGUE}


_CATALOGUES: dict[str, Catalogue] = {}


def known_sources() -> list[str]:
    """Sources whose fields secloop can read."""
    if not _CATALOGUES:
        _CATALOGUES.update(_table())
    return sorted(_CATALOGUES)


def catalogue_for(source: str) -> Catalogue:
    """The catalogue of ``source``; KeyError for a source secloop has none for."""
    if not _CATALOGUES:
        _CATALOGUES.update(_table())
    return _CATALOGUES[source]
