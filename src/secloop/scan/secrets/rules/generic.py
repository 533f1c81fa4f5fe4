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

#: A call, an index or a literal collection (``getenv(``, ``cfg[``, ``{``) or an
#: attribute path (``settings.api_key``): code that computes a value, not a value.
_CALL_OR_CODE = re.compile(
    r"^(?:[\w.$:]*[(\[]|[{])|^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$"
)
_IDENTIFIER = re.compile(r"^[A-Za-z_\-]+$")
_OPENERS = {")": "(", "]": "[", "}": "{"}


def _balanced_brackets(value: str) -> bool:
    """True when ``value`` has brackets and they nest properly, as code and templates do.

    Random key material that happens to contain brackets almost never balances them
    (``m{{h}o)p${e]nob(ody``), so an unbalanced value is kept as a candidate secret.
    """
    stack: list[str] = []
    seen = False
    for char in value:
        if char in "([{":
            stack.append(char)
            seen = True
        elif char in _OPENERS:
            if not stack or stack.pop() != _OPENERS[char]:
                return False
            seen = True
    return seen and not stack


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
    if _CALL_OR_CODE.search(value) or _IDENTIFIER.match(value) or _balanced_brackets(value):
        return False
    if "://" in value or value.startswith(("/", "./", "~/")):
        return False  # a URL or a path names where a secret is, it is not one
    if not any(char.isalnum() for char in value):
        return False  # punctuation only: a separator line or ASCII art, not key material
    return has_character_classes(value, minimum=2) or not value.isalnum()


