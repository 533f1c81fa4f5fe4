"""Cryptography: broken hashes and ciphers, ECB mode, guessable randomness, unverified JWTs."""

from __future__ import annotations

import ast

from secloop.core.severity import Severity
from secloop.scan.code.python.rules.base import CodeRule
from secloop.scan.code.python.sites import AttributeSite, CallSite, Hit, is_sensitive_name

__all__ = ["RULES"]

_WEAK_HASHLIB = frozenset({"hashlib.md5", "hashlib.sha1", "hashlib.md4"})
_WEAK_HASH_NAMES = frozenset({"md5", "sha1", "sha", "md4", "md2", "md5-sha1", "ripemd160"})
_WEAK_HASH_CLASSES = frozenset({"MD2", "MD4", "MD5", "SHA", "SHA1"})
_CRYPTO_PACKAGES = ("Crypto.", "Cryptodome.")
_WEAK_CIPHER_MODULES = frozenset({"ARC2", "ARC4", "Blowfish", "DES", "XOR", "CAST"})
_WEAK_ALGORITHMS = frozenset({"ARC4", "Blowfish", "IDEA", "CAST5", "SEED", "TripleDES"})
_ALGORITHMS_MODULE = "cryptography.hazmat.primitives.ciphers.algorithms."
_ECB_MODE = "cryptography.hazmat.primitives.ciphers.modes.ECB"
_RANDOM_FUNCTIONS = frozenset(
    {"random", "randrange", "randint", "choice", "choices", "sample", "getrandbits",
     "randbytes", "uniform", "shuffle", "triangular"}
)  # fmt: skip
#: crypt methods that are fast or truncating: DES crypt (8 characters), MD5, and the
#: Blowfish method whose ``$2b$`` hashes are fine but whose cost the module fixes low.
_WEAK_CRYPT_METHODS = frozenset({"crypt.METHOD_CRYPT", "crypt.METHOD_MD5", "crypt.METHOD_BLOWFISH"})
_JWT_DECODERS = frozenset(
    {"jwt.decode", "jwt.decode_complete", "jwt.api_jwt.decode", "jose.jwt.decode",
     "jwt.PyJWT.decode"}
)  # fmt: skip


def _weak_hash_name(site: CallSite) -> str | None:
    if site.name in _WEAK_HASHLIB:
        return site.attr
    if site.name == "hashlib.new":
        algorithm = site.fold_str(site.arg(0, "name") or ast.Constant(None))
        if algorithm is not None and algorithm.lower() in _WEAK_HASH_NAMES:
            return algorithm.lower()
        return None
    module, _, function = site.name.rpartition(".")
    last = module.rpartition(".")[2]
    if site.name.startswith(_CRYPTO_PACKAGES) and function == "new" and last in _WEAK_HASH_CLASSES:
        return last
    if site.name.startswith("cryptography.hazmat.primitives.hashes.") and function in (
        "MD5",
        "SHA1",
    ):
        return function
    return None


def _check_weak_hash(site: CallSite) -> Hit | None:
    algorithm = _weak_hash_name(site)
    if algorithm is None or site.kwarg_is("usedforsecurity", False):
        return None
    for_secret = any(is_sensitive_name(n) for n in (*site.receiving_names(), site.scope.name))
    return Hit(
        node=site.node,
        message=(
            f"{algorithm.upper()} is broken for security use"
            + (" and here it protects a secret" if for_secret else "")
            + "; pass usedforsecurity=False if this is not a security use."
        ),
        sink=site.name,
        severity=Severity.HIGH if for_secret else None,
    )


def _check_weak_crypt(site: CallSite) -> Hit | None:
    if site.name == "crypt.crypt":
        method = site.arg(1, "salt")
    elif site.name == "crypt.mksalt":
        method = site.arg(0, "method")
    else:
        return None
    name = site.qualname(method) if method is not None else None
    if name not in _WEAK_CRYPT_METHODS:
        return None
    return Hit(
        node=site.node,
        message=f"{site.name}() with {name} makes password hashes that are cheap to crack.",
        sink=site.name,
    )


