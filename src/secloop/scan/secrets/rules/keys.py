"""Key material and signed tokens: PEM / OpenSSH / PGP private keys, PuTTY keys, age
keys, and JSON Web Tokens.

These have no provider to revoke at, but they are the most damaging thing to leak:
a private key cannot be rotated by anyone but its owner, and a JWT is a bearer
credential until it expires.
"""

from __future__ import annotations

import base64
import binascii
import re

from secloop.core.severity import Severity
from secloop.scan.secrets.model import SECRET_GROUP, SecretRule, token

__all__ = ["RULES", "jwt_structure_ok", "private_key_body_ok"]

_BASE64_CHARS = re.compile(r"[A-Za-z0-9+/=]")
_ARMOR_HEADER = re.compile(r"^[A-Za-z\-]{2,40}:[^\n]*$", re.MULTILINE)
#: A real key body has at least this many base64 characters (an EC P-256 key has ~160).
_MIN_KEY_BODY = 64


def private_key_body_ok(body: str) -> bool:
    """True when the block holds key material, not ``...`` or ``your key here``."""
    text = body.replace("\\n", "\n").replace("\\r", "")
    text = _ARMOR_HEADER.sub("", text)
    material = "".join(_BASE64_CHARS.findall(text))
    if len(material) < _MIN_KEY_BODY:
        return False
    letters = sum(1 for c in text if not c.isspace())
    return len(material) >= 0.9 * letters


def _b64url_json_object(part: str) -> str | None:
    """Decode one JWT segment leniently; None unless it is a JSON object's text."""
    padded = part + "=" * (-len(part) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded)
    except (binascii.Error, ValueError):
        return None
    text = raw.decode("utf-8", errors="replace").strip()
    return text if text.startswith("{") and text.endswith("}") else None


def jwt_structure_ok(value: str) -> bool:
    """A JWT's header decodes to a JSON object naming ``alg`` and its payload to an object.

    The check is on decoded text (braces at both ends), not a JSON parse, so a token
    with a non-UTF-8 claim still counts; random ``eyJ...`` strings and truncated
    copies do not.
    """
    parts = value.split(".")
    header = _b64url_json_object(parts[0])
    if header is None or '"alg"' not in header:
        return False
    return len(parts) > 1 and _b64url_json_object(parts[1]) is not None


_PRIVATE_KEY = SecretRule(
    id="SECRET-PRIVATE-KEY",
    title="Private key (PEM, OpenSSH or PGP)",
    severity=Severity.CRITICAL,
    keywords=("private key",),
    # The block may sit on real lines or inside a string with escaped newlines. The
    # body may not contain "-----", so a scan from one BEGIN stops at the next marker:
    # many BEGIN lines without an END cost linear, not quadratic, time.
    pattern=re.compile(
        r"-----BEGIN[ A-Z0-9]{0,30} PRIVATE KEY(?: BLOCK)?-----"
        rf"(?P<{SECRET_GROUP}>(?:[A-Za-z0-9+/=:,.()\s\\]|-(?!----)){{1,65536}}?)"
        r"-----END[ A-Z0-9]{0,30} PRIVATE KEY(?: BLOCK)?-----"
    ),
    placeholder_check=False,
    validator=private_key_body_ok,
    span_match=True,
    peers={"gitleaks": "private-key", "detect-secrets": "PrivateKeyDetector"},
    references=("https://www.rfc-editor.org/rfc/rfc7468", "https://www.rfc-editor.org/rfc/rfc4880"),
    remediation=(
        "Treat the key as compromised: replace it (new key pair, new certificate), remove "
        "the old public key everywhere it is trusted, and keep keys in a secret store."
    ),
    tags=("private-key",),
)

RULES: tuple[SecretRule, ...] = (
    _PRIVATE_KEY,
    SecretRule(
        id="SECRET-PUTTY-PRIVATE-KEY",
        title="PuTTY private key file",
        severity=Severity.CRITICAL,
        keywords=("putty-user-key-file-",),
        pattern=re.compile(
            r"PuTTY-User-Key-File-\d: [\w\-]{3,40}\r?\n(?:[^\n]{0,200}\n){0,40}?"
            r"Private-Lines: \d{1,4}\r?\n(?P<secret>[A-Za-z0-9+/=\r\n]{40,20000}?)\r?\nPrivate-MAC"
        ),
        placeholder_check=False,
        span_match=True,
        references=("https://the.earth.li/~sgtatham/putty/0.78/htmldoc/AppendixC.html",),
        tags=("private-key",),
    ),
    SecretRule(
        id="SECRET-AGE-SECRET-KEY",
        title="age encryption secret key",
        severity=Severity.CRITICAL,
        keywords=("age-secret-key-1",),
        # Bech32 with the "AGE-SECRET-KEY-" human-readable part, upper-cased.
        pattern=token(r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", fence=r"\w\-"),
        placeholder_check=False,
        peers={"gitleaks": "age-secret-key"},
        references=("https://age-encryption.org/v1",),
        tags=("private-key",),
    ),
    SecretRule(
        id="SECRET-JWT",
        title="JSON Web Token",
        severity=Severity.MEDIUM,
        keywords=("eyj",),
        pattern=token(
            r"eyJ[A-Za-z0-9_\-]{8,4000}\.eyJ[A-Za-z0-9_\-]{2,16000}"
            r"(?:\.[A-Za-z0-9_\-]{0,4000})?",
            fence=r"\w\-.",
        ),
        placeholder_check=False,
        validator=jwt_structure_ok,
        specificity=-1,
        peers={"gitleaks": "jwt", "detect-secrets": "JwtTokenDetector"},
        references=("https://www.rfc-editor.org/rfc/rfc7519",),
        remediation=(
            "Revoke the session or rotate the signing key if the token has not expired; "
            "never commit tokens, fetch them at run time."
        ),
        tags=("jwt",),
    ),
)
