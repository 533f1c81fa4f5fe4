"""Web services: SSRF, debug modes, CORS, template escaping, listening address, timeouts."""

from __future__ import annotations

import ast
import re

from secloop.core.severity import Severity
from secloop.scan.code.python.imports import dotted_name
from secloop.scan.code.python.rules.base import CodeRule
from secloop.scan.code.python.rules.common import method_name
from secloop.scan.code.python.sites import AssignSite, CallSite, Hit
from secloop.scan.code.python.values import fold

__all__ = ["RULES"]

_HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "stream"})
_REQUESTS_FUNCTIONS = frozenset({*_HTTP_METHODS, "request"})
_URL_OPENERS = frozenset(
    {"urllib.request.urlopen", "urllib.request.Request", "urllib.urlopen", "urllib2.urlopen",
     "urllib2.Request", "urllib3.request"}
)  # fmt: skip
_FIXED_HOST = re.compile(r"^[a-z][a-z0-9+.\-]*://[^/?#]+[/?#]", re.IGNORECASE)
_ALL_INTERFACES = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 - the values this rule looks for
_SERVER_CALLS = frozenset(
    {"run", "run_app", "serve", "Config", "run_simple", "make_server", "start_server"}
)
_POSITIONAL_HOST = frozenset({"run_simple", "make_server", "serve_forever"})
_JINJA_ENVIRONMENTS = frozenset(
    {"jinja2.Environment", "jinja2.environment.Environment", "jinja2.sandbox.SandboxedEnvironment"}
)
_FLASK_CORS = frozenset({"flask_cors.CORS", "flask_cors.cross_origin"})


def _url_argument(site: CallSite) -> ast.expr | None:
    if site.name in _URL_OPENERS:
        return site.arg(0, "url")
    method = method_name(site)
    client = site.name.startswith(("requests.", "httpx."))
    owner = dotted_name(site.node.func.value) if isinstance(site.node.func, ast.Attribute) else None
    session = owner is not None and owner in site.scope.sessions
    if not (client or session):
        return None
    if method == "request":
        return site.arg(1, "url")
    return site.arg(0, "url") if method in _HTTP_METHODS else None


def _fixed_host(site: CallSite, url: ast.expr) -> bool:
    """True when the scheme and host are literal text; only the path or query varies."""
    first: ast.expr = url
    while isinstance(first, ast.BinOp) and isinstance(first.op, ast.Add):
        first = first.left
    if isinstance(first, ast.JoinedStr) and first.values:
        first = first.values[0]
    prefix = site.fold_str(first)
    return prefix is not None and _FIXED_HOST.match(prefix) is not None


def _check_ssrf(site: CallSite) -> Hit | None:
    url = _url_argument(site)
    if url is None or _fixed_host(site, url):
        return None
    taint = site.taint(url)
    if taint is None:
        return None
    return Hit(
        node=site.node,
        message=(
            f"{site.name}() fetches a URL taken from request data ({taint.source.name}): the "
            "caller chooses the host, including internal services and cloud metadata."
        ),
        sink=site.name,
        taint=taint,
    )


def _check_flask_debug(site: CallSite) -> Hit | None:
    if method_name(site) != "run" or not site.kwarg_is("debug", True):
        return None
    if not site.module.imports.imports("flask"):
        return None
    return Hit(
        node=site.node,
        message="Flask runs with debug=True: the Werkzeug debugger executes code sent to it.",
        sink="run",
    )


def _check_django_debug(site: AssignSite) -> Hit | None:
    if not site.module.is_settings or site.scope.qualname != "<module>":
        return None
    target, value = site.target, site.value
    if not (isinstance(target, ast.Name) and target.id == "DEBUG"):
        return None
    if not (isinstance(value, ast.Constant) and value.value is True):
        return None
    return Hit(
        node=site.node,
        message="DEBUG = True in a Django settings module shows stack traces and settings.",
        sink="DEBUG",
    )


def _any_origin(value: ast.expr | None) -> bool:
    if value is None:
        return False
    if isinstance(value, ast.Constant):
        return value.value in ("*", ".*", ".+", "^.*$")
    if isinstance(value, ast.List | ast.Tuple | ast.Set):
        return any(_any_origin(e) for e in value.elts)
    return False


