"""Reading Falco rules files: YAML items to definitions, with append and override applied.

Load order is the order of the files and of the items in them. Per item:

1. ``required_engine_version``: a number ``N`` (meaning 0.N.0) or a semantic version;
   above :data:`ENGINE_VERSION` is an error, as in Falco.
2. ``required_plugin_versions``: accepted and ignored (secloop reads sources itself);
   an info diagnostic says so.
3. ``list`` / ``macro`` / ``rule``: a new name is defined; an existing name is replaced in
   place, unless ``append: true`` or an ``override:`` section says to append to or
   replace single keys. A rule item with only ``enabled`` toggles an existing rule.

Problems become diagnostics (see :mod:`.diagnostics`), never exceptions: one bad item
leaves the others usable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from secloop.runtime.rules import items
from secloop.runtime.rules.diagnostics import Code, Diagnostic, Level, Location
from secloop.runtime.rules.model import ListDef, MacroDef, RuleDef
from secloop.runtime.rules.yamlsrc import (
    YamlSyntaxError,
    YMap,
    YNode,
    YScalar,
    YSeq,
    read_documents,
)

__all__ = ["ENGINE_VERSION", "MAX_RULES_FILE_BYTES", "Collector"]

ENGINE_VERSION = (0, 57, 0)
MAX_RULES_FILE_BYTES = 16 * 1024 * 1024

_RULE_APPEND_KEYS = frozenset({"condition", "output", "desc", "tags", "exceptions"})
_RULE_REPLACE_KEYS = frozenset(
    {
        "condition",
        "output",
        "desc",
        "priority",
        "tags",
        "exceptions",
        "enabled",
        "warn_evttypes",
        "skip-if-unknown-filter",
        "capture",
        "capture_duration",
    }
)


class Collector:
    """Accumulates the definitions of several rules files, in load order."""

    def __init__(self) -> None:
        self.lists: dict[str, ListDef] = {}
        self.macros: dict[str, MacroDef] = {}
        self.rules: dict[str, RuleDef] = {}
        self.diagnostics: list[Diagnostic] = []
        self._counter = 0

    def report(  # noqa: PLR0917 - the fields of a Diagnostic, in its order
        self,
        level: Level,
        code: Code,
        message: str,
        where: Location,
        item_type: str = "",
        item_name: str = "",
    ) -> None:
        self.diagnostics.append(
            Diagnostic(
                level=level,
                code=code,
                message=message,
                location=where,
                item_type=item_type,
                item_name=item_name,
            )
        )

    def load_files(self, paths: Iterable[Path]) -> None:
        for path in paths:
            self.load_file(path)

    def load_file(self, path: Path) -> None:
        """Read one file (bounded in size) and collect its items."""
        where = Location(str(path), 1, 1)
        try:
            size = path.stat().st_size
            if size > MAX_RULES_FILE_BYTES:
                self.report(
                    Level.ERROR,
                    Code.LOAD_ERR_FILE_READ,
                    f"file is {size} bytes, above the limit of {MAX_RULES_FILE_BYTES}",
                    where,
                    "rules content",
                )
                return
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            self.report(
                Level.ERROR, Code.LOAD_ERR_FILE_READ, f"cannot read: {err}", where, "rules content"
            )
            return
        self.load_text(text, str(path))

    def load_text(self, text: str, file: str) -> None:
        """Collect every item of every YAML document of one rules file."""
        try:
            documents = read_documents(text, file)
        except YamlSyntaxError as err:
            self.report(
                Level.ERROR, Code.LOAD_ERR_YAML_PARSE, err.message, err.location, "rules content"
            )
            return
        for document in documents:
            if document is None:
                continue
            if isinstance(document, YScalar):
                self.report(
                    Level.ERROR,
                    Code.LOAD_ERR_YAML_VALIDATE,
                    "Rules content is not yaml",
                    document.location,
                    "rules content",
                )
                continue
            if not isinstance(document, YSeq):
                self.report(
                    Level.ERROR,
                    Code.LOAD_ERR_YAML_VALIDATE,
                    "Rules content is not yaml array of objects",
                    document.location,
                    "rules content",
                )
                continue
            for node in document.items:
                self._item(node, text)

    def _item(self, node: YNode, text: str) -> None:
        if isinstance(node, YScalar) and node.value is None:
            self.report(
                Level.WARNING,
                Code.LOAD_UNKNOWN_ITEM,
                "Empty item ignored",
                node.location,
                "rules content item",
            )
            return
        if not isinstance(node, YMap):
            self.report(
                Level.ERROR,
                Code.LOAD_ERR_YAML_VALIDATE,
                "Unexpected element type. Each element should be a yaml associative array.",
                node.location,
                "rules content item",
            )
            return
        self._counter += 1
        ctx = items.Context(self, node, text, self._counter)
        if "required_engine_version" in node.entries:
            self._engine_version(ctx)
        elif "required_plugin_versions" in node.entries:
            self.report(
                Level.INFO,
                Code.LOAD_IGNORED_ITEM,
                "required_plugin_versions accepted and ignored: secloop reads event sources itself",
                node.location,
                "required_plugin_versions",
            )
        elif "list" in node.entries:
            self._list(ctx)
        elif "macro" in node.entries:
            self._macro(ctx)
        elif "rule" in node.entries:
            self._rule(ctx)
        else:
            keys = ", ".join(node.entries) or "nothing"
            self.report(
                Level.WARNING,
                Code.LOAD_UNKNOWN_ITEM,
                f"Unknown top level object ({keys}), skipped",
                node.location,
                "rules content item",
            )

    def _engine_version(self, ctx: items.Context) -> None:
        node = ctx.node.entries["required_engine_version"]
        wanted = items.parse_engine_version(node.value if isinstance(node, YScalar) else None)
        if wanted is None:
            ctx.error(
                Code.LOAD_ERR_YAML_VALIDATE,
                "Can't decode YAML scalar value",
                "required_engine_version",
                "",
                node.location,
            )
            return
        if wanted > ENGINE_VERSION:
            have = ".".join(map(str, ENGINE_VERSION))
            need = ".".join(map(str, wanted))
            ctx.error(
                Code.LOAD_ERR_VALIDATE,
                f"Rules require engine version {need}, but engine version is {have}",
                "required_engine_version",
                "",
                node.location,
            )

    def _list(self, ctx: items.Context) -> None:
        name = ctx.name("list")
        if name is None:
            return
        values = ctx.string_list("items", "list", name, required=True)
        mode = ctx.merge_mode("list", name, {"items"}, {"items"})
        if values is None or mode is None:
            return
        existing = self.lists.get(name)
        if mode and existing is None:
            ctx.error(
                Code.LOAD_ERR_VALIDATE,
                f"List has '{ctx.merge_key}' key but no list by that name already exists",
                "list",
                name,
            )
            return
        if existing is not None and mode.get("items") == "append":
            self.lists[name] = replace(
                existing, items=existing.items + tuple(values), visibility=ctx.counter
            )
            return
        index = existing.index if existing else ctx.counter
        self.lists[name] = ListDef(
            name=name,
            items=tuple(values),
            location=ctx.node.location,
            index=index,
            visibility=ctx.counter,
        )

    def _macro(self, ctx: items.Context) -> None:
        name = ctx.name("macro")
        if name is None:
            return
        condition = ctx.source_text("condition", "macro", name, required=True)
        mode = ctx.merge_mode("macro", name, {"condition"}, {"condition"})
        if condition is None or mode is None:
            return
        existing = self.macros.get(name)
        if mode and existing is None:
            ctx.error(
                Code.LOAD_ERR_VALIDATE,
                f"Macro has '{ctx.merge_key}' key but no macro by that name already exists",
                "macro",
                name,
            )
            return
        if existing is not None and mode.get("condition") == "append":
            self.macros[name] = replace(
                existing, condition=existing.condition.append(condition), visibility=ctx.counter
            )
            return
        index = existing.index if existing else ctx.counter
        self.macros[name] = MacroDef(
            name=name,
            condition=condition,
            location=ctx.node.location,
            index=index,
            visibility=ctx.counter,
        )

    def _rule(self, ctx: items.Context) -> None:
        name = ctx.name("rule")
        if name is None:
            return
        mode = ctx.merge_mode("rule", name, _RULE_APPEND_KEYS, _RULE_REPLACE_KEYS)
        if mode is None:
            return
        existing = self.rules.get(name)
        if mode or ctx.legacy_append:
            self._rule_merge(ctx, name, mode, existing)
        elif set(ctx.node.entries) <= {"rule", "enabled"} and "enabled" in ctx.node.entries:
            self._rule_toggle(ctx, name, existing)
        else:
            defined = items.full_rule(ctx, name)
            if defined is not None:
                index = existing.index if existing else ctx.counter
                self.rules[name] = replace(defined, index=index)

    def _rule_toggle(self, ctx: items.Context, name: str, existing: RuleDef | None) -> None:
        enabled = ctx.boolean("enabled", "rule", name, default=True)
        if existing is None:
            ctx.error(
                Code.LOAD_ERR_VALIDATE,
                "Rule has 'enabled' key but no rule by that name already exists",
                "rule",
                name,
            )
            return
        if enabled is not None:
            self.rules[name] = replace(existing, enabled=enabled)

    def _rule_merge(
        self, ctx: items.Context, name: str, mode: dict[str, str], existing: RuleDef | None
    ) -> None:
        if existing is None:
            ctx.error(
                Code.LOAD_ERR_VALIDATE,
                f"Rule has '{ctx.merge_key}' key but no rule by that name already exists",
                "rule",
                name,
            )
            return
        if ctx.legacy_append and not {"condition", "exceptions"} & set(ctx.node.entries):
            ctx.error(
                Code.LOAD_ERR_VALIDATE,
                "Appended rule must have exceptions or condition property",
                "rule",
                name,
            )
            return
        merged = items.merge_rule(ctx, existing, mode)
        if merged is not None:
            self.rules[name] = merged
