"""The expression compiler: types and values as ksqlDB computes them, without a server."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest

from ksqlpy.local.engine.errors import KsqlStatementError
from ksqlpy.local.engine.expr import Scope, Slot, compile_expr
from ksqlpy.local.engine.types import BIGINT, DOUBLE, INTEGER, STRING, TIMESTAMP
from ksqlpy.sql import parse_one

SCOPE = Scope(
    [
        Slot("I", INTEGER, frozenset({"S"})),
        Slot("B", BIGINT, frozenset({"S"})),
        Slot("D", DOUBLE, frozenset({"S"})),
        Slot("TXT", STRING, frozenset({"S"})),
        Slot("TS", TIMESTAMP, frozenset({"S"})),
    ]
)
ROW = [7, 2**40, 2.5, "Hello", dt.datetime(2024, 1, 2, 3, 4, 5, 6000)]
NULLS = [None] * len(ROW)


def evaluate(text: str, row: list[Any] = ROW) -> tuple[Any, str]:
    select = parse_one(f"SELECT {text} FROM S;")
    fn, kind = compile_expr(select.expressions[0], SCOPE)
    return fn(row), str(kind)


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("I + 1", 8, "INTEGER"),
        ("I + B", 7 + 2**40, "BIGINT"),
        ("I * D", 17.5, "DOUBLE"),
        ("-7 / 2", -3, "INTEGER"),  # Java truncates towards zero
        ("-7 % 2", -1, "INTEGER"),  # and the remainder keeps the dividend's sign
        ("I / 0", None, "INTEGER"),  # a failing row gives NULL, not an error
        ("I % 0", None, "INTEGER"),
        ("D / 0", math.inf, "DOUBLE"),  # doubles divide as IEEE 754 does, as in Java
        ("-D / 0", -math.inf, "DOUBLE"),
        ("D / -0.0E0", -math.inf, "DOUBLE"),
        ("-7.5E0 % 2", -1.5, "DOUBLE"),
        ("2147483647 + I", -2147483642, "INTEGER"),  # Java's int wraps
        ("9223372036854775807 + I", -9223372036854775802, "BIGINT"),
        ("CAST(1E20 AS INT)", 2147483647, "INTEGER"),  # a double cast saturates
        ("CAST(-1E20 AS BIGINT)", -(2**63), "BIGINT"),
        ("1.50 * 2", Decimal("3.00"), "DECIMAL(13, 2)"),
        ("10.0 / 4", Decimal("2.500000000000"), "DECIMAL(14, 12)"),  # INT is DECIMAL(10, 0)
    ],
)
def test_arithmetic_follows_java_and_ksqldb_result_types(text: str, value: Any, kind: str) -> None:
    assert evaluate(text) == (value, kind)


def test_decimal_arithmetic_keeps_every_digit_of_a_wide_decimal() -> None:
    # 36 digits: Python's default context (28) would round the sum.
    big = "CAST('1234567890123456789012345678901234.56' AS DECIMAL(38, 2))"
    value, kind = evaluate(f"{big} + CAST(0.01 AS DECIMAL(3, 2))")
    assert (value, kind) == (Decimal("1234567890123456789012345678901234.57"), "DECIMAL(38, 2)")


@pytest.mark.parametrize("text", ["0.0E0 / 0", "D % 0", "(D - D) / 0.0E0"])
def test_double_division_without_a_value_is_nan(text: str) -> None:
    value, kind = evaluate(text)
    assert kind == "DOUBLE"
    assert math.isnan(value)


def test_null_propagates_through_operators_and_functions() -> None:
    assert evaluate("I + 1", NULLS) == (None, "INTEGER")
    assert evaluate("UCASE(TXT)", NULLS) == (None, "STRING")
    assert evaluate("I > 1", NULLS)[0] is False  # a comparison with NULL is false in ksqlDB
    assert evaluate("I BETWEEN 1 AND 2", NULLS)[0] is False


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("TXT LIKE 'H%'", True),
        ("TXT LIKE 'h%'", False),
        ("TXT LIKE 'H_llo'", True),
        ("TXT NOT LIKE 'H%'", False),  # the parser's LIKE with negate set
        ("TXT NOT LIKE 'x!%' ESCAPE '!'", True),
        ("I BETWEEN 1 AND 7", True),
        ("I IN (1, 2, 7)", True),
        ("TXT IS NOT NULL", True),
        ("CASE WHEN I > 5 THEN 'big' ELSE 'small' END", "big"),
        ("TS > '2024-01-01T00:00:00'", True),
        ("D BETWEEN 1.0 AND 2.5", True),  # a DOUBLE meets a DECIMAL as a double
        ("D IS DISTINCT FROM 2.5", False),
        ("I IN ('7')", True),  # a string literal is coerced to the list's type
        ("TRUE IN ('tr')", True),  # a prefix of true/yes, as ksqlDB reads booleans
    ],
)
def test_predicates(text: str, value: Any) -> None:
    assert evaluate(text)[0] == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("CAST(I AS STRING)", "7"),
        ("CAST(D AS INT)", 2),
        ("CAST('12' AS BIGINT)", 12),
        ("CAST(TS AS STRING)", "2024-01-02T03:04:05.006"),
        ("CAST(TRUE AS STRING)", "true"),
        ("CAST(1.50 AS STRING)", "1.50"),
        ("CAST('x' AS INT)", None),  # a bad cast of a row's value is NULL
        ("CAST('2020-02-24T24' AS TIMESTAMP)", dt.datetime(2020, 2, 25)),  # partial, hour 24
        ("CAST('2020-02' AS TIMESTAMP)", dt.datetime(2020, 2, 1)),
        ("CAST(B AS INT)", 0),  # Java's (int) of a long keeps the low 32 bits (2**40)
        ("CAST(ARRAY[B, 3] AS ARRAY<INT>)", [0, 3]),  # collections convert element-wise
        ("CAST(MAP('a' := B) AS MAP<STRING, STRING>)", {"a": "1099511627776"}),
        ("CAST(ARRAY[1, 2] AS STRING)", "[1, 2]"),
        ("ARRAY[NULL, 1, '2']", [None, 1, 2]),  # constructors coerce to the common type
        (
            "MAP('a' := TRUE, 'b' := 'no')",
            {"a": True, "b": False},
        ),  # as Java's toString writes them
        ("CAST(MAP('a' := 1) AS STRING)", "{a=1}"),
        ("CAST(STRUCT(F0 := 1, `f1` := 'x') AS STRING)", "Struct{F0=1,f1=x}"),
    ],
)
def test_casts(text: str, value: Any) -> None:
    assert evaluate(text)[0] == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("NOPE + 1", "Column 'NOPE' cannot be resolved"),
        ("X.I", "'X' is not a valid stream/table name or alias"),
        ("TXT + 1", "Unsupported arithmetic types. STRING INTEGER"),
        ("NOSUCHFN(I)", "Can't find any functions with the name 'NOSUCHFN'"),
        ("UCASE(TXT, TXT)", r"Function 'ucase' does not accept parameters \(STRING, STRING\)"),
        ("ARRAY[I] < ARRAY[I]", "Cannot compare ARRAY\\[I\\] .* with LESS_THAN"),
        ("I IN (1, TRUE)", "operator does not exist: INTEGER = BOOLEAN \\(true\\)"),
        ("I IN (1, 'x')", 'invalid input syntax for type INTEGER: "x"'),
        ("CAST(TXT AS ARRAY<INT>)", "Cast of STRING to ARRAY<INTEGER> is not supported"),
        ("ARRAY[NULL]", "Cannot construct an array with all NULL elements"),
        ("ARRAY[1, 'x']", 'invalid input syntax for type INTEGER: "x"'),
        ("MAP('a' := NULL)", "Cannot construct a map with all NULL values"),
        ("STRUCT(A := 1, A := 2)", "Duplicate field names found in STRUCT"),
        ("NULL <> NULL", "Comparison with NULL not supported: NULL <> NULL"),
        ("NULL = I", "Comparison with NULL not supported: NULL = INTEGER"),
        ("I > NULL", "Comparison with NULL not supported: INTEGER > NULL"),
    ],
)
def test_compile_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(KsqlStatementError, match=message):
        evaluate(text)


def test_qualified_and_unqualified_names_are_the_same_column() -> None:
    assert evaluate("S.I")[0] == evaluate("I")[0] == 7


@pytest.mark.parametrize(
    ("value", "text"),
    [(1e20, "1.0E20"), (1e7, "1.0E7"), (1234567.0, "1234567.0"), (0.0001, "1.0E-4"), (0.5, "0.5")],
)
def test_a_double_cast_to_string_is_written_as_java_writes_it(value: float, text: str) -> None:
    assert evaluate(f"CAST(D * {value!r} AS STRING)", [0, 0, 1.0, "", ROW[4]])[0] == text