#: Languages in which every literal is quoted: an unquoted right-hand side is an
#: expression (``password = get_password``), never the password itself.
_QUOTED_LITERAL_SUFFIXES = frozenset(
    {
        ".py", ".pyi", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".java", ".kt", ".kts",
        ".scala", ".groovy", ".swift", ".tf", ".cls", ".rb", ".php", ".dart", ".rs",
    }
)  # fmt: skip
#: C-family languages: a string is double-quoted (``@"..."`` in Objective-C and C#);
#: single quotes hold one character.
_C_FAMILY_SUFFIXES = frozenset({".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".cs", ".m", ".mm"})


def _suffix(path: str | None) -> str:
    if path is None:
        return ""
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def quoting_ok(match: re.Match[str], path: str | None) -> bool:
    """A value's quoting must make it a literal in the file's language.

    Configuration files, Go and text without a known type take unquoted values
    (``password: hunter2``); in languages whose literals are always quoted an
    unquoted value is code; in C-family files only double quotes make a string.
    """
    suffix = _suffix(path)
    quote = match.groupdict().get("quote")
    if suffix in _QUOTED_LITERAL_SUFFIXES:
        return quote is not None
    if suffix in _C_FAMILY_SUFFIXES:
        return quote == '"'
    return True


#: The two fragments below are spliced into ``_ASSIGN``, which is ``str.format``-ed: their
#: regex braces are doubled. An assignment-like operator: ``=``, ``:``, ``:=``, ``::=``,
#: ``=>``, ``<-``, ``.=``, ``?=`` or a key-value comma, but never a comparison (``==``,
#: ``===``, ``!=``, ``<=``, ``>=``) or a regex match (``=~``).
_OPERATOR = r"(?::{{1,3}}=|=>|<-|\.=|\?=|(?<![=!<>])=(?![=~])|[:,])"

#: A string literal's opening: an optional prefix (``@"`` in C#/Objective-C, ``r"`` in
#: Python) only when a quote follows, then the quote, captured to find its twin.
_OPEN_QUOTE = r"(?:(?:@|[rbfu])(?=[\"'`]))?(?P<quote>[\"'`])"

#: Where a quoted value may also follow without an assignment: a comparison with a
#: literal (``if (password == "...")``, a hard-coded check) or a bare space
#: (``password "..."``, nginx and other directive syntaxes).
_QUOTED_ONLY_OPERATOR = r"(?:===?|!==?|(?<=[ \t]))(?=[ \t]{{0,4}}(?:@|[rbfu])?[\"'`])"

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
    # a key that names a digest of the secret (secret_sha256, password_hash, token_md5)
    r"(?<!(?i:hash))(?<!(?i:digest))(?<!(?i:sum))(?<!(?i:md5))(?<!(?i:sha1))"
    r"(?<!(?i:sha256))(?<!(?i:sha512))"
    r"(?:\[\d{{0,4}}\])?"  # a C array: char secret[25] = "..."
    # the key's closing quote and bracket (PHP's $cfg['password']), a type (Go's
    # `password string =`) or an XML attribute pair (key="password" value="...")
    r"[\"'\]]{{0,2}}(?:[ \t]{{1,4}}(?:string|str|String|value)\b)?"
    r"[ \t]{{0,4}}(?:" + _OPERATOR + "|" + _QUOTED_ONLY_OPERATOR + r")[ \t]{{0,4}}"
    r"(?:" + _OPEN_QUOTE + r")?"
    r"(?(quote)|(?!" + _DOTTED_REFERENCE + r"))"
    # Inside quotes a value runs to the closing twin (commas and semicolons included);
    # bare, it stops at a separator.
    r"(?P<{group}>(?(quote)[^\s\"'`]|[^\s\"'`,;]){{{low},{high}}})"
    r"(?(quote)(?P=quote))"
)


def _assignment_pattern(names: str, low: int) -> re.Pattern[str]:
    """``names`` inside a key, then an assignment, then a quoted or bare value.

    ``names`` is a regex (give case-insensitivity inline). A key that says ``public``
    (``publicToken``) names a value meant for clients and a CSRF token protects a
    form, not an account: both are excluded before the name.
    """
    tail = _ASSIGN.format(group=SECRET_GROUP, low=low, high=200)
    return re.compile(rf"(?:{names}){tail}")


#: Key names of a password (``db_pass_secure``, ``contraseña`` included).
_PASSWORD_NAMES = (
    r"(?i:passwd|password|passphrase|pwd|(?:db|database|key)_?pass(?![A-Za-z])|contrase[ñn]a)"  # noqa: S105
)
#: Key names of an API key, token or other secret. A bare "token"/"secret" must start a
#: word or a camelCase part (not ``jsonwebtoken``); "secrete" is the same key in several
#: languages.
_KEY_NAMES = (
    r"(?i:api[_\-.]?key|apikey|api[_\-.]?secret|client[_\-.]?secret|secret[_\-.]?key"
    r"|access[_\-.]?token|auth[_\-.]?token|api[_\-.]?token|private[_\-.]?token"
    r"|private[_\-.]?key|credentials?)"
    r"|(?:(?<![A-Za-z])(?i:token|secrete?)|Token|Secret|TOKEN|SECRET)(?![A-Za-z0-9])"
)


def _compared_literal_pattern() -> re.Pattern[str]:
    """A quoted literal compared with a credential variable: ``if ("..." == password)``.

    A hard-coded check of this kind is a backdoor credential. The literal comes first,
    so the engine's window reaches back from the keyword (``window_back``).
    """
    return re.compile(
        rf"(?P<quote>[\"'`])(?P<{SECRET_GROUP}>[^\s\"'`]{{6,200}})(?P=quote)"
        r"[ \t]{0,4}(?:===?|!==?)[ \t]{0,4}[\w.$>\-]{0,40}?"
        rf"(?:{_PASSWORD_NAMES}|{_KEY_NAMES})"
    )


#: How far a generic match can start before its keyword's end: the longest key name
#: ("database_pass", "client_secret") with room to spare. Small, so the engine probes
#: those few offsets instead of searching the whole window (see engine._probed_matches).
_NAME_REACH = 24


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
        keywords=("pass", "pwd", "contrase"),
        pattern=_assignment_pattern(_PASSWORD_NAMES, 6),
        entropy=2.8,
        stopwords=GENERIC_STOPWORDS,
        validator=generic_value_ok,
        specificity=-10,
        context_reject=_NOT_SECRET_KEY_PREFIX,
        window=ASSIGNMENT_WINDOW,
        window_back=_NAME_REACH,
        match_check=quoting_ok,
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
        keywords=(
            "apikey",
            "api_key",
            "api-key",
            "api.key",
            "secret",
            "token",
            "credential",
            "private_key",
            "private-key",
            "private.key",
            "privatekey",
        ),
        pattern=_assignment_pattern(_KEY_NAMES, 16),
        entropy=3.5,
        stopwords=GENERIC_STOPWORDS,
        validator=generic_value_ok,
        specificity=-10,
        context_reject=_NOT_SECRET_KEY_PREFIX,
        window=ASSIGNMENT_WINDOW,
        window_back=_NAME_REACH,
        match_check=quoting_ok,
        peers={"gitleaks": "generic-api-key", "detect-secrets": "KeywordDetector"},
        remediation="Remove the value, rotate it, and read it at run time from a secret store.",
        tags=("generic",),
    ),
    SecretRule(
        id="SECRET-GENERIC-COMPARED-CREDENTIAL",
        title="Hard-coded credential in a comparison",
        severity=Severity.MEDIUM,
        keywords=("pass", "pwd", "secret", "token", "apikey", "api_key", "private_key"),
        pattern=_compared_literal_pattern(),
        entropy=2.8,
        stopwords=GENERIC_STOPWORDS,
        validator=generic_value_ok,
        specificity=-10,
        # The keyword ends the match: reach back over the literal (at most 200 characters,
        # its quotes, the operator and the rest of the variable's name).
        window=40,
        window_back=280,
        peers={"detect-secrets": "KeywordDetector"},
        remediation=(
            "Remove the built-in credential check; verify against a hashed value from a "
            "secret store instead."
        ),
        tags=("generic",),
    ),
)
