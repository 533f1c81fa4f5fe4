"""Which function parameters carry request data: those of decorated route handlers.

FastAPI passes query, path and body values as handler parameters, and Flask passes
URL path variables the same way, so those parameters are taint sources from the
first line of the handler. Parameters that cannot carry an injection are left out:
numeric or boolean annotations, Flask ``<int:...>`` converters, framework objects
(``Request``, ``Depends(...)`` dependencies) and ``self``/``request`` themselves,
whose *attributes* are the Django and Starlette sources instead.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from secloop.scan.code.python.imports import ImportTable

__all__ = ["route_parameters"]

_ROUTE_DECORATORS = frozenset(
    {"route", "get", "post", "put", "delete", "patch", "options", "head", "api_route", "websocket"}
)
_CLIENT_MODULES = frozenset({"requests", "httpx", "aiohttp", "urllib3", "session", "os", "dict"})
_SKIPPED_PARAMS = frozenset({"self", "cls", "request", "req", "websocket", "response"})
_SAFE_TYPES = frozenset(
    {"int", "float", "bool", "UUID", "uuid", "date", "datetime", "time", "Decimal", "None"}
)
_WRAPPERS = frozenset({"Optional", "Union", "Annotated", "typing"})
_FRAMEWORK_TYPES = frozenset(
    {"Request", "Response", "BackgroundTasks", "Session", "AsyncSession", "WebSocket",
     "HTTPConnection", "SecurityScopes"}
)  # fmt: skip
_DEPENDENCY_CALLS = frozenset({"Depends", "Security"})
_TYPED_CONVERTER = re.compile(r"<(?:int|float|uuid):(\w+)>")


def _route_paths(
    function: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportTable
) -> list[str] | None:
    """The decorators' path strings, or None when the function is no route handler."""
    paths: list[str] | None = None
    for decorator in function.decorator_list:
        if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
            continue
        if decorator.func.attr not in _ROUTE_DECORATORS:
            continue
        head = (imports.qualname(decorator.func.value) or "").split(".", 1)[0]
        if head in _CLIENT_MODULES:
            continue
        paths = paths or []
        first = decorator.args[0] if decorator.args else None
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            paths.append(first.value)
    return paths


def _with_defaults(args: ast.arguments) -> Iterator[tuple[ast.arg, ast.expr | None]]:
    positional = [*args.posonlyargs, *args.args]
    padding: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    yield from zip(positional, [*padding, *args.defaults], strict=True)
    yield from zip(args.kwonlyargs, args.kw_defaults, strict=True)


def _annotation_names(annotation: ast.expr | None) -> set[str]:
    if annotation is None:
        return set()
    names = {n.id for n in ast.walk(annotation) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(annotation) if isinstance(n, ast.Attribute)}
    if any(isinstance(n, ast.Constant) and n.value is None for n in ast.walk(annotation)):
        names.add("None")
    return names


def _carries_request_data(arg: ast.arg, default: ast.expr | None) -> bool:
    if arg.arg in _SKIPPED_PARAMS:
        return False
    names = _annotation_names(arg.annotation)
    if names & _FRAMEWORK_TYPES:
        return False
    if names and names - _WRAPPERS <= _SAFE_TYPES:
        return False
    if isinstance(default, ast.Call):
        callee = default.func
        called = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
        if called in _DEPENDENCY_CALLS:
            return False
    return True


def route_parameters(
    function: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportTable
) -> list[str]:
    """The parameters of a route handler that hold request data, in declaration order."""
    paths = _route_paths(function, imports)
    if paths is None:
        return []
    typed = {name for path in paths for name in _TYPED_CONVERTER.findall(path)}
    return [
        arg.arg
        for arg, default in _with_defaults(function.args)
        if arg.arg not in typed and _carries_request_data(arg, default)
    ]
