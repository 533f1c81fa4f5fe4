"""The rules file format: items, append and override, exceptions, load order, diagnostics."""

from __future__ import annotations

import pytest

from secloop.runtime.engine import RuleMatching
from secloop.runtime.event import Priority
from secloop.runtime.rules.diagnostics import Code, Level
from tests.unit.runtime.helpers import alerts, one_rule, ruleset

OPEN_CAT = {
    "evt.type": "open",
    "proc.name": "cat",
    "proc.cmdline": "cat /etc/x",
    "fd.name": "/etc/x",
    "fd.directory": "/etc",
}


def codes(text: str, *more: str) -> list[tuple[str, str]]:
    return [(d.level.value, d.code.value) for d in ruleset(text, *more).diagnostics]


def test_a_rule_loads_with_its_metadata() -> None:
    text = (
        "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o %proc.name\n"
        "  priority: error\n  tags: [a, b]\n"
    )
    [rule] = ruleset(text).rules
    assert (rule.name, rule.priority, rule.source, rule.tags) == (
        "r",
        Priority.ERROR,
        "syscall",
        ("a", "b"),
    )
    assert rule.location.line == 1


def test_lists_and_macros_resolve_including_nested_lists() -> None:
    prelude = (
        "- list: inner\n  items: [cat]\n- list: outer\n  items: [inner, dog]\n"
        "- macro: is_pet\n  condition: proc.name in (outer)\n"
    )
    rules = ruleset(one_rule("evt.type = open and is_pet", prelude=prelude))
    assert alerts(rules, OPEN_CAT)


def test_redefinition_replaces_in_place_and_keeps_first_match_order() -> None:
    first = (
        one_rule("evt.type = open")
        + "\n"
        + one_rule("evt.type = open").replace("rule: r", "rule: s")
    )
    again = one_rule("evt.type = open and proc.name = cat").replace(
        "priority: WARNING", "priority: ERROR"
    )
    rules = ruleset(first, again)
    assert [r.name for r in rules.rules] == ["r", "s"]
    [alert] = alerts(rules, OPEN_CAT)
    assert (alert.rule, alert.priority) == ("r", Priority.ERROR)
    assert len(alerts(rules, OPEN_CAT, matching=RuleMatching.ALL)) == 2


def test_legacy_append_to_rule_macro_and_list() -> None:
    base = (
        "- list: names\n  items: [dog]\n- macro: m\n  condition: proc.name in (names)\n"
        + one_rule("evt.type = open and m")
    )
    extra = (
        "- list: names\n  items: [cat]\n  append: true\n"
        "- macro: m\n  condition: or proc.name = nobody\n  append: true\n"
        "- rule: r\n  condition: and fd.name startswith /etc\n  append: true\n"
    )
    rules = ruleset(base, extra)
    assert not rules.errors
    assert alerts(rules, OPEN_CAT)
    assert not alerts(rules, {**OPEN_CAT, "fd.name": "/tmp/x"})


def test_override_append_and_replace() -> None:
    base = one_rule("evt.type = open", output="first")
    override = (
        "- rule: r\n  condition: and proc.name = dog\n  output: second %proc.name\n"
        "  priority: CRITICAL\n  override:\n    condition: append\n    output: replace\n"
        "    priority: replace\n"
    )
    rules = ruleset(base, override)
    assert not rules.errors
    assert not alerts(rules, OPEN_CAT)
    [alert] = alerts(rules, {**OPEN_CAT, "proc.name": "dog"})
    assert (alert.output, alert.priority) == ("second dog", Priority.CRITICAL)


def test_override_list_replace_and_enabled() -> None:
    base = "- list: names\n  items: [cat]\n" + one_rule("evt.type = open and proc.name in (names)")
    extra = (
        "- list: names\n  items: [dog]\n  override:\n    items: replace\n"
        "- rule: r\n  enabled: false\n  override:\n    enabled: replace\n"
    )
    rules = ruleset(base, extra)
    assert not rules.errors
    assert not rules.rules


def test_enabled_only_item_toggles_an_existing_rule() -> None:
    rules = ruleset(one_rule("evt.type = open"), "- rule: r\n  enabled: false\n")
    assert not rules.rules
    assert not rules.errors


@pytest.mark.parametrize(
    ("extra", "code", "fragment"),
    [
        (
            "- rule: nope\n  condition: and x\n  append: true\n",
            Code.LOAD_ERR_VALIDATE,
            "no rule by that name",
        ),
        (
            "- macro: nope\n  condition: x\n  append: true\n",
            Code.LOAD_ERR_VALIDATE,
            "no macro by that name",
        ),
        (
            "- list: nope\n  items: [x]\n  append: true\n",
            Code.LOAD_ERR_VALIDATE,
            "no list by that name",
        ),
        (
            "- rule: r\n  output: x\n  override:\n    output: merge\n",
            Code.LOAD_ERR_VALIDATE,
            "cannot be overridden",
        ),
        (
            "- rule: r\n  priority: INFO\n  override:\n    priority: append\n",
            Code.LOAD_ERR_VALIDATE,
            "cannot be overridden",
        ),
        (
            "- rule: r\n  desc: x\n  output: y\n  override:\n    desc: replace\n",
            Code.LOAD_ERR_VALIDATE,
            "has no override entry",
        ),
        (
            "- rule: r\n  desc: x\n  append: true\n  override:\n    desc: replace\n",
            Code.LOAD_ERR_VALIDATE,
            "cannot be used together",
        ),
        (
            "- rule: x\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: LOUD\n",
            Code.LOAD_ERR_VALIDATE,
            "Invalid priority",
        ),
        (
            "- required_engine_version: 0.99.0\n",
            Code.LOAD_ERR_VALIDATE,
            "Rules require engine version",
        ),
    ],
)
def test_invalid_items_are_reported(extra: str, code: Code, fragment: str) -> None:
    rules = ruleset(one_rule("evt.type = open"), extra)
    assert any(d.code is code and fragment in d.message for d in rules.errors), [
        d.render() for d in rules.diagnostics
    ]


