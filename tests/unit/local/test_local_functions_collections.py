"""Array, map, JSON and URL functions through the registry, as ksqlDB's UDFs answer them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ksqlpy.local.engine import functions
from ksqlpy.local.engine.errors import KsqlStatementError
from ksqlpy.local.engine.types import (
    BIGINT,
    BOOLEAN,
    INTEGER,
    NULL_TYPE,
    STRING,
    ArrayType,
    MapType,
    SqlType,
)


def call(name: str, *args: Any) -> Any:
    return functions.lookup(name, len(args)).call(*args)


def kind(name: str, *types: SqlType) -> str:
    return str(functions.resolve(name, list(types))[1])


@pytest.mark.parametrize(
    ("name", "args", "value"),
    [
        ("ARRAY_UNION", ([1, 2, 2], [3, 1, None]), [1, 2, 3, None]),
        ("ARRAY_INTERSECT", ([3, 1, 1, 2], [1, 3]), [3, 1]),
        ("ARRAY_EXCEPT", ([1, 2, 2, 3], [3]), [1, 2]),
        ("ARRAY_DISTINCT", ([None, 1, None, [1]],), [None, 1, [1]]),
        ("ARRAY_DISTINCT", ([{"A": 1}, {"A": 1}],), [{"A": 1}]),
        ("ARRAY_UNION", (None, [1]), None),
        ("ARRAY_CONCAT", (None, [1]), [1]),
        ("ARRAY_CONCAT", (None, None), None),
        ("ARRAY_SORT", ([3, None, 1],), [1, 3, None]),
        ("ARRAY_SORT", (["b", None, "a"], "desc"), ["b", "a", None]),
        ("ARRAY_SORT", ([1], "sideways"), None),
        ("ARRAY_MAX", ([None, 3, 7, 2],), 7),
        ("ARRAY_MIN", ([None, None],), None),
        ("ARRAY_REMOVE", ([1, None, 2, None], None), [1, 2]),
        ("ARRAY_JOIN", ([1, None, True, 1.5e10],), "1,null,true,1.5E10"),
        ("ARRAY_JOIN", (["a", "b"], None), "ab"),
        ("SLICE", ([1, 2, 3, 4], 2, 3), [2, 3]),
        ("SLICE", ([1, 2, 3], None, 2), [1, 2]),
        ("SLICE", ([1, 2, 3], 2, 9), None),  # out of range: as List.subList, the call fails
        ("GENERATE_SERIES", (1, 4), [1, 2, 3, 4]),
        ("GENERATE_SERIES", (5, 1, -2), [5, 3, 1]),
        ("ENTRIES", ({"b": 1, "a": 2}, True), [{"K": "a", "V": 2}, {"K": "b", "V": 1}]),
        ("AS_MAP", (["a", "b"], [1]), {"a": 1, "b": None}),
        ("MAP_UNION", ({"a": 1}, {"a": 2, "b": 3}), {"a": 2, "b": 3}),
        ("MAP_UNION", (None, None), None),
    ],
)
def test_array_and_map_functions(name: str, args: tuple[Any, ...], value: Any) -> None:
    assert call(name, *args) == value


def test_array_function_types() -> None:
    ints = ArrayType("ARRAY", INTEGER)
    assert kind("ARRAY_MAX", ints) == "INTEGER"
    assert kind("ARRAY_UNION", NULL_TYPE, ints) == "ARRAY<INTEGER>"
    assert kind("GENERATE_SERIES", BIGINT, BIGINT) == "ARRAY<BIGINT>"
    assert kind("ENTRIES", MapType("MAP", STRING, BOOLEAN), BOOLEAN) == (
        "ARRAY<STRUCT<`K` STRING, `V` BOOLEAN>>"
    )
    with pytest.raises(KsqlStatementError, match="Function 'slice' does not accept"):
        functions.resolve("SLICE", [STRING, INTEGER, INTEGER])


def test_generate_series_refuses_a_step_that_never_arrives() -> None:
    with pytest.raises(ValueError, match="GENERATE_SERIES step has wrong sign"):
        call("GENERATE_SERIES", 1, 5, -1)
    with pytest.raises(ValueError, match="GENERATE_SERIES step cannot be zero"):
        call("GENERATE_SERIES", 1, 5, 0)


@pytest.mark.parametrize(
    ("name", "args", "value"),
    [
        ("EXTRACTJSONFIELD", ('{"a": [1.23450, {"b": "x"}]}', "$.a[0]"), "1.23450"),
        ("EXTRACTJSONFIELD", ('{"a": [1, {"b": "x"}]}', "$.a[1].b"), "x"),
        ("EXTRACTJSONFIELD", ('{"a": 1}} trailing', "$.a"), "1"),  # text after the value
        ("EXTRACTJSONFIELD", ('{"@type": "UDF"}', "$.@type"), "UDF"),
        ("EXTRACTJSONFIELD", ('{"a": [1]}', "$.a[-1]"), None),
        ("IS_JSON_STRING", ("[1, 2]",), True),
        ("IS_JSON_STRING", ("{not json",), False),
        ("IS_JSON_STRING", ("",), False),
        ("IS_JSON_STRING", (None,), False),
        ("JSON_ARRAY_CONTAINS", ('[1, 2.5, "x", null]', 1), True),
        ("JSON_ARRAY_CONTAINS", ("[1, 2.5]", 2.5), True),
        ("JSON_ARRAY_CONTAINS", ('["1"]', 1), False),  # a string is not a number
        ("JSON_ARRAY_CONTAINS", ("[null]", None), True),
        ("JSON_ARRAY_CONTAINS", ('{"a": 1}', 1), False),
        ("JSON_ARRAY_LENGTH", ("[1, [2, 3]]",), 2),
        ("JSON_ARRAY_LENGTH", ("{}",), None),
        ("JSON_KEYS", ('{"b": 1, "a": {"c": 2}}',), ["b", "a"]),
        ("JSON_RECORDS", ('{"a": "x", "b": {"c": 2}}',), {"a": "x", "b": '{"c":2}'}),
        ("JSON_ITEMS", ('[{"a": 1}, 2]',), ['{"a":1}', "2"]),
        ("JSON_CONCAT", ('{"a": 1}', '{"a": 2, "b": 3}'), '{"a":2,"b":3}'),
        ("JSON_CONCAT", ("[1]", '{"a": 2}', "3"), '[1,{"a":2},3]'),
        ("JSON_CONCAT", ("[1]", None), None),
        ("JSON_CONCAT", ("[1]", "nope"), None),
    ],
)
def test_json_functions(name: str, args: tuple[Any, ...], value: Any) -> None:
    try:
        assert call(name, *args) == value
    except ValueError:
        assert value is None  # invalid JSON fails the call: NULL in a query


def test_to_json_string_writes_values_as_ksqldb_does() -> None:
    value = {
        "B": [1, None, 2.5],
        "A": {"z": dt.date(2024, 1, 2), "y": Decimal("1.50")},
        "C": dt.datetime(2024, 1, 2, 3, 4, 5, 6000),
        "D": b"\x01",
    }
    assert call("TO_JSON_STRING", value) == (
        '{"A":{"y":1.50,"z":"2024-01-02"},"B":[1,null,2.5],'
        '"C":"2024-01-02T03:04:05.006","D":"AQ=="}'
    )
    assert call("TO_JSON_STRING", None) == "null"
    assert call("TO_JSON_STRING", "x") == '"x"'


@pytest.mark.parametrize(
    ("name", "args", "value"),
    [
        ("URL_ENCODE_PARAM", ("?foo $bar",), "%3Ffoo+%24bar"),
        ("URL_DECODE_PARAM", ("%3Ffoo+%24bar",), "?foo $bar"),
        ("URL_EXTRACT_FRAGMENT", ("http://x.com/?q#frag",), "frag"),
        ("URL_EXTRACT_FRAGMENT", ("http://x.com",), None),
        ("URL_EXTRACT_HOST", ("http://user@Confluent.io:8080/p",), "Confluent.io"),
        ("URL_EXTRACT_HOST", ("www.confluent.io",), None),  # no scheme: all path
        ("URL_EXTRACT_PATH", ("http://x.com?q",), ""),
        ("URL_EXTRACT_PATH", ("http://x.com/a%20b/c?q",), "/a b/c"),
        ("URL_EXTRACT_PORT", ("http://x.com:8080/",), 8080),
        ("URL_EXTRACT_PORT", ("http://x.com/",), None),
        ("URL_EXTRACT_PROTOCOL", ("https://x.com",), "https"),
        ("URL_EXTRACT_QUERY", ("http://x.com/p?a=1&b#f",), "a=1&b"),
        ("URL_EXTRACT_QUERY", ("http://x.com/p",), None),
        (
            "URL_EXTRACT_PARAMETER",
            ("http://x.com/?one=a&two=url%20encoded&three", "two"),
            "url encoded",
        ),
        ("URL_EXTRACT_PARAMETER", ("http://x.com/?one=a&three", "three"), ""),
        ("URL_EXTRACT_PARAMETER", ("http://x.com/?one=a", "four"), None),
    ],
)
def test_url_functions_read_urls_as_java_net_uri(
    name: str, args: tuple[Any, ...], value: Any
) -> None:
    assert call(name, *args) == value


def test_an_invalid_url_fails_the_call_with_a_message() -> None:
    with pytest.raises(ValueError, match="URL input has invalid syntax: http://a b"):
        call("URL_EXTRACT_HOST", "http://a b")


def test_reduce_of_no_collection_is_its_initial_state() -> None:
    def add(state: int, item: int) -> int:
        return state + item

    assert call("REDUCE", None, 5, add) == 5
    assert call("REDUCE", [1, 2], None, add) is None
    assert call("REDUCE", [1, 2], 0, add) == 3


def test_calls_that_would_build_huge_values_are_refused() -> None:
    with pytest.raises(ValueError, match="GENERATE_SERIES would give"):
        call("GENERATE_SERIES", 0, 2**40)
    with pytest.raises(ValueError, match="LPAD target length"):
        call("LPAD", "a", 2**31 - 1, "x")
