"""Accept ranking, request targets, inserts-stream lines and request JSON, without sockets."""

from __future__ import annotations

import base64
import re

import pytest

from ksqlpy.local.http_rules import (
    QUERY_STREAM_TYPES,
    QUERY_TYPES,
    BasicAuth,
    PlainAnswer,
    negotiate,
    origin_form,
)
from ksqlpy.local.request_body import Lines, LineTooLong, parse_json

DELIMITED = "application/vnd.ksqlapi.delimited.v1"
V1 = "application/vnd.ksql.v1+json"
JSON = "application/json"


@pytest.mark.parametrize(
    ("accept", "query", "query_stream"),
    [
        (None, None, None),
        ("", None, None),
        ("*/*", DELIMITED, DELIMITED),
        ("application/*", DELIMITED, DELIMITED),
        (f"{JSON}, {V1}", V1, JSON),
        (f"{JSON};q=0.9, {V1};q=0.8", JSON, JSON),
        (f"{V1};q=0.5, */*;q=0.1", V1, V1),
        ("text/html;q=1, */*;q=0.2", DELIMITED, DELIMITED),
        (f"{DELIMITED};q=0, */*", V1, JSON),  # an exact q=0 rules its type out
        (f"{V1};q=bad, {JSON}", JSON, JSON),  # an unreadable q-value counts as 0
    ],
)
def test_negotiate_ranks_by_q_value_then_route_order(
    accept: str | None, query: str | None, query_stream: str | None
) -> None:
    assert negotiate(accept, QUERY_TYPES) == query
    assert negotiate(accept, QUERY_STREAM_TYPES) == query_stream


@pytest.mark.parametrize("accept", ["text/html", f"{DELIMITED};q=0", "garbage", "*/*;q=0"])
def test_negotiate_refuses_with_406_when_nothing_fits(accept: str) -> None:
    with pytest.raises(PlainAnswer) as refused:
        negotiate(accept, QUERY_STREAM_TYPES)
    assert refused.value.status == 406


def test_origin_form_keeps_only_the_path_of_an_absolute_target() -> None:
    assert origin_form({"path": "http://h:1/query"})["path"] == "/query"
    assert origin_form({"path": "https://h"})["path"] == "/"
    scope = {"path": "/info"}
    assert origin_form(scope) is scope


def test_basic_auth_compares_utf8_bytes() -> None:
    auth = BasicAuth("jürgen", "pä:ss")

    def header(raw: bytes) -> str:
        return "Basic " + base64.b64encode(raw).decode()

    assert auth.allows(header("jürgen:pä:ss".encode()))
    assert not auth.allows(header("jürgen:pä".encode()))
    assert not auth.allows(header(b"j\xfcrgen:p\xe4:ss"))
    assert not auth.allows("Basic jürgen")
    assert not auth.allows("Bearer x")
    assert not auth.allows(None)


def test_lines_cut_chunks_into_lines_whatever_the_chunking() -> None:
    text = b'{"target":"S"}\n{"A":1}\n\n{"A":2}'
    for size in (1, 2, 3, 7, len(text)):
        lines = Lines()
        out: list[bytes] = []
        chunks = [text[i : i + size] for i in range(0, len(text), size)]
        for n, chunk in enumerate(chunks):
            out += lines.feed(chunk, more=n < len(chunks) - 1)
        assert out == [b'{"target":"S"}', b'{"A":1}', b"", b'{"A":2}']


def test_lines_refuse_a_line_past_the_limit_even_before_it_ends() -> None:
    lines = Lines(limit=10)
    assert lines.feed(b"0123456789\n01234", more=True) == [b"0123456789"]
    with pytest.raises(LineTooLong):
        lines.feed(b"567890", more=True)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"[" * 100_000, "nesting is too deep"),
        (b'"\\ud800"', "lone surrogate (\\ud800)"),
        (b'{"a":"x\\udfff"}', "lone surrogate (\\udfff)"),
        (b"\xff", "not UTF-8"),
    ],
)
def test_parse_json_refuses_what_ksqldb_would_with_a_reason(text: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_json(text)


def test_parse_json_takes_surrogate_pairs() -> None:
    assert parse_json(b'"\\ud83d\\ude00"') == "\U0001f600"
