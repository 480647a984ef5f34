"""Lambdas over collections with NULL elements: arithmetic on a NULL fails the whole function
call (ksqlDB's compiled lambda unboxes its operands), while NULL-aware calls go on."""

from __future__ import annotations

from typing import Any

import pytest

from ksqlpy.local.engine.expr import Scope, Slot, compile_expr
from ksqlpy.local.engine.types import INTEGER, STRING, ArrayType, MapType
from ksqlpy.sql import parse_one

SCOPE = Scope(
    [
        Slot("XS", ArrayType("ARRAY", INTEGER), frozenset({"S"})),
        Slot("M", MapType("MAP", STRING, INTEGER), frozenset({"S"})),
        Slot("N", INTEGER, frozenset({"S"})),
    ]
)


def evaluate(text: str, row: list[Any]) -> Any:
    select = parse_one(f"SELECT {text} FROM S;")
    fn, _ = compile_expr(select.expressions[0], SCOPE)
    return fn(row)


@pytest.mark.parametrize(
    ("text", "row", "value"),
    [
        ("TRANSFORM(XS, x => x * 2)", [[1, None, 3], {}, 0], None),
        ("TRANSFORM(XS, x => x * 2)", [[1, 2], {}, 0], [2, 4]),
        ("TRANSFORM(XS, x => x + N)", [[1, 2], {}, None], None),
        ("TRANSFORM(XS, x => COALESCE(x, 0) - 1)", [[4, None], {}, 0], [3, -1]),
        ("REDUCE(XS, 0, (s, x) => s + x)", [[1, None], {}, 0], None),
        ("TRANSFORM(M, (k, v) => k, (k, v) => v + 1)", [[], {"a": None}, 0], None),
        ("TRANSFORM(XS, x => x IS NULL)", [[None, 5], {}, 0], [True, False]),
    ],
)
def test_null_operands_in_lambda_arithmetic_null_the_call(
    text: str, row: list[Any], value: Any
) -> None:
    assert evaluate(text, row) == value


def test_arithmetic_outside_a_lambda_still_gives_null_for_null() -> None:
    assert evaluate("N + 1", [[], {}, None]) is None
