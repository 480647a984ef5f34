"""Date and time functions (TIMESTAMPTOSTRING, PARSE_TIMESTAMP, UNIX_TIMESTAMP, ...)."""

from __future__ import annotations

import datetime as dt
import math
import re
import time
import zoneinfo
from collections.abc import Callable
from typing import Any

from ..types import (
    BIGINT,
    DOUBLE,
    INTEGER,
    STRING,
    TIMESTAMP,
)
from .registry import first, fixed, register

TIMES = "DATE / TIME"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _java_pattern(pattern: str) -> list[tuple[str, str]]:
    """Split a java.time/SimpleDateFormat pattern into (letter run | literal) parts."""
    parts: list[tuple[str, str]] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":
            end = pattern.find("'", i + 1)
            end = len(pattern) if end < 0 else end
            parts.append(("", pattern[i + 1 : end] or "'"))
            i = end + 1
        elif char.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == char:
                j += 1
            parts.append((char, pattern[i:j]))
            i = j
        else:
            parts.append(("", char))
            i += 1
    return parts


def _offset(moment: dt.datetime, colon: bool) -> str:
    delta = moment.utcoffset() or dt.timedelta()
    minutes = int(delta.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{':' if colon else ''}{mins:02d}"


_FORMATTERS: dict[str, Callable[[dt.datetime, int], str]] = {
    "y": lambda m, n: f"{m.year % 100:02d}" if n == 2 else f"{m.year:0{n}d}",
    "M": lambda m, n: m.strftime("%B" if n >= 4 else "%b") if n >= 3 else f"{m.month:0{n}d}",
    "d": lambda m, n: f"{m.day:0{n}d}",
    "H": lambda m, n: f"{m.hour:0{n}d}",
    "h": lambda m, n: f"{(m.hour % 12) or 12:0{n}d}",
    "m": lambda m, n: f"{m.minute:0{n}d}",
    "s": lambda m, n: f"{m.second:0{n}d}",
    "S": lambda m, n: f"{m.microsecond // 1000:03d}"[:n].ljust(n, "0"),
    "a": lambda m, n: "AM" if m.hour < 12 else "PM",
    "E": lambda m, n: m.strftime("%A" if n >= 4 else "%a"),
    "Z": lambda m, n: _offset(m, False),
    "X": lambda m, n: "Z" if not m.utcoffset() else _offset(m, n >= 3),
    "z": lambda m, n: m.tzname() or "UTC",
}


# java.time's ZoneId.SHORT_IDS: the three-letter names a pattern's 'z' reads.
_SHORT_IDS = {
    "ACT": "Australia/Darwin",
    "AET": "Australia/Sydney",
    "AGT": "America/Argentina/Buenos_Aires",
    "ART": "Africa/Cairo",
    "AST": "America/Anchorage",
    "BET": "America/Sao_Paulo",
    "BST": "Asia/Dhaka",
    "CAT": "Africa/Harare",
    "CNT": "America/St_Johns",
    "CST": "America/Chicago",
    "CTT": "Asia/Shanghai",
    "EAT": "Africa/Addis_Ababa",
    "ECT": "Europe/Paris",
    "EST": "-05:00",
    "HST": "-10:00",
    "IET": "America/Indiana/Indianapolis",
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
    "MIT": "Pacific/Apia",
    "MST": "-07:00",
    "NET": "Asia/Yerevan",
    "NST": "Pacific/Auckland",
    "PLT": "Asia/Karachi",
    "PNT": "America/Phoenix",
    "PRT": "America/Puerto_Rico",
    "PST": "America/Los_Angeles",
    "SST": "Pacific/Guadalcanal",
    "VST": "Asia/Ho_Chi_Minh",
}


def time_zone(name: str | None) -> dt.tzinfo:
    """A java.time zone id as tzinfo."""
    if not name or name.upper() == "UTC":
        return dt.UTC
    offset = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?", name)
    if offset is not None:  # ZoneId.of also takes offsets: +05:00, -0530, GMT+2
        sign = 1 if offset.group(1) == "+" else -1
        hours, minutes = int(offset.group(2)), int(offset.group(3) or 0)
        return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone: {name}") from None


def format_pattern(moment: dt.datetime, pattern: str) -> str:
    """A moment formatted with a java.time pattern."""
    out = []
    for letter, text in _java_pattern(pattern):
        if not letter:
            out.append(text)
        elif letter in _FORMATTERS:
            out.append(_FORMATTERS[letter](moment, len(text)))
        else:
            raise ValueError(f"Unsupported pattern letter '{letter}' in '{pattern}'")
    return "".join(out)


_PARSE_CODES = {
    "y": "%Y",
    "M": "%m",
    "d": "%d",
    "H": "%H",
    "h": "%I",
    "m": "%M",
    "s": "%S",
    "a": "%p",
}


def parse_pattern(
    text: str, pattern: str, zone: dt.tzinfo, *, trailing: bool = False
) -> dt.datetime:
    """A moment read with a java.time pattern, in a zone unless the text gives an offset;
    ``trailing`` lets text follow the pattern (Commons' FastDateFormat.parse ignores it)."""
    regex = []
    for letter, run in _java_pattern(pattern):
        if not letter:
            regex.append(re.escape(run))
        elif letter == "S":
            regex.append(r"(?P<S>\d{1,9})")
        elif letter in ("Z", "X"):
            regex.append(r"(?P<Z>Z|[+-]\d{2}(?::?\d{2})?)")
        elif letter == "z":
            regex.append(r"(?P<zone>[A-Za-z][A-Za-z0-9_/+\-]*)")
        elif letter == "y" and len(run) == 2:
            # Java's "yy" is a two-digit year of 2000-2099 (a reduced value on base 2000).
            regex.append(r"(?P<yy>\d{2})")
        elif letter == "M" and len(run) >= 3:
            regex.append(r"(?P<b>[A-Za-z]+)")
        elif letter in _PARSE_CODES:
            regex.append(rf"(?P<{letter}>\d+)" if letter != "a" else r"(?P<a>[AaPp][Mm])")
        else:
            raise ValueError(f"Unsupported pattern letter '{letter}' in '{pattern}'")
    # Case-insensitive, as ksqlDB's formatters (parseCaseInsensitive) read text.
    match = (re.match if trailing else re.fullmatch)("".join(regex), text.strip(), re.IGNORECASE)
    if match is None:
        raise ValueError(f"Text '{text}' does not match the pattern '{pattern}'")
    fields = match.groupdict()
    month = int(fields["M"]) if fields.get("M") else 1
    if fields.get("b"):
        month = dt.datetime.strptime(fields["b"][:3], "%b").month
    hour = int(fields.get("H") or fields.get("h") or 0)
    if fields.get("a"):
        hour = hour % 12 + (12 if fields["a"].upper() == "PM" else 0)
    millis = int((fields.get("S") or "0").ljust(3, "0")[:3])
    year = 2000 + int(fields["yy"]) if fields.get("yy") else int(fields.get("y") or 1970)
    moment = dt.datetime(
        year,
        month,
        int(fields.get("d") or 1),
        hour,
        int(fields.get("m") or 0),
        int(fields.get("s") or 0),
        millis * 1000,
        tzinfo=zone,
    )
    if fields.get("zone"):
        name = fields["zone"]
        moment = moment.replace(tzinfo=time_zone(_SHORT_IDS.get(name.upper(), name)))
    if fields.get("Z"):
        offset = fields["Z"].replace(":", "").upper().ljust(5, "0")
        if offset.startswith("Z"):
            return moment.replace(tzinfo=dt.UTC)
        sign = 1 if offset[0] == "+" else -1
        delta = dt.timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])) * sign
        moment = moment.replace(tzinfo=dt.timezone(delta))
    return moment


