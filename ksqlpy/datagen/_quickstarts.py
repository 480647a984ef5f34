"""The built-in schemas: ``people`` (the ksqlDB course's ``fake_people``) and the field sets of
kafka-connect-datagen's quickstarts, with now-relative timestamps and shared id pools."""

from __future__ import annotations

from typing import Any

from ksqlpy._errors import DatagenError

from ._schema import FieldSpec, Schema, parse_schema

_CHANNELS = ["iOS", "android", "web", "ios-test", "android-test"]
_MESSAGES = [
    "thank you for the most friendly, helpful experience today at your new lounge",
    "more peanuts please",
    "why is it so difficult to keep the bathrooms clean ?",
    "your team here rocks!",
    "meh",
    "airport refurb looks great, will fly outta here more!",
    "is this as good as it gets? really ?",
    "Surprisingly good, maybe you are getting your mojo back at long last!",
    "(expletive deleted)",
    "worst. flight. ever. #neveragain",
]
_REQUESTS = [
    "GET /index.html HTTP/1.1",
    "GET /site/user_status.html HTTP/1.1",
    "GET /site/login.html HTTP/1.1",
    "GET /images/track.png HTTP/1.1",
    "GET /images/logo-small.png HTTP/1.1",
    "GET /site/products.html HTTP/1.1",
    "POST /site/cart.html HTTP/1.1",
]
_REFERRERS = ["-", "https://www.example.com/", "https://search.example.org/?q=kafka"]
_CLIENT_IPS = [f"{a}.{b}.{c}.{d}" for a, b, c, d in [
    (111, 152, 45, 45), (111, 203, 236, 146), (111, 168, 57, 122), (111, 249, 79, 93),
    (111, 168, 57, 122), (111, 90, 225, 227), (111, 173, 165, 103), (111, 145, 8, 144),
    (111, 245, 174, 248), (111, 245, 174, 111), (222, 152, 45, 45), (222, 203, 236, 146),
    (222, 168, 57, 122), (222, 249, 79, 93), (222, 90, 225, 227), (222, 173, 165, 103),
]]  # fmt: skip

SPECS: dict[str, dict[str, Any]] = {
    "people": {
        "name": "people",
        "key": "id",
        "fields": [
            {"name": "id", "gen": "uuid"},
            {"name": "name", "gen": "name"},
            {"name": "title", "gen": "title"},
        ],
    },
    "users": {
        "name": "users",
        "key": "userid",
        "timestamp": "registertime",
        "fields": [
            {"name": "registertime", "gen": "timestamp", "offset": ["-365d", "0"]},
            {"name": "userid", "gen": "pool", "pool": "user", "pick": "sequence"},
            {"name": "regionid", "gen": "pool", "pool": "region"},
            {"name": "gender", "gen": "choice", "options": ["MALE", "FEMALE", "OTHER"]},
        ],
    },
    "pageviews": {
        "name": "pageviews",
        "key": "viewtime",
        "timestamp": "viewtime",
        "fields": [
            {"name": "viewtime", "gen": "timestamp", "offset": ["-1s", "0"]},
            {"name": "userid", "gen": "pool", "pool": "user"},
            {"name": "pageid", "gen": "pool", "pool": "page"},
        ],
    },
    "orders": {
        "name": "orders",
        "key": "orderid",
        "timestamp": "ordertime",
        "fields": [
            {"name": "ordertime", "gen": "timestamp", "offset": ["-10s", "0"]},
            {"name": "orderid", "gen": "sequence", "start": 0, "type": "INT"},
            {"name": "itemid", "gen": "pool", "pool": "item"},
            {"name": "orderunits", "gen": "float", "min": 0.1, "max": 10.0},
            {
                "name": "address",
                "gen": "struct",
                "fields": [
                    {"name": "city", "gen": "city"},
                    {"name": "state", "gen": "state"},
                    {"name": "zipcode", "gen": "int", "min": 10000, "max": 99999, "type": "BIGINT"},
                ],
            },
        ],
    },
    "ratings": {
        "name": "ratings",
        "key": "rating_id",
        "timestamp": "rating_time",
        "fields": [
            {"name": "rating_id", "gen": "sequence", "start": 1},
            {"name": "user_id", "gen": "int", "min": 1, "max": 100},
            {"name": "stars", "gen": "int", "min": 1, "max": 5},
            {"name": "route_id", "gen": "int", "min": 1000, "max": 9999},
            {"name": "rating_time", "gen": "timestamp", "offset": ["-1s", "0"]},
            {"name": "channel", "gen": "choice", "options": _CHANNELS},
            {"name": "message", "gen": "choice", "options": _MESSAGES},
        ],
    },
    "clickstream": {
        "name": "clickstream",
        "key": "ip",
        "timestamp": "_time",
        "fields": [
            {"name": "ip", "gen": "choice", "options": _CLIENT_IPS},
            {"name": "userid", "gen": "int", "min": 1, "max": 40},
            {"name": "remote_user", "gen": "const", "value": "-"},
            {"name": "time", "gen": "timestamp", "format": "%d/%b/%Y:%H:%M:%S +0000"},
            {"name": "_time", "gen": "timestamp"},
            {"name": "request", "gen": "choice", "options": _REQUESTS},
            {
                "name": "status",
                "gen": "choice",
                "options": ["200", "302", "404", "405", "406", "407"],
                "weights": [80, 8, 6, 2, 2, 2],
            },
            {"name": "bytes", "gen": "int", "min": 100, "max": 5000},
            {"name": "referrer", "gen": "choice", "options": _REFERRERS},
            {"name": "agent", "gen": "user_agent"},
        ],
    },
    "stock_trades": {
        "name": "stock_trades",
        "key": "symbol",
        "fields": [
            {"name": "side", "gen": "choice", "options": ["BUY", "SELL"]},
            {"name": "quantity", "gen": "int", "min": 1, "max": 5000},
            {
                "name": "symbol",
                "gen": "choice",
                "options": ["ZBZX", "ZJZZT", "ZTEST", "ZVV", "ZVZZT", "ZWZZT", "ZXZZT"],
            },
            {"name": "price", "gen": "int", "min": 5, "max": 1000},
            {"name": "account", "gen": "choice", "options": ["ABC123", "LMN456", "XYZ789"]},
            {"name": "userid", "gen": "pool", "pool": "user"},
        ],
    },
    "transactions": {
        "name": "transactions",
        "key": "transaction_id",
        "fields": [
            {"name": "transaction_id", "gen": "sequence", "start": 1},
            {"name": "card_id", "gen": "int", "min": 1, "max": 24, "type": "BIGINT"},
            {"name": "user_id", "gen": "pool", "pool": "user"},
            {"name": "purchase_id", "gen": "sequence", "start": 0},
            {"name": "store_id", "gen": "int", "min": 1, "max": 7},
        ],
    },
}

