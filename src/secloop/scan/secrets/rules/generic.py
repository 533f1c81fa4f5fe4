"""Credentials without a vendor format: passwords in URLs, kubeconfig credentials, HTTP
Basic authorization headers, and ``password = "..."`` style assignments.

These are the noisiest rules, so they carry the strictest filters (entropy floors,
stop-words, reference detection) and the lowest specificity: when a vendor rule
matches the same value, the vendor rule is the one reported.
"""

from __future__ import annotations

import base64
import binascii
import re

from secloop.core.severity import Severity
from secloop.scan.secrets.filters import (
    has_character_classes,
    is_placeholder,
    looks_like_reference,
)
from secloop.scan.secrets.model import ASSIGNMENT_WINDOW, SECRET_GROUP, SecretRule

__all__ = ["GENERIC_STOPWORDS", "RULES", "generic_value_ok", "url_password_ok"]

#: Lowercase substrings that mark a value as an example, a test value or a prompt.
GENERIC_STOPWORDS = (
    "example",
    "sample",
    "changeme",
    "change_me",
    "change-me",
    "placeholder",
    "dummy",
    "fake",
    "redacted",
    "your_",
    "your-",
    "yourpass",
    "insert",
    "replace",
    "todo",
    "notreal",
    "not_real",
    "secret_here",
    "password_here",
    "mypassword",
    "foobar",
)

#: Whole values that are words, not secrets.
_TRIVIAL_VALUES = frozenset(
    {
        "password",
        "passwd",
        "secret",
        "token",
        "pass",
        "pwd",
        "none",
        "null",
        "nil",
        "true",
        "false",
        "undefined",
        "string",
        "required",
        "optional",
        "admin",
        "root",
        "user",
        "username",
        "test",
        "testing",
        "default",
        "empty",
        "hidden",
        "masked",
    }
)

_CALL_OR_CODE = re.compile(r"[()\[\]{}]|^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$")
_IDENTIFIER = re.compile(r"^[A-Za-z_\-]+$")


def _basic_credentials(value: str) -> bool:
    """An HTTP Basic value is base64 of ``user:password`` with a non-trivial password."""
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, sep, password = decoded.partition(":")
    return bool(sep and user and url_password_ok(password) and decoded.isprintable())


def url_password_ok(password: str) -> bool:
    """A URL password that is a word, a port-like number, or a template is not a secret."""
    lowered = password.lower()
    if len(password) < 3 or lowered in _TRIVIAL_VALUES or password.isdigit():
        return False
    if looks_like_reference(password) or any(w in lowered for w in GENERIC_STOPWORDS):
        return False
    if is_placeholder(password):
        return False
    return not any(marker in password for marker in ("$", "{", "}", "<", ">", "%s", "*"))


def generic_value_ok(value: str) -> bool:
    """Reject code and words: calls, attribute paths, plain identifiers, trivial values."""
    lowered = value.lower()
    if lowered in _TRIVIAL_VALUES or looks_like_reference(value):
        return False
    if _CALL_OR_CODE.search(value) or _IDENTIFIER.match(value):
        return False
    if "://" in value or value.startswith(("/", "./", "~/")):
        return False  # a URL or a path names where a secret is, it is not one
    return has_character_classes(value, minimum=2) or not value.isalnum()


#: The two fragments below are spliced into ``_ASSIGN``, which is ``str.format``-ed: their
#: regex braces are doubled. An assignment-like operator: ``=``, ``:``, ``:=``, ``::=``,
#: ``=>``, ``<-``, ``.=``, ``?=`` or a key-value comma, but never a comparison (``==``,
#: ``===``, ``!=``, ``<=``, ``>=``) or a regex match (``=~``).
_OPERATOR = r"(?::{{1,3}}=|=>|<-|\.=|\?=|(?<![=!<>])=(?![=~])|[:,])"

#: An unquoted dotted code identifier standing alone (``Transformer.VAL.value``,
#: ``settings.api_key``, ``os.environ[...]``): a reference to a value, not a literal.
_DOTTED_REFERENCE = r"(?:[A-Za-z_]\w*\.)+[A-Za-z_]\w*(?=[\s:;,()\[\]{{}}]|$)"

#: After the name: the rest of the key (not one that names a *name*, id, URL or path of
#: a secret), an assignment on the same line, an optional quote or string prefix, the
#: value. An unquoted value may not be a dotted identifier (``(?(quote)...)``).
_ASSIGN = (
    r"[\w.\-]{{0,30}}"
    r"(?<!(?i:name))(?<!(?i:_id))(?<!(?i:-id))(?<!Id)(?<!ID)(?<!(?i:url))(?<!(?i:uri))(?<!(?i:path))(?<!(?i:file))"
    r"(?<!(?i:type))(?<!(?i:length))(?<!(?i:field))(?<!(?i:header))(?<!(?i:param))"
    r"[\"'\]]?(?:[ \t]{{1,4}}(?:string|str|String)\b)?"
    r"[ \t]{{0,4}}" + _OPERATOR + r"[ \t]{{0,4}}(?P<quote>[\"'`]|[rbfu][\"'])?"
    r"(?(quote)|(?!" + _DOTTED_REFERENCE + r"))"
    r"(?P<{group}>[^\s\"'`,;]{{{low},{high}}})"
)


def _assignment_pattern(names: str, low: int) -> re.Pattern[str]:
    """``names`` inside a key, then an assignment, then a quoted or bare value.

    ``names`` is a regex (give case-insensitivity inline). A key that says ``public``
    (``publicToken``) names a value meant for clients and a CSRF token protects a
    form, not an account: both are excluded before the name.
    """
    tail = _ASSIGN.format(group=SECRET_GROUP, low=low, high=200)
    return re.compile(rf"(?:{names}){tail}")


