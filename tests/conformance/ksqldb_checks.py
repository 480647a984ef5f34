"""What ksqlDB's test harness checks, as predicates over what the local server did.

Each rule follows a class of ``ksqldb-functional-tests`` (named in its docstring): records by
``ExpectedRecordComparator``, refusals by ``ExpectedExceptionNode``/``KsqlExpectedException``
(query-translation cases) and ``ExpectedErrorNode`` (REST cases), ``post`` conditions by
``PostConditionsNode``/``SourceNode``/``KeyFormatNode``. The runner (``ksqldb_cases.py``) feeds
them; a check raises :class:`CaseFailed` with what differs.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlglot import exp

from ksqlpy.local.engine.convert import identifier_name, sql_type
from ksqlpy.local.engine.metastore import Metastore, Source
from ksqlpy.sql import parse_one
from ksqlpy.sql.nodes import KsqlHeaderConstraint, KsqlHeadersConstraint, KsqlKeyConstraint


class CaseFailed(AssertionError):
    """The server's behaviour differs from what the case expects."""


# -- records: ExpectedRecordComparator -------------------------------------------------------


def record_matches(actual: Any, expected: Any) -> bool:
    """ksqlDB's ExpectedRecordComparator. ``expected`` is read from the case with exact
    decimals (ints as int, fractions as Decimal), as its Jackson mapper reads them.

    Objects field by field (a missing field is looked up in upper case), arrays element-wise;
    an integer actual equals the expected number's integer part (Java's ``intValue``); a double
    within 1e-6; a decimal equals with its scale (an expected integer matches only a decimal
    without fraction digits); text matches a string, a decimal's text or BYTES as base64."""
    if expected is None:
        return actual is None
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or len(actual) != len(expected):
            return False
        for name, want in expected.items():
            got = actual.get(name)
            if got is None:
                got = actual.get(name.upper())
            if not record_matches(got, want):
                return False
        return True
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(record_matches(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, bool):
        return isinstance(actual, bool) and actual == expected
    if isinstance(expected, (int, Decimal, float)):
        return _number_matches(actual, expected)
    if isinstance(expected, str):
        if isinstance(actual, str):
            return actual == expected
        if isinstance(actual, Decimal):
            try:
                return _decimal_equals(Decimal(expected), actual)
            except ArithmeticError:
                return False
        if isinstance(actual, (bytes, bytearray)):
            return base64.b64encode(actual).decode() == expected
        return False
    return False


def _number_matches(actual: Any, expected: int | Decimal | float) -> bool:
    if isinstance(actual, bool):
        return False
    if isinstance(actual, int):
        return int(expected) == actual
    if isinstance(actual, float):
        return abs(float(expected) - actual) < 0.000_001
    if isinstance(actual, Decimal):
        if isinstance(expected, int):
            exponent = actual.as_tuple().exponent
            return isinstance(exponent, int) and exponent >= 0 and int(actual) == expected
        return _decimal_equals(Decimal(str(expected)), actual)
    return False


def _decimal_equals(a: Decimal, b: Decimal) -> bool:
    """Java's ``BigDecimal.equals``: the same value and the same scale."""
    return a == b and a.as_tuple().exponent == b.as_tuple().exponent


def headers_match(actual: Sequence[tuple[str, bytes | None]], expected: list[Any]) -> bool:
    """Headers in order, key and bytes (a record expects none when the case lists none)."""
    if len(actual) != len(expected):
        return False
    for (key, value), want in zip(actual, expected, strict=True):
        wanted = want.get("VALUE")
        if key != want.get("KEY"):
            return False
        if (None if wanted is None else base64.b64decode(wanted)) != value:
            return False
    return True


# -- refusals: ExpectedExceptionNode (qtt), ExpectedErrorNode (rest) ---------------------------

STATEMENT_EXCEPTIONS = frozenset(
    {
        "io.confluent.ksql.util.KsqlStatementException",
        "io.confluent.ksql.parser.exception.ParseFailedException",
    }
)
KSQL_EXCEPTION = "io.confluent.ksql.util.KsqlException"
STREAMS_EXCEPTION = "org.apache.kafka.streams.errors.StreamsException"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A statement the server refused: the REST error body, or a query that failed while it
    processed records (``query_error``)."""

    status: int
    body: dict[str, Any]
    query_error: bool = False

    @property
    def statement_error(self) -> bool:
        return self.body.get("@type") == "statement_error"

    def messages(self) -> list[str]:
        """What the exception's ``getMessage`` and (for a statement exception) its unlogged
        message say: ksqlDB appends ``\\nStatement: <text>`` to the latter."""
        message = str(self.body.get("message", ""))
        out = [message]
        if self.statement_error:
            out.append(f"{message}\nStatement: {self.body.get('statementText', '')}")
        return out


def check_expected_exception(expected: dict[str, Any], refusal: Refusal) -> None:
    """ksqlDB's ExpectedExceptionNode: the exception is an instance of ``type`` and its message
    (or unlogged message) contains ``message``. Over HTTP the classes show as: a statement
    exception is a ``statement_error`` body, any KsqlException a refusal of a statement, a
    StreamsException a persistent query failing on a record."""
    kind = expected.get("type")
    if kind in STATEMENT_EXCEPTIONS and not (refusal.statement_error and not refusal.query_error):
        raise CaseFailed(f"expected a {kind}, got {refusal.body}")
    if kind == KSQL_EXCEPTION and refusal.query_error:
        raise CaseFailed(f"expected a refused statement ({kind}), got a failed query")
    if kind == STREAMS_EXCEPTION and not refusal.query_error:
        raise CaseFailed(f"expected a query to fail while processing ({kind}), got {refusal.body}")
    if kind not in STATEMENT_EXCEPTIONS | {KSQL_EXCEPTION, STREAMS_EXCEPTION}:
        raise CaseFailed(f"expected exception type {kind} has no counterpart over HTTP")
    wanted = expected.get("message")
    if wanted is not None and not any(wanted in m for m in refusal.messages()):
        raise CaseFailed(f"expected message containing {wanted!r}, got {refusal.messages()[0]!r}")
    for detail in ("cause", "causeMessage"):
        if detail in expected:
            # A cause is only known for failed queries (their error message carries it).
            cause = str(expected.get("causeMessage", ""))
            if not refusal.query_error or cause not in str(refusal.body.get("message", "")):
                raise CaseFailed(f"expected a cause {expected.get(detail)!r}: {refusal.body}")


def check_expected_error(expected: dict[str, Any], refusal: Refusal, last_statement: str) -> None:
    """ksqlDB's ExpectedErrorNode (REST cases): status, error message class, and a message
    containing ``message``; a statement error must name the last statement."""
    if "status" in expected and expected["status"] != refusal.status:
        raise CaseFailed(f"expected status {expected['status']}, got {refusal.status}")
    wanted = expected.get("message")
    if wanted is not None and wanted not in str(refusal.body.get("message")):
        raise CaseFailed(
            f"expected message containing {wanted!r}, got {refusal.body.get('message')!r}"
        )
    if str(expected.get("type", "")).endswith("KsqlStatementErrorMessage"):
        if not refusal.statement_error:
            raise CaseFailed(f"expected a statement error, got {refusal.body}")
        if last_statement not in str(refusal.body.get("statementText")):
            raise CaseFailed(f"statementText does not contain the failing statement: {refusal}")


# -- post conditions: PostConditionsNode ---------------------------------------------------------

# Formats that can wrap a single column or not; ksqlDB sets UNWRAP_SINGLES on a single key
# column in them (SerdeFeaturesFactory.buildKeyFeatures).
_WRAPPING_FORMATS = frozenset({"JSON", "JSON_SR", "AVRO", "PROTOBUF", "PROTOBUF_NOSR"})


def key_features(source: Source) -> set[str]:
    """The key serde features ksqlDB gives a source."""
    if source.key_format in _WRAPPING_FORMATS and len(source.keys) == 1:
        return {"UNWRAP_SINGLES"}
    return set()


def value_features(source: Source) -> set[str]:
    """The value serde features: those WRAP_SINGLE_VALUE set."""
    if source.wrap_single_value is None:
        return set()
    return {"WRAP_SINGLES" if source.wrap_single_value else "UNWRAP_SINGLES"}


def _window_type(source: Source) -> str | None:
    return source.windowed.upper() if source.windowed else None


def check_post_sources(wanted_sources: list[dict[str, Any]], metastore: Metastore) -> None:
    """SourceNode: each expected source exists with its type, schema, formats and features."""
    for wanted in wanted_sources:
        name = str(wanted["name"])
        source = metastore.source(name)
        if source is None:
            raise CaseFailed(f"post: no source {name}")
        if source.kind != str(wanted["type"]).upper():
            raise CaseFailed(f"post: {name} is a {source.kind}, expected {wanted['type']}")
        if "schema" in wanted:
            expected_schema = schema_columns(str(wanted["schema"]))
            actual_schema = [(c.name, str(c.type), c.role, c.header_key) for c in source.columns]
            if actual_schema != expected_schema:
                raise CaseFailed(f"post: {name} schema {actual_schema} != {expected_schema}")
        key_format = wanted.get("keyFormat")
        if key_format is not None:
            actual = (source.key_format, _window_type(source), _window_size(source))
            want = (
                str(key_format.get("format", source.key_format)).upper(),
                (str(key_format["windowType"]).upper() if "windowType" in key_format else None),
                key_format.get("windowSize"),
            )
            if actual != want:
                raise CaseFailed(f"post: {name} key format {actual}, expected {want}")
        if "valueFormat" in wanted and str(wanted["valueFormat"]).upper() != source.value_format:
            raise CaseFailed(f"post: {name} value format {source.value_format}")
        for side, features in (("keyFeatures", key_features), ("valueFeatures", value_features)):
            if side in wanted and set(wanted[side]) != features(source):
                raise CaseFailed(f"post: {name} {side} {features(source)}, expected {wanted[side]}")
        if "isSource" in wanted and bool(wanted["isSource"]) != source.is_source:
            raise CaseFailed(f"post: {name} isSource is {source.is_source}")


def _window_size(source: Source) -> int | None:
    return None if source.windowed == "SESSION" else source.window_size_ms


def check_post_topics(
    wanted: dict[str, Any], topics: dict[str, Source | None], partitions: dict[str, int]
) -> None:
    """PostTopicsNode: no known topic matches the blacklist; each expected topic is known with
    its formats, features, window and partition count. ``topics`` maps each topic to the source
    over it (None: no source describes it)."""
    blacklist = wanted.get("blacklist")
    if blacklist is not None:
        pattern = re.compile(str(blacklist))
        hits = [t for t in topics if pattern.search(t)]
        if hits:
            raise CaseFailed(f"post: blacklisted topics found: {hits}")
    for topic in wanted.get("topics", []):
        name = topic["name"]
        if name not in topics:
            raise CaseFailed(f"post: no topic {name}")
        source = topics[name]
        if source is None:
            raise CaseFailed(f"post: no source describes topic {name}")
        key = topic.get("keyFormat") or {}
        value = topic.get("valueFormat") or {}
        window = key.get("windowInfo") or {}
        actual = (
            source.key_format,
            key_features(source),
            _window_type(source),
            _window_size(source),
            source.value_format,
            value_features(source),
        )
        want = (
            str(key.get("format")).upper(),
            set(key.get("features", [])),
            str(window["type"]).upper() if "type" in window else None,
            # A topic's window size is a Duration, written in seconds.
            int(Decimal(str(window["size"])) * 1000) if "size" in window else None,
            str(value.get("format")).upper(),
            set(value.get("features", [])),
        )
        if actual != want:
            raise CaseFailed(f"post: topic {name} formats {actual}, expected {want}")
        if "partitions" in topic and topic["partitions"] != partitions[name]:
            raise CaseFailed(f"post: topic {name} has {partitions[name]} partitions")


def schema_columns(schema: str) -> list[tuple[str, str, str, str | None]] | str:
    """A ``post`` schema string (a LogicalSchema's text) as (name, type, role, header key)
    columns, read with the engine's parser but none of its CREATE rules (reserved names are
    fine here); a schema it cannot read is returned as text (and never equals)."""
    # LogicalSchema writes an empty struct as `STRUCT< >`.
    text = schema.replace("STRUCT< >", "STRUCT<>")
    try:
        node = parse_one(f"CREATE STREAM X ({text}) WITH (KAFKA_TOPIC='x');")
        columns = []
        for definition in node.this.expressions:
            role, header_key = "VALUE", None
            for constraint in definition.args.get("constraints") or []:
                spec = constraint.args.get("kind")
                if isinstance(spec, (KsqlKeyConstraint, exp.PrimaryKeyColumnConstraint)):
                    role = "KEY"
                elif isinstance(spec, KsqlHeadersConstraint):
                    role = "HEADERS"
                elif isinstance(spec, KsqlHeaderConstraint):
                    role, header_key = "HEADER", spec.this.name
            kind = sql_type(definition.args["kind"], {})
            columns.append((identifier_name(definition.this), str(kind), role, header_key))
    except Exception:  # not readable: reported as the expected text
        return schema
    return columns


# -- REST responses: RestTestExecutor.verifyResponses -------------------------------------------


def check_responses(
    responses: list[Any], expected_responses: list[Any], statements: list[str], order: bool
) -> None:
    """RestTestExecutor.verifyResponses: each expected response is a partial object of the
    actual one (``key|startsWith`` allowed); query rows are a multiset unless ordered."""
    expected = [r for r in expected_responses if "queryProto" not in r]
    if len(responses) < len(expected):
        raise CaseFailed(f"expected {len(expected)} responses, got {len(responses)}")
    for index, want in enumerate(expected):
        ((kind, payload),) = want.items()
        got_kind, got = responses[index]
        if kind != got_kind:
            raise CaseFailed(f"response {index}: expected {kind}, got {got_kind}")
        rows_got: Counter[str] = Counter()
        rows_want: Counter[str] = Counter()
        if kind == "admin":
            _match(
                got,
                payload,
                f"responses[{index}]",
                statements,
                index,
                rows_got,
                rows_want,
                order,
            )
        else:
            if len(got) != len(payload):
                raise CaseFailed(
                    f"responses[{index}]: {len(got)} elements, expected {len(payload)}:\n"
                    f"  got {got}\n  want {payload}"
                )
            for i, (element, wanted) in enumerate(zip(got, payload, strict=True)):
                _match(
                    element,
                    wanted,
                    f"responses[{index}]->query[{i}]",
                    statements,
                    index,
                    rows_got,
                    rows_want,
                    order,
                )
        if rows_got != rows_want:
            raise CaseFailed(
                f"responses[{index}]: rows {dict(rows_got)} != expected {dict(rows_want)}"
            )


def _match(
    actual: Any,
    expected: dict[str, Any],
    path: str,
    statements: list[str],
    index: int,
    rows_got: Counter[str],
    rows_want: Counter[str],
    ordered: bool,
) -> None:
    if not isinstance(actual, dict):
        raise CaseFailed(f"{path}: expected an object, got {actual!r}")
    for raw_key, raw_value in expected.items():
        key, _, operator = raw_key.partition("|")
        value = raw_value
        if isinstance(value, str) and index < len(statements):
            value = value.replace("{STATEMENT}", statements[index])
        if key not in actual:
            raise CaseFailed(f"{path}: missing {key!r} in {actual}")
        got = actual[key]
        here = f"{path}->{key}"
        if isinstance(value, dict):
            _match(got, value, here, statements, index, rows_got, rows_want, ordered)
        elif operator.upper() == "STARTSWITH" or operator.upper() == "STARTS_WITH":
            if not (isinstance(got, str) and got.startswith(str(value))):
                raise CaseFailed(f"{here}: {got!r} does not start with {value!r}")
        elif not ordered and "query" in here and "row" in here and key.lower() == "columns":
            rows_got[_canonical(got)] += 1
            rows_want[_canonical(value)] += 1
        elif not _same(got, value):
            raise CaseFailed(f"{here}: {got!r} != {value!r}")


def _canonical(value: Any) -> str:
    return json.dumps(_normalize(value), sort_keys=True)


def _normalize(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value))
        return float(number) if number != number.to_integral_value() else int(number)
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    return value


def _same(a: Any, b: Any) -> bool:
    return bool(_normalize(a) == _normalize(b))
