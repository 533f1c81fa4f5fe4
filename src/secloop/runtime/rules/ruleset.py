"""From collected definitions to a :class:`Ruleset` of compiled rules, with diagnostics.

Steps, in order (each failure is a diagnostic on the item it concerns):

1. compile lists (list references, Falco's visibility rule);
2. parse every macro and resolve its macro references (syntax errors, undefined
   macros and loops are reported on the macro even when no rule uses it);
3. per rule: parse, add exceptions, resolve macros and lists, compile against the
   field catalogue of the rule's source, compile the output template. A source
   without a catalogue, or a field the catalogue lacks, disables that rule only;
4. warn about macros and lists nothing refers to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from secloop.runtime.errors import ConditionSyntaxError
from secloop.runtime.event import Priority
from secloop.runtime.fields import catalogue_for
from secloop.runtime.fields.base import Catalogue
from secloop.runtime.rules.ast import Node
from secloop.runtime.rules.compiler import CompileError, Predicate, compile_condition
from secloop.runtime.rules.diagnostics import Code, Diagnostic, Level, Location
from secloop.runtime.rules.exceptions import ExceptionFieldError, with_exceptions
from secloop.runtime.rules.loader import Collector
from secloop.runtime.rules.model import RuleDef, SourceText
from secloop.runtime.rules.output import OutputError, OutputTemplate, compile_output
from secloop.runtime.rules.parser import parse_condition, parse_field_text
from secloop.runtime.rules.resolve import MacroResolver, ResolveError, compile_lists, flatten

__all__ = ["CompiledRule", "Ruleset", "build_ruleset", "load_rules", "load_rules_texts"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CompiledRule:
    """A rule ready to evaluate: its predicate, output template and (expanded) condition."""

    name: str
    desc: str
    priority: Priority
    source: str
    tags: tuple[str, ...]
    index: int
    condition: Node
    predicate: Predicate
    output: OutputTemplate
    location: Location


@dataclass(frozen=True, slots=True)
class Ruleset:
    """Enabled, compiled rules in load order, and everything loading had to say."""

    rules: tuple[CompiledRule, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    def by_source(self) -> dict[str, list[CompiledRule]]:
        grouped: dict[str, list[CompiledRule]] = {}
        for rule in self.rules:
            grouped.setdefault(rule.source, []).append(rule)
        return grouped


def load_rules(paths: Iterable[Path], *, min_priority: Priority = Priority.DEBUG) -> Ruleset:
    """Load rules files in the order given (later files override earlier ones)."""
    collector = Collector()
    collector.load_files(paths)
    return build_ruleset(collector, min_priority=min_priority)


def load_rules_texts(texts: Iterable[tuple[str, str]]) -> Ruleset:
    """Load ``(file name, YAML text)`` pairs: the same as files, for tests and embedding."""
    collector = Collector()
    for name, text in texts:
        collector.load_text(text, name)
    return build_ruleset(collector)


def build_ruleset(collector: Collector, *, min_priority: Priority = Priority.DEBUG) -> Ruleset:
    builder = _Builder(collector)
    rules = builder.rules(min_priority)
    builder.unused()
    return Ruleset(tuple(rules), tuple(builder.diagnostics))


class _Builder:
    def __init__(self, collector: Collector) -> None:
        self.collector = collector
        self.diagnostics: list[Diagnostic] = list(collector.diagnostics)
        lists, self.list_refs = compile_lists(collector.lists)
        parsed = {name: self._parse_macro(name) for name in collector.macros}
        self.resolver = MacroResolver(collector.macros, parsed, lists)
        for name, node in parsed.items():
            if node is not None:
                self._check_macro(name, node)
        self.resolver.used_macros.clear()
        self.resolver.used_lists.clear()

    def report(  # noqa: PLR0917 - the fields of a Diagnostic, in its order
        self, level: Level, code: Code, message: str, where: Location, kind: str, name: str
    ) -> None:
        self.diagnostics.append(
            Diagnostic(
                level=level,
                code=code,
                message=message,
                location=where,
                item_type=kind,
                item_name=name,
            )
        )

    def _parse_macro(self, name: str) -> Node | None:
        macro = self.collector.macros[name]
        return self._parse(macro.condition, "macro", name)

    def _parse(self, text: SourceText, kind: str, name: str) -> Node | None:
        try:
            return parse_condition(text.text)
        except ConditionSyntaxError as err:
            self.report(
                Level.ERROR,
                Code.LOAD_ERR_COMPILE_CONDITION,
                err.message,
                text.locate(err.offset),
                kind,
                name,
            )
            return None

    def _check_macro(self, name: str, node: Node) -> None:
        macro = self.collector.macros[name]
        try:
            self.resolver.expand(node, macro.visibility)
        except ResolveError as err:
            self.report(
                Level.ERROR,
                Code.LOAD_ERR_VALIDATE,
                err.message,
                macro.condition.locate(err.offset),
                "macro",
                name,
            )

    def rules(self, min_priority: Priority) -> list[CompiledRule]:
        compiled: list[CompiledRule] = []
        for rule in sorted(self.collector.rules.values(), key=lambda r: r.index):
            built = self._rule(rule)
            if built is not None and rule.enabled and rule.priority >= min_priority:
                compiled.append(built)
        return compiled

    def _rule(self, rule: RuleDef) -> CompiledRule | None:
        node = self._parse(rule.condition, "rule", rule.name)
        if node is None:
            return None
        try:
            node = with_exceptions(node, rule.exceptions, 0)
            node = self.resolver.expand(node)
        except ExceptionFieldError as err:
            self.report(
                Level.ERROR,
                Code.LOAD_ERR_VALIDATE,
                err.message,
                rule.location,
                "exception",
                err.exception,
            )
            return None
        except ResolveError as err:
            self.report(
                Level.ERROR,
                Code.LOAD_ERR_VALIDATE,
                err.message,
                rule.condition.locate(err.offset),
                "rule",
                rule.name,
            )
            return None
        catalogue = self._catalogue(rule)
        if catalogue is None or not self._exception_fields(rule, catalogue):
            return None
        predicate = self._predicate(rule, node, catalogue)
        output = self._output(rule, catalogue)
        if predicate is None or output is None:
            return None
        return CompiledRule(
            name=rule.name,
            desc=rule.desc,
            priority=rule.priority,
            source=rule.source,
            tags=rule.tags,
            index=rule.index,
            condition=node,
            predicate=predicate,
            output=output,
            location=rule.location,
        )

    def _catalogue(self, rule: RuleDef) -> Catalogue | None:
        try:
            return catalogue_for(rule.source)
        except KeyError:
            self.report(
                Level.WARNING,
                Code.LOAD_UNKNOWN_SOURCE,
                f"Unknown source {rule.source}, skipping: secloop has no field "
                f"catalogue for it yet, the rule is disabled",
                rule.location,
                "rule",
                rule.name,
            )
            return None

    def _exception_fields(self, rule: RuleDef, catalogue: Catalogue) -> bool:
        for exception in rule.exceptions:
            for text in exception.fields:
                ref = parse_field_text(text)
                if ref is None or catalogue.spec(ref.name) is None:
                    self.report(
                        Level.ERROR,
                        Code.LOAD_ERR_VALIDATE,
                        f"'{text}' is not a supported filter field",
                        exception.location,
                        "exception",
                        exception.name,
                    )
                    return False
        return True

    def _predicate(self, rule: RuleDef, node: Node, catalogue: Catalogue) -> Predicate | None:
        from secloop.runtime.fields.syscall import EVENT_TYPES

        event_types = EVENT_TYPES if rule.source == "syscall" else None
        try:
            return compile_condition(flatten(node), catalogue, event_types)
        except CompileError as err:
            where = rule.condition.locate(err.offset) if err.offset >= 0 else rule.location
            if err.unknown_field and rule.skip_if_unknown_filter:
                self.report(
                    Level.WARNING,
                    Code.LOAD_UNKNOWN_FILTER,
                    f"{err.message}; rule disabled (skip-if-unknown-filter)",
                    where,
                    "rule",
                    rule.name,
                )
            else:
                suffix = "; rule disabled" if err.unknown_field else ""
                self.report(
                    Level.ERROR,
                    Code.LOAD_ERR_COMPILE_CONDITION,
                    err.message + suffix,
                    where,
                    "rule",
                    rule.name,
                )
            return None

    def _output(self, rule: RuleDef, catalogue: Catalogue) -> OutputTemplate | None:
        try:
            return compile_output(rule.output.text, catalogue)
        except OutputError as err:
            self.report(
                Level.ERROR,
                Code.LOAD_ERR_COMPILE_OUTPUT,
                err.message,
                rule.output.locate(err.offset),
                "rule",
                rule.name,
            )
            return None

    def unused(self) -> None:
        used_macros = self.resolver.used_macros
        used_lists = self.resolver.used_lists | self.list_refs
        for name, macro in self.collector.macros.items():
            if name not in used_macros:
                self.report(
                    Level.WARNING,
                    Code.LOAD_UNUSED_MACRO,
                    "Macro not referred to by any other rule/macro",
                    macro.location,
                    "macro",
                    name,
                )
        for name, entry in self.collector.lists.items():
            if name not in used_lists:
                self.report(
                    Level.WARNING,
                    Code.LOAD_UNUSED_LIST,
                    "List not referred to by any other rule/macro/list",
                    entry.location,
                    "list",
                    name,
                )