def _check_weak_cipher(site: CallSite) -> Hit | None:
    module, _, function = site.name.rpartition(".")
    last = module.rpartition(".")[2]
    weak = (
        site.name.startswith(_CRYPTO_PACKAGES)
        and function == "new"
        and last in _WEAK_CIPHER_MODULES
    )
    weak = weak or (site.name.startswith(_ALGORITHMS_MODULE) and function in _WEAK_ALGORITHMS)
    if not weak:
        return None
    cipher = last if function == "new" else function
    return Hit(
        node=site.node, message=f"{cipher} is a broken or deprecated cipher.", sink=site.name
    )


def _check_ecb_call(site: CallSite) -> Hit | None:
    if site.name != _ECB_MODE:
        return None
    return Hit(node=site.node, message="ECB mode leaks patterns of the plaintext.", sink=site.name)


def _check_ecb_constant(site: AttributeSite) -> Hit | None:
    if not (site.name.startswith(_CRYPTO_PACKAGES) and site.node.attr == "MODE_ECB"):
        return None
    return Hit(node=site.node, message="ECB mode leaks patterns of the plaintext.", sink=site.name)


def _check_random(site: CallSite) -> Hit | None:
    module, _, function = site.name.rpartition(".")
    if module != "random" or function not in _RANDOM_FUNCTIONS:
        return None
    names = [n for n in site.receiving_names() if is_sensitive_name(n)]
    if not names:
        return None
    returned = isinstance(site.statement, ast.Return)
    what = f"the value `{names[0]}()` returns" if returned else f"`{names[0]}`"
    return Hit(
        node=site.node,
        message=(
            f"random.{function}() is predictable (Mersenne Twister) and makes {what}; "
            "use the secrets module."
        ),
        sink=site.name,
    )


def _unverified_options(options: ast.expr | None) -> bool:
    if not isinstance(options, ast.Dict):
        return False
    for key, value in zip(options.keys, options.values, strict=True):
        if isinstance(key, ast.Constant) and key.value == "verify_signature":
            return isinstance(value, ast.Constant) and value.value is False
    return False


def _none_algorithm(site: CallSite) -> bool:
    algorithms = site.kwarg("algorithms")
    elements = algorithms.elts if isinstance(algorithms, ast.List | ast.Tuple) else [algorithms]
    return any(
        isinstance(e, ast.Constant) and isinstance(e.value, str) and e.value.lower() == "none"
        for e in elements
    )


def _check_jwt(site: CallSite) -> Hit | None:
    if site.name not in _JWT_DECODERS:
        return None
    if _unverified_options(site.kwarg("options")):
        how = 'options={"verify_signature": False}'
    elif site.kwarg_is("verify", False):
        how = "verify=False"
    elif _none_algorithm(site):
        how = 'the "none" algorithm'
    else:
        return None
    return Hit(
        node=site.node,
        message=f"{site.name}() with {how} accepts forged tokens: any claims, any signer.",
        sink=site.name,
    )


