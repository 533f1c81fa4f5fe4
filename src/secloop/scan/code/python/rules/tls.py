"""TLS: certificate verification switched off in HTTP clients and ssl contexts.

Bandit checks ``verify=False`` in a call; a ``requests.Session`` whose ``verify``
attribute was set to False earlier sends every later request unverified without the
word appearing in the call. The analysis tracks such session objects within a
function, so the request that actually goes out unverified is the one reported.
"""

from __future__ import annotations

import ast

from secloop.core.severity import Severity
from secloop.scan.code.python.imports import dotted_name
from secloop.scan.code.python.rules.base import CodeRule
from secloop.scan.code.python.sites import AssignSite, AttributeSite, CallSite, Hit

__all__ = ["RULES"]

_CLIENT_MODULES = ("requests.", "httpx.", "aiohttp.")
_REQUEST_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "request", "send", "stream"}
)
_UNVERIFIED = frozenset({"ssl._create_unverified_context", "ssl.CERT_NONE"})
#: Protocol constants older than TLS 1.2 (ssl, pyOpenSSL under both import names).
_OLD_PROTOCOLS = frozenset(
    {f"ssl.PROTOCOL_{v}" for v in ("SSLv2", "SSLv3", "TLSv1", "TLSv1_1")}
    | {f"ssl.TLSVersion.{v}" for v in ("SSLv3", "TLSv1", "TLSv1_1")}
    | {f"{m}.SSL.{v}_METHOD" for m in ("OpenSSL", "pyOpenSSL") for v in ("SSLv2", "SSLv3",
                                                                            "TLSv1", "TLSv1_1")}
)  # fmt: skip
_DISABLE_WARNINGS = frozenset(
    {"urllib3.disable_warnings", "requests.packages.urllib3.disable_warnings"}
)


def _verify_off(site: CallSite) -> bool:
    return (
        site.kwarg_is("verify", False)
        or site.kwarg_is("ssl", False)
        or site.kwarg_is("verify_ssl", False)
    )


def _session_of(site: CallSite) -> tuple[str, int] | None:
    """The receiver's name and the line verification was disabled, for a session call."""
    func = site.node.func
    if not isinstance(func, ast.Attribute) or func.attr not in _REQUEST_METHODS:
        return None
    owner = dotted_name(func.value)
    session = site.scope.sessions.get(owner or "")
    if owner is None or session is None or session.verify_disabled_line is None:
        return None
    return owner, session.verify_disabled_line


def _check_verify_call(site: CallSite) -> Hit | None:
    is_client = site.name.startswith(_CLIENT_MODULES)
    owner = dotted_name(site.node.func.value) if isinstance(site.node.func, ast.Attribute) else None
    is_session = owner is not None and owner in site.scope.sessions
    if _verify_off(site) and (is_client or is_session):
        return Hit(
            node=site.node,
            message=f"{site.name}() sends the request without checking the server certificate.",
            sink=site.name,
        )
    through = _session_of(site)
    if through is None:
        return None
    name, line = through
    return Hit(
        node=site.node,
        message=(
            f"{site.name}() goes through session `{name}`, whose certificate verification "
            f"was switched off at line {line}."
        ),
        sink=site.name,
    )


def _check_verify_assign(site: AssignSite) -> Hit | None:
    target = site.target
    if not isinstance(target, ast.Attribute) or target.attr != "verify":
        return None
    if not (isinstance(site.value, ast.Constant) and site.value.value is False):
        return None
    owner = target.value
    if isinstance(owner, ast.Name) and owner.id in site.scope.sessions:
        return None  # reported at each request the session sends, see _session_of
    return Hit(
        node=site.node,
        message=f"`{dotted_name(target) or 'verify'} = False` turns certificate checks off.",
        sink=dotted_name(target) or "verify",
    )


def _check_unverified_context(site: AttributeSite) -> Hit | None:
    if site.name not in _UNVERIFIED:
        return None
    return Hit(
        node=site.node,
        message=f"{site.name} accepts any certificate for any host.",
        sink=site.name,
    )


def _is_table_entry(site: AttributeSite) -> bool:
    """The constant as a mapping key or in a comparison: code that knows about old
    versions (to map or refuse them), not code that selects one."""
    node = site.node
    if isinstance(site.statement, ast.Assign) and any(
        isinstance(t, ast.Subscript) for t in site.statement.targets
    ):
        return True  # versions[ssl.PROTOCOL_TLSv1] = SSL.TLSv1_METHOD
    for parent in ast.walk(site.statement) if site.statement is not None else ():
        match parent:
            case ast.Dict(keys=keys) if any(k is node for k in keys):
                return True
            case ast.Subscript(slice=index) if index is node:
                return True
            case ast.Compare(left=left, comparators=others) if any(
                e is node for e in (left, *others)
            ):
                return True
    return False


def _check_old_protocol(site: AttributeSite) -> Hit | None:
    if site.name not in _OLD_PROTOCOLS or _is_table_entry(site):
        return None
    version = site.node.attr.removeprefix("PROTOCOL_").removesuffix("_METHOD")
    return Hit(
        node=site.node,
        message=f"{site.name} selects {version}, which has known attacks (POODLE, BEAST).",
        sink=site.name,
    )


