"""The KSQL type model: parsing type strings and converting JSON values by type."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksqlpy import Column, SqlType, parse_type
from ksqlpy._types import converter, has_decimal, parse_columns, parse_schema


def test_parses_nested_struct_with_unquoted_names_and_aliases() -> None:
    t = parse_type("STRUCT<A INT, B ARRAY<STRING>>")
    assert t.name == "STRUCT"
    assert [name for name, _ in t.fields] == ["A", "B"]
    assert t.fields[0][1] == SqlType("INTEGER")
    assert t.fields[1][1] == SqlType("ARRAY", element=SqlType("STRING"))
    assert str(t) == "STRUCT<`A` INTEGER, `B` ARRAY<STRING>>"


@pytest.mark.parametrize(
    "text",
    [
        "BOOLEAN",
        "INTEGER",
        "BIGINT",
        "DOUBLE",
        "STRING",
        "BYTES",
        "DATE",
        "TIME",
        "TIMESTAMP",
        "DECIMAL(4, 2)",
        "ARRAY<ARRAY<ARRAY<BIGINT>>>",
        "MAP<STRING, INTEGER>",
        "STRUCT<`F1` STRING, `F2` STRING>",
        "STRUCT< >",
        "STRUCT<`a b` INTEGER, `x``y` MAP<STRING, DECIMAL(38, 10)>>",
    ],
)
def test_ksqldb_spellings_round_trip(text: str) -> None:
    assert str(parse_type(text)) == text


def test_aliases_and_case_are_normalised() -> None:
    assert parse_type("int") == SqlType("INTEGER")
    assert parse_type("varchar") == SqlType("STRING")
    assert parse_type("VARCHAR(10)") == SqlType("STRING")
    assert parse_type("decimal( 10 ,2 )") == SqlType("DECIMAL", precision=10, scale=2)


@pytest.mark.parametrize(
    "text", ["", "ARRAY<", "ARRAY<INT", "MAP<STRING>", "DECIMAL(4)", "STRUCT<A>", "INT INT", "<"]
)
def test_malformed_types_raise_value_error_naming_the_text(text: str) -> None:
    with pytest.raises(ValueError, match="cannot parse type"):
        parse_type(text)


def test_unknown_type_names_are_kept_not_rejected() -> None:
    assert parse_type("ADDRESS") == SqlType("ADDRESS")
    assert converter(SqlType("ADDRESS")) is None


_PRIMITIVE = st.sampled_from(
    ["BOOLEAN", "INTEGER", "BIGINT", "DOUBLE", "STRING", "BYTES", "DATE", "TIME", "TIMESTAMP"]
).map(SqlType)
_NAMES = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=8)


def _extend(inner: st.SearchStrategy[SqlType]) -> st.SearchStrategy[SqlType]:
    return st.one_of(
        inner.map(lambda t: SqlType("ARRAY", element=t)),
        inner.map(lambda t: SqlType("MAP", key=SqlType("STRING"), value=t)),
        st.lists(st.tuples(_NAMES, inner), max_size=3).map(
            lambda fs: SqlType("STRUCT", fields=tuple(fs))
        ),
    )


_TYPES = st.recursive(
    st.one_of(
        _PRIMITIVE,
        st.tuples(st.integers(1, 38), st.integers(0, 38)).map(
            lambda ps: SqlType("DECIMAL", precision=ps[0], scale=ps[1])
        ),
    ),
    _extend,
    max_leaves=8,
)


@given(_TYPES)
def test_any_type_survives_rendering_and_parsing(t: SqlType) -> None:
    assert parse_type(str(t)) == t


def test_schema_strings_give_key_and_header_columns() -> None:
    columns = parse_schema(
        "`K` INTEGER KEY, `HEADER` BYTES HEADER('abc'), `H2` ARRAY<STRUCT<`KEY` STRING, "
        "`VALUE` BYTES>> HEADERS, `ID` STRUCT<`F1` STRING, `F2` STRING> KEY, `TEXT` STRING"
    )
    assert [(c.name, c.key, c.header) for c in columns] == [
        ("K", True, None),
        ("HEADER", False, "abc"),
        ("H2", False, ""),
        ("ID", True, None),
        ("TEXT", False, None),
    ]
    assert str(columns[3].type) == "STRUCT<`F1` STRING, `F2` STRING>"


def test_delimited_header_columns_must_pair_names_and_types() -> None:
    assert parse_columns(["A"], ["BIGINT"]) == (Column("A", SqlType("BIGINT")),)
    with pytest.raises(ValueError, match="1 column names but 2 types"):
        parse_columns(["A"], ["BIGINT", "STRING"])


def test_has_decimal_looks_inside_containers() -> None:
    assert has_decimal(parse_type("MAP<STRING, ARRAY<DECIMAL(4, 2)>>"))
    assert not has_decimal(parse_type("STRUCT<A DOUBLE, B ARRAY<STRING>>"))


def _convert(type_text: str, value: object, exact: bool = True) -> object:
    conv = converter(parse_type(type_text), exact)
    return value if conv is None else conv(value)


def test_top_level_values_convert_to_python_types() -> None:
    assert _convert("DECIMAL(4, 2)", Decimal("1.50")) == Decimal("1.50")
    assert str(_convert("DECIMAL(4, 2)", Decimal("1.50"))) == "1.50"
    assert _convert("DECIMAL(20, 0)", 12345678901234567890) == Decimal(12345678901234567890)
    assert _convert("BYTES", "IQ==") == b"!"
    assert _convert("DATE", "2024-01-02") == date(2024, 1, 2)
    assert _convert("TIME", "00:00") == time(0, 0)
    assert _convert("TIME", "10:15:30") == time(10, 15, 30)
    assert _convert("TIMESTAMP", "1970-01-01T00:00:00.001") == datetime(
        1970, 1, 1, 0, 0, 0, 1000, tzinfo=UTC
    )
    assert _convert("DOUBLE", Decimal("1.5")) == 1.5
    assert isinstance(_convert("DOUBLE", Decimal("1.5")), float)
    assert _convert("DOUBLE", "NaN") != _convert("DOUBLE", "NaN")  # float('nan')


def test_decimal_stays_exact_even_when_floats_were_not_decoded_exactly() -> None:
    assert _convert("DECIMAL(3, 2)", 0.1, exact=False) == Decimal("0.1")


def test_struct_fields_accept_epoch_forms_for_temporal_types() -> None:
    value = {"TS": 1, "D": 19724, "T": 61_000, "B": base64.b64encode(b"\x00\x01").decode(), "X": 7}
    out = _convert("STRUCT<TS TIMESTAMP, D DATE, T TIME, B BYTES, X INT>", value)
    assert out == {
        "TS": datetime(1970, 1, 1, 0, 0, 0, 1000, tzinfo=UTC),
        "D": date(2024, 1, 2),
        "T": time(0, 1, 1),
        "B": b"\x00\x01",
        "X": 7,
    }
    assert value["TS"] == 1, "the decoded JSON is not modified"


def test_nested_containers_convert_elements_and_keep_nulls() -> None:
    assert _convert("ARRAY<DECIMAL(2, 1)>", [Decimal("1.5"), None]) == [Decimal("1.5"), None]
    assert _convert("MAP<STRING, ARRAY<BYTES>>", {"k": ["IQ==", None]}) == {"k": [b"!", None]}
    assert _convert("MAP<INTEGER, STRING>", {"1": "a"}) == {1: "a"}
    assert _convert("ARRAY<STRUCT<D DATE>>", [{"D": "2024-01-02"}, {"D": None}]) == [
        {"D": date(2024, 1, 2)},
        {"D": None},
    ]


def test_json_native_types_need_no_conversion() -> None:
    for text in ("BOOLEAN", "INTEGER", "BIGINT", "STRING", "ARRAY<STRING>", "STRUCT<A INT>"):
        assert converter(parse_type(text)) is None, text
    assert converter(parse_type("DOUBLE"), exact_floats=False) is None


def test_timestamps_with_a_zone_are_normalised_to_utc_on_every_path() -> None:
    from ksqlpy._rows import row_factory

    noon_plus_two = "2024-01-02T12:00:00+02:00"
    ten_utc = datetime(2024, 1, 2, 10, tzinfo=UTC)
    assert _convert("TIMESTAMP", noon_plus_two) == ten_utc
    assert _convert("TIMESTAMP", "2024-01-02T10:00:00Z") == ten_utc
    build, _ = row_factory((Column("T", SqlType("TIMESTAMP")),))
    row = build([noon_plus_two])
    assert row[0] == ten_utc
    assert row[0].utcoffset() is not None
    assert build(["2024-01-02T10:00:00.000"])[0] == ten_utc
    assert build(["not a time"])[0] == "not a time"
