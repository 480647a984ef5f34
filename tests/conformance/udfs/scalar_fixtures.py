"""ksqlDB's test UDFs (its ksqldb-engine test sources: TestUdf, BadUdf, WhenCondition) as Python
UDFs: the functions its query-translation cases call."""

from __future__ import annotations

from typing import Any

from ksqlpy.local.udf import udf


@udf("test_udf", signature="(INT, STRING) -> STRING", description="test")
def do_stuff_int_string(arg1: Any, arg2: Any) -> str:
    return "doStuffIntString"


@udf("test_udf", signature="(BIGINT, STRING) -> STRING")
def do_stuff_long_string(arg1: Any, arg2: Any) -> str:
    return "doStuffLongString"


@udf("test_udf", signature="(BIGINT, BIGINT, STRING) -> STRING")
def do_stuff_long_long_string(arg1: Any, arg2: Any, arg3: Any) -> str:
    return "doStuffLongLongString"


@udf("test_udf", signature="(BIGINT...) -> STRING")
def do_stuff_long_varargs(*longs: Any) -> str:
    return "doStuffLongVarargs"


@udf("test_udf", signature="(STRUCT<A VARCHAR>) -> STRING")
def do_stuff_struct(struct: dict[str, Any] | None) -> Any:
    return None if struct is None else struct.get("A")


@udf("test_udf", signature="() -> STRUCT<A VARCHAR>")
def return_struct_stuff() -> dict[str, Any]:
    return {"A": "foo"}


@udf("bad_udf", signature="(INT) -> STRING", description="throws exceptions when called")
def blow_up(arg1: Any) -> str:
    raise RuntimeError("boom!")


@udf("bad_udf", signature="(BOOLEAN) -> INT")
def might_throw(arg: Any) -> int:
    if arg:
        raise RuntimeError("You asked me to throw...")
    return 0


@udf("bad_udf", signature="(STRING) -> STRING")
class ReturnNull:
    """NULL every other call, from the first: each call in a query counts its own calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, arg: Any) -> Any:
        self.calls += 1
        return None if self.calls % 2 == 1 else arg


@udf(
    "WhenCondition",
    signature="(BOOLEAN, BOOLEAN) -> BOOLEAN",
    description="UDF used in case-expression.json",
)
def evaluate(ret_value: Any, should_be_evaluated: Any) -> Any:
    if not should_be_evaluated:
        raise RuntimeError("When condition in case is not running lazily!")
    return ret_value


@udf(
    "WhenResult", signature="(INT, BOOLEAN) -> INT", description="UDF used in case-expression.json"
)
def when_result(ret_val: Any, should_be_evaluated: Any) -> Any:
    if not should_be_evaluated:
        raise RuntimeError("Then expression in case is not running lazily!")
    return ret_val
