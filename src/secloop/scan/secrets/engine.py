"""The secrets engine: one pass of a keyword automaton, then only the regexes that can match.

Steps for one file (numbered ``# (n)`` in :meth:`SecretEngine.scan`):

1. Cap line length: a line longer than ``max_line_chars`` (minified bundles, data
   URIs) is scanned only up to the cap, so one pathological line costs bounded time.
   Line numbers and columns stay exact because only line *tails* are cut.
2. Find which rules' keywords occur, case-insensitively, in one pass over the text
   (:mod:`.prefilter`: an RE2 keyword set, or an Aho-Corasick automaton over the
   lowercased text when RE2 is not installed); those rules (plus the few keyword-less
   ones) are the candidates. Most files trigger a handful of rules out of 130.
3. Run each candidate's regex; keep a match only if it passes the rule's filters
   (placeholders, stop-words, allowlist, entropy floor, structural validator).
4. Drop overlapping matches, keeping the most specific rule (a GitHub token inside
   ``token = "..."`` is a GitHub token, not a generic assignment).
5. Build findings: line and column from offsets (bisect over line starts), the secret
   **masked** in the message and evidence, and an anchor of rule id + SHA-256 of the
   value, so the fingerprint survives edits and line moves.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

from secloop.core.finding import Finding, FindingKind
from secloop.core.location import LayerRef, Location
from secloop.scan.secrets.filters import is_placeholder, shannon_entropy
from secloop.scan.secrets.model import DEFAULT_REMEDIATION, SECRET_GROUP, SecretRule
from secloop.scan.secrets.prefilter import KeywordPrefilter
from secloop.scan.secrets.rules import ALL_RULES

__all__ = ["DEFAULT_MAX_LINE_CHARS", "SCANNER_NAME", "SecretEngine", "default_engine", "mask"]

SCANNER_NAME = "secret"
#: Lines longer than this are scanned only up to it (step 1).
DEFAULT_MAX_LINE_CHARS = 64 * 1024
#: Evidence shows at most this many characters of context on each side of a secret.
_EVIDENCE_CONTEXT = 60
_MASK = "****"
#: The same line breaks as ``str.splitlines``, so line numbers agree with FileContent.lines
#: (which inline suppressions index into).
_LINE_BREAK = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def mask(secret: str) -> str:
    """At most the first four characters, and never more than a quarter of the value."""
    return secret[: min(4, len(secret) // 4)] + _MASK


@dataclass(frozen=True, slots=True)
class _Match:
    """One accepted candidate; ``start``/``end`` is the reported span."""

    rule: SecretRule
    order: int
    secret: str
    secret_start: int
    secret_end: int
    start: int
    end: int


class _Lines:
    """Offsets to 1-based lines and columns, built only for files that have findings."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts = [0, *(m.end() for m in _LINE_BREAK.finditer(text))]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)

    def column_of(self, offset: int) -> int:
        return offset - self._starts[self.line_of(offset) - 1] + 1

    def bounds(self, line: int) -> tuple[int, int]:
        """Start and end offsets of a 1-based line, without its line break."""
        start = self._starts[line - 1]
        end = self._starts[line] if line < len(self._starts) else len(self._text)
        while end > start and self._text[end - 1] in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029":
            end -= 1
        return start, end


