"""Maven: the ordering of ``org.apache.maven.artifact.versioning.ComparableVersion``.

A version (case-insensitive) parses into nested lists: ``.`` separates items in one
list, ``-`` and every digit/letter transition open a sub-list. Items are integers or
qualifiers; trailing "null" items (0, ``ga``/``final``/``release``, empty lists) are
dropped so that ``1 = 1.0 = 1-ga``. Known qualifiers order
``alpha < beta < milestone < rc = cr < snapshot < "" (release) < sp``; unknown ones come
after them, alphabetically. ``a``, ``b``, ``m`` directly followed by a digit mean alpha,
beta, milestone. Cross-type rules: a number beats a qualifier and a list; a list beats
a qualifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from secloop.vulndb.versions._util import cmp

__all__ = ["compare"]

_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}
_RELEASE_RANK = str(_QUALIFIERS.index(""))


@dataclass(frozen=True, slots=True)
class _Qualifier:
    value: str

    @property
    def rank(self) -> str:
        """Known qualifiers by position, unknown ones after them by name."""
        if self.value in _QUALIFIERS:
            return str(_QUALIFIERS.index(self.value))
        return f"{len(_QUALIFIERS)}-{self.value}"


@dataclass(slots=True)
class _List:
    items: list[Item] = field(default_factory=list)


Item = int | _Qualifier | _List


def _is_null(item: Item) -> bool:
    if isinstance(item, int):
        return item == 0
    if isinstance(item, _Qualifier):
        return item.value == ""
    return not item.items


def _normalize(node: _List) -> None:
    """Drop trailing null items, looking past non-empty sub-lists.

    A sub-list left holding only another list (``1-ga-1`` after ``ga`` is dropped) is
    replaced by that list: the Maven version order specification trims nulls "at each
    remaining hyphen", which makes ``1-ga-1`` equal ``1-1``.
    """
    for index in range(len(node.items) - 1, -1, -1):
        item = node.items[index]
        if _is_null(item):
            del node.items[index]
        elif not isinstance(item, _List):
            break
    for index, item in enumerate(node.items):
        if isinstance(item, _List) and len(item.items) == 1 and isinstance(item.items[0], _List):
            node.items[index] = item.items[0]


def _make_item(text: str, *, digits: bool, followed_by_digit: bool = False) -> Item:
    if digits:
        return int(text)
    if followed_by_digit and len(text) == 1:
        text = _SHORT.get(text, text)
    return _Qualifier(_ALIASES.get(text, text))


@dataclass(slots=True)
class _Parser:
    root: _List = field(default_factory=_List)
    stack: list[_List] = field(default_factory=list)
    current: _List = field(init=False)

    def __post_init__(self) -> None:
        self.current = self.root
        self.stack.append(self.root)

    def push(self) -> None:
        sub = _List()
        self.current.items.append(sub)
        self.current = sub
        self.stack.append(sub)


@lru_cache(maxsize=65536)
def _parse(text: str) -> _List:
    version = text.strip().lower()
    parser = _Parser()
    digits, start = False, 0
    for index, char in enumerate(version):
        if char in ".-":
            piece = version[start:index]
            parser.current.items.append(_make_item(piece, digits=digits) if piece else 0)
            start = index + 1
            if char == "-":
                parser.push()
        elif char.isdigit():
            if not digits and index > start:
                piece = version[start:index]
                parser.current.items.append(_make_item(piece, digits=False, followed_by_digit=True))
                start = index
                parser.push()
            digits = True
        else:
            if digits and index > start:
                parser.current.items.append(int(version[start:index]))
                start = index
                parser.push()
            digits = False
    if len(version) > start:
        parser.current.items.append(_make_item(version[start:], digits=digits))
    for node in reversed(parser.stack):
        _normalize(node)
    return parser.root


def _compare_to_null(item: Item) -> int:
    if isinstance(item, int):
        return 1 if item else 0
    if isinstance(item, _Qualifier):
        return cmp(item.rank, _RELEASE_RANK)
    return _compare_to_null(item.items[0]) if item.items else 0


# Cross-type order: qualifier < list < number (the value of each pair is left vs right).
_TYPE_RANK = {_Qualifier: 0, _List: 1, int: 2}


def _compare(left: Item, right: Item | None) -> int:
    if right is None:
        return _compare_to_null(left)
    if type(left) is not type(right):
        return cmp(_TYPE_RANK[type(left)], _TYPE_RANK[type(right)])
    if isinstance(left, int) and isinstance(right, int):
        return cmp(left, right)
    if isinstance(left, _Qualifier) and isinstance(right, _Qualifier):
        return cmp(left.rank, right.rank)
    if isinstance(left, _List) and isinstance(right, _List):
        return _compare_lists(left, right)
    raise AssertionError("unreachable: item types were compared above")


def _compare_lists(left: _List, right: _List) -> int:
    for index in range(max(len(left.items), len(right.items))):
        a = left.items[index] if index < len(left.items) else None
        b = right.items[index] if index < len(right.items) else None
        result = _compare(a, b) if a is not None else (0 if b is None else -_compare(b, None))
        if result:
            return result
    return 0


def compare(left: str, right: str) -> int:
    return _compare_lists(_parse(left), _parse(right))