def _millis(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // dt.timedelta(milliseconds=1)


def _from_millis(millis: int, zone: dt.tzinfo = dt.UTC) -> dt.datetime:
    return (_EPOCH + dt.timedelta(milliseconds=millis)).astimezone(zone)


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _timestamp_to_string(millis: int, pattern: str, zone: str | None = None) -> str:
    return format_pattern(_from_millis(millis, time_zone(zone)), pattern)


def _string_to_timestamp(text: str, pattern: str, zone: str | None = None) -> int:
    return _millis(parse_pattern(text, pattern, time_zone(zone)))


def _format_timestamp(value: dt.datetime, pattern: str, zone: str | None = None) -> str:
    return format_pattern(value.replace(tzinfo=dt.UTC).astimezone(time_zone(zone)), pattern)


def _parse_timestamp(text: str, pattern: str, zone: str | None = None) -> dt.datetime:
    return _naive_utc(parse_pattern(text, pattern, time_zone(zone)))


def _unix_timestamp(value: dt.datetime | None = None) -> int:
    if value is None:
        return int(time.time() * 1000)
    return _millis(value.replace(tzinfo=dt.UTC))


def _unix_date(value: dt.date | None = None) -> int:
    return ((value or dt.datetime.now(dt.UTC).date()) - dt.date(1970, 1, 1)).days


_MILES = ("mi", "mile", "miles")
_KMS = ("km", "kilometer", "kilometers", "kilometre", "kilometres")


def _geo_distance(
    lat1: Any, lon1: Any, lat2: Any, lon2: Any, unit: str | None = None
) -> float | None:
    if None in (lat1, lon1, lat2, lon2):
        return None  # ksqlDB's parameters are primitive doubles: a NULL fails the call
    if any(not -90 <= float(v) <= 90 for v in (lat1, lat2)):
        raise ValueError(
            "valid latitude values for GeoDistance function are in the range of -90 to 90 "
            "decimal degrees"
        )
    if any(not -180 <= float(v) <= 180 for v in (lon1, lon2)):
        raise ValueError(
            "valid longitude values for GeoDistance function are in the range of -180 to +180 "
            "decimal degrees"
        )
    radius = 6371.0  # a NULL or blank unit means kilometres
    if unit is not None and unit.strip():
        name = unit.strip().lower()
        if name not in _MILES + _KMS:
            names = [*_MILES, *_KMS]
            raise ValueError(
                "GeoDistance function units parameter must be one of "
                + ", ".join(names[:-1])
                + f" or {names[-1]}. Values are case-insensitive."
            )
        radius = 3959.0 if name in _MILES else 6371.0
    # In ksqlDB's order of operations: a double answer compares exactly in its tests.
    lat1, lon1, lat2, lon2 = float(lat1), float(lon1), float(lat2), float(lon2)
    d_lat, d_lon = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = math.sin(d_lat / 2) ** 2 + math.sin(d_lon / 2) ** 2 * math.cos(
        math.radians(lat1)
    ) * math.cos(math.radians(lat2))
    return 2 * math.asin(math.sqrt(a)) * radius


register(
    "TIMESTAMPTOSTRING",
    _timestamp_to_string,
    fixed(STRING),
    TIMES,
    "Converts a number of milliseconds since 1970-01-01 00:00:00 UTC/GMT into the string "
    "representation of the timestamp in the given format. The system default time zone is used "
    "when no time zone is explicitly provided.",
    2,
    3,
    signatures=[
        "BIGINT epochMilli, STRING formatPattern",
        "BIGINT epochMilli, STRING formatPattern, STRING timeZone",
    ],
)
register(
    "STRINGTOTIMESTAMP",
    _string_to_timestamp,
    fixed(BIGINT),
    TIMES,
    "Converts a string representation of a date in the given format into the number of "
    "milliseconds since 1970-01-01 00:00:00 UTC/GMT. The system default time zone is used when "
    "no time zone is explicitly provided.",
    2,
    3,
    signatures=[
        "STRING formattedTimestamp, STRING formatPattern",
        "STRING formattedTimestamp, STRING formatPattern, STRING timeZone",
    ],
)
register(
    "FORMAT_TIMESTAMP",
    _format_timestamp,
    fixed(STRING),
    TIMES,
    "Converts a TIMESTAMP value into the string representation of the timestamp in the given "
    "format.",
    2,
    3,
    signatures=[
        "TIMESTAMP timestamp, STRING formatPattern",
        "TIMESTAMP timestamp, STRING formatPattern, STRING timeZone",
    ],
)
register(
    "PARSE_TIMESTAMP",
    _parse_timestamp,
    fixed(TIMESTAMP),
    TIMES,
    "Converts a string representation of a date in the given format into a TIMESTAMP value.",
    2,
    3,
    signatures=[
        "STRING formattedTimestamp, STRING formatPattern",
        "STRING formattedTimestamp, STRING formatPattern, STRING timeZone",
    ],
)
register(
    "FROM_UNIXTIME",
    lambda ms: _naive_utc(_from_millis(ms)),
    fixed(TIMESTAMP),
    TIMES,
    "Converts the number of milliseconds since 1970-01-01 00:00:00 UTC/GMT into a TIMESTAMP value.",
    1,
    signatures=["BIGINT epochMilli"],
)
register(
    "UNIX_TIMESTAMP",
    _unix_timestamp,
    fixed(BIGINT),
    TIMES,
    "Returns the current number of milliseconds for the system since 1970-01-01 00:00:00 UTC/GMT.",
    0,
    1,
    signatures=["", "TIMESTAMP timestamp"],
)
register(
    "UNIX_DATE",
    _unix_date,
    fixed(INTEGER),
    TIMES,
    "Returns the current number of days for the system since 1970-01-01 00:00:00 UTC/GMT.",
    0,
    1,
    signatures=["", "DATE date"],
)
register(
    "AS_VALUE",
    lambda v: v,
    first,
    "OTHER",
    "Used exclusively in the projection of a query to allow a keycolumn to be copied into the "
    "value schema. Has no affect if used anywhere else.",
    1,
    strict=False,
    signatures=["T source"],
)
register(
    "GEO_DISTANCE",
    _geo_distance,
    fixed(DOUBLE),
    "OTHER",
    "Compute the distance between two points on the surface of the earth, according to the "
    'Haversine formula for "great circle distance".',
    4,
    5,
    strict=False,
    signatures=[
        "DOUBLE lat1, DOUBLE lon1, DOUBLE lat2, DOUBLE lon2",
        "DOUBLE lat1, DOUBLE lon1, DOUBLE lat2, DOUBLE lon2, STRING units",
    ],
)
