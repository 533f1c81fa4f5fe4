"""JSON in and out of ``secloop detect``: the orjson path gives the stdlib's values and bytes.

Every test runs twice, with orjson (when installed) and with the stdlib fallback
(``jsoncodec.ORJSON`` set to None, as on a base install without the ``runtime`` extra).
"""

from __future__ import annotations

import io
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secloop.runtime import jsoncodec
from secloop.runtime.event import Alert, Priority
from secloop.runtime.outputs.interface import Notice
from secloop.runtime.outputs.stream import LineFormat, StdoutSink, notice_line
from secloop.runtime.sources import SourceLimits
from secloop.runtime.sources.interface import SourceStats
from secloop.runtime.sources.jsonlines import read_json_values

orjson: Any
try:
    import orjson
except ImportError:  # pragma: no cover - the runtime extra is part of the dev install
    orjson = None

PATHS = ["orjson", "stdlib"]


@pytest.fixture(params=PATHS)
def codec_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test through orjson, then through the stdlib fallback."""
    if request.param == "orjson":
        if orjson is None:
            pytest.skip("orjson is not installed (pip install 'secloop[runtime]')")
        monkeypatch.setattr(jsoncodec, "ORJSON", orjson)
    else:
        monkeypatch.setattr(jsoncodec, "ORJSON", None)
    return str(request.param)


def test_the_fallback_really_bypasses_orjson(codec_path: str) -> None:
    assert jsoncodec.using_orjson() is (codec_path == "orjson")


LOADS_CASES = [
    b'{"kind": "Event", "user": {"username": "\\u00e9\\"x"}}',
    b'{"a": 1, "a": 2}',  # the last duplicate wins in both
    b"  [1, 2.5, -0, 1e5, 1.5e-7, true, null]  \n",
    b"123456789012345678901234567890",  # orjson would give a float
    b'{"n": -9223372036854775809}',
    b"18446744073709551615",
    b"NaN",  # the stdlib accepts NaN and Infinity; orjson does not
    b"[Infinity, -Infinity]",
    b"1e400",
    b'"\\ud800"',  # a lone surrogate escape: the stdlib keeps it
    b"\xef\xbb\xbf{}",  # a byte-order mark
    b'{"s": "caf\xc3\xa9 \xf0\x9f\x98\x80"}',
]
BAD_CASES = [b"[1,]", b'{"a":1}x', b"\x00", b"  ", b"{", b'"\xff"']


@pytest.mark.parametrize("data", LOADS_CASES)
def test_loads_returns_what_json_loads_returns(codec_path: str, data: bytes) -> None:
    expected = json.loads(data)
    found = jsoncodec.loads(data)
    assert _same_json(found, expected)


@pytest.mark.parametrize("data", BAD_CASES)
def test_loads_raises_what_json_loads_raises(codec_path: str, data: bytes) -> None:
    with pytest.raises(ValueError) as expected:  # noqa: PT011 - the message is compared below
        json.loads(data)
    with pytest.raises(ValueError) as found:  # noqa: PT011 - the message is compared below
        jsoncodec.loads(data)
    assert type(found.value) is type(expected.value)
    assert str(found.value) == str(expected.value)


def _same_json(left: Any, right: Any) -> bool:
    """Equal values of equal types (1 and 1.0 differ; NaN equals NaN)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, float):
        return left == right or (math.isnan(left) and math.isnan(right))
    if isinstance(left, dict):
        return list(left) == list(right) and all(_same_json(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(_same_json, left, right))
    return bool(left == right)


def _alert(
    *,
    output: str = "user=alice verb=create",
    fields: dict[str, Any] | None = None,
    tags: tuple[str, ...] = ("k8s", "T1098"),
    why: tuple[str, ...] = ("kevt > kcreate: ka.verb in (create) [ka.verb=create]",),
    rule: str = "Create Privileged Pod",
) -> Alert:
    return Alert(
        rule=rule,
        priority=Priority.WARNING,
        output=output,
        time_ns=1_700_000_000_123_456_789,
        fields={"ka.user.name": "alice", "ka.verb": "create"} if fields is None else fields,
        tags=tags,
        source="k8s_audit",
        explanation=why,
    )


def _reference(alert: Alert, repeats: int = 1) -> str:
    """The line as ``secloop detect`` wrote it before orjson: the stdlib on the JSON dict."""
    return json.dumps(Notice(alert, repeats).to_json_dict(), ensure_ascii=False)


TRICKY = [
    "",
    'quote " backslash \\ slash /',
    "newline\n tab\t cr\r bell\x07 nul\x00 esc\x1b del\x7f",
    "caf\u00e9 \u2028 \u2029 \U0001f600 \ufeff",
    ", : ] } [ { ",
    '","',
    "\\",
]
ODD_FIELDS: list[dict[str, Any]] = [
    {},
    {"a": None, "b": True, "c": False, "d": 0, "e": -12, "f": 2**70},
    {"list": ("x", 1, None, True), "empty": (), "as list": ["y"]},
    {"float": 1.5e-7, "inf": math.inf},  # floats: the stdlib formats them
    {"nested": (("a",),)},
    {"object": {"k": "v"}},
    {"lone": "\ud800x"},
    {t: t for t in TRICKY},
]


@pytest.mark.parametrize("fields", ODD_FIELDS, ids=range(len(ODD_FIELDS)))
@pytest.mark.parametrize("repeats", [1, 3])
def test_alert_lines_are_the_stdlib_lines(
    codec_path: str, fields: dict[str, Any], repeats: int
) -> None:
    alert = _alert(fields=fields, output=" | ".join(TRICKY), tags=tuple(TRICKY), why=tuple(TRICKY))
    assert alert.json_line(repeats) == _reference(alert, repeats)
    assert notice_line(Notice(alert, repeats), LineFormat.JSON) == _reference(alert, repeats)


def test_no_reasons_and_no_tags(codec_path: str) -> None:
    alert = _alert(why=(), tags=())
    assert alert.json_line() == _reference(alert)


def test_the_rule_cache_keeps_rules_apart(codec_path: str) -> None:
    first, second = _alert(rule="one"), _alert(rule="two", tags=("other",))
    for alert in (first, second, first):
        assert alert.json_line() == _reference(alert)


def test_every_code_point_is_escaped_as_the_stdlib_does(codec_path: str) -> None:
    text = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    alert = _alert(output=text, fields={"all": text})
    assert alert.json_line() == _reference(alert)


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(), st.floats())
values = st.one_of(scalars, st.lists(scalars, max_size=3).map(tuple))


