"""The sans-IO stream decoders: any chunking gives the same rows; bad frames are ProtocolErrors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ksqlpy import InsertError, KsqlServerError, ProtocolError
from ksqlpy._protocol import AckDecoder
from ksqlpy._query_decoders import QueryDecoder, StreamedRowDecoder
from ksqlpy._types import parse_schema

REST_CASES = Path(__file__).resolve().parents[3].parent / "shared" / "ksqldb-tests" / "rest"

DELIMITED = (
    b'{"queryId":"transient_PV_2719453310383459392","columnNames":["USERID","CNT","AMOUNT",'
    b'"TS","TAGS"],"columnTypes":["STRING","BIGINT","DECIMAL(10, 2)","TIMESTAMP",'
    b'"ARRAY<STRING>"]}\n'
    b'["alice",3,12.34,"2024-01-02T10:00:00.000",["a","b"]]\n'
    b'["b\xc3\xa9b",1,0.10,"1970-01-01T00:00:00.001",[]]\n'
    b"[null,null,null,null,null]\n"
)
EXPECTED = [
    ("alice", 3, Decimal("12.34"), datetime(2024, 1, 2, 10, tzinfo=UTC), ["a", "b"]),
    ("b\u00e9b", 1, Decimal("0.10"), datetime(1970, 1, 1, 0, 0, 0, 1000, tzinfo=UTC), []),
    (None, None, None, None, None),
]

STREAMED_ROWS = (
    b'[{"header":{"queryId":"transient_PV_1","schema":"`USERID` STRING, `CNT` BIGINT, '
    b'`AMOUNT` DECIMAL(10, 2), `TS` TIMESTAMP, `TAGS` ARRAY<STRING>"}},\n'
    b'{"row":{"columns":["alice",3,12.34,"2024-01-02T10:00:00.000",["a","b"]]}},\n'
    b'{"row":{"columns":["b\xc3\xa9b",1,0.10,"1970-01-01T00:00:00.001",[]]}},\n'
    b'{"row":{"columns":[null,null,null,null,null]}},\n'
    b'{"finalMessage":"Limit Reached"}]'
)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, start = [], 0
    for point in points:
        pieces.append(data[start:point])
        start = point
    pieces.append(data[start:])
    return pieces


def _decode(decoder: QueryDecoder, pieces: list[bytes]) -> list[Any]:
    rows: list[Any] = []
    for piece in pieces:
        rows.extend(decoder.feed(piece))
    rows.extend(decoder.feed_eof())
    return rows


def test_a_character_cut_between_chunks_that_end_at_newlines_decodes_whole() -> None:
    # A chunk ending at a newline is decoded directly only when no character is held back.
    header, first, second, third = DELIMITED.split(b"\n", 3)
    cut = second.index(b"\xa9")
    pieces = [header + b"\n" + first + b"\n" + second[:cut], second[cut:] + b"\n", third]
    decoder = QueryDecoder()
    assert _decode(decoder, pieces) == EXPECTED
    assert decoder.error is None
    broken = QueryDecoder()
    _decode(broken, [header + b"\n", b'["\xff",1,0.1,null,[]]\n'])
    assert isinstance(broken.error, ProtocolError)
    assert "not UTF-8" in str(broken.error)


@given(st.lists(st.integers(min_value=0), max_size=30))
def test_delimited_stream_gives_the_same_rows_for_any_chunking(cuts: list[int]) -> None:
    decoder = QueryDecoder()
    rows = _decode(decoder, _split(DELIMITED, cuts))
    assert decoder.error is None
    assert rows == EXPECTED
    assert decoder.query_id == "transient_PV_2719453310383459392"
    assert [c.name for c in decoder.columns] == ["USERID", "CNT", "AMOUNT", "TS", "TAGS"]
    assert rows[0]["AMOUNT"] == Decimal("12.34")


MIXED_TAIL = (
    b'["carol",2,1.00,"2024-01-02T10:00:00.000",["c"]]\n'
    b'  ["dave",4,2.50,"2024-01-02T10:00:00.000",[]]\n'  # leading blanks: still a row
    b"\n"
    b'{"someNewMessage":"Limit Reached"}\n'
)


@given(st.lists(st.integers(min_value=0), max_size=30))
def test_rows_then_blank_and_final_lines_read_alike_in_any_chunking(cuts: list[int]) -> None:
    # Chunks of rows only are scanned as one array; others line by line: same rows either way.
    decoder = QueryDecoder()
    rows = _decode(decoder, _split(DELIMITED + MIXED_TAIL, cuts))
    assert decoder.error is None  # the unknown object is skipped, as newer servers may add some
    assert [r[0] for r in rows] == ["alice", "b\u00e9b", None, "carol", "dave"]
    assert rows[4]["AMOUNT"] == Decimal("2.50")


@pytest.mark.parametrize(
    "line",
    [b"[1] [2]", b"[1],[2]", b'"abcdefgh"', b"[1,2", b"[1]x", b"7"],
)
def test_a_bad_line_among_good_rows_is_a_protocol_error_after_the_rows_before_it(
    line: bytes,
) -> None:
    decoder = QueryDecoder()
    good = b'["x",1,1.00,"2024-01-02T10:00:00.000",[]]\n'
    rows = _decode(decoder, [DELIMITED.split(b"\n", 1)[0] + b"\n" + good + line + b"\n" + good])
    assert isinstance(decoder.error, ProtocolError)
    assert [r[0] for r in rows] == ["x"]


@given(st.lists(st.integers(min_value=0), max_size=30))
def test_streamed_row_array_gives_the_same_rows_for_any_chunking(cuts: list[int]) -> None:
    decoder = StreamedRowDecoder()
    rows = _decode(decoder, _split(STREAMED_ROWS, cuts))
    assert decoder.error is None
    assert rows == EXPECTED
    assert decoder.final_message == "Limit Reached"
    assert decoder.complete


def test_one_byte_at_a_time_and_all_at_once_agree() -> None:
    whole = _decode(QueryDecoder(), [DELIMITED])
    bytewise = _decode(QueryDecoder(), [DELIMITED[i : i + 1] for i in range(len(DELIMITED))])
    assert whole == bytewise == EXPECTED


def test_raw_mode_returns_json_arrays_untouched() -> None:
    rows = _decode(QueryDecoder(raw=True), [DELIMITED])
    assert rows[0] == ["alice", 3, 12.34, "2024-01-02T10:00:00.000", ["a", "b"]]


def test_error_inside_a_delimited_stream_comes_after_the_rows_before_it() -> None:
    data = (
        b'{"queryId":"q","columnNames":["A"],"columnTypes":["INTEGER"]}\n[1]\n'
        b'{"@type":"generic_error","error_code":50000,"message":"io.confluent.ksql.util.'
        b'KsqlException: boom"}\n'
    )
    decoder = QueryDecoder()
    rows = _decode(decoder, [data])
    assert rows == [(1,)]
    assert isinstance(decoder.error, KsqlServerError)
    assert decoder.error.error_code == 50000
    assert "boom" in decoder.error.message


def test_error_inside_a_streamed_row_array_with_its_dangling_comma() -> None:
    data = (
        b'[{"header":{"queryId":"q","schema":"`A` INTEGER"}},\n{"row":{"columns":[1]}},\n'
        b'{"errorMessage":{"@type":"generic_error","error_code":50000,"message":"x"}},\n]'
    )
    decoder = StreamedRowDecoder()
    assert _decode(decoder, [data]) == [(1,)]
    assert isinstance(decoder.error, KsqlServerError)
    assert decoder.complete


def test_pull_query_array_without_final_message_and_with_tombstones() -> None:
    data = (
        b'[{"header":{"queryId":"query_1","schema":"`ID` INTEGER KEY, `COUNT` BIGINT"}},\n'
        b'{"row":{"columns":[10,1]}},\n{"row":{"columns":[11,null],"tombstone":true}}]'
    )
    decoder = StreamedRowDecoder()
    rows = _decode(decoder, [data])
    assert rows == [(10, 1), (11, None)]
    assert [r.tombstone for r in rows] == [False, True]
    assert decoder.columns[0].key
    assert decoder.complete
    assert decoder.error is None


def test_tokens_and_unknown_objects_are_skipped() -> None:
    data = (
        b'{"queryId":"q","columnNames":["A"],"columnTypes":["INTEGER"]}\n'
        b'{"continuationToken":"tok"}\n{"somethingNew":1}\n\n[1]\n'
    )
    decoder = QueryDecoder()
    assert _decode(decoder, [data]) == [(1,)]
    assert decoder.continuation_token == "tok"


MALFORMED = [
    b'{"queryId":"q","columnNames":["A"],"columnTypes":["INTEGER"]}\n[1,\n',
    b'{"queryId":"q","columnNames":["A"],"columnTypes":["INTEGER"]}\n[1]]\n',
    b'{"queryId":"q","columnNames":["A"],"columnTypes":["INTEGER"]}\n[1,2]\n',
    b'{"queryId":"q","columnNames":["A"],"columnTypes":["ARRAY<"]}\n',
    b"[1]\n",
    b"<html>502 Bad Gateway</html>\n",
    b'{"queryId":"q","columnNames":["A"],"columnTypes":["INTEGER"]}\n[1]',
    b'{"queryId":"q","columnNames":["A"],"columnTypes":["INTEGER"]}\n["\xff"]\n',
    b"",
]


@pytest.mark.parametrize("data", MALFORMED)
def test_malformed_delimited_streams_give_a_protocol_error(data: bytes) -> None:
    decoder = QueryDecoder()
    _decode(decoder, [data])
    if data.endswith(b"[1]"):  # a last row without its newline is still a whole row
        assert decoder.error is None
        return
    assert isinstance(decoder.error, ProtocolError), data


@given(st.binary(min_size=1, max_size=40), st.lists(st.integers(min_value=0), max_size=5))
@settings(max_examples=200)
def test_garbage_after_the_header_never_raises_only_reports(junk: bytes, cuts: list[int]) -> None:
    header = b'{"queryId":"q","columnNames":["A"],"columnTypes":["DECIMAL(4, 2)"]}\n'
    decoder = QueryDecoder()
    rows = _decode(decoder, _split(header + junk + b"\n", cuts))
    assert decoder.error is not None or all(len(r) == 1 for r in rows)


@pytest.mark.parametrize(
    "data",
    [
        b'[{"header":{"queryId":"q","schema":"`A` INTEGER"}},\n{"row":{"columns":[1]}} x\n',
        b'[{"header":{"queryId":"q","schema":"`A` INTEGER"}},\n{"row":{"columns":1}},\n',
        b'[{"header":{"queryId":"q","schema":"`A` INTEGER"}},\n{"row":',
        b'[{"row":{"columns":[1]}},\n',
    ],
)
def test_malformed_streamed_row_arrays_give_a_protocol_error(data: bytes) -> None:
    decoder = StreamedRowDecoder()
    _decode(decoder, [data])
    assert isinstance(decoder.error, ProtocolError)


def _rest_cases() -> list[tuple[str, list[dict[str, Any]]]]:
    cases = []
    for path in sorted(REST_CASES.glob("*.json")):
        for test in json.loads(path.read_text())["tests"]:
            for i, response in enumerate(test.get("responses", [])):
                if "query" in response:
                    cases.append((f"{path.stem}: {test['name']} #{i}", response["query"]))
    return cases


def _v1json(elements: list[dict[str, Any]]) -> bytes:
    parts = [json.dumps(e, separators=(",", ":")) for e in elements]
    return ("[" + ",\n".join(parts) + "]").encode()


def _delimited(elements: list[dict[str, Any]]) -> bytes:
    columns = parse_schema(elements[0]["header"]["schema"])
    header = {
        "queryId": "q",
        "columnNames": [c.name for c in columns],
        "columnTypes": [str(c.type) for c in columns],
    }
    lines = [json.dumps(header)]
    lines += [json.dumps(e["row"]["columns"]) for e in elements if "row" in e]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.skipif(not REST_CASES.is_dir(), reason=f"ksqlDB's REST cases not at {REST_CASES}")
def test_every_query_response_of_ksqldbs_rest_tests_decodes_in_both_formats() -> None:
    cases = _rest_cases()
    assert len(cases) > 100
    for name, elements in cases:
        expected = [e["row"]["columns"] for e in elements if "row" in e]
        data = _v1json(elements)
        for decoder in (StreamedRowDecoder(raw=True), StreamedRowDecoder()):
            rows = _decode(decoder, _split(data, [len(data) // 3, len(data) // 2]))
            assert decoder.error is None, (name, decoder.error)
            assert len(rows) == len(expected), name
            assert decoder.columns, name
        assert _decode(StreamedRowDecoder(raw=True), [data]) == expected, name
        delimited = QueryDecoder(raw=True)
        assert _decode(delimited, [_delimited(elements)]) == expected, name
        assert delimited.error is None


ACKS = b"".join(b'{"seq":%d,"status":"ok"}\n' % i for i in (0, 2, 1, 3))


@given(st.lists(st.integers(min_value=0), max_size=20))
def test_acks_in_any_order_and_any_chunking_count_every_row_once(cuts: list[int]) -> None:
    decoder = AckDecoder(4)
    total = sum(decoder.feed(piece) for piece in _split(ACKS, cuts))
    decoder.feed_eof()
    assert total == 4
    assert decoder.error is None


@given(
    st.permutations(range(12)),
    st.lists(st.integers(min_value=0), max_size=20),
    st.sampled_from(['{"seq":%d,"status":"ok"}', '{"status":"ok","seq":%d}', '{"seq": %d}']),
    st.integers(min_value=0, max_value=12),
)
def test_acks_in_runs_or_not_count_each_row_once_and_a_duplicate_or_stray_is_caught(
    order: list[int], cuts: list[int], form: str, extra: int
) -> None:
    # Runs of in-order ok acks take a fast path; anything else is read ack by ack: the counts
    # and the errors must not depend on which path a chunk took.
    acks = [form % seq for seq in sorted(order[:6]) + order[6:]]
    if extra < 12:
        acks.insert(extra, form % (extra if extra % 2 else 12 + extra))  # a duplicate or a stray
    data = "".join(ack + "\n" for ack in acks).encode()
    decoder = AckDecoder(12)
    total = sum(decoder.feed(piece) for piece in _split(data, cuts))
    decoder.feed_eof()
    if form == '{"seq": %d}':  # no status: not an ok ack
        assert isinstance(decoder.error, (InsertError, ProtocolError))
    elif extra < 12:
        assert isinstance(decoder.error, ProtocolError)
        assert "not pending" in str(decoder.error)
    else:
        assert decoder.error is None
        assert total == decoder.acknowledged == 12


def test_an_error_ack_names_the_row_and_what_was_acknowledged() -> None:
    rows: list[Mapping[str, Any]] = [{"ID": 1}, {"ID": 2}, {"NAME": "x"}]
    decoder = AckDecoder(3, rows, offset=100, where="the inserts into PV")
    decoder.feed(
        b'{"seq":0,"status":"ok"}\n{"seq":1,"status":"ok"}\n'
        b'{"@type":"InsertError","error_code":40000,"message":"Key field must be specified: ID",'
        b'"status":"error","seq":2}\n'
    )
    error = decoder.error
    assert isinstance(error, InsertError)
    assert (error.seq, error.row, error.acknowledged, error.error_code) == (
        102,
        {"NAME": "x"},
        102,
        40000,
    )
    assert "Key field must be specified: ID" in str(error)
    assert "were not inserted" in str(error)


def test_missing_and_duplicate_acks_are_never_silent() -> None:
    missing = AckDecoder(3)
    missing.feed(b'{"seq":0,"status":"ok"}\n')
    missing.feed_eof()
    assert isinstance(missing.error, ProtocolError)
    assert "acknowledging 1 of 3 rows; not acknowledged: 1, 2" in str(missing.error)

    duplicate = AckDecoder(2)
    duplicate.feed(b'{"seq":0,"status":"ok"}\n{"seq":0,"status":"ok"}\n')
    assert isinstance(duplicate.error, ProtocolError)

    garbage = AckDecoder(1)
    garbage.feed(b"not json\n")
    assert isinstance(garbage.error, ProtocolError)


def test_nothing_after_an_in_stream_error_counts() -> None:
    data = (
        b'{"queryId":"q","columnNames":["A"],"columnTypes":["INTEGER"]}\n[1]\n'
        b'{"@type":"generic_error","error_code":50000,"message":"x"}\n[2]\n'
    )
    decoder = QueryDecoder()
    assert _decode(decoder, [data]) == [(1,)]
    assert isinstance(decoder.error, KsqlServerError)
