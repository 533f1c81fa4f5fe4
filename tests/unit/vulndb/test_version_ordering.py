"""Every comparison in osv-version-ordering, both directions, for all 15 ecosystems.

The files were generated from each ecosystem's reference implementation (``packaging``,
``dpkg --compare-versions``, ``apk version -t``, Maven's ComparableVersion, PHP,
``Gem::Version``, R) plus hand-written edge cases; the assertion is zero disagreements.
"""

from __future__ import annotations

import json

import pytest

from secloop.vulndb.versions import comparator_for, supported_ecosystems
from tests.conftest import CORPUS_ROOT, corpus_path

_OPS = {"<": -1, "=": 0, ">": 1}
_ROOT = CORPUS_ROOT / "osv-version-ordering"


def _cases() -> list[tuple[str, str]]:
    mapping = _ROOT / "ecosystems.json"
    if not mapping.exists():
        return []
    files = json.loads(mapping.read_text())
    return [(f, e) for f, ecosystems in files.items() if not f.startswith("_") for e in ecosystems]


def _comparisons(name: str) -> list[tuple[str, int, str]]:
    lines = corpus_path("osv-version-ordering", name).read_text(encoding="utf-8").splitlines()
    parsed = []
    for line in lines:
        if not line or line.startswith(("# ", "// ")):
            continue
        parts = line.split(" ")
        if len(parts) == 3:
            parsed.append((parts[0], _OPS[parts[1]], parts[2]))
    return parsed


@pytest.mark.parametrize(("name", "ecosystem"), _cases(), ids=str)
def test_every_comparison_agrees_in_both_directions(name: str, ecosystem: str) -> None:
    compare = comparator_for(ecosystem)
    comparisons = _comparisons(name)
    disagreements = [
        f"{a} {op} {b}: got {compare(a, b)} / {compare(b, a)}"
        for a, op, b in comparisons
        if compare(a, b) != op or compare(b, a) != -op
    ]
    assert comparisons
    assert disagreements == []


def test_the_corpus_covers_fifteen_ecosystems() -> None:
    covered = {e for _, e in _cases()}
    if not covered:
        pytest.skip("osv-version-ordering corpus not available")
    assert len(covered) == 15
    assert covered <= set(supported_ecosystems())


def test_release_suffixes_share_their_distribution_scheme() -> None:
    assert comparator_for("Debian:12")("1.0-1", "1.0-1~deb12u1") == 1
    assert comparator_for("Alpine:v3.18")("1.0-r1", "1.0-r0") == 1


def test_an_unknown_ecosystem_is_an_error_not_a_guess() -> None:
    from secloop.vulndb.errors import UnknownEcosystemError

    with pytest.raises(UnknownEcosystemError, match="ConanCenter"):
        comparator_for("ConanCenter")
