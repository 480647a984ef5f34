"""DATE, TIME and TIMESTAMP arithmetic and patterns through the registry, and the time-unit
words DATEADD and friends take, compiled in a query."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ksqlpy.local.engine import functions
from ksqlpy.local.engine.errors import KsqlStatementError
from ksqlpy.local.engine.expr import Scope, Slot, compile_expr
from ksqlpy.local.engine.types import DATE, INTEGER, TIME, TIMESTAMP
from ksqlpy.sql import parse_one


def call(name: str, *args: Any) -> Any:
    return functions.lookup(name, len(args)).call(*args)


DAY = 86_400_000


@pytest.mark.parametrize(
    ("name", "args", "value"),
    [
        ("DATEADD", (DAY, 10, dt.date(1970, 1, 11)), dt.date(1970, 1, 21)),
        ("DATESUB", (DAY, 5, dt.date(1970, 1, 3)), dt.date(1969, 12, 29)),
        ("DATEADD", (3_600_000, 25, dt.date(1970, 1, 1)), dt.date(1970, 1, 2)),  # whole days
        ("TIMEADD", (1, 10, dt.time(0, 0, 0, 20_000)), dt.time(0, 0, 0, 30_000)),
        ("TIMESUB", (1, 10, dt.time(0, 0, 0, 5_000)), dt.time(23, 59, 59, 995_000)),  # wraps
        (
            "TIMESTAMPADD",
            (60_000, 2, dt.datetime(2024, 1, 1, 23, 59)),
            dt.datetime(2024, 1, 2, 0, 1),
        ),
        (
            "TIMESTAMPSUB",
            (DAY, 1, dt.datetime(2024, 3, 1)),
            dt.datetime(2024, 2, 29),
        ),
        (
            "CONVERT_TZ",
            (dt.datetime(2024, 7, 1, 12), "UTC", "America/Los_Angeles"),
            dt.datetime(2024, 7, 1, 5),
        ),
        ("PARSE_DATE", ("2018-05-11Lit", "yyyy-MM-dd'Lit'"), dt.date(2018, 5, 11)),
        ("PARSE_DATE", ("01-jan-2022", "dd-MMM-yyyy"), dt.date(2022, 1, 1)),  # any case
        # FastDateFormat, as ksqlDB parses dates: text after the pattern is ignored.
        ("PARSE_DATE", ("2003-12-24-01-01", "yyyy-MM-dd"), dt.date(2003, 12, 24)),
        ("PARSE_TIME", ("01:00:00 PM", "hh:mm:ss a"), dt.time(13)),
        ("FORMAT_DATE", (dt.date(2022, 1, 1), "dd-MMM-yyyy"), "01-Jan-2022"),
        ("FORMAT_TIME", (dt.time(0, 1, 5), "HH_mm_ss_SSS"), "00_01_05_000"),
        ("STRINGTODATE", ("11/05/2019", "dd/MM/yyyy"), 18027),
        ("DATETOSTRING", (17662, "yyyy-MM-dd"), "2018-05-11"),
        ("FROM_DAYS", (-10,), dt.date(1969, 12, 22)),
    ],
)
def test_date_and_time_functions(name: str, args: tuple[Any, ...], value: Any) -> None:
    assert call(name, *args) == value


def test_bad_patterns_and_zones_fail_the_call_with_a_message() -> None:
    with pytest.raises(ValueError, match="Time format contains date field"):
        call("PARSE_TIME", "2020-01-01", "yyyy-MM-dd")
    with pytest.raises(ValueError, match="Unknown time zone: Mars/Olympus"):
        call("CONVERT_TZ", dt.datetime(2024, 1, 1), "UTC", "Mars/Olympus")
    with pytest.raises(ValueError, match="does not match the pattern"):
        call("PARSE_DATE", "2020/01/01", "yyyy-MM-dd")


def compiled(sql: str) -> Any:
    scope = Scope([Slot("D", DATE), Slot("T", TIME), Slot("TS", TIMESTAMP), Slot("N", INTEGER)])
    select = parse_one(f"SELECT {sql} FROM X")
    return compile_expr(select.expressions[0], scope)


def test_a_time_unit_word_is_an_argument_of_date_arithmetic() -> None:
    fn, kind = compiled("DATEADD(DAYS, N, D)")
    assert str(kind) == "DATE"
    assert fn([dt.date(2024, 1, 1), None, None, 3]) == dt.date(2024, 1, 4)
    fn, _ = compiled("TIMESTAMPSUB(HOUR, 1, TS)")
    assert fn([None, None, dt.datetime(2024, 1, 1), 0]) == dt.datetime(2023, 12, 31, 23)
    fn, _ = compiled("DATEADD(MILLISECONDS, N, D)")
    assert fn([None, None, None, 5]) is None  # NULL in, NULL out


def test_date_arithmetic_refuses_a_column_where_the_unit_goes() -> None:
    with pytest.raises(KsqlStatementError) as refused:
        compiled("DATEADD(D, 5, D)")
    assert "Function 'dateadd' does not accept parameters (DATE, INTEGER, DATE)." in str(
        refused.value
    )


def test_patterns_read_zone_names_offsets_and_any_case() -> None:
    pattern = "yyyy-MM-dd'T'HH:mm:ss zzz"
    # PST is America/Los_Angeles (daylight time in May), EST a fixed -05:00, as java.time reads
    assert call("STRINGTOTIMESTAMP", "2018-05-11T21:58:33 PST", pattern) == 1526101113000
    assert call("STRINGTOTIMESTAMP", "2018-05-11T21:58:33 EST", pattern) == 1526093913000
    assert call("STRINGTOTIMESTAMP", "2020-05-11T21:58:33z", "yyyy-MM-dd'T'HH:mm:ssX") == (
        1589234313000
    )
    assert call("STRINGTOTIMESTAMP", "1970-01-01 12:30 am", "yyyy-MM-dd hh:mm a") == 1800000
    assert call("TIMESTAMPTOSTRING", 0, "HH:mm", "+05:30") == "05:30"


def test_geo_distance_defaults_to_kilometres_and_checks_its_input() -> None:
    km = call("GEO_DISTANCE", 37.4439, -122.1663, 51.5257, -0.1122, None)
    assert km == pytest.approx(8634.659796579544)
    miles = call("GEO_DISTANCE", 37.4439, -122.1663, 51.5257, -0.1122, "Miles")
    assert miles == pytest.approx(5365.659729188262)
    assert call("GEO_DISTANCE", None, 1.0, 2.0, 3.0) is None
    with pytest.raises(ValueError, match="units parameter must be one of mi, mile"):
        call("GEO_DISTANCE", 1.0, 1.0, 2.0, 2.0, "parsecs")
    with pytest.raises(ValueError, match="valid latitude values"):
        call("GEO_DISTANCE", 91.0, 1.0, 2.0, 2.0)
