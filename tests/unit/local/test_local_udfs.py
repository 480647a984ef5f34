"""Python UDFs (ksqlpy.local.udf): loaded from files, resolved and called as built-ins are."""

from __future__ import annotations

import importlib.metadata
import logging
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine.catalog import describe, function_names
from ksqlpy.local.engine.errors import KsqlStatementError
from ksqlpy.local.engine.results import FunctionName
from ksqlpy.local.entities import function_description
from ksqlpy.local.udf import UdfLoadError, load, unload

FIXTURE = """
from ksqlpy.local.udf import udaf, udf, udtf


@udf("udft_times", description="Multiplies.", author="team", version="1.2")
def times(a: int, b: int) -> int:
    return a * b


@udf("udft_times", signature="(STRING, INT) -> STRING")
def times_text(text, n):
    return text * n


@udf("udft_join", signature="(STRING, STRING...) -> STRING")
def join(sep, *parts):
    return sep.join(p for p in parts if p is not None)


@udf("udft_fail", signature="(INT) -> STRING")
def fail(x):
    return str(10 // x)


@udf("udft_nulls", signature="(STRING) -> STRING")
def nulls(x):
    return "was null" if x is None else x


@udf("udft_first", signature="(ARRAY<T>) -> T")
def first(items):
    return items[0] if items else None


@udtf("udft_split", description="One row per word.")
def split(text: str) -> list[str]:
    return text.split()


@udaf("udft_sum", signature="(INT) -> BIGINT", description="Sums, and takes back.")
class Sum:
    def initialize(self):
        return 0

    def aggregate(self, value, total):
        return total + (value or 0)

    def undo(self, value, total):
        return total - (value or 0)

    def merge(self, one, two):
        return one + two

    def map(self, total):
        return total


@udaf("udft_offset_sum", signature="(INT) -> BIGINT", literals="INT")
class OffsetSum(Sum):
    def __init__(self, offset):
        self.offset = offset

    def map(self, total):
        return total + self.offset

    undo = None


@udaf("udft_tagged_sum", signature="(INT, STRING) -> BIGINT", literals="INT, STRING...")
class TaggedSum(Sum):
    def __init__(self, offset, *tags):
        self.offset = offset + sum(len(t) for t in tags)

    def aggregate(self, value, total):
        number, text = value
        return total + (number or 0) + len(text or "")

    def map(self, total):
        return total + self.offset

    undo = None
"""
NAMES = [
    "udft_times",
    "udft_join",
    "udft_fail",
    "udft_nulls",
    "udft_first",
    "udft_split",
    "udft_sum",
    "udft_offset_sum",
    "udft_tagged_sum",
]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("udfs")
    (folder / "team_udfs.py").write_text(FIXTURE)
    assert sorted(load([folder])) == sorted(n.upper() for n in NAMES)
    yield folder / "team_udfs.py"
    unload(NAMES)


@pytest.fixture
def runtime(loaded: Path) -> SmallRuntime:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (ID STRING KEY, V INT, T STRING, A ARRAY<STRING>) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='s', VALUE_FORMAT='JSON');"
    )
    return runtime


def select(runtime: SmallRuntime, items: str, rows: list[str]) -> list[Any]:
    runtime.run(f"CREATE STREAM O AS SELECT ID, {items} FROM S;")
    for values in rows:
        runtime.run(f"INSERT INTO S (ID, V, T, A) VALUES ('k', {values});")
    return [value for _, value in runtime.records("O")]


def test_overloads_resolve_by_argument_types(runtime: SmallRuntime) -> None:
    out = select(runtime, "UDFT_TIMES(V, 3) AS N, UDFT_TIMES(T, V) AS S", ["2, 'ab', NULL"])
    assert out == [[6, "abab"]]
    assert runtime.schema("O") == "ID STRING KEY, N BIGINT, S STRING"


def test_variadic_and_generic_signatures(runtime: SmallRuntime) -> None:
    out = select(
        runtime, "UDFT_JOIN('-', T, T, 'x') AS J, UDFT_FIRST(A) AS F", ["1, 'a', ARRAY['p']"]
    )
    assert out == [["a-a-x", "p"]]
    assert runtime.schema("O") == "ID STRING KEY, J STRING, F STRING"


