"""End-of-life dates of distribution releases, for the end-of-life image check.

A small, dated table: it needs an update whenever a vendor announces or moves a date
(review it with each secloop release; ``TABLE_REVIEWED`` says when it last was). Dates
are the end of the vendor's free security support, as published at the references:
Debian LTS (https://wiki.debian.org/LTS), Ubuntu standard support, not paid ESM
(https://ubuntu.com/about/release-cycle), Alpine's two-year branch support
(https://alpinelinux.org/releases/), RHEL maintenance support
(https://access.redhat.com/support/policy/updates/errata), which Rocky Linux and
AlmaLinux follow. A release older than the oldest one listed is end of life too.
"""

from __future__ import annotations

from datetime import date

from secloop.core.result import OperatingSystem

__all__ = ["END_OF_LIFE", "TABLE_REVIEWED", "end_of_life", "release_key"]

TABLE_REVIEWED = date(2026, 11, 28)

#: family (os-release ID) -> release (major, or major.minor) -> last supported day.
END_OF_LIFE: dict[str, dict[str, date]] = {
    "debian": {
        "8": date(2020, 6, 30),
        "9": date(2022, 6, 30),
        "10": date(2024, 6, 30),
        "11": date(2026, 8, 31),
        "12": date(2028, 6, 30),
        "13": date(2030, 6, 30),
    },
    "ubuntu": {
        "16.04": date(2021, 4, 30),
        "18.04": date(2023, 5, 31),
        "20.04": date(2025, 5, 31),
        "22.04": date(2027, 6, 30),
        "24.04": date(2029, 5, 31),
    },
    "alpine": {
        "3.15": date(2023, 11, 1),
        "3.16": date(2024, 5, 23),
        "3.17": date(2024, 11, 22),
        "3.18": date(2025, 5, 9),
        "3.19": date(2025, 11, 1),
        "3.20": date(2026, 4, 1),
        "3.21": date(2026, 11, 1),
        "3.22": date(2027, 5, 1),
    },
    "rhel": {"7": date(2024, 6, 30), "8": date(2029, 5, 31), "9": date(2032, 5, 31)},
}
END_OF_LIFE["rocky"] = END_OF_LIFE["rhel"]
END_OF_LIFE["almalinux"] = END_OF_LIFE["rhel"]

#: Families whose table keys are major.minor (point releases are separate releases).
_MINOR_KEYED = frozenset({"ubuntu", "alpine"})


def release_key(family: str, version: str) -> str:
    """The table key of a VERSION_ID: ``12.4`` -> ``12``; ``3.20.1`` -> ``3.20``."""
    parts = version.split(":", 1)[0].split(".")
    return ".".join(parts[:2]) if family in _MINOR_KEYED else parts[0]


def _numbers(key: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(p) for p in key.split("."))
    except ValueError:
        return None


def end_of_life(os: OperatingSystem | None) -> tuple[str, date | None] | None:
    """``(release, last day)`` for a listed release, ``(release, None)`` for one older
    than every listed release, None when the table cannot say (unknown family,
    no version, or newer than the table)."""
    if os is None or not os.version or os.family not in END_OF_LIFE:
        return None
    table = END_OF_LIFE[os.family]
    key = release_key(os.family, os.version)
    if key in table:
        return key, table[key]
    wanted = _numbers(key)
    oldest = min((n for n in map(_numbers, table) if n is not None), default=None)
    if wanted is not None and oldest is not None and wanted < oldest:
        return key, None
    return None
