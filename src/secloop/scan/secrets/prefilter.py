"""The keyword prefilter: which rules can match a text, and where their keywords sit.

Profiling the engine on the generated benchmark tree showed 70% of its time in one
place: walking pyahocorasick's automaton (about 33 MB/s; its trie is a dict per node).
RE2's multi-pattern ``Set`` answers the first question (which keywords occur) in one
DFA pass at several hundred MB/s, case-insensitively, so the text is not lowercased
either. The second question (where, for windowed rules) is then answered only for the
few keywords that occurred, with ``str.find`` on the lowercased text.

RE2 comes with the ``runtime`` extra (google-re2). Without it, or for a text RE2
cannot encode (lone surrogates), the Aho-Corasick automaton does both jobs as before;
the two paths report the same candidates (a test holds them to it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ahocorasick

from secloop.scan.secrets.model import SecretRule

try:
    import re2 as _re2
except ImportError:  # pragma: no cover - exercised only without the runtime extra
    _re2 = None

__all__ = ["Candidates", "KeywordPrefilter"]

#: Rule index -> sorted keyword hit ends (last character) for windowed rules, or None
#: when the rule's regex must run over the whole text.
Candidates = dict[int, list[int] | None]


class KeywordPrefilter:
    """Built once per rule table; stateless afterwards (safe to share)."""

    def __init__(self, rules: Sequence[SecretRule], *, use_re2: bool = True) -> None:
        self._rules = tuple(rules)
        owners: dict[str, list[int]] = {}
        for index, rule in enumerate(self._rules):
            for keyword in rule.keywords:
                owners.setdefault(keyword, []).append(index)
        self._keywords = tuple(owners)
        self._owners = tuple(tuple(owners[k]) for k in self._keywords)
        #: (RE2 regex, rule index) for keyword-less rules that name a prefilter pattern:
        #: the same DFA pass decides whether their (whole-text) regex runs at all.
        patterns = [(p, i) for i, r in enumerate(self._rules) for p in r.prefilter_patterns]
        self._set = _build_set(self._keywords, [p for p, _ in patterns]) if use_re2 else None
        self._pattern_owners = tuple(i for _, i in patterns) if self._set is not None else ()
        #: Without RE2 a prefilter pattern cannot run: its rule runs on every text.
        self._always_plain = tuple(i for i, r in enumerate(self._rules) if not r.keywords)
        self._always = tuple(i for i in self._always_plain if i not in set(self._pattern_owners))
        self._automaton = _build_automaton(self._keywords, self._owners)

    @property
    def backend(self) -> str:
        return "re2-set" if self._set is not None else "aho-corasick"

    def candidates(self, text: str) -> Candidates:
        """The rules worth running on ``text`` (see :data:`Candidates`)."""
        if self._set is not None:
            found: Candidates = dict.fromkeys(self._always)
            try:
                matched = self._set.Match(text)
            except UnicodeEncodeError:
                return self._automaton_candidates(text, dict.fromkeys(self._always_plain))
            if matched:
                self._set_candidates(text, matched, found)
            return found
        found = dict.fromkeys(self._always_plain)
        if not self._keywords:
            return found
        return self._automaton_candidates(text, found)

    def _set_candidates(self, text: str, matched: list[int], found: Candidates) -> None:
        lowered: str | None = None
        keyword_count = len(self._keywords)
        for keyword_index in matched:
            if keyword_index >= keyword_count:  # a prefilter pattern: run the rule everywhere
                found[self._pattern_owners[keyword_index - keyword_count]] = None
                continue
            owners = self._owners[keyword_index]
            windowed = [i for i in owners if self._rules[i].window is not None]
            for index in owners:
                if index not in windowed:
                    found[index] = None
            if not windowed:
                continue
            if lowered is None:
                lowered = text.lower()
            if len(lowered) != len(text):  # offsets unusable: run over the whole text
                found.update(dict.fromkeys(windowed))
                continue
            ends = _ends(lowered, self._keywords[keyword_index])
            for index in windowed:
                hits = found.setdefault(index, [])
                if hits is not None:
                    hits.extend(ends)
        for hits in found.values():
            if hits is not None:
                hits.sort()

    def _automaton_candidates(self, text: str, found: Candidates) -> Candidates:
        lowered = text.lower()
        aligned = len(lowered) == len(text)
        for end, indexes in self._automaton.iter(lowered):
            for index in indexes:
                if aligned and self._rules[index].window is not None:
                    hits = found.setdefault(index, [])
                    if hits is not None:
                        hits.append(end)
                else:
                    found[index] = None
        return found


def _ends(text: str, keyword: str) -> list[int]:
    """Index of the last character of every occurrence (Aho-Corasick's convention)."""
    ends: list[int] = []
    step = len(keyword) - 1
    at = text.find(keyword)
    while at >= 0:
        ends.append(at + step)
        at = text.find(keyword, at + 1)
    return ends


def _build_set(keywords: Sequence[str], patterns: Sequence[str] = ()) -> Any:
    """One case-insensitive RE2 set: the keywords (indexes first) then the patterns."""
    if _re2 is None or not (keywords or patterns):
        return None
    options = _re2.Options()
    options.case_sensitive = False
    keyword_set = _re2.Set.SearchSet(options)
    for keyword in keywords:
        keyword_set.Add(_re2.escape(keyword))
    for pattern in patterns:
        keyword_set.Add(pattern)
    keyword_set.Compile()
    return keyword_set


def _build_automaton(keywords: Sequence[str], owners: Sequence[tuple[int, ...]]) -> Any:
    automaton = ahocorasick.Automaton()
    for keyword, indexes in zip(keywords, owners, strict=True):
        automaton.add_word(keyword, indexes)
    if keywords:
        automaton.make_automaton()
    return automaton
