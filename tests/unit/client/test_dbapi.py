"""``ksqlpy.dbapi`` without a server: parameter binding, literals, type objects, errors, shapes."""

from __future__ import annotations

import base64
import doctest
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlglot.tokenizer_core import TokenType

from ksqlpy import (
    AuthenticationError,
    AuthorizationError,
    ClientClosedError,
    ConfigurationError,
    InsertError,
    KsqlError,
    KsqlServerError,
    KsqlStatementError,
    KsqlSyntaxError,
    KsqlTimeoutError,
    NotFoundError,
    ProtocolError,
    ServerUnavailableError,
    dbapi,
)
from ksqlpy._types import Column, parse_type
from ksqlpy.dbapi import bind, literal
from ksqlpy.dbapi._binding import _fast_insert
from ksqlpy.dbapi._cursor import _terminated
from ksqlpy.dbapi._errors import _translate
from ksqlpy.dbapi._types import _describe
from ksqlpy.sql._lex import tokenize

# --- module globals and the exception tree ------------------------------------------------------


def test_module_globals_follow_pep_249() -> None:
    assert dbapi.apilevel == "2.0"
    assert dbapi.paramstyle == "qmark"
    assert dbapi.threadsafety in (0, 1, 2, 3)
    for name in dbapi.__all__:
        assert getattr(dbapi, name) is not None, name
    required = {
        "connect", "apilevel", "threadsafety", "paramstyle", "Warning", "Error", "InterfaceError",
        "DatabaseError", "DataError", "OperationalError", "IntegrityError", "InternalError",
        "ProgrammingError", "NotSupportedError", "Date", "Time", "Timestamp", "DateFromTicks",
        "TimeFromTicks", "TimestampFromTicks", "Binary", "STRING", "BINARY", "NUMBER", "DATETIME",
        "ROWID",
    }  # fmt: skip
    assert required <= set(dbapi.__all__)


def test_exception_tree_is_pep_249s_and_every_error_is_a_ksql_error() -> None:
    database_errors = [
        dbapi.DataError,
        dbapi.OperationalError,
        dbapi.IntegrityError,
        dbapi.InternalError,
        dbapi.ProgrammingError,
        dbapi.NotSupportedError,
    ]
    for cls in database_errors:
        assert issubclass(cls, dbapi.DatabaseError)
    assert issubclass(dbapi.DatabaseError, dbapi.Error)
    assert issubclass(dbapi.InterfaceError, dbapi.Error)
    assert not issubclass(dbapi.Error, dbapi.Warning)
    assert issubclass(dbapi.Error, KsqlError)
    assert issubclass(dbapi.Warning, Exception)


def test_binding_docstring_examples_are_true() -> None:
    for function in (bind, literal):
        finder = doctest.DocTestFinder()
        runner = doctest.DocTestRunner()
        for test in finder.find(function, globs={"bind": bind, "literal": literal}):
            assert test.examples, function.__name__
            runner.run(test)
        assert runner.failures == 0, function.__name__


def test_public_names_have_docstrings() -> None:
    for name in dbapi.__all__:
        value = getattr(dbapi, name)
        if callable(value) and str(getattr(value, "__module__", "")).startswith(dbapi.__name__):
            assert value.__doc__, name
    for cls in (dbapi.Connection, dbapi.Cursor):
        for attr, member in vars(cls).items():
            if not attr.startswith("_"):
                assert getattr(member, "__doc__", None), f"{cls.__name__}.{attr}"


# --- type objects and description ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_code", "type_object"),
    [
        ("STRING", dbapi.STRING),
        ("BYTES", dbapi.BINARY),
        ("INTEGER", dbapi.NUMBER),
        ("BIGINT", dbapi.NUMBER),
        ("DOUBLE", dbapi.NUMBER),
        ("DECIMAL(10, 2)", dbapi.NUMBER),
        ("TIMESTAMP", dbapi.DATETIME),
        ("DATE", dbapi.DATETIME),
        ("TIME", dbapi.DATETIME),
        ("BOOLEAN", dbapi.BOOLEAN),
        ("ARRAY<DECIMAL(4, 2)>", dbapi.ARRAY),
        ("MAP<STRING, INTEGER>", dbapi.MAP),
        ("STRUCT<`A` INTEGER>", dbapi.STRUCT),
    ],
)
def test_type_codes_equal_exactly_their_type_object(type_code: str, type_object: Any) -> None:
    assert type_code == type_object
    assert type_object == type_code
    others = [
        dbapi.STRING,
        dbapi.BINARY,
        dbapi.NUMBER,
        dbapi.DATETIME,
        dbapi.ROWID,
        dbapi.BOOLEAN,
        dbapi.ARRAY,
        dbapi.MAP,
        dbapi.STRUCT,
    ]
    assert [o for o in others if o == type_code] == [type_object]