# Optional extra fields of ``people`` (``--extra-fields email,city``).
PEOPLE_EXTRAS: dict[str, dict[str, Any]] = {
    "email": {"gen": "email"},
    "age": {"gen": "int", "min": 18, "max": 80},
    "city": {"gen": "city"},
    "country": {"gen": "country"},
    "phone": {"gen": "phone"},
    "company": {"gen": "company"},
    "street": {"gen": "street"},
    "registered_at": {"gen": "timestamp", "offset": ["-365d", "0"]},
    "bio": {"gen": "sentence", "min_words": 8, "max_words": 20},
}

QUICKSTARTS = tuple(SPECS)

# The topic each quickstart fills by default where a topic is implied (the ksqlDB sink): the
# ksqlDB course's 'fake_people' for people, kafka-connect-datagen's topic names for the others.
TOPICS: dict[str, str] = {name: name for name in SPECS} | {"people": "fake_people"}


def quickstart(name: str, extra_fields: list[str] | None = None) -> Schema:
    """The built-in schema ``name``; ``extra_fields`` adds optional fields (``people`` only)."""
    spec = SPECS.get(name)
    if spec is None:
        raise DatagenError(f"unknown quickstart '{name}'; choose one of {', '.join(QUICKSTARTS)}")
    schema = parse_schema(spec, f"quickstart '{name}'")
    if extra_fields:
        if name != "people":
            raise DatagenError("--extra-fields works with the 'people' quickstart only")
        unknown = [f for f in extra_fields if f not in PEOPLE_EXTRAS]
        if unknown:
            raise DatagenError(
                f"unknown extra field(s) {', '.join(unknown)}; "
                f"choose from {', '.join(PEOPLE_EXTRAS)}"
            )
        extra = parse_schema(
            {"fields": [{"name": f, **PEOPLE_EXTRAS[f]} for f in extra_fields]}, "extra fields"
        )
        schema = schema.with_fields(list(extra.fields))
    return schema


def padding_field(length: int) -> FieldSpec:
    """A ``padding`` text field of ``length`` characters (to reach a target record size)."""
    return parse_schema(
        {"fields": [{"name": "padding", "gen": "text", "length": max(0, length)}]}, "padding"
    ).fields[0]
