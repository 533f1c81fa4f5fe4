"""Fields of the ``k8s_audit`` source: ``ka.*`` and the JSON plugin's ``jevt.*``/``json.*``.

Semantics follow the documentation of Falco's k8saudit plugin (field table in
falcosecurity/plugins ``plugins/k8saudit/README.md``) and of its JSON plugin, read
from the audit ``Event`` object as the API server writes it:

* a field whose JSON path is absent is *not available* (None): every comparison
  on it is false, only ``not ... exists`` holds;
* non-string JSON values render as compact JSON (``201``, ``true``, ``{"a":1}``);
* list fields accept an optional index (``ka.req.pod.containers.image[0]``); a
  container lacking the key makes the whole list unavailable, as in the plugin,
  except ``privileged``, where missing flags are skipped;
* ``*.image.repository`` is the image up to the first ``:`` and then the first ``@``.

Two deliberate departures, both towards the documented meaning:
``ka.req.pod.volumes.hostpath`` skips volumes that are not host paths, and
``*.add_capabilities`` lists the capability names rather than one JSON array per
container. ``ka.cluster.name`` and the OpenShift fields need HTTP-header or
OpenShift-specific data and are not offered yet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from secloop.runtime.event import Event, FieldValue
from secloop.runtime.fields import common
from secloop.runtime.fields.base import (
    ArgKind,
    Catalogue,
    FieldSpec,
    RawExtractor,
    json_text,
)

__all__ = ["CATALOGUE"]

_MISSING = object()

Reader = Callable[[dict[str, Any], str | None], FieldValue | None]

_ANNOTATIONS = {
    "ka.auth.decision": "authorization.k8s.io/decision",
    "ka.auth.reason": "authorization.k8s.io/reason",
    "ka.validations.admission.policy.failure": (
        "validation.policy.admission.k8s.io/validation_failure"
    ),
    "ka.security.pod.violations": "pod-security.kubernetes.io/audit-violations",
}

_SCALAR_PATHS: dict[str, tuple[str, ...]] = {
    "ka.auditid": ("auditID",),
    "ka.stage": ("stage",),
    "ka.user.name": ("user", "username"),
    "ka.impuser.name": ("impersonatedUser", "username"),
    "ka.verb": ("verb",),
    "ka.uri": ("requestURI",),
    "ka.target.name": ("objectRef", "name"),
    "ka.target.namespace": ("objectRef", "namespace"),
    "ka.target.resource": ("objectRef", "resource"),
    "ka.target.subresource": ("objectRef", "subresource"),
    "ka.req.binding.role": ("requestObject", "roleRef", "name"),
    "ka.req.configmap.name": ("objectRef", "name"),
    "ka.req.configmap.obj": ("requestObject", "data"),
    "ka.req.pod.host_ipc": ("requestObject", "spec", "hostIPC"),
    "ka.req.pod.host_network": ("requestObject", "spec", "hostNetwork"),
    "ka.req.container.host_network": ("requestObject", "spec", "hostNetwork"),
    "ka.req.pod.host_pid": ("requestObject", "spec", "hostPID"),
    "ka.req.pod.run_as_user": ("requestObject", "spec", "securityContext", "runAsUser"),
    "ka.req.pod.run_as_group": ("requestObject", "spec", "securityContext", "runAsGroup"),
    "ka.req.pod.fs_group": ("requestObject", "spec", "securityContext", "fsGroup"),
    "ka.req.service.type": ("requestObject", "spec", "type"),
    "ka.resp.name": ("responseObject", "metadata", "name"),
    "ka.response.code": ("responseStatus", "code"),
    "ka.response.reason": ("responseStatus", "reason"),
    "ka.useragent": ("userAgent",),
}

_LIST_PATHS: dict[str, tuple[str, ...]] = {
    "ka.user.groups": ("user", "groups"),
    "ka.req.binding.subjects": ("requestObject", "subjects"),
    "ka.req.role.rules": ("requestObject", "rules"),
    "ka.req.pod.supplemental_groups": (
        "requestObject",
        "spec",
        "securityContext",
        "supplementalGroups",
    ),
}

_INDEXED_LIST_PATHS: dict[str, tuple[str, ...]] = {
    "ka.sourceips": ("sourceIPs",),
    "ka.req.service.ports": ("requestObject", "spec", "ports"),
}

# Per-container keys, for containers, initContainers and ephemeralContainers.
_CONTAINER_KEYS: dict[str, tuple[tuple[str, ...], bool]] = {
    "name": (("name",), False),
    "image": (("image",), False),
    "command": (("command",), False),
    "args": (("args",), False),
    "privileged": (("securityContext", "privileged"), True),
    "allow_privilege_escalation": (("securityContext", "allowPrivilegeEscalation"), False),
    "read_only_fs": (("securityContext", "readOnlyRootFilesystem"), False),
    "run_as_user": (("securityContext", "runAsUser"), False),
    "run_as_group": (("securityContext", "runAsGroup"), False),
    "proc_mount": (("securityContext", "procMount"), False),
}

_CONTAINER_KINDS = ("containers", "initContainers", "ephemeralContainers")


def dig(obj: Any, keys: tuple[str, ...]) -> Any:
    """``obj[k1][k2]...``, or None as soon as a key is missing or a value is not an object."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
        if obj is None:
            return None
    return obj