def test_type_objects_hash_and_repr() -> None:
    assert len({dbapi.NUMBER, dbapi.NUMBER, dbapi.STRING}) == 2
    assert "DECIMAL" in repr(dbapi.NUMBER)
    assert dbapi.NUMBER != 3


def test_description_has_seven_fields_and_decimal_precision() -> None:
    columns = [
        Column("ID", parse_type("INT")),
        Column("AMOUNT", parse_type("DECIMAL(10, 2)")),
        Column("TAGS", parse_type("ARRAY<STRING>")),
    ]
    description = _describe(columns)
    assert description == (
        ("ID", "INTEGER", None, None, None, None, None),
        ("AMOUNT", "DECIMAL(10, 2)", None, None, 10, 2, None),
        ("TAGS", "ARRAY<STRING>", None, None, None, None, None),
    )
    assert description[1][1] == dbapi.NUMBER


def test_constructors_build_python_values_in_utc() -> None:
    assert dbapi.Date(2024, 1, 31) == date(2024, 1, 31)
    assert dbapi.Time(12, 30) == time(12, 30)
    assert dbapi.Timestamp(2024, 1, 31, 12) == datetime(2024, 1, 31, 12)
    assert dbapi.Binary(b"\x00") == b"\x00"
    ticks = datetime(2024, 1, 31, 23, 30, tzinfo=UTC).timestamp()
    assert dbapi.TimestampFromTicks(ticks) == datetime(2024, 1, 31, 23, 30, tzinfo=UTC)
    assert dbapi.DateFromTicks(ticks) == date(2024, 1, 31)
    assert dbapi.TimeFromTicks(ticks) == time(23, 30)


# --- literals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "NULL"),
        (True, "TRUE"),
        (False, "FALSE"),
        (-7, "-7"),
        (2.5, "2.5"),
        (Decimal("1.50"), "1.50"),
        (Decimal("1E+2"), "100"),
        ("it's", "'it''s'"),
        (b"\x01\x02", "'AQI='"),
        (date(2024, 1, 2), "'2024-01-02'"),
        (time(3, 4, 5), "'03:04:05.000'"),
        (datetime(2024, 1, 2, 3, 4, 5, 123456), "'2024-01-02T03:04:05.123'"),
        (
            datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
            "'2024-01-02T01:04:05.000'",
        ),
        ([1, None, "a"], "ARRAY[1, NULL, 'a']"),
        ((), "ARRAY[]"),
        ({"k": [1]}, "MAP('k' := ARRAY[1])"),
    ],
)
def test_literal_renders_ksql_literals(value: Any, expected: str) -> None:
    assert literal(value) == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Inf")])
def test_non_finite_numbers_are_data_errors(value: Any) -> None:
    with pytest.raises(dbapi.DataError, match="no literal"):
        literal(value)


def test_time_with_a_zone_is_a_data_error() -> None:
    with pytest.raises(dbapi.DataError, match="TIME has no time zone"):
        literal(time(1, 2, tzinfo=UTC))


def test_unsupported_values_are_programming_errors() -> None:
    with pytest.raises(dbapi.ProgrammingError, match="cannot bind a object"):
        literal(object())


@given(st.text())
def test_string_literal_round_trips_as_one_string_token(value: str) -> None:
    tokens = tokenize(literal(value))
    assert [t.token_type for t in tokens] == [TokenType.STRING]
    assert tokens[0].text == value


@given(st.integers() | st.decimals(allow_nan=False, allow_infinity=False))
def test_number_literal_round_trips(value: int | Decimal) -> None:
    text = literal(value)
    tokens = tokenize(text)
    assert tokens[-1].token_type == TokenType.NUMBER
    assert "".join(t.text for t in tokens) == text.replace(" ", "")
    assert Decimal(text) == value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_literal_round_trips(value: float) -> None:
    assert float(literal(value)) == value


