"""Runs ksqlDB's own REST query-validation cases against the local server, over HTTP.

``python tests/conformance/ksqldb_cases.py [PATH ...]`` (files or folders of ksqlDB's case
files, read recursively; default ``../shared/ksqldb-tests``: the REST cases in ``rest/`` and the
query-translation cases in ``qtt/``, whose expectations are output records and refusals) prints a
pass/fail/unsupported table per file and ends with ``conformance: P passed, F failed, U
unsupported``.

The matching follows ksqlDB's harness (``RestTestExecutor``): statements before the first
``SELECT`` go to ``/ksql`` in one request; input records are produced; each query goes to
``/query``; expected responses are partial objects (``key|startsWith`` allowed); row columns are
compared as a multiset unless the case asks for order; an expected error matches on status, type
and a substring of the message; expected output records are compared by key, value, timestamp.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from ksqlpy.local import LocalServer
from ksqlpy.local.engine.convert import coerce
from ksqlpy.local.engine.metastore import Metastore, Source
from ksqlpy.local.engine.rows import key_serde, value_serde
from ksqlpy.local.engine.sources import define_columns, with_properties
from ksqlpy.sql import parse_one
from ksqlpy.sql.nodes import KsqlCreate

REGISTRY_FORMATS = re.compile(
    r"(?i)\b(?:value_format|key_format|format)\s*=\s*'(?:avro|protobuf|json_sr)'"
)
QUERY_TIMEOUT_S = 10.0
# Partitions of a topic no case or statement sizes: ksqlDB's REST harness creates 4; its
# query-translation harness (TopologyTestDriver) has one, so records keep the order written.
REST_PARTITIONS = 4
QTT_PARTITIONS = 1
# ksqlDB's test UDFs (its test-udfs on the extension path), as Python UDFs.
UDFS = Path(__file__).parent / "udfs"


class CaseFailed(AssertionError):
    """The server's behaviour differs from what the case expects."""


@dataclass(slots=True)
class Outcome:
    """The result of one case."""

    file: str
    name: str
    status: str  # passed, failed, unsupported
    detail: str = ""


@dataclass(slots=True)
class Totals:
    """Counts per status."""

    counts: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        """passed / (passed + failed)."""
        done = self.counts["passed"] + self.counts["failed"]
        return self.counts["passed"] / done if done else 1.0


def _strip_comments(text: str) -> str:
    # `//` comments outside strings (the upstream files have them; ours are plain JSON).
    out, in_string, escaped, i = [], False, False, 0
    while i < len(text):
        char = text[i]
        if in_string:
            out.append(char)
            escaped = char == "\\" and not escaped
            if char == '"' and not escaped:
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