def _check_hostname_assign(site: AssignSite) -> Hit | None:
    target, value = site.target, site.value
    if not (isinstance(target, ast.Attribute) and target.attr == "check_hostname"):
        return None
    if not (isinstance(value, ast.Constant) and value.value is False):
        return None
    return Hit(
        node=site.node,
        message="`check_hostname = False` accepts a valid certificate for any host.",
        sink="check_hostname",
    )


def _check_cert_reqs(site: CallSite) -> Hit | None:
    value = site.kwarg("cert_reqs")
    if isinstance(value, ast.Constant) and value.value in ("CERT_NONE", "NONE"):
        return Hit(
            node=site.node,
            message=f"{site.name or site.attr}(cert_reqs='CERT_NONE') accepts any certificate.",
            sink=site.name or site.attr,
        )
    return None


def _check_disable_warnings(site: CallSite) -> Hit | None:
    if site.name not in _DISABLE_WARNINGS:
        return None
    return Hit(
        node=site.node,
        message=(
            "urllib3 warnings are silenced, usually to hide InsecureRequestWarning from "
            "requests sent with verification off; look for those requests."
        ),
        sink=site.name,
    )


RULES = (
    CodeRule(
        id="PY-TLS-001",
        title="HTTP client with TLS certificate verification disabled",
        severity=Severity.HIGH,
        cwe=("CWE-295",),
        owasp="A02",
        bandit=("B501",),
        semgrep="python.requests.security.disabled-cert-validation.disabled-cert-validation",
        description=(
            "Requests, httpx and aiohttp calls with `verify=False` (or `ssl=False`), "
            "`httpx.Client(verify=False)`, and requests sent through a `requests.Session` "
            "whose `verify` attribute was set to False accept any certificate: anyone on the "
            "network path can read and change the traffic, including credentials sent with it."
        ),
        remediation=(
            "Leave verification on. For a private CA, pass its bundle: "
            '`verify="/etc/ssl/private-ca.pem"` (or set `REQUESTS_CA_BUNDLE`).'
        ),
        references=(
            "https://cwe.mitre.org/data/definitions/295.html",
            "https://requests.readthedocs.io/en/latest/user/advanced/#ssl-cert-verification",
        ),
        on_call=_check_verify_call,
        on_assign=_check_verify_assign,
    ),
    CodeRule(
        id="PY-TLS-002",
        title="ssl context that accepts any certificate",
        severity=Severity.HIGH,
        cwe=("CWE-295",),
        owasp="A02",
        bandit=("B323",),
        semgrep="python.lang.security.unverified-ssl-context.unverified-ssl-context",
        description=(
            "`ssl._create_unverified_context`, `ssl.CERT_NONE`, `cert_reqs='CERT_NONE'` and "
            "`check_hostname = False` make TLS connections accept certificates that are "
            "self-signed, expired or issued for another host."
        ),
        remediation="Use `ssl.create_default_context()` (with `cafile=` for a private CA).",
        references=("https://cwe.mitre.org/data/definitions/295.html",),
        on_call=_check_cert_reqs,
        on_attribute=_check_unverified_context,
        on_assign=_check_hostname_assign,
    ),
    CodeRule(
        id="PY-TLS-003",
        title="urllib3 warnings disabled (hint of unverified TLS)",
        severity=Severity.LOW,
        cwe=("CWE-295",),
        owasp="A02",
        description=(
            "`urllib3.disable_warnings()` is almost always there to silence "
            "`InsecureRequestWarning`, the warning requests gives for unverified TLS. It is "
            "a hint that verification is off somewhere, not a weakness by itself."
        ),
        remediation="Remove the call and fix the requests that triggered the warning.",
        references=("https://urllib3.readthedocs.io/en/stable/advanced-usage.html#tls-warnings",),
        on_call=_check_disable_warnings,
    ),
    CodeRule(
        id="PY-TLS-004",
        title="TLS protocol older than TLS 1.2",
        severity=Severity.MEDIUM,
        cwe=("CWE-327",),
        owasp="A02",
        bandit=("B502", "B503"),
        description=(
            "`ssl.PROTOCOL_SSLv2/SSLv3/TLSv1/TLSv1_1`, the same pyOpenSSL `*_METHOD` "
            "constants and `ssl.TLSVersion.TLSv1/TLSv1_1` as a minimum version pin a "
            "protocol with known attacks, deprecated by RFC 8996. `PROTOCOL_TLS` and "
            "pyOpenSSL's `SSLv23_METHOD` negotiate the best version both ends support and "
            "are not reported."
        ),
        remediation=(
            "Use `ssl.create_default_context()` (TLS 1.2+), or set "
            "`context.minimum_version = ssl.TLSVersion.TLSv1_2`."
        ),
        references=(
            "https://cwe.mitre.org/data/definitions/327.html",
            "https://www.rfc-editor.org/rfc/rfc8996",
        ),
        on_attribute=_check_old_protocol,
    ),
)
