"""Slow aggregate reads are reused for a while; fast ones never are."""

from __future__ import annotations

from secloop.server.storage.readcache import SlowReadCache


class _Clock:
    """A clock the test moves: each computation "takes" ``cost`` seconds."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _computation(clock: _Clock, cost: float, results: list[int]) -> int:
    clock.now += cost
    results.append(len(results) + 1)
    return results[-1]


def test_a_slow_result_is_reused_until_it_expires() -> None:
    clock = _Clock()
    cache = SlowReadCache(slow_seconds=0.1, reuse_seconds=15.0, clock=clock)
    calls: list[int] = []
    assert cache.get("k", lambda: _computation(clock, 0.5, calls)) == 1
    clock.now += 10
    assert cache.get("k", lambda: _computation(clock, 0.5, calls)) == 1  # reused
    assert cache.get("other", lambda: _computation(clock, 0.5, calls)) == 2  # per key
    clock.now += 10  # 15 s after the first result was stored
    assert cache.get("k", lambda: _computation(clock, 0.5, calls)) == 3
    assert calls == [1, 2, 3]


def test_a_fast_result_is_never_reused_and_ends_reuse() -> None:
    clock = _Clock()
    cache = SlowReadCache(slow_seconds=0.1, reuse_seconds=15.0, clock=clock)
    calls: list[int] = []
    assert cache.get("k", lambda: _computation(clock, 0.01, calls)) == 1
    assert cache.get("k", lambda: _computation(clock, 0.01, calls)) == 2
    assert cache.get("k", lambda: _computation(clock, 0.2, calls)) == 3  # slow: stored
    clock.now += 20  # expired; now fast again: computed and not stored
    assert cache.get("k", lambda: _computation(clock, 0.01, calls)) == 4
    assert cache.get("k", lambda: _computation(clock, 0.01, calls)) == 5