def load_cases(paths: Sequence[Path]) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every case of every JSON file under the paths, with its file."""
    files: list[Path] = []
    for path in paths:
        files += sorted(path.rglob("*.json")) if path.is_dir() else [path]
    for file in files:
        data = json.loads(_strip_comments(file.read_text()))
        for case in data.get("tests", []):
            yield file, case


def needs_schema_registry(case: dict[str, Any]) -> bool:
    """Whether a case uses AVRO, PROTOBUF or JSON_SR (which need a schema registry)."""
    text = " ".join(case.get("statements", []))
    if REGISTRY_FORMATS.search(text):
        return True
    formats = {str(f).upper() for f in case.get("format", [])}
    # PROTOBUF_NOSR needs no registry: those cases run (and fail until it is supported).
    if formats & {"AVRO", "PROTOBUF", "JSON_SR"}:
        return True
    for topic in case.get("topics", []):
        if any(k in topic for k in ("keySchema", "valueSchema", "schema")):
            return True
    return bool(case.get("testPullWithProtoFormat"))


def _expand(case: dict[str, Any]) -> list[dict[str, Any]]:
    formats = case.get("format")
    if not formats:
        return [case]
    out = []
    for fmt in formats:
        text = json.dumps(case).replace("{FORMAT}", str(fmt))
        expanded = json.loads(text)
        expanded["name"] = f"{case['name']} - {fmt}"
        expanded.pop("format", None)
        out.append(expanded)
    return out


class CaseRunner:
    """Runs one case against a fresh local server."""

    def __init__(self, case: dict[str, Any], qtt: bool = False) -> None:
        self.default_partitions = QTT_PARTITIONS if qtt else REST_PARTITIONS
        # A query-translation (qtt) case states its refusal as expectedException.
        if "expectedException" in case and "expectedError" not in case:
            case = {
                **case,
                "expectedError": {"message": case["expectedException"].get("message", "")},
            }
        self.case = case
        self.properties = case.get("properties", {})
        statements = case.get("statements", [])
        first = next(
            (i for i, s in enumerate(statements) if s.startswith("SELECT ")), len(statements)
        )
        self.admin, self.queries = statements[:first], statements[first:]

    def run(self) -> None:
        """Run the case, raising :class:`CaseFailed` on any difference."""
        # ksqlDB's own test server reads from the earliest offset by default (TestKsqlRestApp).
        config = {
            "ksql.streams.auto.offset.reset": "earliest",
            "ksql.query.push.v2.enabled": "true",
        }
        with (
            LocalServer(config=config, udfs=[UDFS]) as server,
            # ksqlDB's test client asks for the StreamedRow format (httpx alone sends */*,
            # which a real server answers with delimited rows).
            httpx.Client(
                base_url=server.url, timeout=30, headers={"Accept": "application/vnd.ksql.v1+json"}
            ) as http,
        ):
            self.server = server
            self._initialize_topics(server)
            responses: list[Any] = []
            if self.admin:
                answer = http.post(
                    "/ksql",
                    json={"ksql": "\n".join(self.admin), "streamsProperties": self.properties},
                )
                if answer.status_code != 200:
                    self._error(answer.status_code, answer.json())
                    return
                responses += [("admin", e) for e in answer.json()]
            conditions = self.case.get("inputConditions") or {}
            if conditions.get("waitForActivePushQuery") and self.queries:
                responses += self._query_while_producing(http, self.queries[0])
                rest = self.queries[1:]
            else:
                self._produce()
                rest = self.queries
            for sql in rest:
                result = self._query(http, sql)
                if result is None:
                    return
                responses.append(("query", result))
            if "expectedError" in self.case:
                raise CaseFailed(f"expected an error: {self.case['expectedError']}")
            # Any /ksql request lets persistent queries catch up on the inputs just produced.
            http.post("/ksql", json={"ksql": "SHOW QUERIES;"})
            self._verify_outputs()
            self._verify_post()
            self._verify_responses(responses)

    def _initialize_topics(self, server: LocalServer) -> None:
        """Create the topics the case uses up front, as ksqlDB's harness does (4 partitions
        unless the case or the statement says otherwise)."""
        wanted: dict[str, int] = {}
        for topic in self.case.get("topics", []):
            wanted[topic["name"]] = int(topic.get("partitions", self.default_partitions))
        for text in self.admin:
            try:
                node = parse_one(text)
            except Exception:  # the server will report the statement's own error
                continue
            if not isinstance(node, KsqlCreate) or node.args.get("expression") is not None:
                continue
            props = with_properties(node.args.get("properties"))
            if "KAFKA_TOPIC" in props:
                name = str(props["KAFKA_TOPIC"])
                wanted.setdefault(name, int(props.get("PARTITIONS") or self.default_partitions))
        for record in self.case.get("inputs", []) + self.case.get("outputs", []):
            wanted.setdefault(record["topic"], self.default_partitions)
        for name, partitions in wanted.items():
            if server.engine.log.topic(name) is None:
                server.engine.log.create_topic(name, partitions)

    # -- requests -----------------------------------------------------------------------------

    def _query(self, http: httpx.Client, sql: str) -> list[Any] | None:
        try:
            answer = http.post(
                "/query",
                json={"ksql": sql, "streamsProperties": self.properties},
                timeout=QUERY_TIMEOUT_S,
            )
        except httpx.TimeoutException:
            raise CaseFailed(f"query did not end within {QUERY_TIMEOUT_S:.0f} s: {sql}") from None
        if answer.status_code != 200:
            self._error(answer.status_code, answer.json())
            return None
        return _stream_elements(answer.text)

    def _query_while_producing(self, http: httpx.Client, sql: str) -> list[Any]:
        result: list[Any] = []
        failure: list[BaseException] = []
        started = threading.Event()

        def read() -> None:
            try:
                with http.stream(
                    "POST", "/query", json={"ksql": sql, "streamsProperties": self.properties}
                ) as answer:
                    lines = []
                    for line in answer.iter_lines():
                        lines.append(line)
                        started.set()
                    result.append(_stream_elements("\n".join(lines)))
            except BaseException as exc:
                failure.append(exc)
            finally:
                started.set()

        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        started.wait(QUERY_TIMEOUT_S)
        self._produce()
        thread.join(QUERY_TIMEOUT_S)
        if failure or not result:
            raise CaseFailed(f"push query failed: {failure or 'no end'}")
        return [("query", result[0])]

    def _error(self, status: int, body: dict[str, Any]) -> None:
        expected = self.case.get("expectedError")
        if expected is None:
            raise CaseFailed(f"server refused a statement ({status}): {body.get('message')}")
        if "status" in expected and expected["status"] != status:
            raise CaseFailed(f"expected status {expected['status']}, got {status}: {body}")
        if "message" in expected and expected["message"] not in str(body.get("message")):
            raise CaseFailed(
                f"expected message containing {expected['message']!r}, got {body.get('message')!r}"
            )
        kind = str(expected.get("type", ""))
        if kind.endswith("KsqlStatementErrorMessage"):
            if body.get("@type") != "statement_error":
                raise CaseFailed(f"expected a statement error, got {body}")
            last = (self.admin + self.queries)[-1]
            if last not in str(body.get("statementText")):
                raise CaseFailed(f"statementText does not contain the failing statement: {body}")

    # -- records --------------------------------------------------------------------------------

    def _source_for(self, topic: str) -> Source | None:
        sources = [s for s in self.server.engine.metastore.sources.values() if s.topic == topic]
        return sources[0] if sources else None

    def _produce(self) -> None:
        log = self.server.engine.log
        for record in self.case.get("inputs", []):
            topic = record["topic"]
            source = self._source_for(topic)
            if log.topic(topic) is None:
                log.create_topic(topic, 1)
            window = record.get("window")
            if window is not None and source is not None and source.windowed:
                key = key_serde(source).serialize(
                    [*_key_values(source, record.get("key")), window["start"], window["end"]]
                )
            else:
                key = _serialize_side(source, record.get("key"), key_side=True)
            value = _serialize_side(source, record.get("value"), key_side=False)
            headers = tuple(
                (h["KEY"], None if h.get("VALUE") is None else base64.b64decode(h["VALUE"]))
                for h in record.get("headers") or []
            )
            log.append(
                topic, key, value, timestamp=int(record.get("timestamp", 0)), headers=headers
            )

    def _verify_outputs(self) -> None:
        log = self.server.engine.log
        by_topic: dict[str, list[dict[str, Any]]] = {}
        for record in self.case.get("outputs", []):
            by_topic.setdefault(record["topic"], []).append(record)
        for topic, expected in by_topic.items():
            source = self._source_for(topic)
            if log.topic(topic) is None:
                raise CaseFailed(f"no topic {topic}")
            actual = [
                r for p in range(len(log.end_offsets(topic))) for r in log.read(topic, p, 0, 10**9)
            ]
            # ksqlDB's harness wants exactly the records expected, in the order written.
            if len(actual) != len(expected):
                raise CaseFailed(f"{topic}: expected {len(expected)} records, found {len(actual)}")
            for want, got in zip(expected, actual, strict=True):
                key, window = _windowed_key(source, got.key)
                value = _deserialize_side(source, got.value, key_side=False)
                if not record_matches(key, want.get("key")):
                    raise CaseFailed(f"{topic}: key {key!r} != {want.get('key')!r}")
                wanted_window = want.get("window")
                if wanted_window is not None and window != (
                    wanted_window.get("start"),
                    wanted_window.get("end"),
                ):
                    raise CaseFailed(f"{topic}: window {window} != {wanted_window}")
                if not record_matches(value, want.get("value")):
                    raise CaseFailed(f"{topic}: value {value!r} != {want.get('value')!r}")
                if "timestamp" in want and got.timestamp != want["timestamp"]:
                    raise CaseFailed(f"{topic}: timestamp {got.timestamp} != {want['timestamp']}")
                if "headers" in want and not _headers_match(got.headers, want["headers"]):
                    raise CaseFailed(f"{topic}: headers {got.headers} != {want['headers']}")

    def _verify_post(self) -> None:
        """The case's ``post`` conditions on sources: kind, schema and formats."""
        for wanted in (self.case.get("post") or {}).get("sources", []):
            name = str(wanted["name"]).upper()
            source = self.server.engine.metastore.source(name)
            if source is None:
                raise CaseFailed(f"post: no source {name}")
            if "type" in wanted and source.kind != str(wanted["type"]).upper():
                raise CaseFailed(f"post: {name} is a {source.kind}, expected {wanted['type']}")
            formats = (("keyFormat", source.key_format), ("valueFormat", source.value_format))
            for side, fmt in formats:
                want_fmt = (wanted.get(side) or {}).get("format")
                if want_fmt is not None and str(want_fmt).upper() != fmt:
                    raise CaseFailed(f"post: {name} {side} {fmt}, expected {want_fmt}")
            if "schema" in wanted:
                expected_schema = _schema_columns(str(wanted["schema"]))
                actual_schema = [(c.name, str(c.type), c.role) for c in source.columns]
                if expected_schema is not None and actual_schema != expected_schema:
                    raise CaseFailed(f"post: {name} schema {actual_schema} != {expected_schema}")

    # -- responses ------------------------------------------------------------------------------

    def _verify_responses(self, responses: list[Any]) -> None:
        expected = [r for r in self.case.get("responses", []) if "queryProto" not in r]
        if len(responses) < len(expected):
            raise CaseFailed(f"expected {len(expected)} responses, got {len(responses)}")
        order = bool((self.case.get("outputConditions") or {}).get("verifyOrder"))
        statements = self.admin + self.queries
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