@given(st.datetimes(timezones=st.just(UTC)))
def test_timestamp_literal_is_utc_to_the_millisecond(value: datetime) -> None:
    text = literal(value)[1:-1]
    parsed = datetime.fromisoformat(text).replace(tzinfo=UTC)
    assert parsed == value.replace(microsecond=value.microsecond // 1000 * 1000)


def test_bytes_literal_is_base64_text() -> None:
    data = bytes(range(256))
    assert base64.b64decode(literal(data)[1:-1]) == data
    assert literal(bytearray(b"ab")) == literal(memoryview(b"ab")) == "'YWI='"


# --- binding ------------------------------------------------------------------------------------


def test_bind_replaces_placeholders_in_order() -> None:
    sql = "SELECT * FROM t WHERE a = ? AND b IN (?, ?) LIMIT ?;"
    assert bind(sql, ("x", 1.5, None, 3)) == (
        "SELECT * FROM t WHERE a = 'x' AND b IN (1.5, NULL) LIMIT 3;"
    )


def test_bind_leaves_question_marks_in_literals_identifiers_and_comments() -> None:
    sql = "SELECT `a?`, '?' FROM t -- ?\n/* ? */ WHERE x = ?;"
    assert bind(sql, [1]) == "SELECT `a?`, '?' FROM t -- ?\n/* ? */ WHERE x = 1;"


@pytest.mark.parametrize(("count", "given"), [(2, 1), (1, 0), (0, 1)])
def test_wrong_parameter_count_names_both_counts(count: int, given: int) -> None:
    sql = "SELECT * FROM t WHERE " + " AND ".join(["a = ?"] * count or ["TRUE"])
    with pytest.raises(dbapi.ProgrammingError, match=f"has {count} placeholder.*but {given}"):
        bind(sql, [0] * given)


def test_no_parameters_means_none_are_expected() -> None:
    assert bind("SELECT '?' FROM t;", None) == "SELECT '?' FROM t;"
    with pytest.raises(dbapi.ProgrammingError, match="1 placeholder"):
        bind("SELECT ? FROM t;", None)


@pytest.mark.parametrize("params", ["ab", {"a": 1}, 5, b"ab"])
def test_parameters_must_be_a_sequence(params: Any) -> None:
    with pytest.raises(dbapi.ProgrammingError, match="must be a sequence"):
        bind("SELECT ? FROM t;", params)


def test_an_unterminated_quote_is_a_programming_error_with_the_cause() -> None:
    with pytest.raises(dbapi.ProgrammingError, match="unterminated string") as caught:
        bind("SELECT 'abc FROM t WHERE a = ?;", [1])
    assert isinstance(caught.value.__cause__, KsqlSyntaxError)


_QUIET = st.text(alphabet="ab? '`*/-\n", max_size=8)
# Pieces of SQL that must come out of bind() unchanged, each holding question marks.
_UNTOUCHED = st.one_of(
    _QUIET.map(lambda s: "'" + s.replace("'", "''") + "'"),
    _QUIET.filter(lambda s: "`" not in s).map(lambda s: "`x" + s + "`"),
    _QUIET.filter(lambda s: "\n" not in s).map(lambda s: "-- " + s + "\n"),
    _QUIET.filter(lambda s: "*/" not in s and not s.endswith("*")).map(lambda s: "/*" + s + "*/"),
)
_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=10), st.decimals(places=2)
).filter(lambda v: not isinstance(v, Decimal) or v.is_finite())


@given(st.lists(st.tuples(_UNTOUCHED, st.booleans(), _VALUES), max_size=8))
def test_bind_touches_only_bare_placeholders(pieces: list[tuple[str, bool, Any]]) -> None:
    sql, expected, params = ["SELECT 1 FROM t WHERE "], ["SELECT 1 FROM t WHERE "], []
    for untouched, placeholder, value in pieces:
        sql.append(f" {untouched} ")
        expected.append(f" {untouched} ")
        if placeholder:
            sql.append(" = ? ")
            expected.append(f" = {literal(value)} ")
            params.append(value)
    assert bind("".join(sql), params) == "".join(expected)


# --- statement shapes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "target", "columns", "width"),
    [
        ("INSERT INTO s (a, `B c`) VALUES (?, ?);", "S", ["A", "B c"], 2),
        ("insert into `My s` values (?, ?, ?)", "My s", None, 3),
        ("INSERT INTO s VALUES (?) -- one\n", "S", None, 1),
    ],
)
def test_fast_insert_recognises_all_placeholder_inserts(
    sql: str, target: str, columns: list[str] | None, width: int
) -> None:
    shape = _fast_insert(tokenize(sql))
    assert shape is not None
    assert (shape.target, shape.columns, shape.width) == (target, columns, width)


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO s (a, b) VALUES (?, 1);",
        "INSERT INTO s (a) VALUES (UCASE(?));",
        "INSERT INTO s SELECT * FROM t;",
        "INSERT INTO s VALUES (?), (?);",
        "SELECT * FROM s WHERE a = ?;",
        "INSERT INTO s (a VALUES (?);",
        "INSERT INTO ${target} VALUES (?);",
    ],
)
def test_fast_insert_refuses_anything_else(sql: str) -> None:
    assert _fast_insert(tokenize(sql)) is None


def test_terminated_adds_a_semicolon_before_a_trailing_comment() -> None:
    sql = "SHOW STREAMS -- list them"
    assert _terminated(sql, tokenize(sql)) == "SHOW STREAMS; -- list them"
    assert _terminated("SHOW STREAMS;", tokenize("SHOW STREAMS;")) == "SHOW STREAMS;"