@settings(max_examples=150, deadline=None)
@given(
    output=st.text(),
    fields=st.dictionaries(st.text(), values, max_size=4),
    tags=st.lists(st.text(), max_size=3),
    why=st.lists(st.text(), max_size=3),
)
def test_any_alert_line_is_the_stdlib_line(
    output: str, fields: dict[str, Any], tags: list[str], why: list[str]
) -> None:
    alert = _alert(output=output, fields=fields, tags=tuple(tags), why=tuple(why))
    expected = _reference(alert)
    saved = jsoncodec.ORJSON
    try:
        for module in (orjson, None):
            jsoncodec.ORJSON = module
            assert alert.json_line() == expected
    finally:
        jsoncodec.ORJSON = saved


def _read(data: bytes) -> tuple[list[tuple[int, Any]], SourceStats]:
    stats = SourceStats()
    values = list(read_json_values(io.BytesIO(data), SourceLimits(), stats))
    return values, stats


def test_json_lines_decode_alike_and_bad_lines_are_counted(codec_path: str) -> None:
    data = b'{"a": 1}\nNaN\n{"b": 99999999999999999999999}\nnot json\n"\xff"\n\n{"c": "\xc3\xa9"}\n'
    values, stats = _read(data)
    assert [n for n, _ in values] == [1, 2, 3, 7]
    assert values[0][1] == {"a": 1}
    assert values[3][1] == {"c": "é"}
    assert values[2][1] == {"b": 99999999999999999999999}
    assert math.isnan(values[1][1])
    assert stats.dropped == 2
    assert stats.reasons == [
        "line 4: not JSON (Expecting value)",
        "line 5: not JSON (not UTF-8 text)",
    ]