#: Checked on the characters before a generic match (see ``_assignment_pattern``).
_NOT_SECRET_KEY_PREFIX = re.compile(r"(?i:public|csrf|xsrf)[_\-.]?$")


RULES: tuple[SecretRule, ...] = (
    SecretRule(
        id="SECRET-URI-CREDENTIALS",
        title="Password in a connection URI",
        severity=Severity.HIGH,
        keywords=("://",),
        # Starts at the literal "://" so the regex engine can skip ahead to it; the
        # scheme adds nothing to the decision.
        pattern=re.compile(
            r"://[^\s:@/\"'<>]{1,64}:"
            rf"(?P<{SECRET_GROUP}>[^\s:@/\"'<>]{{1,128}})@[A-Za-z0-9.\-\[\]_]{{1,253}}"
        ),
        placeholder_check=False,
        validator=url_password_ok,
        specificity=-5,
        peers={"gitleaks": "sidekiq-sensitive-url", "detect-secrets": "BasicAuthDetector"},
        references=("https://www.rfc-editor.org/rfc/rfc3986#section-3.2.1",),
        remediation=(
            "Change the password; pass it separately (environment, secret store) instead of "
            "in the URI."
        ),
        tags=("generic",),
    ),
    SecretRule(
        id="SECRET-KUBECONFIG-CLIENT-KEY",
        title="Kubernetes client private key in a kubeconfig",
        severity=Severity.CRITICAL,
        keywords=("client-key-data",),
        pattern=re.compile(
            rf"client-key-data:\s{{0,4}}[\"']?(?P<{SECRET_GROUP}>[A-Za-z0-9+/]{{64,20000}}={{0,2}})"
        ),
        placeholder_check=False,
        entropy=4.0,
        specificity=5,
        references=(
            "https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/",
        ),
        remediation=(
            "Revoke the client certificate (rotate the CA if needed); use exec plugins or OIDC."
        ),
        tags=("kubernetes",),
    ),
    SecretRule(
        id="SECRET-KUBECONFIG-TOKEN",
        title="Kubernetes bearer token or password in a kubeconfig",
        severity=Severity.CRITICAL,
        # Only files that are kubeconfigs: the keyword gates the file, the regex the line.
        keywords=("current-context",),
        pattern=re.compile(
            rf"(?m)^[ \t]{{2,16}}(?:token|password):[ \t]{{0,4}}[\"']?"
            rf"(?P<{SECRET_GROUP}>[A-Za-z0-9._~+/=\-]{{8,4096}})"
        ),
        entropy=3.0,
        validator=generic_value_ok,
        specificity=3,
        references=("https://kubernetes.io/docs/reference/access-authn-authz/authentication/",),
        remediation="Revoke the token (delete its ServiceAccount secret or user) and reissue it.",
        tags=("kubernetes",),
    ),
    SecretRule(
        id="SECRET-HTTP-BASIC-AUTH",
        title="HTTP Basic credentials in an Authorization header",
        severity=Severity.HIGH,
        keywords=("basic ",),
        pattern=re.compile(
            rf"(?i:authorization)[\"']?\s{{0,4}}[:=]\s{{0,4}}[\"']?(?i:basic)\s{{1,4}}"
            rf"(?P<{SECRET_GROUP}>[A-Za-z0-9+/]{{6,400}}={{0,2}})"
        ),
        placeholder_check=False,
        validator=_basic_credentials,
        references=("https://www.rfc-editor.org/rfc/rfc7617",),
        tags=("generic",),
    ),
    SecretRule(
        id="SECRET-GENERIC-PASSWORD",
        title="Hard-coded password",
        severity=Severity.MEDIUM,
        keywords=("pass", "pwd"),
        pattern=_assignment_pattern(r"(?i:passwd|password|passphrase|pwd|db_?pass\b)", 6),
        entropy=2.8,
        stopwords=GENERIC_STOPWORDS,
        validator=generic_value_ok,
        specificity=-10,
        context_reject=_NOT_SECRET_KEY_PREFIX,
        window=ASSIGNMENT_WINDOW,
        peers={"detect-secrets": "KeywordDetector"},
        remediation="Remove the password, rotate it, and read it at run time from a secret store.",
        tags=("generic",),
    ),
    SecretRule(
        id="SECRET-GENERIC-API-KEY",
        title="Hard-coded API key, token or client secret",
        severity=Severity.MEDIUM,
        # Every name below contains one of these; a bare "key" would wake the rule on
        # nearly every file for nothing.
        keywords=("apikey", "api_key", "api-key", "api.key", "secret", "token", "credential"),
        pattern=_assignment_pattern(
            r"(?i:api[_\-.]?key|apikey|api[_\-.]?secret|client[_\-.]?secret|secret[_\-.]?key"
            r"|access[_\-.]?token|auth[_\-.]?token|api[_\-.]?token|private[_\-.]?token"
            r"|credentials?)"
            # a bare "token"/"secret" must start a word or a camelCase part: not jsonwebtoken
            r"|(?:(?<![A-Za-z])(?i:token|secret)|Token|Secret|TOKEN|SECRET)(?![A-Za-z0-9])",
            16,
        ),
        entropy=3.5,
        stopwords=GENERIC_STOPWORDS,
        validator=generic_value_ok,
        specificity=-10,
        context_reject=_NOT_SECRET_KEY_PREFIX,
        window=ASSIGNMENT_WINDOW,
        peers={"gitleaks": "generic-api-key", "detect-secrets": "KeywordDetector"},
        remediation="Remove the value, rotate it, and read it at run time from a secret store.",
        tags=("generic",),
    ),
)