RULES = (
    CodeRule(
        id="PY-HASH-001",
        title="Weak hash (MD5, SHA-1) used for security",
        severity=Severity.MEDIUM,
        cwe=("CWE-328", "CWE-327"),
        owasp="A02",
        bandit=("B324", "B303"),
        semgrep="python.lang.security.insecure-hash-algorithms.insecure-hash-algorithm-md5",
        description=(
            "MD5 and SHA-1 have practical collisions and are fast to brute-force, so they "
            "neither prove integrity nor protect passwords. Calls that declare "
            "`usedforsecurity=False` (checksums, cache keys) are not reported; a hash whose "
            "result is named like a password or token is rated high."
        ),
        remediation=(
            "Use SHA-256 or better for integrity, and a password hash (argon2, scrypt, "
            "bcrypt, `hashlib.pbkdf2_hmac`) for passwords; mark non-security uses with "
            "`usedforsecurity=False`."
        ),
        references=("https://cwe.mitre.org/data/definitions/328.html",),
        on_call=_check_weak_hash,
    ),
    CodeRule(
        id="PY-CIPHER-001",
        title="Broken or deprecated cipher (DES, RC4, Blowfish, ...)",
        severity=Severity.HIGH,
        cwe=("CWE-327",),
        owasp="A02",
        bandit=("B304",),
        semgrep="python.cryptography.security.insecure-cipher-algorithms.insecure-cipher-algorithm-arc4",
        description=(
            "DES, RC2, RC4, Blowfish, IDEA, CAST5, SEED, Triple DES and XOR from "
            "pycryptodome/pycrypto or `cryptography` have small keys, small blocks "
            "(Sweet32) or biased key streams; data they protect can be recovered."
        ),
        remediation="Use AES-GCM or ChaCha20-Poly1305 (`cryptography`'s AEAD classes).",
        references=("https://cwe.mitre.org/data/definitions/327.html",),
        on_call=_check_weak_cipher,
    ),
    CodeRule(
        id="PY-CIPHER-002",
        title="Block cipher in ECB mode",
        severity=Severity.MEDIUM,
        cwe=("CWE-327",),
        owasp="A02",
        bandit=("B305",),
        semgrep="python.cryptography.security.insecure-cipher-mode-ecb.insecure-cipher-mode-ecb",
        description=(
            "ECB encrypts equal blocks to equal ciphertext, so the structure of the data "
            "shows through, and blocks can be cut and pasted between messages."
        ),
        remediation="Use an authenticated mode: AES-GCM, or ChaCha20-Poly1305.",
        references=("https://cwe.mitre.org/data/definitions/327.html",),
        on_call=_check_ecb_call,
        on_attribute=_check_ecb_constant,
    ),
    CodeRule(
        id="PY-RAND-001",
        title="Predictable random numbers for a token, password or secret",
        severity=Severity.MEDIUM,
        cwe=("CWE-330", "CWE-338"),
        owasp="A02",
        bandit=("B311",),
        semgrep="python.lang.security.audit.insecure-random.insecure-random",
        description=(
            "The `random` module is a Mersenne Twister: after 624 outputs an observer can "
            "predict every later one. Reported when the value becomes something named like "
            "a token, password, secret, salt or nonce, or is returned from a function named "
            "so; `random` for simulations and sampling is fine and not reported."
        ),
        remediation="Use `secrets.token_urlsafe()`, `secrets.choice()` or `secrets.token_bytes()`.",
        references=("https://docs.python.org/3/library/secrets.html",),
        on_call=_check_random,
    ),
    CodeRule(
        id="PY-JWT-001",
        title="JWT decoded without verifying the signature",
        severity=Severity.HIGH,
        cwe=("CWE-347",),
        owasp="A07",
        semgrep="python.jwt.security.unverified-jwt-decode.unverified-jwt-decode",
        description=(
            '`jwt.decode` with `options={"verify_signature": False}`, `verify=False` (PyJWT '
            "1.x) or the `none` algorithm returns whatever claims the token holds: anyone can "
            "mint a token saying `admin: true`."
        ),
        remediation=(
            "Decode with the key and an explicit algorithm list: "
            '`jwt.decode(token, key, algorithms=["HS256"])`.'
        ),
        references=(
            "https://cwe.mitre.org/data/definitions/347.html",
            "https://pyjwt.readthedocs.io/en/stable/usage.html",
        ),
        on_call=_check_jwt,
    ),
    CodeRule(
        id="PY-CRYPT-001",
        title="Password hashed with a weak crypt method",
        severity=Severity.MEDIUM,
        cwe=("CWE-916", "CWE-327"),
        owasp="A02",
        bandit=("B324",),
        description=(
            "`crypt.crypt` or `crypt.mksalt` with `METHOD_CRYPT` (DES: 8 characters, 12-bit "
            "salt), `METHOD_MD5` or `METHOD_BLOWFISH` at the module's fixed cost. The crypt "
            "module was removed in Python 3.13; code still using it hashes passwords that "
            "GPUs crack at billions of guesses a second."
        ),
        remediation=(
            "Hash passwords with argon2 (`argon2-cffi`), scrypt (`hashlib.scrypt`) or "
            "bcrypt with a tuned cost."
        ),
        references=(
            "https://cwe.mitre.org/data/definitions/916.html",
            "https://peps.python.org/pep-0594/#crypt",
        ),
        on_call=_check_weak_crypt,
    ),
)
