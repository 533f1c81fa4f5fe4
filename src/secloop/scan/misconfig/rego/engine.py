"""Load, compile and evaluate conftest-style Rego policies with regopy (rego-cpp).

Steps of :func:`load_policies`:

1. Collect every ``*.rego`` file under each policy directory (``*_test.rego`` files are
   conftest unit tests, not policies), sorted so the result never depends on the walk.
2. Add each file to one interpreter under a synthetic module name (``m<N>.rego``): the
   error text rego-cpp returns names the module with a length prefix, and a synthetic
   name maps back to the user's file without parsing user-chosen paths out of it.
3. Build one bundle per namespace (``x := data.<namespace>``): compilation happens once
   per scan, and each document only sets the input and runs the plan.

rego-cpp facts the code relies on (regopy 1.5, measured; see tests/unit/misconfig/test_rego.py):

- both Rego v1 (``deny contains msg if``) and conftest's v0 style (``deny[msg] { }``)
  compile; v0 partial-set rules come back as an object whose keys are the members
  (non-string members JSON-encoded) and whose values are ``true``.
- syntax errors raise ``RegoError`` whose text is an S-expression
  ``(error <len>:<module>|<offset>|<len> (errormsg <len>:<message>) ...)``.
- an unsafe variable or an unknown function is *not* a compile error: it surfaces when
  a document is evaluated, as a result whose text embeds ``(errormsg ...)`` or as
  output regopy cannot decode. Both are reported as a runtime error of that document.
- log level NONE keeps rego-cpp from printing errors on the process's standard output,
  which would corrupt a JSON report written there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secloop.core.errors import ConfigError, Error

__all__ = [
    "DEFAULT_NAMESPACE",
    "CompiledPolicies",
    "PolicyError",
    "PolicyFile",
    "PolicyRuntimeError",
    "load_policies",
]

DEFAULT_NAMESPACE = "main"
MAX_POLICY_FILES = 10_000
MAX_POLICY_BYTES = 4 * 1024 * 1024
_NAMESPACE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)", re.MULTILINE)
_RULE_HEAD = re.compile(r"^((?:deny|violation|warn)(?:_\w+)?)\b", re.MULTILINE)
#: ``deny[msg] {`` (v0 partial set) and ``deny contains msg`` (v1), by rule name.
_V0_SET = re.compile(r"^((?:deny|violation|warn)(?:_\w+)?)\s*\[", re.MULTILINE)
_V1_SET = re.compile(r"^((?:deny|violation|warn)(?:_\w+)?)\s+contains\b", re.MULTILINE)
_ERROR_HEAD = re.compile(r"\(error (\d+):")
_ERROR_MESSAGE = re.compile(r"\(errormsg (\d+):")


class PolicyError(ConfigError):
    """A policy file or directory the user gave cannot be used (exit code 2)."""


class PolicyRuntimeError(Error):
    """A policy failed while evaluating one document (recorded; the scan goes on)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyFile:
    """One loaded policy file: where it is, its package and its conftest rules."""

    path: Path
    package: str
    rules: tuple[str, ...]


def _policy_files(directory: Path) -> list[Path]:
    """Step (1): every policy file under ``directory`` (a single file is accepted too)."""
    if directory.is_file():
        return [directory]
    if not directory.is_dir():
        raise PolicyError(f"{directory}: policy directory not found")
    found = sorted(
        p for p in directory.rglob("*.rego") if p.is_file() and not p.name.endswith("_test.rego")
    )
    if len(found) > MAX_POLICY_FILES:
        raise PolicyError(f"{directory}: more than {MAX_POLICY_FILES} policy files")
    return found


