"""Scalar functions through the registry, as ksqlDB's UDFs answer them (no server)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest

from ksqlpy.local.engine import functions
from ksqlpy.local.engine.convert import cast_value
from ksqlpy.local.engine.errors import KsqlStatementError
from ksqlpy.local.engine.types import (
    BIGINT,
    BOOLEAN,
    DATE,
    DOUBLE,
    INTEGER,
    NULL_TYPE,
    STRING,
    TIME,
    ArrayType,
    DecimalType,
    MapType,
    SqlType,
    StructType,
)


def call(name: str, *args: Any) -> Any:
    return functions.lookup(name, len(args)).call(*args)


def returns(name: str, *types: SqlType) -> str:
    return str(functions.lookup(name, len(types)).returns(list(types)))


def test_every_category_module_registered_its_functions() -> None:
    categories = {f.category for f in functions.REGISTRY.values()}
    assert {
        "STRING",
        "MATHEMATICAL",
        "DATE / TIME",
        "ARRAY",
        "MAP",
        "JSON",
        "URL",
        "CONDITIONAL",
        "CONVERSIONS",
        "REGULAR EXPRESSION",
        "TABLE",
    } <= categories
    assert all(f.name == name for name, f in functions.REGISTRY.items())


def test_lookup_is_case_insensitive_and_checks_the_argument_count() -> None:
    assert functions.lookup("ucase", 1).name == "UCASE"
    with pytest.raises(KsqlStatementError, match="Function 'TRANSFORM' does not accept 4 param"):
        functions.lookup("TRANSFORM", 4)
    with pytest.raises(
        KsqlStatementError, match=r"Function 'ucase' does not accept parameters \(STRING, STRING\)"
    ):
        functions.resolve("UCASE", [STRING, STRING])
    # Named as ksqlDB declares each function: most in lower case, some not.
    with pytest.raises(
        KsqlStatementError, match=r"Function 'COALESCE' does not accept parameters \(\)"
    ):
        functions.resolve("COALESCE", [])
    with pytest.raises(
        KsqlStatementError, match=r"Function 'Round' does not accept parameters \(STRING\)"
    ):
        functions.resolve("ROUND", [STRING])
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
        ("INSTR", ("CORPORATE FLOOR", "OR", 3, 2), 14),
        ("INSTR", ("CORPORATE FLOOR", "OR", -3, 2), 2),  # from the end, backwards
        ("INSTR", ("aaa", "aa", 1, 2), 2),  # occurrences may overlap
        ("INSTR", ("abc", "b", 4), 0),  # a position beyond the string
        ("INSTR", (None, "b"), 0),
        ("SPLIT", ("a,b,,c", ","), ["a", "b", "", "c"]),
        ("SPLIT", ("ab", ""), ["a", "b"]),
        ("SPLIT", ("", ""), [""]),
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
    assert call("COT", 0.0) == math.inf  # 1.0 / tan(0): Java divides by zero to infinity
    assert call("COT", -0.0) == -math.inf


def test_geo_distance_is_computed_in_ksqldbs_order_to_the_last_digit() -> None:
    # ksqlDB's tests compare a double exactly when it is read back from JSON.
    assert repr(call("GEO_DISTANCE", 37.4439, -122.1663, 51, 0)) == "8682.459061368269"
    assert call("GEO_DISTANCE", 37.4439, -122.1663, 51, 0, "MI") < 5400


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
    assert call("TO_BYTES", "1aB2", "hex") == b"\x1a\xb2"  # any case, as DatatypeConverter
    assert call("FROM_BYTES", b"x" * 60, "base64") == "eHh4" * 20  # no MIME line breaks
    assert call("TO_BYTES", "QUJD", "base64") == b"ABC"
    with pytest.raises(ValueError, match="even-length"):
        call("TO_BYTES", "ABC", "hex")
    with pytest.raises(ValueError, match="Unknown encoding type 'klingon'"):
        call("FROM_BYTES", b"x", "klingon")
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


def test_round_of_a_decimal_to_places_keeps_its_scale() -> None:
    value = Decimal("12345678987654321.2345678987654321")  # DECIMAL(33, 16): over 28 digits
    assert str(call("ROUND", value, 1)) == "12345678987654321.2000000000000000"
    assert str(call("ROUND", value, -2)) == "12345678987654300.0000000000000000"
    assert str(call("ROUND", value)) == "12345678987654321"  # no places: scale 0


def test_round_types_follow_ksqldb() -> None:
    assert returns("ROUND", INTEGER) == "BIGINT"
    assert returns("ROUND", DecimalType("DECIMAL", 5, 2)) == "DECIMAL(3, 0)"
    assert returns("ROUND", DecimalType("DECIMAL", 5, 2), INTEGER) == "DECIMAL(5, 2)"


def resolve(name: str, *types: SqlType) -> str:
    return str(functions.resolve(name, list(types))[1])


def test_typed_calls_are_checked_as_ksqldb_resolves_overloads() -> None:
    assert resolve("DATEADD", functions.INTERVAL_UNIT, INTEGER, DATE) == "DATE"
    assert resolve("LOG", INTEGER) == "DOUBLE"  # INT widens to DOUBLE
    assert resolve("ARRAY_REMOVE", ArrayType("ARRAY", INTEGER), NULL_TYPE) == "ARRAY<INTEGER>"
    with pytest.raises(KsqlStatementError) as refused:
        functions.resolve("timesub", [TIME, INTEGER, TIME])
    assert str(refused.value).startswith(
        "Function 'timesub' does not accept parameters (TIME, INTEGER, TIME).\n"
        "Valid alternatives are:\ntimesub(INTERVALUNIT, INT, TIME)"
    )
    with pytest.raises(KsqlStatementError, match=r"does not accept parameters \(STRING\)"):
        functions.resolve("SQRT", [STRING])
    # a generic binds once: both arrays must hold one type
    with pytest.raises(KsqlStatementError, match="array_union"):
        functions.resolve("ARRAY_UNION", [ArrayType("ARRAY", STRING), ArrayType("ARRAY", BOOLEAN)])


def test_explode_lists_its_named_alternatives() -> None:
    with pytest.raises(KsqlStatementError) as refused:
        functions.resolve("EXPLODE", [MapType("MAP", STRING, INTEGER)])
    assert "explode(ARRAY<DECIMAL> input)\nexplode(ARRAY<T> list)" in str(refused.value)


@pytest.mark.parametrize(
    ("name", "args", "value"),
    [
        ("CHR", (75,), "K"),
        ("CHR", ("\\u004b",), "K"),
        ("CHR", (-1,), None),  # not a code point
        ("ELT", (2, "a", "b"), "b"),
        ("ELT", (3, "a", "b"), None),
        ("FIELD", ("b", "a", "b"), 2),
        ("FIELD", (None, "a"), 0),
        ("ENCODE", ("4b", "hex", "ascii"), "K"),
        ("ENCODE", ("Hello", "utf8", "base64"), "SGVsbG8="),
        ("ENCODE", ("0x4b", "hex", "utf8"), "K"),
        ("MD5", ("hello",), "5d41402abc4b2a76b9719d911017c592"),
        ("MASK", ("Ab1-",), "Xxn-"),
        ("MASK", ("Ab1-", "U", None, "#", None), "Ub#-"),
        ("MASK_LEFT", ("Abc123", 2), "Xxc123"),
        ("MASK_RIGHT", ("Abc123", 2), "Abc1nn"),
        ("MASK_KEEP_LEFT", ("Abc123", 2), "Abxnnn"),
        ("MASK_KEEP_RIGHT", ("Abc123", 2), "Xxxn23"),
        ("SPLIT_TO_MAP", ("a=1;b=2;a=3", ";", "="), {"a": "3", "b": "2"}),
        ("SPLIT_TO_MAP", ("a=1", "=", "="), None),  # same delimiters
    ],
)
def test_more_string_functions(name: str, args: tuple[Any, ...], value: Any) -> None:
    assert call(name, *args) == value


def test_string_functions_with_bad_input_fail_the_call_with_a_message() -> None:
    with pytest.raises(ValueError, match="Supported input and output encodings"):
        call("ENCODE", "x", "hex", "klingon")
    with pytest.raises(ValueError, match="requires a non-negative number"):
        call("MASK_LEFT", "abc", -1)
    with pytest.raises(ValueError, match="Invalid mask character"):
        call("MASK", "abc", "XY", None, None, None)


@pytest.mark.parametrize(
    ("name", "args", "value"),
    [
        ("REGEXP_EXTRACT", ("(?<num>\\d+)", "abc 123 45"), "123"),  # Java named group
        ("REGEXP_EXTRACT", ("(\\w)(\\d)", "a1", 2), "1"),
        ("REGEXP_EXTRACT", ("(\\w)", "a1", 2), None),  # no such group
        ("REGEXP_EXTRACT_ALL", ("\\d", "a1b2"), ["1", "2"]),
        ("REGEXP_REPLACE", ("a1b2", "(\\d)", "<$1>"), "a<1>b<2>"),
        ("REGEXP_REPLACE", ("a.b", "\\Q.\\E", "\\$"), "a$b"),
        ("REGEXP_SPLIT_TO_ARRAY", ("a1b22c", "\\d+"), ["a", "b", "c"]),
        ("REGEXP_SPLIT_TO_ARRAY", ("1a1", "1"), ["", "a", ""]),
        ("REGEXP_SPLIT_TO_ARRAY", ("abc", ""), ["a", "b", "c"]),
        ("REGEXP_EXTRACT", ("\\p{Upper}+", "abCDe"), "CD"),
    ],
)
def test_regex_functions_read_java_syntax(name: str, args: tuple[Any, ...], value: Any) -> None:
    assert call(name, *args) == value


def test_an_invalid_regex_fails_the_call_naming_the_pattern() -> None:
    with pytest.raises(ValueError, match=r"Invalid regular expression pattern: \(a"):
        call("REGEXP_REPLACE", "abc", "(a", "x")


@pytest.mark.parametrize(
    ("name", "args", "value"),
    [
        ("TRUNC", (1.789,), 1),
        ("TRUNC", (-1.789, 2), -1.78),
        ("TRUNC", (Decimal("12.345"), 1), Decimal("12.300")),  # keeps the scale
        ("TRUNC", (Decimal("-12.345"),), Decimal("-12")),
        ("LOG", (100, 1000), 1.5),
        ("DEGREES", (math.pi,), 180.0),
        ("CBRT", (-27.0,), -3.0),
        ("ATAN2", (1.0, 1.0), math.pi / 4),
        ("PI", (), math.pi),
        ("SINH", (1e6,), math.inf),
    ],
)
def test_more_math_functions(name: str, args: tuple[Any, ...], value: Any) -> None:
    assert call(name, *args) == pytest.approx(value)


def test_trunc_types() -> None:
    assert resolve("TRUNC", DecimalType("DECIMAL", 5, 2)) == "DECIMAL(3, 0)"
    assert resolve("TRUNC", DOUBLE, INTEGER) == "DOUBLE"
    assert resolve("TRUNC", DOUBLE) == "BIGINT"


def test_bytes_conversions() -> None:
    assert call("INT_FROM_BYTES", b"\x00\x00\x01\x00") == 256
    assert call("INT_FROM_BYTES", b"\x00\x01\x00\x00", "LITTLE_ENDIAN") == 256
    assert call("DOUBLE_FROM_BYTES", b"?\xf0\x00\x00\x00\x00\x00\x00") == 1.0
    with pytest.raises(ValueError, match="Number of bytes must be equal to 8, but found 2"):
        call("BIGINT_FROM_BYTES", b"ab")
    with pytest.raises(ValueError, match="Unknown byte order 'MIDDLE'"):
        call("INT_FROM_BYTES", b"abcd", "MIDDLE")


def test_casts_of_collections_convert_each_element_and_print_as_java() -> None:
    struct = StructType("STRUCT", (("F0", INTEGER), ("f1", INTEGER), ("G", STRING)))
    assert cast_value({"F0": 1, "f1": 3, "G": None}, struct, STRING) == "Struct{F0=1,f1=3}"
    assert cast_value({"this": 1.5}, MapType("MAP", STRING, DOUBLE), STRING) == "{this=1.5}"
    assert cast_value([1, None], ArrayType("ARRAY", INTEGER), STRING) == "[1, null]"
    wide = ArrayType("ARRAY", BIGINT)
    assert cast_value([1, 2**31], wide, ArrayType("ARRAY", INTEGER)) == [1, -(2**31)]
