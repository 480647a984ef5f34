"""Scalar functions through the registry, as ksqlDB's UDFs answer them (no server)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest

from ksqlpy.local.engine import functions
from ksqlpy.local.engine.errors import KsqlStatementError
from ksqlpy.local.engine.types import BIGINT, DOUBLE, INTEGER, STRING, DecimalType, SqlType


def call(name: str, *args: Any) -> Any:
    return functions.lookup(name, len(args)).call(*args)


def returns(name: str, *types: SqlType) -> str:
    return str(functions.lookup(name, len(types)).returns(list(types)))


def test_every_category_module_registered_its_functions() -> None:
    categories = {f.category for f in functions.REGISTRY.values()}
    assert {"STRING", "MATHEMATICAL", "DATE / TIME", "BYTES", "ARRAY", "NULL"} <= categories
    assert all(f.name == name for name, f in functions.REGISTRY.items())


def test_lookup_is_case_insensitive_and_checks_the_argument_count() -> None:
    assert functions.lookup("ucase", 1).name == "UCASE"
    with pytest.raises(KsqlStatementError, match="Function 'UCASE' does not accept 2 parameters"):
        functions.lookup("UCASE", 2)
    with pytest.raises(KsqlStatementError, match="Can't find any functions with the name 'NOPE'"):
        functions.lookup("nope", 1)


@pytest.mark.parametrize(
    ("name", "args", "value"),
    [
        ("SUBSTRING", ("hello", 2, 3), "ell"),  # 1-based
        ("SUBSTRING", ("hello", -3), "llo"),  # negative counts from the end
        ("LPAD", ("ab", 5, "xy"), "xyxab"),
        ("RPAD", ("abcdef", 3, "x"), "abc"),
        ("INSTR", ("CORPORATE FLOOR", "OR", 3), 5),
        ("SPLIT", ("a,b,,c", ","), ["a", "b", "", "c"]),
        ("CONCAT_WS", ("-", "a", None, "b"), "a-b"),  # NULLs are skipped
        ("INITCAP", ("hello wORLD",), "Hello World"),
        ("EXTRACTJSONFIELD", ('{"a":{"b":1}}', "$.a.b"), "1"),
        ("LEN", ("abc",), 3),
    ],
)
def test_string_functions(name: str, args: tuple[Any, ...], value: Any) -> None:
    assert call(name, *args) == value


@pytest.mark.parametrize(
    ("name", "args", "value"),
    [
        ("ROUND", (2.5,), 3),
        ("ROUND", (Decimal("1.25"), 1), Decimal("1.3")),
        ("CEIL", (1.2,), 2.0),
        ("SIGN", (-3,), -1),
        ("GREATEST", (1, 5, 3), 5),
    ],
)
def test_math_functions(name: str, args: tuple[Any, ...], value: Any) -> None:
    assert call(name, *args) == value


def test_math_domain_errors_give_nan_and_infinity_as_java_math_does() -> None:
    assert math.isnan(call("SQRT", -1.0))
    assert call("LN", 0) == -math.inf
    assert math.isnan(call("LOG", 1, 5))  # base 1
    assert call("POWER", 0, -1) == math.inf
    assert call("EXP", 1000.0) == math.inf


def test_return_type_rules() -> None:
    assert returns("ROUND", DOUBLE) == "BIGINT"
    assert returns("ROUND", DOUBLE, INTEGER) == "DOUBLE"
    assert returns("UCASE", STRING) == "STRING"
    assert returns("GREATEST", BIGINT, BIGINT) == "BIGINT"
    assert returns("ABS", DecimalType("DECIMAL", 4, 2)) == "DECIMAL(4, 2)"


def test_null_arguments_give_null_except_for_null_handling_functions() -> None:
    assert call("UCASE", None) is None
    assert call("COALESCE", None, 2) == 2
    assert call("NULLIF", 1, 1) is None
    assert call("IFNULL", None, "x") == "x"


def test_date_and_time_functions() -> None:
    assert call("TIMESTAMPTOSTRING", 0, "yyyy-MM-dd HH:mm:ss", "UTC") == "1970-01-01 00:00:00"
    assert call("STRINGTOTIMESTAMP", "2024-01-02 03:04:05", "yyyy-MM-dd HH:mm:ss") == (
        1704164645000
    )
    assert call("UNIX_DATE", dt.date(1970, 1, 11)) == 10


def test_bytes_functions() -> None:
    assert call("TO_BYTES", "414243", "hex") == b"ABC"
    assert call("FROM_BYTES", b"ABC", "base64") == "QUJD"
    assert call("FROM_BYTES", b"ABC", "hex") == "414243"


@pytest.mark.parametrize(
    ("args", "value"),
    [
        ((-2.5,), -2),  # halves go towards positive infinity, as Java's Math.round
        ((-2.6,), -3),
        ((-1.25, 1), -1.2),
        ((1.25, 1), 1.3),
        ((Decimal("-1.5"),), Decimal("-1")),
    ],
)
def test_round_takes_halves_up_towards_positive_infinity(args: tuple[Any, ...], value: Any) -> None:
    assert call("ROUND", *args) == value


def test_round_types_follow_ksqldb() -> None:
    assert returns("ROUND", INTEGER) == "BIGINT"
    assert returns("ROUND", DecimalType("DECIMAL", 5, 2)) == "DECIMAL(3, 0)"
    assert returns("ROUND", DecimalType("DECIMAL", 5, 2), INTEGER) == "DECIMAL(5, 2)"