class SecretEngine:
    """Runs a fixed rule table over texts. Stateless after construction; share one instance."""

    def __init__(
        self,
        rules: Sequence[SecretRule] = ALL_RULES,
        *,
        max_line_chars: int = DEFAULT_MAX_LINE_CHARS,
        use_re2: bool = True,
    ) -> None:
        self.rules = tuple(rules)
        self.max_line_chars = max_line_chars
        self._prefilter = KeywordPrefilter(self.rules, use_re2=use_re2)

    def scan(
        self, text: str, *, path: str | None = None, layer: LayerRef | None = None
    ) -> list[Finding]:
        """Every secret in ``text``, masked, in order of position."""
        return [finding for finding, _ in self.scan_secrets(text, path=path, layer=layer)]

    def scan_secrets(
        self, text: str, *, path: str | None = None, layer: LayerRef | None = None
    ) -> list[tuple[Finding, str]]:
        """Like :meth:`scan`, each finding with its clear secret, for an opt-in liveness
        check (:mod:`.verify`). The secret must not leave the process in any other way."""
        text = self._cap_lines(text)  # (1)
        candidates = self._candidate_rules(text)  # (2)
        if not candidates:
            return []
        matches = list(self._matches(text, candidates, path))  # (3)
        if not matches:
            return []
        kept = _drop_overlaps(matches)  # (4)
        lines = _Lines(text)
        spans = _Spans(sorted(kept, key=lambda m: m.secret_start))
        return [
            (_finding(m, text, lines, spans, path=path, layer=layer), m.secret)  # (5)
            for m in kept
        ]

    def overlong_lines(self, text: str) -> list[int]:
        """1-based numbers of the lines longer than ``max_line_chars`` (scanned only up
        to it); free for the usual file, shorter than the cap as a whole."""
        cap = self.max_line_chars
        if len(text) <= cap:
            return []
        return [n for n, line in enumerate(text.split("\n"), start=1) if len(line) > cap]

    def _cap_lines(self, text: str) -> str:
        cap = self.max_line_chars
        if len(text) <= cap:
            return text
        lines = text.split("\n")
        if all(len(line) <= cap for line in lines):
            return text
        return "\n".join(line[:cap] for line in lines)

    def _candidate_rules(self, text: str) -> dict[int, list[int] | None]:
        """Rule index -> keyword hit ends for windowed rules, None for a whole-text run."""
        return self._prefilter.candidates(text)

    def _raw_matches(
        self, rule: SecretRule, text: str, hits: list[int] | None
    ) -> Iterator[re.Match[str]]:
        """Regex matches over the whole text, or only around the keyword hits."""
        if hits is None or rule.window is None:
            yield from rule.search_pattern.finditer(text)
        elif rule.window_back <= _MAX_START_PROBES and len(hits) <= _MAX_PROBED_HITS:
            yield from _probed_matches(rule, text, hits)
        else:
            yield from _windowed_matches(rule, text, hits)

    def _matches(
        self, text: str, candidates: dict[int, list[int] | None], path: str | None
    ) -> Iterator[_Match]:
        for index, hits in sorted(candidates.items()):
            rule = self.rules[index]
            for match in self._raw_matches(rule, text, hits):
                if not _context_ok(rule, text, match.start()):
                    continue
                if rule.match_check is not None and not rule.match_check(match, path):
                    continue
                secret = match.group(SECRET_GROUP)
                if secret is None or not secret_accepted(rule, secret):
                    continue
                s_start, s_end = match.span(SECRET_GROUP)
                start, end = match.span() if rule.span_match else (s_start, s_end)
                yield _Match(rule, index, secret, s_start, s_end, start, end)


#: A windowed rule whose match starts at most this many characters before its keyword's
#: end is tried offset by offset over that short stretch (see :func:`_probed_matches`).
_MAX_START_PROBES = 64
#: Past this many keyword hits in one text (a dense or hostile file), probing costs a
#: Python call per offset; one search over the merged windows runs in C instead.
_MAX_PROBED_HITS = 32


def _full_extent(
    pattern: re.Pattern[str], text: str, match: re.Match[str], hi: int
) -> re.Match[str] | None:
    """A window's end truncates the string the regex sees: a match that reaches it is
    redone on the full text to get its true extent and right-hand fence."""
    if hi < len(text) and match.end() >= hi - 1:
        return pattern.match(text, match.start())
    return match


def _probed_matches(rule: SecretRule, text: str, hits: list[int]) -> Iterator[re.Match[str]]:
    """Matches that start in the ``window_back`` characters before each keyword's end.

    The keyword sits in the key near the start of the match, so only those offsets can
    start one. A search over the whole window would try every offset up to its far
    end (hundreds, each costly for an assignment regex); probing the few dozen that
    can start a match, most failing at their first character, is several times faster.
    """
    pattern = rule.search_pattern
    reach = rule.window or 0
    cursor = 0
    for end in hits:
        if end < cursor:  # the keyword sits inside the previous match
            continue
        hi = min(len(text), end + reach)
        for start in range(max(cursor, end - rule.window_back), end + 1):
            match = pattern.match(text, start, hi)
            if match is None:
                continue
            full = _full_extent(pattern, text, match, hi)
            if full is not None:
                cursor = full.end()
                yield full
            break


def _windowed_matches(rule: SecretRule, text: str, hits: list[int]) -> Iterator[re.Match[str]]:
    """Matches searched in merged windows around the keyword hits (``window_back``
    before, ``window`` after): for rules whose keyword sits far into the match."""
    pattern = rule.search_pattern
    reach = rule.window or 0
    spans: list[tuple[int, int]] = []
    for end in hits:
        lo, hi = max(0, end - rule.window_back), min(len(text), end + reach)
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], hi)
        else:
            spans.append((lo, hi))
    for lo, hi in spans:
        for match in pattern.finditer(text, lo, hi):
            full = _full_extent(pattern, text, match, hi)
            if full is not None:
                yield full


def _context_ok(rule: SecretRule, text: str, start: int) -> bool:
    """The left fence (no word character glued to the token) and the rule's context veto."""
    if start > 0 and rule.left_fence is not None and rule.left_fence.match(text, start - 1):
        return False
    veto = rule.context_reject
    return veto is None or veto.search(text, max(0, start - 12), start) is None


