"""Python UDF classes: one instance per call a query compiles, as ksqlDB instantiates its UDF
classes (KsqlScalarFunction.newInstance) for every function call in a query."""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

import pytest
from runtime_double import SmallRuntime

from ksqlpy.local.engine.rows import RowReader
from ksqlpy.local.udf import UdfLoadError, load, udf, udtf, unload


@udf("udfi_count", signature="(STRING) -> STRING")
class Counting:
    """Tags each value with how many values this instance has seen."""

    def __init__(self) -> None:
        self.seen = 0

    def __call__(self, text: Any) -> Any:
        self.seen += 1
        return f"{text}#{self.seen}"


@udtf("udfi_repeat")
class Repeating:
    """One row per call so far of this instance."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, text: str) -> list[str]:
        self.calls += 1
        return [text] * self.calls


@pytest.fixture
def runtime() -> Iterator[SmallRuntime]:
    module = types.ModuleType("udfi_module")
    module.Counting = Counting  # type: ignore[attr-defined]
    module.Repeating = Repeating  # type: ignore[attr-defined]
    Counting.__module__ = Repeating.__module__ = module.__name__
    names = load([module])
    runtime = SmallRuntime()
    runtime.run(
        "CREATE STREAM S (K INT KEY, T STRING) WITH (PARTITIONS=1, KAFKA_TOPIC='s', FORMAT='JSON');"
    )
    try:
        yield runtime
    finally:
        unload(names)


def write(runtime: SmallRuntime, key: int, text: str) -> None:
    source = runtime.metastore.source("S")
    assert source is not None
    runtime.write_row(source, {"K": key, "T": text})


def values(runtime: SmallRuntime, name: str) -> list[list[Any]]:
    source = runtime.metastore.source(name)
    assert source is not None
    reader = RowReader(source)
    rows = [reader.row(r) for r in runtime.log.read(source.topic, 0, 0, 100)]
    return [row[1:-3] for row in rows if row is not None]


def test_every_call_in_every_query_has_its_own_instance(runtime: SmallRuntime) -> None:
    runtime.run("CREATE STREAM A AS SELECT K, UDFI_COUNT(T) AS X, UDFI_COUNT(T) AS Y FROM S;")
    write(runtime, 1, "a")
    runtime.run("CREATE STREAM B AS SELECT K, UDFI_COUNT(T) AS X FROM S;")
    write(runtime, 2, "b")
    runtime.pump()
    assert values(runtime, "A") == [["a#1", "a#1"], ["b#2", "b#2"]]
    assert values(runtime, "B") == [["a#1"], ["b#2"]]


def test_a_table_function_class_is_instantiated_per_query(runtime: SmallRuntime) -> None:
    write(runtime, 1, "a")
    runtime.run("CREATE STREAM A AS SELECT K, UDFI_REPEAT(T) AS R FROM S;")
    runtime.run("CREATE STREAM B AS SELECT K, UDFI_REPEAT(T) AS R FROM S;")
    assert values(runtime, "A") == [["a"]]
    assert values(runtime, "B") == [["a"]]


def test_a_function_class_needs_a_call_method_and_a_bare_constructor() -> None:
    module = types.ModuleType("udfi_broken")

    @udf("udfi_nocall", signature="(INT) -> INT")
    class NoCall:
        pass

    NoCall.__module__ = module.__name__
    module.NoCall = NoCall  # type: ignore[attr-defined]
    with pytest.raises(UdfLoadError, match=r"needs a method __call__\(\)"):
        load([module])

    @udf("udfi_args", signature="(INT) -> INT")
    class NeedsArgs:
        def __init__(self, factor: int) -> None:
            self.factor = factor

        def __call__(self, value: Any) -> Any:
            return value * self.factor

    other = types.ModuleType("udfi_broken_2")
    NeedsArgs.__module__ = other.__name__
    other.NeedsArgs = NeedsArgs  # type: ignore[attr-defined]
    with pytest.raises(UdfLoadError, match="cannot be instantiated: TypeError"):
        load([other])
