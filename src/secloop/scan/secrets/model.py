"""The secret rule model: one frozen value per pattern, turned into a core Rule for reports.

A rule is data, not code: the engine (:mod:`secloop.scan.secrets.engine`) decides
*how* to run rules; a rule only says *what* a secret of its kind looks like. That is
why a rule carries its prefilter keywords, its confirming regex and its filters, and
nothing that depends on the file it is run on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from secloop.core.finding import FindingKind
from secloop.core.rule import Rule
from secloop.core.severity import Severity

__all__ = [
    "ASSIGNMENT_WINDOW",
    "DEFAULT_REMEDIATION",
    "SECRET_GROUP",
    "SecretRule",
    "assignment",
    "token",
]

#: Every rule's regex names the secret itself with this group; the rest is context.
SECRET_GROUP = "secret"  # noqa: S105 - a regex group name

#: Characters that may not touch a token on either side (so a token inside a longer
#: identifier or base64 blob is not a token).
_WORD = "A-Za-z0-9_"

Validator = Callable[[str], bool]
#: Vetoes a regex match by its groups and the scanned file's path (``None`` when the
#: text has no file): e.g. an unquoted value is code in Python but a value in INI.
MatchCheck = Callable[[re.Match[str], str | None], bool]

#: How far around a keyword hit an :func:`assignment` match can reach: the key's
#: remaining identifier (40), separators and quotes (about 20), and a value of at most
#: a few hundred characters.
ASSIGNMENT_WINDOW = 400


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretRule:
    """What one kind of secret looks like, and how it is documented.

    ``keywords`` are lowercase literals; the rule's regex runs only on files that
    contain at least one of them (an empty tuple means "always run": keep those few,
    they cost a regex pass over every file). ``entropy`` is a Shannon floor in bits
    per character on the secret value. ``allowlist`` regexes and ``stopwords``
    (lowercase substrings) reject a candidate secret. ``placeholder_check`` rejects
    values that look like documentation (``xxxx``, ``<token>``, ``${VAR}``, long runs
    of one character). ``validator`` confirms structure a regex cannot (a JWT header
    that decodes to JSON). ``specificity`` breaks ties between overlapping matches:
    the higher wins, so a GitHub token inside ``token = "..."`` is reported as a
    GitHub token and not as a generic assignment. ``span_match`` makes the finding
    cover the whole match (a private-key block) instead of only the secret group.
    ``context_reject`` vetoes a match by the dozen characters before it (``public``
    before ``token``). ``window`` (characters) makes the engine run the regex only
    from 80 characters before each keyword hit (the keyword sits near the start of a
    match; ``window_back`` for rules whose keyword ends the match) to ``window`` after
    it, instead of over the whole file: for rules whose keyword sits
    inside every match and whose regex has no literal prefix to skip ahead with
    (assignments such as ``DATADOG_API_KEY = ...``), which are otherwise the slowest.
    """

    id: str
    title: str
    severity: Severity
    keywords: tuple[str, ...]
    pattern: re.Pattern[str]
    description: str = ""
    entropy: float | None = None
    allowlist: tuple[re.Pattern[str], ...] = ()
    stopwords: tuple[str, ...] = ()
    placeholder_check: bool = True
    validator: Validator | None = None
    specificity: int = 0
    span_match: bool = False
    context_reject: re.Pattern[str] | None = None
    window: int | None = None
    window_back: int = 80
    match_check: MatchCheck | None = None
    #: For a keyword-less rule: RE2 regexes (matched case-insensitively) that must occur
    #: for the rule to run, checked in the prefilter's single pass. Without RE2 the rule
    #: runs on every text.
    prefilter_patterns: tuple[str, ...] = ()
    peers: Mapping[str, str] = field(default_factory=dict)
    references: tuple[str, ...] = ()
    remediation: str = ""
    tags: tuple[str, ...] = ()
    #: Derived: ``pattern`` without its leading left-fence lookbehind, and that fence.
    #: A regex that starts with a literal (``ghp_``) lets ``re`` skip ahead with a fast
    #: string search; a leading lookbehind forces a try at every offset (about 40x
    #: slower), so the engine searches with ``search_pattern`` and checks the fence itself.
    search_pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    left_fence: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        search, fence = _split_left_fence(self.pattern)
        object.__setattr__(self, "search_pattern", search)
        object.__setattr__(self, "left_fence", fence)
        if SECRET_GROUP not in self.pattern.groupindex:
            raise ValueError(f"{self.id}: pattern has no named group {SECRET_GROUP!r}")
        if self.prefilter_patterns and self.keywords:
            raise ValueError(f"{self.id}: prefilter patterns are for keyword-less rules")
        if any(k != k.lower() or not k for k in self.keywords):
            raise ValueError(f"{self.id}: keywords must be non-empty lowercase literals")
        if not self.id.startswith("SECRET-"):
            raise ValueError(f"{self.id}: secret rule ids start with SECRET-")

    def to_rule(self) -> Rule:
        """The core Rule that reports, SARIF and the docs page are built from."""
        return Rule(
            id=self.id,
            kind=FindingKind.SECRET,
            title=self.title,
            severity=self.severity,
            description=self.description or f"{self.title} committed in a file.",
            remediation=self.remediation or DEFAULT_REMEDIATION,
            references=self.references,
            peers=dict(self.peers),
            tags=("secret", *self.tags),
        )


DEFAULT_REMEDIATION = (
    "Revoke the credential at its provider and issue a new one; remove it from the file "
    "and from history, and load it at run time from a secret store or the environment."
)


_FENCE_PREFIX = "(?<!["


def _split_left_fence(pattern: re.Pattern[str]) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """Split ``(?<![F])rest`` (as written by :func:`token`) into ``rest`` and ``[F]``."""
    source = pattern.pattern
    if not source.startswith(_FENCE_PREFIX):
        return pattern, None
    close = source.index("])", len(_FENCE_PREFIX))
    fence = source[len(_FENCE_PREFIX) - 1 : close + 1]
    return re.compile(source[close + 2 :], pattern.flags), re.compile(fence)


def token(body: str, *, fence: str = _WORD, flags: int = 0) -> re.Pattern[str]:
    """A self-identifying token (a fixed prefix and a body) standing alone.

    ``body`` is the whole token regex, usually a literal prefix and a bounded class;
    it becomes the ``secret`` group, fenced on both sides so a token embedded in a
    longer identifier or blob does not match (``fence`` is the character class that
    may not touch it). Bounded classes keep every pattern linear: there is no nested
    quantifier to backtrack over.
    """
    # "=" ends an assignment, so it may precede a token even where it may not follow.
    left = fence.replace("=", "")
    return re.compile(
        rf"(?<![{left}])(?P<{SECRET_GROUP}>{body})(?![{fence}])",
        flags,
    )


def assignment(names: str, value: str, *, max_gap: int = 40) -> re.Pattern[str]:
    """A value assigned to a name that says what it is: ``DATADOG_API_KEY = "..."``.

    ``names`` is a case-insensitive alternation that must appear in the key (possibly
    inside a longer identifier such as ``my_datadog_key``); ``value`` is the secret's
    own class. Separators cover ``=``, ``:``, ``:=``, ``=>``, ``.=``, YAML, JSON, XML
    elements, Go's ``var name string =``, BNF ``::=``, ``setProperty("NAME", "value")``,
    shell ``export``, and quoted keys. ``max_gap`` bounds the rest of the identifier so the
    regex stays linear.
    """
    return re.compile(
        rf"(?i:{names})[\w.\-]{{0,{max_gap}}}[\"'\]>]?"
        rf"(?:\s{{1,4}}(?:string|str|String)\b)?"
        rf"\s{{0,4}}(?::{{1,3}}=|=>|\.=|\?=|[:=>,]|\s)\s{{0,8}}"
        rf"[\"'`]?(?P<{SECRET_GROUP}>{value})(?![{_WORD}])",
    )


def prefixed_rule(
    rule_id: str,
    title: str,
    body: str,
    keywords: tuple[str, ...],
    reference: str,
    *,
    peers: Mapping[str, str] | None = None,
    severity: Severity = Severity.HIGH,
    entropy: float | None = 3.0,
    fence: str = r"\w",
    specificity: int = 0,
    window: int | None = None,
    prefilter_patterns: tuple[str, ...] = (),
) -> SecretRule:
    """A rule for a self-identifying token (a vendor prefix and a body): the common case."""
    return SecretRule(
        id=rule_id,
        title=title,
        severity=severity,
        keywords=keywords,
        pattern=token(body, fence=fence),
        entropy=entropy,
        specificity=specificity,
        window=window,
        prefilter_patterns=prefilter_patterns,
        peers=dict(peers or {}),
        references=(reference,),
    )