@pytest.mark.parametrize("sql", ["SHOW STREAMS; SHOW TABLES;", "SHOW STREAMS; SHOW TABLES"])
def test_more_than_one_statement_is_refused(sql: str) -> None:
    with pytest.raises(dbapi.ProgrammingError, match="runs one statement"):
        _terminated(sql, tokenize(sql))


@pytest.mark.parametrize("sql", ["", "  -- nothing", ";"])
def test_an_empty_statement_is_refused(sql: str) -> None:
    with pytest.raises(dbapi.ProgrammingError, match="no statement"):
        _terminated(sql, tokenize(sql))


# --- error translation --------------------------------------------------------------------------


def _server(cls: type[KsqlServerError], status: int | None = 400) -> KsqlServerError:
    return cls(
        "boom",
        error_code=40001,
        http_status=status,
        statement_text="DROP STREAM x;",
        entities=("e",),
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_server(KsqlStatementError), dbapi.ProgrammingError),
        (_server(KsqlStatementError, 500), dbapi.InternalError),
        (_server(NotFoundError, 404), dbapi.ProgrammingError),
        (_server(AuthenticationError, 401), dbapi.OperationalError),
        (_server(AuthorizationError, 403), dbapi.OperationalError),
        (_server(ServerUnavailableError, None), dbapi.OperationalError),
        (_server(KsqlServerError, 500), dbapi.InternalError),
        (_server(KsqlServerError, 409), dbapi.DatabaseError),
        (KsqlTimeoutError("slow"), dbapi.OperationalError),
        (ProtocolError("garbled"), dbapi.InterfaceError),
        (ClientClosedError("closed"), dbapi.InterfaceError),
        (ConfigurationError("bad option"), dbapi.InterfaceError),
        (KsqlSyntaxError("bad", 1, 2), dbapi.ProgrammingError),
        (KsqlError("other"), dbapi.DatabaseError),
    ],
)
def test_ksqlpy_errors_map_to_dbapi_classes(error: KsqlError, expected: type) -> None:
    translated = _translate(error)
    assert type(translated) is expected
    assert str(translated) == str(error)


def test_translated_errors_keep_the_server_fields() -> None:
    translated = _translate(_server(KsqlStatementError))
    assert translated.error_code == 40001
    assert translated.http_status == 400
    assert translated.statement_text == "DROP STREAM x;"
    assert translated.entities == ("e",)
    assert translated.message == "boom"


def test_a_refused_row_is_a_data_error_with_its_position() -> None:
    refused = InsertError("no", seq=3, row={"A": 1}, acknowledged=2, error_code=40000)
    translated = _translate(refused)
    assert isinstance(translated, dbapi.DataError)
    assert (translated.seq, translated.row, translated.acknowledged) == (3, {"A": 1}, 2)
    assert translated.error_code == 40000


# --- connection state without a server ----------------------------------------------------------


def test_closed_connection_and_cursor_say_so() -> None:
    conn = dbapi.connect("http://127.0.0.1:9")  # never contacted
    cur = conn.cursor()
    cur.close()
    cur.close()  # idempotent
    with pytest.raises(dbapi.InterfaceError, match="cursor is closed"):
        cur.execute("SHOW STREAMS;")
    other = conn.cursor()
    conn.close()
    conn.close()  # idempotent
    assert other.closed
    for call in (conn.cursor, conn.commit, conn.rollback):
        with pytest.raises(dbapi.InterfaceError, match="connection is closed"):
            call()
    with pytest.raises(dbapi.InterfaceError, match="closed"):
        other.fetchone()


def test_transactions_commit_is_a_no_op_and_rollback_is_not_supported() -> None:
    with dbapi.connect("http://127.0.0.1:9") as conn:
        conn.commit()
        with pytest.raises(dbapi.NotSupportedError, match="no transactions"):
            conn.rollback()
    assert conn.closed


def test_bad_client_options_are_interface_errors() -> None:
    with pytest.raises(dbapi.InterfaceError) as caught:
        dbapi.connect("http://127.0.0.1:9", retries=-1)
    assert isinstance(caught.value.__cause__, ConfigurationError)


def test_fetch_before_execute_is_a_programming_error() -> None:
    with dbapi.connect("http://127.0.0.1:9") as conn:
        cur = conn.cursor()
        assert cur.description is None
        assert cur.rowcount == -1
        assert cur.arraysize == 1
        cur.setinputsizes([10])
        cur.setoutputsize(10)
        with pytest.raises(dbapi.ProgrammingError, match="no result set"):
            cur.fetchall()