def _read_policy(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise PolicyError(f"{path}: cannot read policy ({err.strerror or err})") from None
    if len(data) > MAX_POLICY_BYTES:
        raise PolicyError(f"{path}: policy larger than {MAX_POLICY_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: policy is not UTF-8 text") from None


def _length_prefixed(text: str, match: re.Match[str]) -> str:
    """The ``<len>:<text>`` field a match of ``(\\d+):`` starts (rego-cpp's error format)."""
    start = match.end()
    return text[start : start + int(match.group(1))]


def error_message(text: str) -> str:
    """Every ``errormsg`` in a rego-cpp error text, joined; the text itself if none."""
    messages = [_length_prefixed(text, m) for m in _ERROR_MESSAGE.finditer(text)]
    unique = list(dict.fromkeys(messages))
    return "; ".join(unique) if unique else text.strip() or "evaluation failed"


def _line_column(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a byte offset into ``source``."""
    head = source.encode("utf-8")[:offset].decode("utf-8", errors="replace")
    line_start = head.rfind("\n") + 1  # 0 on the first line
    return head.count("\n") + 1, len(head) - line_start + 1


def _compile_error(text: str, modules: Mapping[str, tuple[Path, str]]) -> PolicyError:
    """``file:line:column: message`` for the first error of a rego-cpp error text."""
    head = _ERROR_HEAD.search(text)
    message = error_message(text)
    if head is not None:
        module = _length_prefixed(text, head)
        located = re.match(r"\|(\d+)\|", text[head.end() + len(module) :])
        if module in modules and located is not None:
            path, source = modules[module]
            line, column = _line_column(source, int(located.group(1)))
            return PolicyError(f"{path}:{line}:{column}: invalid policy: {message}")
        if module in modules:
            return PolicyError(f"{modules[module][0]}: invalid policy: {message}")
    return PolicyError(f"invalid policy: {message}")


def _check_rule_styles(sources: Sequence[tuple[Path, str, str]]) -> None:
    """A rule written ``deny[msg] { }`` in one file and ``deny contains msg`` in another
    of the same package: OPA merges both into one set, rego-cpp compiles the first as an
    object and fails on every input. Say so at load time, naming both places."""
    seen: dict[tuple[str, str, bool], tuple[Path, int]] = {}
    for path, package, source in sources:
        for pattern, v1 in ((_V0_SET, False), (_V1_SET, True)):
            for match in pattern.finditer(source):
                rule, line = match.group(1), source.count("\n", 0, match.start()) + 1
                seen.setdefault((package, rule, v1), (path, line))
                other = seen.get((package, rule, not v1))
                if other is not None:
                    raise PolicyError(
                        f"{path}:{line}:1: invalid policy: rule {package}.{rule} is written "
                        f"in both Rego v0 (`{rule}[msg] {{`) and v1 (`{rule} contains msg if`) "
                        f"style (also at {other[0]}:{other[1]}); rego-cpp needs one style "
                        "per rule name within a package"
                    )


@dataclass(frozen=True, slots=True)
class _Plan:
    namespace: str
    bundle: Any  # regopy.Bundle (untyped library)


class CompiledPolicies:
    """Policies compiled once per scan; :meth:`evaluate` runs them over one input.

    Not thread-safe (one rego-cpp interpreter holds the input); the engine scans files
    one at a time.
    """

    def __init__(self, files: Sequence[PolicyFile], interpreter: Any, plans: Sequence[_Plan]):
        self.files = tuple(files)
        self._interpreter = interpreter
        self._plans = tuple(plans)

    @property
    def namespaces(self) -> tuple[str, ...]:
        return tuple(plan.namespace for plan in self._plans)

    def evaluate(self, value: Any) -> Iterator[tuple[str, str, Any]]:
        """``(namespace, rule, result value)`` for every conftest rule that produced results.

        Raises PolicyRuntimeError when evaluation fails for this input.
        """
        self._interpreter.set_input_term(json.dumps(value, default=str))
        for plan in self._plans:
            package = self._query(plan)
            for rule, results in sorted(package.items()):
                if _RULE_HEAD.fullmatch(rule) is not None:
                    yield plan.namespace, rule, results

    def _query(self, plan: _Plan) -> dict[str, Any]:
        import regopy  # type: ignore[import-untyped]  # no stubs, no py.typed

        try:
            output = self._interpreter.query_bundle(plan.bundle)
        except json.JSONDecodeError as err:  # regopy cannot decode rego-cpp's error text
            raise PolicyRuntimeError(error_message(err.doc)) from None
        except regopy.RegoError as err:
            raise PolicyRuntimeError(error_message(str(err))) from None
        if not output.ok():
            raise PolicyRuntimeError(
                "evaluation error (a built-in function failed: division by zero, a type "
                "error, or a conflicting rule value)"
            )
        text = str(output)
        if text == "undefined":  # the namespace holds no rule for this input
            return {}
        if "(errormsg " in text:
            raise PolicyRuntimeError(error_message(text))
        bound = json.loads(text).get("bindings", {}).get("x", {})
        return bound if isinstance(bound, dict) else {}


def _namespaces(requested: Sequence[str]) -> tuple[str, ...]:
    for namespace in requested:
        if _NAMESPACE.fullmatch(namespace) is None:
            raise PolicyError(f"invalid policy namespace {namespace!r} (expected e.g. main)")
    return tuple(dict.fromkeys(requested)) or (DEFAULT_NAMESPACE,)


def load_policies(directories: Sequence[Path], namespaces: Sequence[str] = ()) -> CompiledPolicies:
    """Load and compile every policy under ``directories`` (steps 1-3 above).

    PolicyError (a usage error) names the file, line and reason of a bad policy.
    """
    import regopy

    interpreter = regopy.Interpreter()
    interpreter.log_level = regopy.LogLevel.NONE
    interpreter.strict_built_in_errors = True
    modules: dict[str, tuple[Path, str]] = {}
    files: list[PolicyFile] = []
    styles: list[tuple[Path, str, str]] = []
    paths = [path for directory in directories for path in _policy_files(directory)]  # (1)
    if not paths:
        where = ", ".join(str(d) for d in directories)
        raise PolicyError(f"{where}: no *.rego policy files found")
    for index, path in enumerate(paths):
        source = _read_policy(path)
        name = f"m{index}.rego"
        modules[name] = (path, source)
        package = _PACKAGE.search(source)
        if package is None:
            raise PolicyError(f"{path}:1:1: invalid policy: no package declaration")
        rules = tuple(dict.fromkeys(_RULE_HEAD.findall(source)))
        files.append(PolicyFile(path=path, package=package.group(1), rules=rules))
        styles.append((path, package.group(1), source))
        try:
            interpreter.add_module(name, source)  # (2)
        except regopy.RegoError as err:
            raise _compile_error(str(err), modules) from None
    _check_rule_styles(styles)
    plans = []
    for namespace in _namespaces(namespaces):
        try:
            bundle = interpreter.build(f"x := data.{namespace}", [])  # (3)
        except regopy.RegoError as err:
            raise _compile_error(str(err), modules) from None
        plans.append(_Plan(namespace=namespace, bundle=bundle))
    return CompiledPolicies(files, interpreter, plans)