def test_a_call_no_overload_fits_is_refused_as_ksqldb_refuses_it(runtime: SmallRuntime) -> None:
    with pytest.raises(KsqlStatementError, match="Function 'udft_times' does not accept"):
        runtime.run("CREATE STREAM O AS SELECT ID, UDFT_TIMES(A, A) FROM S;")


def test_null_arguments_reach_the_function(runtime: SmallRuntime) -> None:
    assert select(runtime, "UDFT_NULLS(T) AS R", ["1, NULL, NULL"]) == [["was null"]]


def test_an_exception_is_null_for_that_row_and_a_log_entry(
    runtime: SmallRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ksqlpy.local.udf"):
        out = select(runtime, "UDFT_FAIL(V) AS R", ["0, 'a', NULL", "5, 'a', NULL"])
    assert out == [[None], ["2"]]
    assert "UDFT_FAIL failed" in caplog.text
    assert "ZeroDivisionError" in caplog.text


def test_a_table_function_gives_a_row_per_element(runtime: SmallRuntime) -> None:
    out = select(runtime, "UDFT_SPLIT(T) AS W", ["1, 'a b c', NULL"])
    assert out == [["a"], ["b"], ["c"]]


def test_an_aggregate_takes_back_updated_rows_of_a_table(loaded: Path) -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE TABLE T (ID STRING PRIMARY KEY, R STRING, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='t', VALUE_FORMAT='JSON');"
    )
    runtime.run("CREATE TABLE A AS SELECT R, UDFT_SUM(V) AS TOTAL FROM T GROUP BY R;")
    for row in ["'a', 'x', 5", "'b', 'x', 7", "'a', 'x', 1"]:
        runtime.run(f"INSERT INTO T (ID, R, V) VALUES ({row});")
    assert [v[0] for _, v in runtime.records("A") if v] == [
        5,
        12,
        8,
    ]  # 12 - 5 + 1: the old row taken back


def test_an_aggregate_without_undo_is_refused_on_a_table(loaded: Path) -> None:
    runtime = SmallRuntime()
    runtime.run(
        "CREATE TABLE T (ID STRING PRIMARY KEY, V INT) "
        "WITH (PARTITIONS=1, KAFKA_TOPIC='t', VALUE_FORMAT='JSON');"
    )
    with pytest.raises(KsqlStatementError, match="UDFT_OFFSET_SUM"):
        runtime.run("CREATE TABLE A AS SELECT ID, UDFT_OFFSET_SUM(V, 1) FROM T GROUP BY ID;")


def test_an_aggregate_gets_its_literal_arguments(runtime: SmallRuntime) -> None:
    runtime.run("CREATE TABLE A AS SELECT ID, UDFT_OFFSET_SUM(V, 100) AS R FROM S GROUP BY ID;")
    for value in (1, 2):
        runtime.run(f"INSERT INTO S (ID, V) VALUES ('k', {value});")
    assert [v[0] for _, v in runtime.records("A") if v] == [101, 103]


def test_an_aggregates_literals_may_end_variadic(runtime: SmallRuntime) -> None:
    # As ksqlDB's @UdafFactory(int, String...): the columns first, then any number of literals.
    runtime.run(
        "CREATE TABLE A AS SELECT ID, UDFT_TAGGED_SUM(V, T, 100, 'ab', 'c') AS R "
        "FROM S GROUP BY ID;"
    )
    runtime.run("CREATE TABLE B AS SELECT ID, UDFT_TAGGED_SUM(V, T, 1) AS R FROM S GROUP BY ID;")
    runtime.run("INSERT INTO S (ID, V, T) VALUES ('k', 2, 'xyz');")
    assert [v for _, v in runtime.records("A")] == [[108]]
    assert [v for _, v in runtime.records("B")] == [[6]]
    with pytest.raises(KsqlStatementError) as error:
        runtime.run(
            "CREATE TABLE C AS SELECT ID, UDFT_TAGGED_SUM(T, 1, 'a') AS R FROM S GROUP BY ID;"
        )
    assert str(error.value).startswith(
        "Function 'UDFT_TAGGED_SUM' does not accept parameters (STRING, INTEGER, STRING)."
    )