def _flask_cors_origins(site: CallSite) -> ast.expr | None:
    origins = site.kwarg("origins")
    resources = site.kwarg("resources")
    if origins is None and isinstance(resources, ast.Dict):
        for options in resources.values:
            if isinstance(options, ast.Dict):
                for key, value in zip(options.keys, options.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "origins":
                        return value
    return origins if origins is not None else ast.Constant("*")  # flask-cors default


def _check_cors(site: CallSite) -> Hit | None:
    if site.name in _FLASK_CORS:
        wildcard = site.kwarg_is("supports_credentials", True) and _any_origin(
            _flask_cors_origins(site)
        )
    else:
        first = site.node.args[0] if site.node.args else None
        middleware = site.name if first is None else (site.qualname(first) or "")
        if not middleware.endswith("CORSMiddleware"):
            return None
        origins = _any_origin(site.kwarg("allow_origins")) or _any_origin(
            site.kwarg("allow_origin_regex")
        )
        wildcard = origins and site.kwarg_is("allow_credentials", True)
    if not wildcard:
        return None
    return Hit(
        node=site.node,
        message=(
            "CORS allows any origin together with credentials: any web site can make "
            "logged-in requests and read the answers."
        ),
        sink=site.name or "add_middleware",
    )


def _check_jinja(site: CallSite) -> Hit | None:
    if site.name not in _JINJA_ENVIRONMENTS:
        return None
    autoescape = site.kwarg("autoescape")
    if autoescape is not None and not _constant_false(site, autoescape):
        return None
    how = "autoescape off" if autoescape is not None else "no autoescape (default off)"
    return Hit(
        node=site.node,
        message=f"Jinja2 Environment with {how}: request data in templates becomes HTML (XSS).",
        sink=site.name,
    )


def _constant_false(site: CallSite, expr: ast.expr) -> bool:
    """``autoescape=False`` or a name bound to a false constant; run-time values pass."""
    return site.is_constant(expr) and not fold(expr, site.scope.consts)


def _bind_host(site: CallSite) -> ast.expr | None:
    method = site.attr
    if method == "bind":
        address = site.arg(0)
        if isinstance(address, ast.Tuple) and address.elts:
            return address.elts[0]
        return None
    if method not in _SERVER_CALLS:
        return None
    host = site.kwarg("host")
    if host is None and method in _POSITIONAL_HOST:
        host = site.arg(0)
    return host


def _check_bind(site: CallSite) -> Hit | None:
    host = _bind_host(site)
    if host is None:
        return None
    address = site.fold_str(host)
    if address not in _ALL_INTERFACES:
        return None
    return Hit(
        node=site.node,
        message=f"Listens on all interfaces ({address or 'INADDR_ANY'}), not only where intended.",
        sink=f"{site.attr}:{address}",
    )


def _lacks_timeout(site: CallSite) -> bool:
    module, _, function = site.name.rpartition(".")
    if module == "httpx":
        return site.kwarg_is("timeout", None)  # httpx defaults to 5 s; None removes it
    if module not in ("requests", "requests.api") or function not in _REQUESTS_FUNCTIONS:
        return False
    if any(k.arg is None for k in site.node.keywords):
        return False  # **kwargs may carry the timeout
    return site.kwarg("timeout") is None or site.kwarg_is("timeout", None)


def _check_timeout(site: CallSite) -> Hit | None:
    if not _lacks_timeout(site):
        return None
    return Hit(
        node=site.node,
        message=f"{site.name}() has no timeout: a slow server holds this worker forever.",
        sink=site.name,
    )


RULES = (
    CodeRule(
        id="PY-SSRF-001",
        title="HTTP request to a URL from request data (SSRF)",
        severity=Severity.HIGH,
        cwe=("CWE-918",),
        owasp="A10",
        semgrep="python.flask.security.injection.ssrf-requests.ssrf-requests",
        description=(
            "requests, httpx or urllib fetch a URL whose scheme and host come from request "
            "data. The service then connects wherever the caller asks: internal admin "
            "endpoints, databases, the cloud metadata service (`169.254.169.254`) and its "
            "credentials. URLs whose host is literal text, with only the path varying, are "
            "not reported."
        ),
        remediation=(
            "Build the URL from a fixed base and validated path parts, or check the parsed "
            "host against an allow-list and refuse private and link-local addresses."
        ),
        references=(
            "https://cwe.mitre.org/data/definitions/918.html",
            "https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html",
        ),
        on_call=_check_ssrf,
    ),
    CodeRule(
        id="PY-DEBUG-001",
        title="Flask application run with debug=True",
        severity=Severity.HIGH,
        cwe=("CWE-489", "CWE-94"),
        owasp="A05",
        bandit=("B201",),
        semgrep="python.flask.security.audit.debug-enabled.debug-enabled",
        description=(
            "`app.run(debug=True)` enables the Werkzeug interactive debugger: anyone who "
            "reaches an error page (and can guess or read the PIN) runs Python in the "
            "service. It also shows source and settings in tracebacks."
        ),
        remediation="Drive debug mode from the environment (`FLASK_DEBUG`), off by default.",
        references=("https://flask.palletsprojects.com/en/latest/debugging/",),
        on_call=_check_flask_debug,
    ),
    CodeRule(
        id="PY-DEBUG-002",
        title="Django DEBUG = True in a settings module",
        severity=Severity.MEDIUM,
        cwe=("CWE-489", "CWE-215"),
        owasp="A05",
        semgrep="python.django.security.audit.django-debug-enabled.django-debug-enabled",
        description=(
            "With `DEBUG = True` Django answers errors with full tracebacks, local "
            "variables and most settings, and keeps every SQL query in memory."
        ),
        remediation="Read DEBUG from the environment, defaulting to False.",
        references=("https://docs.djangoproject.com/en/stable/ref/settings/#debug",),
        on_assign=_check_django_debug,
    ),
    CodeRule(
        id="PY-CORS-001",
        title="CORS allows any origin with credentials",
        severity=Severity.HIGH,
        cwe=("CWE-942", "CWE-346"),
        owasp="A05",
        semgrep="python.fastapi.security.wildcard-cors.wildcard-cors",
        description=(
            "flask-cors with `supports_credentials=True` and any origin (its default), or "
            'Starlette/FastAPI `CORSMiddleware` with `allow_origins=["*"]` and '
            "`allow_credentials=True`, reflect any requesting origin with credentials "
            "allowed: every web site a user visits can act as that user and read the results."
        ),
        remediation="List the exact origins that need access; never combine `*` with credentials.",
        references=(
            "https://cwe.mitre.org/data/definitions/942.html",
            "https://developer.mozilla.org/en-US/docs/Web/HTTP/CORS",
        ),
        on_call=_check_cors,
    ),
    CodeRule(
        id="PY-JINJA-001",
        title="Jinja2 environment without autoescaping",
        severity=Severity.HIGH,
        cwe=("CWE-79",),
        owasp="A03",
        bandit=("B701",),
        semgrep="python.flask.security.xss.audit.direct-use-of-jinja2.direct-use-of-jinja2",
        description=(
            "A `jinja2.Environment` created without `autoescape` (it defaults to off) or "
            "with a false constant writes values into HTML unescaped, so markup in data runs "
            "as script in the reader's browser (XSS)."
        ),
        remediation=(
            "Pass `autoescape=select_autoescape()` (or `True`); mark trusted markup with "
            "`Markup` explicitly."
        ),
        references=("https://jinja.palletsprojects.com/en/stable/api/#autoescaping",),
        on_call=_check_jinja,
    ),
    CodeRule(
        id="PY-BIND-001",
        title="Service listens on all network interfaces",
        severity=Severity.LOW,
        cwe=("CWE-605", "CWE-1327"),
        owasp="A05",
        bandit=("B104",),
        semgrep="python.lang.security.audit.network.bind.avoid-bind-to-all-interfaces",
        description=(
            '`host="0.0.0.0"` (or `::`, or an empty address for a socket) accepts '
            "connections on every interface, including ones meant to stay private. Inside a "
            "container this is usually required and the network policy limits exposure; "
            "elsewhere, bind to the interface that needs it."
        ),
        remediation=(
            "Take the address from configuration, default to 127.0.0.1, and limit exposure "
            "with network policies."
        ),
        references=("https://cwe.mitre.org/data/definitions/1327.html",),
        on_call=_check_bind,
    ),
    CodeRule(
        id="PY-HTTP-001",
        title="HTTP request without a timeout",
        severity=Severity.LOW,
        cwe=("CWE-400",),
        owasp="A05",
        bandit=("B113",),
        semgrep="python.requests.best-practice.use-timeout.use-timeout",
        description=(
            "requests waits forever by default (and httpx with `timeout=None`). A slow or "
            "malicious server holds the worker, and a handful of them starve the service."
        ),
        remediation="Pass `timeout=(connect, read)` to every request.",
        references=("https://requests.readthedocs.io/en/latest/user/advanced/#timeouts",),
        on_call=_check_timeout,
    ),
)
