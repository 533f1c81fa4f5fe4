"""Unsafe deserialisation: formats whose loaders run code chosen by the data."""

from __future__ import annotations

import ast

from secloop.core.severity import Severity
from secloop.scan.code.python.rules.base import CodeRule
from secloop.scan.code.python.sites import CallSite, Hit

__all__ = ["RULES"]

#: Loaders taking the serialised bytes themselves: a literal payload is harmless.
_PICKLE_FROM_DATA = frozenset(
    {"pickle.loads", "cPickle.loads", "_pickle.loads", "dill.loads", "jsonpickle.decode",
     "jsonpickle.unpickler.decode", "cloudpickle.loads"}
)  # fmt: skip
#: Loaders taking a file or path: what they load is not visible in the call at all.
_PICKLE_FROM_FILE = frozenset(
    {"pickle.load", "pickle.Unpickler", "cPickle.load", "cPickle.Unpickler", "_pickle.load",
     "dill.load", "dill.Unpickler", "shelve.open", "shelve.DbfilenameShelf",
     "pandas.read_pickle", "cloudpickle.load",
     # jsonpickle's Unpickler exists only to restore() what it is given
     "jsonpickle.unpickler.Unpickler", "jsonpickle.Unpickler"}
)  # fmt: skip
_MARSHAL_FROM_DATA = frozenset({"marshal.loads"})
_MARSHAL_FROM_FILE = frozenset({"marshal.load"})
_YAML_LOADERS = frozenset({"yaml.load", "yaml.load_all"})
_YAML_UNSAFE = frozenset({"yaml.unsafe_load", "yaml.unsafe_load_all"})
_SAFE_YAML_LOADERS = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"})
_YAML_MODULES = frozenset({"yaml", "yaml.loader", "yaml.cyaml"})
_SAFE_LOADER_QUALNAMES = frozenset(
    f"{module}.{name}" for module in _YAML_MODULES for name in _SAFE_YAML_LOADERS
)
#: How many aliases and base classes deep a loader is followed (cycles end here too).
_MAX_LOADER_DEPTH = 8


def _deserialising(
    site: CallSite, from_data: frozenset[str], from_file: frozenset[str], what: str
) -> Hit | None:
    if site.name in from_data:
        payload = site.arg(0, "data") or site.arg(0, "string") or site.arg(0, "s")
        if payload is None or site.is_constant(payload):
            return None
        taint = site.taint(payload)
    elif site.name in from_file:
        payload = site.arg(0, "file") or site.arg(0, "filename")
        taint = site.taint(payload) if payload is not None else None
    else:
        return None
    source = f" from request data ({taint.source.name})" if taint else ""
    return Hit(
        node=site.node,
        message=f"{site.name}() deserialises {what}{source}: loading it can run code.",
        sink=site.name,
        taint=taint,
        severity=Severity.CRITICAL if taint else None,
    )


def _check_pickle(site: CallSite) -> Hit | None:
    return _deserialising(site, _PICKLE_FROM_DATA, _PICKLE_FROM_FILE, "pickle data")


def _check_marshal(site: CallSite) -> Hit | None:
    return _deserialising(site, _MARSHAL_FROM_DATA, _MARSHAL_FROM_FILE, "marshal data")


def _loader_name(loader: ast.expr) -> str:
    if isinstance(loader, ast.Attribute):
        return loader.attr
    return loader.id if isinstance(loader, ast.Name) else ""


def _is_safe_loader(loader: ast.expr, site: CallSite, depth: int = 0) -> bool:
    """A safe PyYAML loader, also through ``getattr``, module aliases and subclasses."""
    if depth > _MAX_LOADER_DEPTH:
        return False
    if isinstance(loader, ast.Call):
        return _is_safe_getattr(loader, site, depth)
    if isinstance(loader, ast.Name) and site.module.definitions.defines(loader.id):
        return _is_safe_module_loader(loader.id, site, depth)
    qualname = site.qualname(loader) or ""
    if qualname.partition(".")[0] == "yaml":
        return qualname in _SAFE_LOADER_QUALNAMES  # not fooled by `import Loader as SafeLoader`
    return qualname.rpartition(".")[2] in _SAFE_YAML_LOADERS