def test_show_and_describe_list_user_functions(loaded: Path) -> None:
    listed = {f.name: f for f in function_names()}
    assert listed["UDFT_TIMES"] == FunctionName("UDFT_TIMES", "SCALAR", "OTHER")
    assert listed["UDFT_SPLIT"].kind == "TABLE"
    assert listed["UDFT_SUM"].kind == "AGGREGATE"
    entity = function_description(describe("udft_times"))
    assert (entity["author"], entity["version"], entity["path"]) == ("team", "1.2", str(loaded))
    assert [f["argumentTypes"] for f in entity["functions"]] == [
        ["BIGINT", "BIGINT"],
        ["VARCHAR", "INT"],  # as ksqlDB's ParamType spells them
    ]
    assert [f["returnType"] for f in entity["functions"]] == ["BIGINT", "VARCHAR"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "from ksqlpy.local.udf import udf\n@udf('concat')\ndef f(a: str) -> str:\n  return a",
            "function 'CONCAT' has the name of a built-in function",
        ),
        (
            "from ksqlpy.local.udf import udf\n@udf('bad_sig', signature='INT -> INT')\n"
            "def f(a):\n  return a",
            "function 'BAD_SIG': signature 'INT -> INT' is not of the form",
        ),
        (
            "from ksqlpy.local.udf import udf\n@udf('bad_type', signature='(NUMBER) -> INT')\n"
            "def f(a):\n  return a",
            "function 'BAD_TYPE': unknown type 'NUMBER'",
        ),
        (
            "from ksqlpy.local.udf import udf\n@udf('no_hint')\ndef f(a):\n  return a",
            "function 'NO_HINT': parameter 'a' has no type annotation",
        ),
        (
            "from ksqlpy.local.udf import udaf\n"
            "@udaf('two_varargs', signature='(STRING...) -> BIGINT', literals='INT...')\n"
            "class A:\n  pass",
            "function 'TWO_VARARGS': an aggregate with variadic literals takes a fixed number",
        ),
        ("import no_such_module_here\n", "import failed: ModuleNotFoundError"),
        ("x = 1 / 0\n", "import failed: ZeroDivisionError: division by zero (line 1)"),
    ],
)
def test_an_invalid_udf_is_refused_with_one_line_naming_file_and_function(
    tmp_path: Path, source: str, message: str
) -> None:
    path = tmp_path / "broken.py"
    path.write_text(textwrap.dedent(source))
    with pytest.raises(UdfLoadError) as caught:
        load([path])
    text = str(caught.value)
    assert message in text
    assert str(path) in text
    assert "\n" not in text
    assert "BAD_SIG" not in {f.name for f in function_names()}


def test_a_module_name_loads_and_loading_again_is_a_no_op(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "team_named_udfs.py").write_text(
        "from ksqlpy.local.udf import udf\n"
        "@udf('udft_named')\ndef named(x: str) -> str:\n  return x\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert load(["team_named_udfs"]) == ["UDFT_NAMED"]
        assert load(["team_named_udfs"]) == ["UDFT_NAMED"]  # a second server in the process
        other = tmp_path / "other" / "copy.py"
        other.parent.mkdir()
        other.write_text((tmp_path / "team_named_udfs.py").read_text())
        with pytest.raises(UdfLoadError, match=r"'UDFT_NAMED' is already defined by .*team_named"):
            load([other])  # the same name from another file
    finally:
        unload(["udft_named"])
    assert "UDFT_NAMED" not in {f.name for f in function_names()}


def test_installed_packages_register_modules_by_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "team_plugin_udfs.py").write_text(
        "from ksqlpy.local.udf import udf\n"
        "@udf('udft_plugin')\ndef plugin(x: str) -> str:\n  return x\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    entry = importlib.metadata.EntryPoint("team", "team_plugin_udfs", "ksqlpy.udfs")
    monkeypatch.setattr(
        importlib.metadata,
        "entry_points",
        lambda group: [entry] if group == "ksqlpy.udfs" else [],
    )
    try:
        assert load([]) == ["UDFT_PLUGIN"]
    finally:
        unload(["udft_plugin"])