def test_a_document_that_is_not_utf8_is_reported(codec_path: str) -> None:
    values, stats = _read(b'[\n{"a": "\xff"}\n]\n')
    assert values == []
    assert stats.reasons == ["input: not JSON (not UTF-8 text)"]


def test_a_replay_hands_stdout_lines_over_in_batches() -> None:
    written: list[str] = []
    sink = StdoutSink(written.append, LineFormat.TEXT, batch_lines=2)
    alerts = [_alert(output=f"n={n}", why=()) for n in range(3)]
    for alert in alerts:
        sink.emit(Notice(alert))
    assert written == ["\n".join(a.to_text() for a in alerts[:2])]
    sink.close()
    assert written[1:] == [alerts[2].to_text()]
    assert sink.stats.delivered == 3
    sink.close()  # nothing left: no empty write
    assert len(written) == 2


def test_a_live_stdout_sink_writes_each_line_at_once() -> None:
    written: list[str] = []
    sink = StdoutSink(written.append)
    sink.emit(Notice(_alert()))
    assert written == [_reference(_alert())]


TIMES = [
    "2018-10-25T14:09:12.581541Z",
    "2018-10-25T14:09:12.581541123456Z",
    "2018-10-25T14:09:12.5Z",
    "2018-10-25t14:09:12.25z",
    "2018-10-25 14:09:12.000001Z",
    "2018-10-25T14:09:12Z",
    "2018-10-25T14:09:12.5+01:00",
    "2018-10-25T14:09:12.5-02:30",
    "2018-10-25T14:09:12.5x7Z",
    "2018-10-25T14:09:12.\u0665Z",  # an Arabic-Indic digit: \\d and int() accept it
    "2018-10-25T14:09:12.Z",
    "2018-02-31T14:09:12.5Z",
]


def test_times_read_through_the_remembered_seconds_are_the_same() -> None:
    from secloop.runtime.sources import jsonlines

    jsonlines._SECONDS.clear()
    first = [jsonlines.parse_rfc3339_ns(text) for text in TIMES]
    assert first[0] == 1_540_476_552_581_541_000
    again = [jsonlines.parse_rfc3339_ns(text) for text in TIMES]  # shortcut now
    assert again == first
    jsonlines._SECONDS.clear()
    for text in reversed(TIMES):  # the other order: a shortcut may serve earlier texts
        jsonlines.parse_rfc3339_ns(text)
    assert [jsonlines.parse_rfc3339_ns(text) for text in TIMES] == first


def test_a_line_that_cannot_be_written_fails_alone_in_its_batch() -> None:
    written: list[str] = []

    def write(text: str) -> None:
        text.encode("utf-8")  # a lone surrogate cannot be: as on a real stdout
        written.append(text)

    sink = StdoutSink(write, LineFormat.TEXT, batch_lines=3)
    for output in ("one", "bad \ud800", "three"):
        sink.emit(Notice(_alert(output=output, why=())))
    assert [line.rsplit(" ", 1)[-1] for line in written] == ["one", "three"]
    assert sink.stats.delivered == 2
    assert sink.stats.failed == 1
    assert sink.stats.reasons[0].startswith("stdout: 'utf-8' codec can't encode")


@pytest.mark.parametrize(
    "number",
    [2**63 - 1, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**19, -(10**19), 1618413530473355000],
)
def test_integers_at_the_64_bit_edges_stay_exact_integers(codec_path: str, number: int) -> None:
    line = json.dumps({"evt.time": number, "pad": "x"}).encode()
    value = jsoncodec.loads(line)
    assert value == json.loads(line)
    assert type(value["evt.time"]) is int
