"""The generated predicates: same meaning as the closure form, and no way in for rule text."""

from __future__ import annotations

import pytest

from secloop.runtime.event import Event
from secloop.runtime.fields.syscall import CATALOGUE
from secloop.runtime.rules import compiler
from secloop.runtime.rules.parser import parse_condition
from secloop.runtime.rules.resolve import flatten
from tests.unit.runtime.helpers import matches

EVENTS: list[dict[str, object]] = [
    {"evt.type": "open", "proc.name": "bash", "fd.name": "/etc/shadow", "proc.pid": 42},
    {"evt.type": "execve", "proc.name": "sh", "proc.aname": ["sudo", "sshd"]},
    {"evt.type": "open"},
]

CONDITIONS = [
    "proc.name = bash and fd.name startswith /etc",
    "proc.name in (bash, sh) or not fd.name exists",
    "not (proc.name = bash or proc.name = sh) and proc.pid > 1",
    "proc.name = bash and (proc.name contains as or proc.name = zsh) and proc.name != sh",
    "proc.aname in (sudo, sshd) and proc.name glob 's*'",
    "proc.aname intersects (sshd) or fd.name pmatch (/etc)",
]


def _tree(condition: str) -> compiler._Tree:
    node = flatten(parse_condition(condition))
    return compiler._Compiler(CATALOGUE, None).node(node)


@pytest.mark.parametrize("condition", CONDITIONS)
def test_generated_code_agrees_with_closures(condition: str) -> None:
    generated = compiler._Emitter().predicate(_tree(condition))
    closure = compiler._closure(_tree(condition))
    for payload in EVENTS:
        event = Event(source="syscall", time_ns=0, payload=payload)
        assert bool(generated(event)) == bool(closure(event)), (condition, payload)


def test_rule_text_is_data_not_code() -> None:
    hostile = "x') or __import__('os').system('false') or ('"
    condition = f'proc.name = "{hostile}" or proc.name in ("a)", "b or True")'
    assert matches(condition, {"proc.name": hostile})
    assert not matches(condition, {"proc.name": "bash"})
    assert matches(condition, {"proc.name": "b or True"})


def test_too_deep_for_the_compiler_falls_back_to_closures() -> None:
    condition = "not " * 400 + "proc.name = bash"
    assert matches(condition, {"proc.name": "bash"})
    assert not matches(condition, {"proc.name": "sh"})


def test_a_field_read_by_several_checks_is_extracted_once() -> None:
    calls: list[object] = []
    real = CATALOGUE.extractor("proc.name")

    def counting(event: Event) -> object:
        calls.append(event)
        return real(event)

    tree = compiler._Branch(
        "or",
        (compiler._Leaf("eq", counting, "zsh"), compiler._Leaf("eq", counting, "bash")),
    )
    predicate = compiler._Emitter().predicate(tree)
    assert predicate(Event(source="syscall", time_ns=0, payload={"proc.name": "bash"}))
    assert len(calls) == 1