def _stream_elements(text: str) -> list[Any]:
    out = []
    for raw in text.split("\n"):
        line = raw.strip().removeprefix("[").removesuffix("]").removesuffix(",")
        if line:
            out.append(json.loads(line, parse_float=Decimal))
    return out


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


def record_matches(actual: Any, expected: Any) -> bool:
    """ksqlDB's ExpectedRecordComparator: objects field by field (a missing field is looked up
    in upper case), arrays element-wise, doubles within 1e-6, decimals with their scale, BYTES
    as base64 text."""
    if expected is None:
        return actual is None
    if isinstance(expected, dict):
        if not isinstance(actual, dict) or len(actual) != len(expected):
            return False
        return all(
            record_matches(actual[k] if k in actual else actual.get(k.upper()), v)
            for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(record_matches(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, bool):
        return isinstance(actual, bool) and actual == expected
    if isinstance(expected, (int, float, Decimal)):
        if isinstance(actual, bool) or not isinstance(actual, (int, float, Decimal)):
            return False
        if isinstance(actual, int) and isinstance(expected, int):
            return actual == expected
        return abs(Decimal(str(expected)) - Decimal(str(actual))) < Decimal("0.000001")
    if isinstance(expected, str):
        if isinstance(actual, Decimal):
            wanted = Decimal(expected)
            return wanted == actual and wanted.as_tuple().exponent == actual.as_tuple().exponent
        if isinstance(actual, bytes):
            return base64.b64encode(actual).decode() == expected
        return actual == expected
    return bool(actual == expected)


def _headers_match(actual: Sequence[tuple[str, bytes | None]], expected: list[Any]) -> bool:
    if len(actual) != len(expected):
        return False
    for (key, value), want in zip(actual, expected, strict=True):
        wanted = want.get("VALUE")
        if key != want.get("KEY"):
            return False
        if (None if wanted is None else base64.b64decode(wanted)) != value:
            return False
    return True


def _schema_columns(schema: str) -> list[tuple[str, str, str]] | None:
    """A ``post`` schema string as (name, type, role) columns, read with the engine's parser."""
    kind = "TABLE" if "PRIMARY KEY" in schema.upper() else "STREAM"
    statement = f"CREATE {kind} X ({schema}) WITH (KAFKA_TOPIC='x', VALUE_FORMAT='JSON');"
    try:
        node = parse_one(statement)
        columns = define_columns(Metastore(), node.this, kind)
    except Exception:  # a schema the engine cannot read: not checked
        return None
    return [(c.name, str(c.type), c.role) for c in columns]


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


def _serialize_side(source: Source | None, value: Any, key_side: bool) -> bytes | None:
    """Bytes for an input record's key or value, by the format of the source over its topic."""
    if value is None:
        return None
    if source is None:
        return (value if isinstance(value, str) else json.dumps(value)).encode()
    fmt = source.key_format if key_side else source.value_format
    columns = source.keys if key_side else source.values
    if fmt == "JSON":
        return json.dumps(value).encode()
    if fmt == "DELIMITED" or (fmt == "KAFKA" and columns and columns[0].type.base == "STRING"):
        return str(value).encode()
    serde = key_serde(source) if key_side else value_serde(source)
    if isinstance(value, dict) and not key_side:
        upper = {k.upper(): v for k, v in value.items()}
        values = [coerce(upper.get(c.name.upper()), c.type, lenient=True) for c in columns]
    else:
        values = [coerce(value, columns[0].type, lenient=True)] if columns else []
    return serde.serialize(values)


def _key_values(source: Source, value: Any) -> list[Any]:
    keys = source.keys
    if len(keys) == 1:
        return [coerce(value, keys[0].type, lenient=True)]
    upper = {k.upper(): v for k, v in (value or {}).items()}
    return [coerce(upper.get(c.name.upper()), c.type, lenient=True) for c in keys]


def _windowed_key(source: Source | None, data: bytes | None) -> tuple[Any, Any]:
    """A record key and, for a windowed source, its window bounds (ksqlDB's harness compares
    windowed keys as the key plus window.start and window.end)."""
    if source is None or not source.windowed or data is None:
        return _deserialize_side(source, data, key_side=True), None
    values = key_serde(source).deserialize(data)
    keys, bounds = values[:-2], (values[-2], values[-1])
    return (keys[0] if len(keys) == 1 else keys), bounds


def _deserialize_side(source: Source | None, data: bytes | None, key_side: bool) -> Any:
    if data is None:
        return None
    fmt = (source.key_format if key_side else source.value_format) if source else "JSON"
    if fmt == "JSON":
        return json.loads(data, parse_float=Decimal)
    if fmt == "DELIMITED":
        return data.decode()
    serde = key_serde(source) if key_side else value_serde(source)  # type: ignore[arg-type]
    values = serde.deserialize(data)
    return values[0] if len(values) == 1 else values


def run_case(file: str, case: dict[str, Any], qtt: bool = False) -> list[Outcome]:
    """Run a case (each of its formats) as the REST or the query-translation harness does;
    never raises."""
    outcomes = []
    for expanded in _expand(case):
        name = expanded.get("name", "?")
        if needs_schema_registry(expanded):
            outcomes.append(Outcome(file, name, "unsupported", "needs a schema registry"))
            continue
        try:
            CaseRunner(expanded, qtt).run()
        except CaseFailed as exc:
            outcomes.append(Outcome(file, name, "failed", str(exc)))
        except Exception as exc:  # a crash in the runner or server is a failure of this case
            outcomes.append(Outcome(file, name, "failed", f"{type(exc).__name__}: {exc}"))
        else:
            outcomes.append(Outcome(file, name, "passed"))
    return outcomes


def run(paths: Sequence[Path]) -> list[Outcome]:
    """Run every case under the paths."""
    outcomes: list[Outcome] = []
    for file, case in load_cases(paths):
        outcomes += run_case(file.name, case, qtt=file.parent.name == "qtt")
    return outcomes


def summarize(outcomes: Sequence[Outcome]) -> dict[str, Totals]:
    """Totals per file."""
    totals: dict[str, Totals] = {}
    for outcome in outcomes:
        totals.setdefault(outcome.file, Totals()).counts[outcome.status] += 1
    return totals


def main(argv: Sequence[str] | None = None) -> int:
    """Run the conformance command."""
    parser = argparse.ArgumentParser(
        prog="python tests/conformance/ksqldb_cases.py",
        description="Run ksqlDB's REST and query-translation cases against the local server.",
    )
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders of cases")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each failure")
    args = parser.parse_args(argv)
    paths = args.paths or [Path("../shared/ksqldb-tests")]
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"conformance: no such file or folder: {missing[0]}", file=sys.stderr)
        return 2
    outcomes = run(paths)
    totals = summarize(outcomes)
    width = max([len(f) for f in totals] + [4])
    print(f"{'file':<{width}}  passed  failed  unsupported    rate")
    for file, total in sorted(totals.items()):
        c = total.counts
        counts = f"{c['passed']:6}  {c['failed']:6}  {c['unsupported']:11}"
        print(f"{file:<{width}}  {counts}  {total.rate:6.1%}")
    total = Totals(Counter(o.status for o in outcomes))
    c = total.counts
    counts = f"{c['passed']:6}  {c['failed']:6}  {c['unsupported']:11}"
    print(f"{'total':<{width}}  {counts}  {total.rate:6.1%}")
    if args.verbose:
        for outcome in outcomes:
            if outcome.status == "failed":
                print(f"FAILED {outcome.file} :: {outcome.name}\n    {outcome.detail[:400]}")
    print(
        f"conformance: {c['passed']} passed, {c['failed']} failed, {c['unsupported']} unsupported"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
