"""Filters that turn a regex match into a credible secret or throw it away.

Most noise in secret scanners comes from values that have the *shape* of a secret
but are documentation: ``xxxx``, ``<your-token>``, ``${API_KEY}``, the AWS docs'
``AKIAIOSFODNN7EXAMPLE``, a run of one character. These checks run on the secret
value only (never the line), after the regex, so they cost nothing on files without
a candidate.
"""

from __future__ import annotations

import math
import re
from collections import Counter

__all__ = [
    "DOCUMENTATION_EXAMPLES",
    "has_character_classes",
    "is_placeholder",
    "looks_like_reference",
    "mixes_case_and_digits",
    "shannon_entropy",
]

#: Values published in vendor documentation as examples: never real credentials.
DOCUMENTATION_EXAMPLES = frozenset(
    {
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        "AKIAI44QH8DHBEXAMPLE",
    }
)

#: Markers of filler or an instruction instead of a value.
_PLACEHOLDER_MARKERS = ("xxxx", "****", "####", "....", "…")

#: A value that starts like a template (``<your-token>``, ``${VAR}``, ``{{ x }}``,
#: ``%(name)s``) or holds a complete template expression. Only *well-formed* templates
#: count: a strong password such as ``m{{h}o)p${e]nob(ody`` contains ``{{`` and ``${``
#: but no template, and is a secret.
_TEMPLATE_START = ("<", "${", "{{", "%(", "$(")
_TEMPLATE = re.compile(
    r"<[\w .\-]{1,60}>"
    r"|\$\{[\w.\-]{1,80}(?:[:?=+\-][^{}]{0,80})?\}"
    r"|\{\{[\w .|\-\"']{1,80}\}\}"
    r"|%\([\w.\-]{1,40}\)[sdr]"
)

#: A single character repeated this many times is filler, not key material.
_MAX_RUN = 8
_RUN = re.compile(rf"(.)\1{{{_MAX_RUN - 1},}}")

#: Keyboard and counting runs that people type by hand.
_SEQUENCES = ("abcdefgh", "12345678", "23456789", "qwertyui", "abcdefghij")

#: A variable reference or an environment lookup: the secret lives somewhere else.
_REFERENCE = re.compile(
    r"^(?:\$[A-Za-z_({]|%[A-Za-z_]+%$|os\.|process\.env|env\.|ENV\[|getenv|System\."
    r"|secrets\.|vars\.|var\.|local\.|data\.|module\.|self\.|this\.|config\.|settings\.)",
)


def shannon_entropy(value: str) -> float:
    """Shannon entropy in bits per character: 0 for ``aaaa``, about 6 for random base64."""
    if not value:
        return 0.0
    length = len(value)
    return -sum(n / length * math.log2(n / length) for n in Counter(value).values())


def is_placeholder(value: str) -> bool:
    """True for documentation fillers: ``xxxx``, ``<...>``, ``${...}``, runs, sequences."""
    if value in DOCUMENTATION_EXAMPLES:
        return True
    lowered = value.lower()
    if any(marker in lowered for marker in _PLACEHOLDER_MARKERS):
        return True
    if value.startswith(_TEMPLATE_START) or _TEMPLATE.search(value) is not None:
        return True
    if _RUN.search(value) is not None:
        return True
    return any(seq in lowered for seq in _SEQUENCES)


#: A file name or path: a report, a key file, a mounted secret's path, not its content.
_FILE_NAME = re.compile(
    r"^[\w./~-]*[\w-]\.(?:json|ya?ml|toml|ini|cfg|conf|txt|xml|csv|pem|crt|key|p12|pfx|jks"
    r"|env|sh|py|js|ts|log|html|sarif|sqlite|db)$",
    re.IGNORECASE,
)


def looks_like_reference(value: str) -> bool:
    """True when the value points at a secret instead of being one (``$VAR``, ``os.environ``,
    a file name such as ``gl-secret-detection-report.json`` or ``/run/secrets/db.key``)."""
    return _REFERENCE.match(value) is not None or _FILE_NAME.match(value) is not None


def has_character_classes(value: str, *, minimum: int) -> bool:
    """True when ``value`` mixes at least ``minimum`` of: lowercase, uppercase, digits."""
    classes = (
        any(c.islower() for c in value),
        any(c.isupper() for c in value),
        any(c.isdigit() for c in value),
    )
    return sum(classes) >= minimum


def mixes_case_and_digits(value: str) -> bool:
    """Random tokens mix lower case, upper case and digits; identifiers in one case do not."""
    return has_character_classes(value, minimum=3)