def _is_safe_getattr(call: ast.Call, site: CallSite, depth: int) -> bool:
    """``getattr(yaml, "CSafeLoader", yaml.SafeLoader)``: a safe name and a safe default."""
    func = call.func
    if not isinstance(func, ast.Name) or func.id != "getattr" or call.keywords:
        return False
    if site.module.imports.is_imported("getattr") or site.module.definitions.defines("getattr"):
        return False
    if len(call.args) not in (2, 3):
        return False
    owner, name, *default = call.args
    if site.qualname(owner) not in _YAML_MODULES:
        return False
    if not (isinstance(name, ast.Constant) and name.value in _SAFE_YAML_LOADERS):
        return False
    return all(_is_safe_loader(d, site, depth + 1) for d in default)


def _is_safe_module_loader(name: str, site: CallSite, depth: int) -> bool:
    """A module-level alias of a safe loader, or a class all of whose bases are safe."""
    definitions = site.module.definitions
    value = definitions.value_of(name)
    if value is not None:
        return _is_safe_loader(value, site, depth + 1)
    bases = definitions.class_bases(name)
    if not bases:
        return False
    return all(_is_safe_loader(base, site, depth + 1) for base in bases)


def _check_yaml(site: CallSite) -> Hit | None:
    if site.name in _YAML_UNSAFE:
        loader = "an unsafe loader"
    elif site.name in _YAML_LOADERS:
        given = site.arg(1, "Loader")
        if given is not None and _is_safe_loader(given, site):
            return None
        loader = (
            "the default loader" if given is None else f"{_loader_name(given) or 'a custom'} loader"
        )
    else:
        return None
    payload = site.arg(0, "stream")
    if payload is None or site.is_constant(payload):
        return None
    taint = site.taint(payload)
    source = f" from request data ({taint.source.name})" if taint else ""
    return Hit(
        node=site.node,
        message=f"{site.name}() with {loader} builds arbitrary Python objects{source}.",
        sink=site.name,
        taint=taint,
        severity=Severity.CRITICAL if taint else None,
    )


RULES = (
    CodeRule(
        id="PY-DESER-001",
        title="Unsafe deserialisation with pickle, dill, jsonpickle or shelve",
        severity=Severity.HIGH,
        cwe=("CWE-502",),
        owasp="A08",
        bandit=("B301",),
        semgrep="python.lang.security.deserialization.pickle.avoid-pickle",
        description=(
            "Unpickling calls constructors named by the data (`__reduce__`), so loading "
            "pickle, dill, jsonpickle or shelve data an attacker can write (a cookie, an "
            "upload, a cache entry) runs their code. Literal payloads are not reported."
        ),
        remediation=(
            "Exchange data as JSON (or another schema-checked format); if pickles must "
            "cross a trust boundary, sign them with HMAC and verify before loading."
        ),
        references=(
            "https://cwe.mitre.org/data/definitions/502.html",
            "https://docs.python.org/3/library/pickle.html#restricting-globals",
        ),
        on_call=_check_pickle,
    ),
    CodeRule(
        id="PY-DESER-002",
        title="Unsafe deserialisation with marshal",
        severity=Severity.MEDIUM,
        cwe=("CWE-502",),
        owasp="A08",
        bandit=("B302",),
        semgrep="python.lang.security.audit.marshal.marshal-usage",
        description=(
            "`marshal` is an internal format for code objects with no guarantees against "
            "malicious input; crafted data can crash the interpreter or load code objects."
        ),
        remediation="Use JSON for data; never unmarshal data from outside the process.",
        references=("https://docs.python.org/3/library/marshal.html",),
        on_call=_check_marshal,
    ),
    CodeRule(
        id="PY-DESER-003",
        title="yaml.load without a safe loader",
        severity=Severity.HIGH,
        cwe=("CWE-502",),
        owasp="A08",
        bandit=("B506",),
        semgrep="python.lang.security.deserialization.avoid-pyyaml-load.avoid-pyyaml-load",
        description=(
            "PyYAML's default, `Loader`, `FullLoader`, `UnsafeLoader` and `unsafe_load` "
            "construct arbitrary Python objects from tags such as `!!python/object/apply`, "
            "which runs code. Only `SafeLoader`/`CSafeLoader` (and `BaseLoader`) are safe; "
            '`getattr(yaml, "CSafeLoader", yaml.SafeLoader)` and loader classes defined in '
            "the same module on safe bases are recognised as safe."
        ),
        remediation="Use `yaml.safe_load(...)` or pass `Loader=yaml.SafeLoader`.",
        references=(
            "https://cwe.mitre.org/data/definitions/502.html",
            "https://pyyaml.org/wiki/PyYAMLDocumentation",
        ),
        on_call=_check_yaml,
    ),
)