def _text(value: Any) -> str | None:
    return None if value is None else json_text(value)


def _index(arg: str | None) -> int | None:
    if arg is None:
        return None
    try:
        return int(arg)
    except ValueError:
        return None


def _array(payload: dict[str, Any], keys: tuple[str, ...], arg: str | None) -> list[Any] | None:
    found = dig(payload, keys)
    if not isinstance(found, list):
        return None
    index = _index(arg)
    if index is None:
        return found
    if 0 <= index < len(found):
        return [found[index]]
    return None


def _strings(values: list[Any], *, skip_missing: bool) -> tuple[str, ...] | None:
    out: list[str] = []
    for value in values:
        if value is None:
            if skip_missing:
                continue
            return None
        out.append(json_text(value))
    return tuple(out)


def _repository(image: str) -> str:
    return image.split(":", 1)[0].split("@", 1)[0]


def _container_reader(kind: str, keys: tuple[str, ...], skip_missing: bool) -> Reader:
    def read(payload: dict[str, Any], arg: str | None) -> FieldValue | None:
        containers = _array(payload, ("requestObject", "spec", kind), arg)
        if containers is None:
            return None
        values = [dig(c, keys) for c in containers]
        if keys[0] in ("command", "args"):
            return _flatten(values)
        return _strings(values, skip_missing=skip_missing)

    return read