def secret_accepted(rule: SecretRule, secret: str) -> bool:
    """Step (3)'s filters, cheapest first; public so tests can probe one rule's filters."""
    if rule.placeholder_check and is_placeholder(secret):
        return False
    if rule.stopwords:
        lowered = secret.lower()
        if any(word in lowered for word in rule.stopwords):
            return False
    if any(allow.search(secret) for allow in rule.allowlist):
        return False
    if rule.entropy is not None and shannon_entropy(secret) < rule.entropy:
        return False
    return rule.validator is None or rule.validator(secret)


def _drop_overlaps(matches: list[_Match]) -> list[_Match]:
    """Step (4): greedy by specificity, then earliest, then longest; result by position."""
    ranked = sorted(
        matches,
        key=lambda m: (-m.rule.specificity, m.secret_start, m.secret_start - m.secret_end, m.order),
    )
    starts: list[int] = []
    ends: list[int] = []
    kept: list[_Match] = []
    for match in ranked:
        slot = bisect.bisect_left(starts, match.secret_start)
        if slot > 0 and ends[slot - 1] > match.secret_start:
            continue
        if slot < len(starts) and starts[slot] < match.secret_end:
            continue
        starts.insert(slot, match.secret_start)
        ends.insert(slot, match.secret_end)
        kept.append(match)
    kept.sort(key=lambda m: (m.start, m.order))
    return kept


class _Spans:
    """Kept matches by secret position. Secrets do not overlap each other, so sorted by
    start they are sorted by end too, and bisect finds those on a line in log time."""

    def __init__(self, by_start: list[_Match]) -> None:
        self._matches = by_start
        self._ends = [m.secret_end for m in by_start]

    def overlapping(self, start: int, end: int) -> list[_Match]:
        found: list[_Match] = []
        for match in self._matches[bisect.bisect_right(self._ends, start) :]:
            if match.secret_start >= end:
                break
            found.append(match)
        return found


def _masked_line(text: str, lines: _Lines, line: int, spans: _Spans) -> str:
    """The line with every secret on it masked, trimmed around the first one."""
    start, end = lines.bounds(line)
    secrets = spans.overlapping(start, end)
    pieces: list[str] = []
    cursor = start
    first_secret_at: int | None = None
    for match in secrets:
        lo, hi = max(match.secret_start, start), min(match.secret_end, end)
        if lo >= hi or lo < cursor:
            continue
        pieces.append(text[cursor:lo])
        if first_secret_at is None:
            first_secret_at = sum(len(p) for p in pieces)
        pieces.append(mask(match.secret) if lo == match.secret_start else _MASK)
        cursor = hi
    pieces.append(text[cursor:end])
    shown = "".join(pieces)
    for match in secrets:  # a second, unmatched copy of a secret on the same line
        if len(match.secret) >= 4 and match.secret in shown:
            shown = shown.replace(match.secret, mask(match.secret))
    anchor = first_secret_at or 0
    lo = max(0, anchor - _EVIDENCE_CONTEXT)
    hi = anchor + len(_MASK) + 4 + _EVIDENCE_CONTEXT
    trimmed = shown[lo:hi]
    prefix = "…" if lo > 0 else ""
    suffix = "…" if hi < len(shown) else ""
    return f"{prefix}{trimmed}{suffix}".strip()


def _finding(
    match: _Match,
    text: str,
    lines: _Lines,
    spans: _Spans,
    *,
    path: str | None,
    layer: LayerRef | None,
) -> Finding:
    rule = match.rule
    start_line = lines.line_of(match.start)
    end_line = lines.line_of(max(match.start, match.end - 1))
    evidence_line = lines.line_of(match.secret_start if not rule.span_match else match.start)
    digest = hashlib.sha256(match.secret.encode("utf-8")).hexdigest()
    return Finding(
        kind=FindingKind.SECRET,
        rule_id=rule.id,
        severity=rule.severity,
        title=rule.title,
        message=f"{rule.title} ({mask(match.secret)}) committed in the file",
        location=Location(
            path=path,
            start_line=start_line,
            end_line=end_line,
            start_column=lines.column_of(match.start),
            end_column=lines.column_of(max(match.start, match.end - 1)) + 1,
            layer=layer,
        ),
        scanner=SCANNER_NAME,
        anchor=f"{rule.id}:sha256:{digest}",
        evidence=_masked_line(text, lines, evidence_line, spans),
        remediation=rule.remediation or DEFAULT_REMEDIATION,
        references=rule.references,
    )


@cache
def default_engine() -> SecretEngine:
    """The engine over every shipped rule, built once per process (the automaton is shared)."""
    return SecretEngine()
