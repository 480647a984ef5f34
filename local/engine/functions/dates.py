"""DATE and TIME functions and interval arithmetic (DATEADD, TIMESUB, TIMESTAMPADD, CONVERT_TZ,
PARSE_DATE, FORMAT_TIME, STRINGTODATE, FROM_DAYS, ...).

A time unit (``DAYS``, ``HOUR``, ...) is a bare word in ksqlDB's grammar, never a column; it
reaches these functions as its length in milliseconds, typed ``INTERVALUNIT``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlglot import exp

from ..types import DATE, INTEGER, STRING, TIME, TIMESTAMP, SqlType
from .registry import INTERVAL_UNIT, fixed, register
from .times import TIMES, format_pattern, parse_pattern, time_zone

_UNIT_MILLIS = {
    "MILLISECOND": 1,
    "SECOND": 1000,
    "MINUTE": 60_000,
    "HOUR": 3_600_000,
    "DAY": 86_400_000,
}
_EPOCH_DAY = dt.date(1970, 1, 1)
_DAY_MS = 86_400_000


def interval_unit(node: exp.Expression) -> tuple[Callable[[Sequence[Any]], Any], SqlType] | None:
    """A function argument that is a time unit word, compiled; None for any other argument."""
    if not isinstance(node, exp.Column) or node.args.get("table") is not None:
        return None
    ident = node.this
    if not isinstance(ident, exp.Identifier) or ident.quoted:
        return None
    word = ident.name.upper()
    millis = _UNIT_MILLIS.get(word[:-1] if word.endswith("S") else word)
    if millis is None:
        return None
    return (lambda row: millis), INTERVAL_UNIT


def _date_shift(sign: int) -> Callable[[int, int, dt.date], dt.date]:
    def run(unit: int, interval: int, date: dt.date) -> dt.date:
        # As ksqlDB: the date's millis plus the interval, truncated to whole days (towards 0).
        millis = (date - _EPOCH_DAY).days * _DAY_MS + sign * unit * interval
        return _EPOCH_DAY + dt.timedelta(days=int(millis / _DAY_MS))

    return run


def _time_shift(sign: int) -> Callable[[int, int, dt.time], dt.time]:
    def run(unit: int, interval: int, time: dt.time) -> dt.time:
        millis = (_time_millis(time) + sign * unit * interval) % _DAY_MS
        return _from_time_millis(millis)

    return run


def _timestamp_shift(sign: int) -> Callable[[int, int, dt.datetime], dt.datetime]:
    return lambda unit, interval, ts: ts + dt.timedelta(milliseconds=sign * unit * interval)


def _time_millis(time: dt.time) -> int:
    return ((time.hour * 60 + time.minute) * 60 + time.second) * 1000 + time.microsecond // 1000


def _from_time_millis(millis: int) -> dt.time:
    seconds, ms = divmod(millis, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return dt.time(hour, minute, second, ms * 1000)


def _convert_tz(value: dt.datetime, source: str, target: str) -> dt.datetime:
    moment = value.replace(tzinfo=dt.UTC)
    offset = moment.astimezone(time_zone(target)).utcoffset() or dt.timedelta()
    offset -= moment.astimezone(time_zone(source)).utcoffset() or dt.timedelta()
    return value + offset


def _on_day(date: dt.date) -> dt.datetime:
    return dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)


def _parse_date(text: str, pattern: str) -> dt.date:
    # ksqlDB parses dates with Commons' FastDateFormat: text after the pattern is ignored.
    return parse_pattern(text, pattern, dt.UTC, trailing=True).date()


def _parse_time(text: str, pattern: str) -> dt.time:
    if any(letter in pattern.replace("'", "") for letter in "yMdDEuG"):
        raise ValueError("Time format contains date field.")
    return parse_pattern(text, pattern, dt.UTC).time()


def _format_time(time: dt.time, pattern: str) -> str:
    if any(letter in pattern.replace("'", "") for letter in "yMdDEuG"):
        raise ValueError(f"Unsupported field in a TIME pattern: {pattern}")
    return format_pattern(dt.datetime.combine(_EPOCH_DAY, time, tzinfo=dt.UTC), pattern)


def _from_days(days: int) -> dt.date:
    return _EPOCH_DAY + dt.timedelta(days=days)


_UNIT = "INTERVALUNIT, INT"
_SHIFTS: list[tuple[str, Callable[..., Any], SqlType, str]] = [
    ("DATEADD", _date_shift(1), DATE, "Adds a duration to a DATE value."),
    ("DATESUB", _date_shift(-1), DATE, "Subtracts a duration from a DATE value."),
    ("TIMEADD", _time_shift(1), TIME, "Adds a duration to a TIME value."),
    ("TIMESUB", _time_shift(-1), TIME, "Subtracts a duration from a TIME value."),
    ("TIMESTAMPADD", _timestamp_shift(1), TIMESTAMP, "Adds a duration to a TIMESTAMP value."),
    (
        "TIMESTAMPSUB",
        _timestamp_shift(-1),
        TIMESTAMP,
        "Subtracts a duration from a TIMESTAMP value.",
    ),
]
for _name, _call, _kind, _text in _SHIFTS:
    register(_name, _call, fixed(_kind), TIMES, _text, 3, signatures=[f"{_UNIT}, {_kind}"])

register(
    "CONVERT_TZ",
    _convert_tz,
    fixed(TIMESTAMP),
    TIMES,
    "Converts a TIMESTAMP value from one timezone to another.",
    3,
    signatures=["TIMESTAMP, STRING, STRING"],
)
register(
    "PARSE_DATE",
    _parse_date,
    fixed(DATE),
    TIMES,
    "Converts a string representation of a date in the given format into a DATE value.",
    2,
    signatures=["STRING, STRING"],
)
register(
    "PARSE_TIME",
    _parse_time,
    fixed(TIME),
    TIMES,
    "Converts a string representation of a time in the given format into a TIME value.",
    2,
    signatures=["STRING, STRING"],
)
register(
    "FORMAT_DATE",
    lambda date, pattern: format_pattern(_on_day(date), pattern),
    fixed(STRING),
    TIMES,
    "Converts a DATE value to a string using the given format pattern. The format pattern "
    "should be in the format expected by java.time.format.DateTimeFormatter.",
    2,
    signatures=["DATE, STRING"],
)
register(
    "FORMAT_TIME",
    _format_time,
    fixed(STRING),
    TIMES,
    "Converts a TIME value to a string using the given format pattern. The format pattern "
    "should be in the format expected by java.time.format.DateTimeFormatter.",
    2,
    signatures=["TIME, STRING"],
)
register(
    "STRINGTODATE",
    lambda text, pattern: (_parse_date(text, pattern) - _EPOCH_DAY).days,
    fixed(INTEGER),
    TIMES,
    "Converts a string representation of a date in the given format into the number of days "
    "since 1970-01-01 00:00:00 UTC/GMT.",
    2,
    signatures=["STRING, STRING"],
)
register(
    "DATETOSTRING",
    lambda days, pattern: format_pattern(_on_day(_from_days(days)), pattern),
    fixed(STRING),
    TIMES,
    "Converts the number of days since 1970-01-01 00:00:00 UTC/GMT to a date string using the "
    "given format pattern.",
    2,
    signatures=["INT, STRING"],
)
register(
    "FROM_DAYS",
    _from_days,
    fixed(DATE),
    TIMES,
    "Converts a number of days since epoch to a DATE value.",
    1,
    signatures=["INT"],
)
