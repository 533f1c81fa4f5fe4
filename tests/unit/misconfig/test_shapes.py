"""Untrusted shapes: any field of a manifest may hold a mapping, a list or a number.

Unrendered Helm templates (``name: {{ .Values.name }}`` parses as a mapping) and
hand-written mistakes put values of the wrong type anywhere. Every check must treat
them as "not what I look for" (the API server would reject the object), never crash
the file: each leaf of each fixture is replaced in turn and every check runs.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from secloop.scan.misconfig.documents import Document, FieldPath, ParsedStream, parse_yaml
from secloop.scan.misconfig.kubernetes.evaluate import evaluate_stream

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "misconfig" / "kubernetes"
#: One fixture per shape of object the checks read (workloads, RBAC, services, ...).
SHAPES = (
    "SL-K8S-003/failed.yaml",
    "SL-K8S-009/failed.yaml",
    "SL-K8S-015/failed.yaml",
    "SL-K8S-016/failed.yaml",
    "SL-K8S-025/failed.yaml",
    "SL-K8S-062/failed.yaml",
    "SL-K8S-063/failed.yaml",
    "SL-K8S-023/failed.yaml",
    "SL-K8S-039/failed.yaml",
    "SL-K8S-047/failed-admin-equivalent.yaml",
    "SL-K8S-049/failed.yaml",
    "SL-K8S-052/failed.yaml",
    "SL-K8S-053/failed.yaml",
    "SL-K8S-054/failed.yaml",
    "SL-K8S-060/passed.yaml",
    "SL-K8S-061/failed.yaml",
    "SL-K8S-065/failed.yaml",
)
ODD_VALUES: tuple[Any, ...] = ({"template": None}, ["a", {"b": 1}], 12345, None, True)


def _leaves(value: Any, path: FieldPath = ()) -> Iterator[FieldPath]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _leaves(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _leaves(child, (*path, index))
    if path:
        yield path


def _replaced(value: Any, path: FieldPath, odd: Any) -> Any:
    mutated = copy.deepcopy(value)
    holder = mutated
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = copy.deepcopy(odd)
    return mutated


@pytest.mark.parametrize("fixture", SHAPES)
def test_every_check_survives_any_field_of_any_type(fixture: str) -> None:
    documents = parse_yaml((FIXTURES / fixture).read_text(encoding="utf-8")).documents
    runs = 0
    for index, document in enumerate(documents):
        for path in list(_leaves(document.value)):
            for odd in ODD_VALUES:
                value = _replaced(document.value, path, odd)
                mutated = [*documents]
                mutated[index] = Document(index=index, value=value, start_line=1)
                evaluate_stream(ParsedStream(documents=tuple(mutated)), fixture)
                runs += 1
    assert runs > 20