def _flatten(values: list[Any]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        if isinstance(value, list):
            out.extend(json_text(item) for item in value)
        elif value is not None:
            out.append(json_text(value))
    return tuple(out)


def _repositories_reader(kind: str) -> Reader:
    images = _container_reader(kind, ("image",), False)

    def read(payload: dict[str, Any], arg: str | None) -> FieldValue | None:
        found = images(payload, arg)
        if not isinstance(found, tuple):
            return None
        return tuple(_repository(str(image)) for image in found)

    return read


def _effective_reader(kind: str, key: str) -> Reader:
    def read(payload: dict[str, Any], arg: str | None) -> FieldValue | None:
        containers = _array(payload, ("requestObject", "spec", kind), arg)
        if containers is None:
            return None
        pod_value = dig(payload, ("requestObject", "spec", "securityContext", key))
        default = "0" if pod_value is None else json_text(pod_value)
        out = []
        for container in containers:
            value = dig(container, ("securityContext", key))
            out.append(default if value is None else json_text(value))
        return tuple(out)

    return read


def _capabilities_reader(kind: str) -> Reader:
    def read(payload: dict[str, Any], arg: str | None) -> FieldValue | None:
        containers = _array(payload, ("requestObject", "spec", kind), arg)
        if containers is None:
            return None
        return _flatten([dig(c, ("securityContext", "capabilities", "add")) for c in containers])

    return read


def _host_ports_reader(kind: str) -> Reader:
    def read(payload: dict[str, Any], arg: str | None) -> FieldValue | None:
        containers = _array(payload, ("requestObject", "spec", kind), arg)
        if containers is None:
            return None
        out: list[str] = []
        for container in containers:
            for port in dig(container, ("ports",)) or []:
                # With hostNetwork the container port is the host port, as the plugin does.
                chosen = dig(port, ("hostPort",))
                chosen = dig(port, ("containerPort",)) if chosen is None else chosen
                if chosen is not None:
                    out.append(json_text(chosen))
        return tuple(out)

    return read


def _any_privileged(payload: dict[str, Any], arg: str | None) -> FieldValue | None:
    containers = _array(payload, ("requestObject", "spec", "containers"), None)
    if containers is None:
        return None
    hit = any(dig(c, ("securityContext", "privileged")) is True for c in containers)
    return "true" if hit else "false"


def _first_of(reader: Reader) -> Reader:
    def read(payload: dict[str, Any], arg: str | None) -> FieldValue | None:
        found = reader(payload, "0")
        return found[0] if isinstance(found, tuple) and found else None

    return read


def _uri_param(payload: dict[str, Any], arg: str | None) -> FieldValue | None:
    uri = dig(payload, ("requestURI",))
    if not isinstance(uri, str) or arg is None:
        return None
    values = parse_qs(urlsplit(uri).query, keep_blank_values=True).get(arg)
    return values[0] if values else None


def _subjects_reader(kind: str, *, with_namespace: bool = False) -> Reader:
    def read(payload: dict[str, Any], arg: str | None) -> FieldValue | None:
        subjects = dig(payload, ("requestObject", "subjects"))
        if not isinstance(subjects, list):
            return None
        out = []
        for subject in subjects:
            if not isinstance(subject, dict) or subject.get("kind") != kind:
                continue
            name = str(subject.get("name", ""))
            out.append(f"{subject.get('namespace', '')}:{name}" if with_namespace else name)
        return tuple(out)

    return read


def _role_rules_reader(key: str) -> Reader:
    def read(payload: dict[str, Any], arg: str | None) -> FieldValue | None:
        rules = _array(payload, ("requestObject", "rules"), arg)
        if rules is None:
            return None
        out: list[str] = []
        for rule in rules:
            values = dig(rule, (key,))
            if isinstance(values, list):
                out.extend(json_text(v) for v in values if v is not None)
        return tuple(out)

    return read


def _volumes(payload: dict[str, Any], arg: str | None) -> list[Any] | None:
    return _array(payload, ("requestObject", "spec", "volumes"), arg)


def _hostpaths(payload: dict[str, Any], arg: str | None) -> FieldValue | None:
    volumes = _volumes(payload, arg)
    if volumes is None:
        return None
    return tuple(json_text(p) for v in volumes if (p := dig(v, ("hostPath", "path"))) is not None)


def _volume_hostpath(payload: dict[str, Any], arg: str | None) -> FieldValue | None:
    """Deprecated ``ka.req.volume.hostpath[/p]``: "true" when a host path is /p (or /p* prefix)."""
    paths = _hostpaths(payload, None)
    if arg is None or not isinstance(paths, tuple):
        return None
    prefix = arg[:-1] if arg.endswith("*") else None
    hit = any(p == arg or (prefix is not None and str(p).startswith(prefix)) for p in paths)
    return "true" if hit else "false"


def _flexvolume_drivers(payload: dict[str, Any], arg: str | None) -> FieldValue | None:
    volumes = _volumes(payload, arg)
    if volumes is None:
        return None
    drivers = [dig(v, ("flexVolume", "driver")) for v in volumes]
    return tuple(json_text(d) for d in drivers if d is not None)


def _volume_types(payload: dict[str, Any], arg: str | None) -> FieldValue | None:
    volumes = _volumes(payload, arg)
    if volumes is None:
        return None
    return tuple(key for v in volumes if isinstance(v, dict) for key in v if key != "name")


def _target_pod_name(payload: dict[str, Any], arg: str | None) -> FieldValue | None:
    if dig(payload, ("objectRef", "resource")) != "pods":
        return None
    return _text(dig(payload, ("objectRef", "name")))


def _scalar(keys: tuple[str, ...]) -> Reader:
    return lambda payload, arg: _text(dig(payload, keys))


def _list(keys: tuple[str, ...]) -> Reader:
    def read(payload: dict[str, Any], arg: str | None) -> FieldValue | None:
        found = _array(payload, keys, arg)
        return None if found is None else _strings(found, skip_missing=False)

    return read


def _readers() -> dict[str, tuple[Reader, bool, ArgKind]]:
    """Every ``ka.*`` field: its reader, whether it is a list, and its argument kind."""
    table: dict[str, tuple[Reader, bool, ArgKind]] = {}
    for name, keys in _SCALAR_PATHS.items():
        table[name] = (_scalar(keys), False, ArgKind.NONE)
    for name, key in _ANNOTATIONS.items():
        table[name] = (_scalar(("annotations", key)), False, ArgKind.NONE)
    for name, keys in _LIST_PATHS.items():
        table[name] = (_list(keys), True, ArgKind.NONE)
    for name, keys in _INDEXED_LIST_PATHS.items():
        table[name] = (_list(keys), True, ArgKind.INDEX)
    for kind in _CONTAINER_KINDS:
        base = f"ka.req.pod.{kind}"
        for key, (path, skip) in _CONTAINER_KEYS.items():
            table[f"{base}.{key}"] = (_container_reader(kind, path, skip), True, ArgKind.INDEX)
        table[f"{base}.image.repository"] = (_repositories_reader(kind), True, ArgKind.INDEX)
        for key, src in (("eff_run_as_user", "runAsUser"), ("eff_run_as_group", "runAsGroup")):
            table[f"{base}.{key}"] = (_effective_reader(kind, src), True, ArgKind.INDEX)
        table[f"{base}.add_capabilities"] = (_capabilities_reader(kind), True, ArgKind.INDEX)
        table[f"{base}.host_port"] = (_host_ports_reader(kind), True, ArgKind.INDEX)
    table.update(_special_readers())
    return table


def _special_readers() -> dict[str, tuple[Reader, bool, ArgKind]]:
    images = _container_reader("containers", ("image",), False)
    return {
        "ka.uri.param": (_uri_param, False, ArgKind.KEY),
        "ka.target.pod.name": (_target_pod_name, False, ArgKind.NONE),
        "ka.req.binding.subjects.user_names": (_subjects_reader("User"), True, ArgKind.NONE),
        "ka.req.binding.subjects.group_names": (_subjects_reader("Group"), True, ArgKind.NONE),
        "ka.req.binding.subjects.serviceaccount_names": (
            _subjects_reader("ServiceAccount"),
            True,
            ArgKind.NONE,
        ),
        "ka.req.binding.subjects.serviceaccount_ns_names": (
            _subjects_reader("ServiceAccount", with_namespace=True),
            True,
            ArgKind.NONE,
        ),
        "ka.req.binding.subject.has_name": (lambda p, a: "N/A", False, ArgKind.KEY),
        "ka.req.container.image": (_first_of(images), False, ArgKind.NONE),
        "ka.req.container.image.repository": (
            _first_of(_repositories_reader("containers")),
            False,
            ArgKind.NONE,
        ),
        "ka.req.container.privileged": (_any_privileged, False, ArgKind.NONE),
        "ka.req.role.rules.apiGroups": (_role_rules_reader("apiGroups"), True, ArgKind.INDEX),
        "ka.req.role.rules.nonResourceURLs": (
            _role_rules_reader("nonResourceURLs"),
            True,
            ArgKind.INDEX,
        ),
        "ka.req.role.rules.verbs": (_role_rules_reader("verbs"), True, ArgKind.INDEX),
        "ka.req.role.rules.resources": (_role_rules_reader("resources"), True, ArgKind.INDEX),
        "ka.req.pod.volumes.hostpath": (_hostpaths, True, ArgKind.INDEX),
        "ka.req.volume.hostpath": (_volume_hostpath, False, ArgKind.KEY),
        "ka.req.pod.volumes.flexvolume_driver": (_flexvolume_drivers, True, ArgKind.INDEX),
        "ka.req.pod.volumes.volume_type": (_volume_types, True, ArgKind.INDEX),
    }


_READERS = _readers()


def _factory(spec: FieldSpec, arg: str | None) -> tuple[RawExtractor, bool]:
    path = _SCALAR_PATHS.get(spec.name)
    if path is None and spec.name in _ANNOTATIONS:
        path = ("annotations", _ANNOTATIONS[spec.name])
    if path is not None:
        return _direct(path), False
    if spec.name in ("jevt.value", "json.value"):
        pointer = _plain_pointer(arg)
        if pointer is not None:
            return _direct(pointer), False
    entry = _READERS.get(spec.name)
    if entry is None:
        return common.extractor(spec, arg), True
    reader = entry[0]
    key = (spec.name, arg)

    def extract(event: Event) -> FieldValue | None:
        # Memoised here rather than by the catalogue: one call per read, not three.
        cache = event.cache
        value = cache.get(key, _MISSING)
        if value is _MISSING:
            value = cache[key] = reader(event.payload, arg)  # type: ignore[arg-type]
        return value  # type: ignore[return-value]

    return extract, False


def _plain_pointer(arg: str | None) -> tuple[str, ...] | None:
    """``/stage`` or ``/user/username`` as keys for :func:`_direct`, else None.

    Only one or two object keys qualify: a numeric second token may index an array,
    which :func:`_direct` does not do, and escapes (``~0``, ``~1``) take the general path.
    """
    if arg is None or not arg.startswith("/") or "~" in arg:
        return None
    tokens = tuple(arg[1:].split("/"))
    if len(tokens) > 2 or (len(tokens) == 2 and tokens[1].isdigit()):
        return None
    return tokens


def _direct(path: tuple[str, ...]) -> RawExtractor:
    """A reader for ``a``, ``a.b`` or deeper: cheaper than memoising it (verb, user, ...).

    Only a string (or a missing value) skips the cache: any other value is rendered
    as JSON once per event and memoised, since ``ka.req.configmap.obj`` (an object)
    is read by a dozen checks of one rule.
    """
    first = path[0]
    key = ("direct", path)

    def rendered(event: Event, value: object) -> FieldValue:
        cache = event.cache
        text = cache.get(key)
        if text is None:
            text = cache[key] = json_text(value)
        return text  # type: ignore[return-value]

    if len(path) == 1:

        def extract_one(event: Event) -> FieldValue | None:
            value = event.payload.get(first)
            if value is None or value.__class__ is str:
                return value
            return rendered(event, value)

        return extract_one
    if len(path) > 2:
        rest = path[1:]

        def extract_deep(event: Event) -> FieldValue | None:
            value: Any = event.payload.get(first)
            for key in rest:
                if value.__class__ is not dict:
                    return None
                value = value.get(key)
            if value is None or value.__class__ is str:
                return value
            return rendered(event, value)

        return extract_deep
    second = path[1]

    def extract_two(event: Event) -> FieldValue | None:
        value = event.payload.get(first)
        if value.__class__ is not dict:
            return None
        value = value.get(second)
        if value is None or value.__class__ is str:
            return value
        return rendered(event, value)

    return extract_two


def _specs() -> list[FieldSpec]:
    specs = [
        FieldSpec(name, is_list=is_list, arg=arg)
        for name, (_, is_list, arg) in sorted(_READERS.items())
    ]
    return specs + list(common.PLUGIN_FIELDS) + list(common.JSON_FIELDS)


CATALOGUE = Catalogue("k8s_audit", _specs(), _factory)
