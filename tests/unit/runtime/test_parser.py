"""The condition grammar: every operator, transformers, precedence, and error positions."""

from __future__ import annotations

import pytest

from secloop.runtime.errors import ConditionSyntaxError
from secloop.runtime.rules.ast import (
    And,
    Compare,
    FieldRef,
    ListLiteral,
    Literal,
    MacroRef,
    Not,
    Op,
    Or,
    Transformer,
)
from secloop.runtime.rules.parser import parse_condition
from tests.unit.runtime.helpers import one_rule, ruleset

SCALAR_OPS = [
    ("=", Op.EQ),
    ("==", Op.EQ),
    ("!=", Op.NE),
    ("<", Op.LT),
    ("<=", Op.LE),
    (">", Op.GT),
    (">=", Op.GE),
    ("contains", Op.CONTAINS),
    ("icontains", Op.ICONTAINS),
    ("bcontains", Op.BCONTAINS),
    ("startswith", Op.STARTSWITH),
    ("bstartswith", Op.BSTARTSWITH),
    ("endswith", Op.ENDSWITH),
    ("glob", Op.GLOB),
    ("iglob", Op.IGLOB),
    ("regex", Op.REGEX),
]


@pytest.mark.parametrize(("text", "op"), SCALAR_OPS)
def test_each_scalar_operator_parses(text: str, op: Op) -> None:
    node = parse_condition(f"proc.name {text} abc")
    assert node == Compare(FieldRef("proc.name", None, 0), op, Literal("abc", len(text) + 11), 0)


@pytest.mark.parametrize("op", [Op.IN, Op.INTERSECTS, Op.PMATCH])
def test_each_list_operator_takes_a_list(op: Op) -> None:
    node = parse_condition(f'fd.name {op.value} (/a, "b c", d)')
    assert isinstance(node, Compare)
    assert node.op is op
    assert isinstance(node.rhs, ListLiteral)
    assert [(i.text, i.quoted) for i in node.rhs.items] == [
        ("/a", False),
        ("b c", True),
        ("d", False),
    ]


def test_exists_and_empty_list() -> None:
    assert parse_condition("ka.target.subresource exists") == Compare(
        FieldRef("ka.target.subresource", None, 0), Op.EXISTS, None, 0
    )
    node = parse_condition("proc.name in ()")
    assert isinstance(node, Compare)
    assert node.rhs == ListLiteral((), 13)


def test_values_that_look_like_operators_are_values() -> None:
    node = parse_condition("evt.dir = < and evt.dir=>")
    assert isinstance(node, And)
    assert [c.rhs for c in node.children if isinstance(c, Compare)] == [
        Literal("<", 10),
        Literal(">", 24),
    ]


@pytest.mark.parametrize(
    ("text", "name", "arg"),
    [
        ("proc.aname[2] = sshd", "proc.aname", "2"),
        ("ka.uri.param[command] = ls", "ka.uri.param", "command"),
        ("jevt.value[/a/b c] = x", "jevt.value", "/a/b c"),
        ("ka.req.volume.hostpath[/proc*]=true", "ka.req.volume.hostpath", "/proc*"),
    ],
)
def test_field_arguments(text: str, name: str, arg: str) -> None:
    node = parse_condition(text)
    assert isinstance(node, Compare)
    assert (node.lhs.name, node.lhs.arg) == (name, arg)


@pytest.mark.parametrize("transformer", ["tolower", "toupper", "b64", "basename", "len"])
def test_each_transformer(transformer: str) -> None:
    node = parse_condition(f"{transformer}(proc.name) = x")
    assert isinstance(node, Compare)
    assert node.lhs.transformers == (Transformer(transformer),)


def test_nested_transformers_apply_innermost_first() -> None:
    node = parse_condition("toupper(basename(proc.exepath)) = CAT")
    assert isinstance(node, Compare)
    assert node.lhs.transformers == (Transformer.BASENAME, Transformer.TOUPPER)


def test_val_and_transformer_on_the_right_hand_side() -> None:
    node = parse_condition("proc.name = val(proc.pname)")
    assert isinstance(node, Compare)
    assert node.rhs == FieldRef("proc.pname", None, 16)
    node = parse_condition("tolower(proc.name) = tolower(proc.pname)")
    assert isinstance(node, Compare)
    assert isinstance(node.rhs, FieldRef)
    assert node.rhs.transformers == (Transformer.TOLOWER,)


def test_precedence_not_over_and_over_or() -> None:
    node = parse_condition("not a and b or c")
    assert node == Or((And((Not(MacroRef("a", 4), 0), MacroRef("b", 10))), MacroRef("c", 15)))


def test_parentheses_override_precedence() -> None:
    node = parse_condition("a and (b or c)")
    assert node == And((MacroRef("a", 0), Or((MacroRef("b", 7), MacroRef("c", 12)))))


def test_quoted_strings_and_escapes() -> None:
    node = parse_condition(r'proc.cmdline contains "a \"b\" \x41" and fd.name = ' + "'x y'")
    assert isinstance(node, And)
    values = [c.rhs for c in node.children if isinstance(c, Compare)]
    assert values[0] == Literal('a "b" A', 22, quoted=True)
    assert values[1] == Literal("x y", 51, quoted=True)


def test_regex_backslashes_survive() -> None:
    node = parse_condition(r"proc.name regex '\d+'")
    assert isinstance(node, Compare)
    assert node.rhs == Literal(r"\d+", 16, quoted=True)


@pytest.mark.parametrize(
    ("text", "message", "offset"),
    [
        ("evt.type=execve foo", "unexpected token after 'execve', expecting 'or', 'and'", 16),
        ("(a and b", "expecting 'or', 'and', ')'", 8),
        ("proc.name", "expecting an operator", 9),
        ("proc.name in abc", "expecting a list", 13),
        ("proc.name = 'abc", "unterminated string", 12),
        ("", "empty condition", 0),
        ("and", "unexpected token 'and'", 0),
        ("proc.name in (a b)", "expecting ',' or ')'", 16),
    ],
)
def test_syntax_errors_have_a_message_and_an_offset(text: str, message: str, offset: int) -> None:
    with pytest.raises(ConditionSyntaxError) as caught:
        parse_condition(text)
    assert message in caught.value.message
    assert caught.value.offset == offset


def test_syntax_error_points_at_file_line_and_column_in_a_folded_block() -> None:
    text = (
        "- rule: bad\n"
        "  desc: d\n"
        "  condition: >\n"
        "    evt.type = open\n"
        "    and proc.name in (a, b\n"
        "  output: o\n"
        "  priority: INFO\n"
    )
    rules = ruleset(text)
    [error] = rules.errors
    assert error.code.value == "LOAD_ERR_COMPILE_CONDITION"
    assert (error.location.file, error.location.line, error.location.column) == (
        "file1.yaml",
        5,
        27,
    )


def test_syntax_error_in_an_appended_condition_points_at_the_append() -> None:
    base = one_rule("evt.type = open")
    append = "\n- rule: r\n  append: true\n  condition: and proc.name =\n"
    rules = ruleset(base, append)
    [error] = rules.errors
    assert error.location.file == "file2.yaml"
    assert error.location.line == 4
