"""Version sort keys as order-preserving bytes, for the database's precompiled ranges.

The schemes in :data:`_ENCODABLE` order versions by a key made only of ints, strings
and tuples (:func:`secloop.vulndb.versions.key_for`). :func:`encode` writes such a key
as bytes whose plain lexicographic order (Python ``bytes`` comparison, SQLite's
``memcmp`` on BLOBs) is the key's tuple order, and equal keys as equal bytes. The
database can then store every range of those ecosystems as half-open byte intervals,
compiled once at import, and a scan tests a version with two byte comparisons.

The encoding, each value tagged so that it is self-delimiting (no encoding is a prefix
of another, which makes a tuple's elements compare one by one):

- int ``>= 0``: ``0x02``, its length in bytes, then the big-endian bytes; a longer
  number (no leading zero byte) is a larger one;
- int ``< 0``: ``0x01``, ``255 - length``, then the complement of the magnitude, so a
  larger magnitude sorts lower;
- str: ``0x03``, UTF-8 (code-point order) with ``0x00`` escaped as ``0x00 0xFF``, then
  the terminator ``0x00 0x01``, below every escaped or plain byte: a prefix sorts first;
- tuple: ``0x05``, the elements, then ``0x00``, below every tag: a prefix sorts first.

Tags differ between types, but a key that Python can order never puts an int and a
str at the first position where two keys differ (that comparison would raise), so the
order between tags never decides anything a tuple comparison would not.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from secloop.vulndb.versions import VersionKey, key_for, pep440, pub, semver

__all__ = ["MAX_INT_BYTES", "BinaryKey", "binary_key_for", "encode", "successor"]

BinaryKey = Callable[[str], bytes | None]
MAX_INT_BYTES = 250  # a number longer than this is no version: such keys are refused

_ENCODABLE: frozenset[VersionKey] = frozenset({pep440.sort_key, semver.sort_key, pub.sort_key})
_END = b"\x00"
_STRING_END = b"\x00\x01"


def _int_bytes(value: int) -> bytes:
    magnitude = -value if value < 0 else value
    length = (magnitude.bit_length() + 7) // 8
    if length > MAX_INT_BYTES:
        raise ValueError(f"a number of {length} bytes in a version key")
    if value >= 0:
        return bytes((0x02, length)) + magnitude.to_bytes(length, "big")
    complement = (1 << (8 * length)) - 1 - magnitude
    return bytes((0x01, 255 - length)) + complement.to_bytes(length, "big")


_SMALL_INTS = tuple(_int_bytes(n) for n in range(256))  # most version numbers


def _str_bytes(value: str) -> bytes:
    raw = value.encode("utf-8", "surrogatepass")  # lone surrogates keep their order
    return b"\x03" + raw.replace(b"\x00", b"\x00\xff") + _STRING_END


def _encode(value: object, out: list[bytes]) -> None:
    if isinstance(value, tuple):  # first: this runs for every version at import
        out.append(b"\x05")
        for item in value:
            if type(item) is int and 0 <= item < len(_SMALL_INTS):
                out.append(_SMALL_INTS[item])
            else:
                _encode(item, out)
        out.append(_END)
    elif isinstance(value, int):  # bool included: it orders as 0 and 1, as in tuples
        out.append(_int_bytes(value))
    elif isinstance(value, str):
        out.append(_str_bytes(value))
    else:
        raise TypeError(f"cannot encode {type(value).__name__} in a version key")


def encode(value: object) -> bytes:
    """The order-preserving bytes of a key of ints, strs and tuples (see the module).
    ValueError for an absurdly long number, TypeError for any other type."""
    out: list[bytes] = []
    _encode(value, out)
    return b"".join(out)


def successor(key: bytes) -> bytes:
    """The smallest byte string above ``key``: ``k <= key`` exactly when
    ``k < successor(key)``, which turns closed interval ends into half-open ones."""
    return key + b"\x00"


@lru_cache(maxsize=64)
def _binary(key: VersionKey) -> BinaryKey:
    @lru_cache(maxsize=131072)
    def binary(version: str) -> bytes | None:
        try:
            return encode(key(version))
        except (ValueError, TypeError):
            return None  # the caller evaluates this version the slower, general way

    return binary


def binary_key_for(ecosystem: str) -> BinaryKey | None:
    """For an ecosystem whose order is an encodable key: version -> bytes ordered as
    ``comparator_for(ecosystem)`` (None for a version that cannot be encoded); None
    for any other ecosystem. UnknownEcosystemError as :func:`key_for`."""
    key = key_for(ecosystem)
    return _binary(key) if key in _ENCODABLE else None