def test_exceptions_become_conditions() -> None:
    text = one_rule("evt.type = open") + (
        "  exceptions:\n"
        "    - name: proc_dir\n      fields: [proc.name, fd.directory]\n"
        "      comps: [=, in]\n      values:\n        - [cat, [/etc, /usr]]\n"
        "    - name: names\n      fields: proc.name\n      values: [dog, bird]\n"
        "    - name: later\n      fields: [proc.cmdline]\n      comps: [startswith]\n"
    )
    append = (
        "- rule: r\n  exceptions:\n    - name: later\n      values:\n        - [mouse]\n"
        "  append: true\n"
    )
    rules = ruleset(text, append)
    assert not rules.errors
    assert not alerts(rules, OPEN_CAT)
    assert alerts(rules, {**OPEN_CAT, "fd.directory": "/tmp"})
    assert not alerts(rules, {**OPEN_CAT, "proc.name": "dog", "fd.directory": "/tmp"})
    assert not alerts(rules, {**OPEN_CAT, "proc.cmdline": "mouse 1", "fd.directory": "/tmp"})


def test_exception_values_may_name_lists() -> None:
    prelude = "- list: cats\n  items: [cat, kitten]\n"
    text = one_rule("evt.type = open", prelude=prelude) + (
        "  exceptions:\n    - name: n\n      fields: [proc.name]\n      comps: [in]\n"
        "      values:\n        - [cats]\n"
    )
    rules = ruleset(text)
    assert not rules.errors
    assert not alerts(rules, OPEN_CAT)


def test_unknown_field_disables_only_that_rule_with_its_position() -> None:
    text = one_rule("evt.type = open and proc.nobody = x") + one_rule("evt.type = open").replace(
        "rule: r", "rule: good"
    )
    rules = ruleset(text)
    [error] = rules.errors
    assert error.code is Code.LOAD_ERR_COMPILE_CONDITION
    assert "proc.nobody" in error.message
    assert error.item_name == "r"
    assert (error.location.line, error.location.column) == (4, 35)
    assert [r.name for r in rules.rules] == ["good"]


def test_skip_if_unknown_filter_makes_it_a_warning() -> None:
    text = one_rule("evt.type = open and proc.nobody = x") + "  skip-if-unknown-filter: true\n"
    rules = ruleset(text)
    assert not rules.errors
    assert not rules.rules
    assert [d.code for d in rules.diagnostics] == [Code.LOAD_UNKNOWN_FILTER]


def test_uncatalogued_source_is_a_warning_and_the_rule_is_disabled() -> None:
    rules = ruleset(one_rule("ct.name = x", source="aws_cloudtrail"))
    assert not rules.errors
    assert not rules.rules
    assert [d.code for d in rules.diagnostics] == [Code.LOAD_UNKNOWN_SOURCE]


def test_unknown_event_type_is_an_error() -> None:
    rules = ruleset(one_rule("evt.type = opne"))
    assert [d.message for d in rules.errors] == ["unknown event type opne"]


def test_macro_visibility_and_loops() -> None:
    loop = "- macro: a\n  condition: b\n- macro: b\n  condition: a\n"
    rules = ruleset(loop)
    assert any("Undefined macro 'b'" in d.message for d in rules.errors)
    redefined = loop + "- macro: a\n  condition: b\n"
    assert any("reference loop" in d.message for d in ruleset(redefined).errors)


def test_unused_macros_and_lists_warn_and_plugin_versions_are_noted() -> None:
    text = (
        "- required_plugin_versions:\n    - name: k8saudit\n      version: 0.1.0\n"
        "- macro: unused\n  condition: evt.type = open\n- list: lonely\n  items: [a]\n"
    )
    found = codes(text)
    assert ("warning", "LOAD_UNUSED_MACRO") in found
    assert ("warning", "LOAD_UNUSED_LIST") in found
    assert ("info", "LOAD_IGNORED_ITEM") in found


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("This is not yaml", Code.LOAD_ERR_YAML_VALIDATE),
        ("foo: bar", Code.LOAD_ERR_YAML_VALIDATE),
        ("- foo", Code.LOAD_ERR_YAML_VALIDATE),
        ("- rule: [a\n", Code.LOAD_ERR_YAML_PARSE),
        ("- required_engine_version: abc\n", Code.LOAD_ERR_YAML_VALIDATE),
    ],
)
def test_file_level_errors(text: str, code: Code) -> None:
    [error] = ruleset(text).errors
    assert error.code is code
    assert error.level is Level.ERROR


def test_multiple_documents_load_in_order() -> None:
    text = one_rule("evt.type = open") + "---\n- rule: r\n  enabled: false\n"
    assert not ruleset(text).rules


def test_output_substitution_with_arguments_and_missing_values() -> None:
    rules = ruleset(one_rule("evt.type = open", output="p=%proc.name a=%proc.aname[2] x=%fd.sip"))
    [alert] = alerts(rules, {**OPEN_CAT, "proc.aname[2]": "sshd"})
    assert alert.output == "p=cat a=sshd x=<NA>"
    assert alert.fields == {"proc.name": "cat", "proc.aname[2]": "sshd", "fd.sip": None}
