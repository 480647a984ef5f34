"""Runs ksqlDB's own REST query-validation cases against the local server, over HTTP.

``python tests/conformance/ksqldb_cases.py [PATH ...]`` (files or folders of ksqlDB's case
files, read recursively; default ``../shared/ksqldb-tests``: the REST cases in ``rest/`` and the
query-translation cases in ``qtt/``, whose expectations are output records and refusals) prints a
pass/fail/unsupported table per file and ends with ``conformance: P passed, F failed, U
unsupported``.

The run follows ksqlDB's harnesses (``RestTestExecutor`` for REST cases, ``TestExecutor`` for
query-translation cases): statements before the first ``SELECT`` go to ``/ksql`` in one request
(a qtt case's ``properties`` are the server's configuration, a REST case's are sent with each
request); input records are produced; each query goes to ``/query``; expected responses are
partial objects (``key|startsWith`` allowed); row columns are compared as a multiset unless the
case asks for order. What each check accepts is in ``ksqldb_checks.py``: refusals by exception
class and message, output records in the order written, ``post`` sources and topics.
Cases with ``"enabled": false`` are not run (ksqlDB's TestCaseBuilder skips them); a case with
``config`` runs once per value, in place of its ``{CONFIG}`` property, as ksqlDB expands it.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from ksqldb_case_files import expand, json_text, load_cases, needs_schema_registry
from ksqldb_checks import (
    CaseFailed,
    Refusal,
    check_expected_error,
    check_expected_exception,
    check_post_sources,
    check_post_topics,
    check_responses,
    headers_match,
    record_matches,
)

from ksqlpy.local import LocalServer
from ksqlpy.local.engine.convert import coerce
from ksqlpy.local.engine.json_serde import JsonSerde
from ksqlpy.local.engine.metastore import Source
from ksqlpy.local.engine.rows import key_serde, value_serde
from ksqlpy.local.engine.sources import with_properties
from ksqlpy.sql import parse_one
from ksqlpy.sql.nodes import KsqlCreate

# Generous: only a case that fails waits it out, and a loaded 2-core machine can take seconds
# to run a push query to its LIMIT (one case did not end within 10 s under load).
QUERY_TIMEOUT_S = 30.0
# Partitions of a topic no case or statement sizes: ksqlDB's REST harness creates 4; its
# query-translation harness (TopologyTestDriver) has one, so records keep the order written.
REST_PARTITIONS = 4
QTT_PARTITIONS = 1
# ksqlDB's test UDFs (its test-udfs on the extension path), as Python UDFs.
UDFS = Path(__file__).parent / "udfs"


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


def _config_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class CaseRunner:
    """Runs one case against a fresh local server."""

    def __init__(self, case: dict[str, Any], qtt: bool = False) -> None:
        self.qtt = qtt
        self.default_partitions = QTT_PARTITIONS if qtt else REST_PARTITIONS
        self.case = case
        properties = case.get("properties", {})
        # The query-translation harness builds its engine's KsqlConfig from the properties;
        # the REST harness sends them with each request (restClient.setProperty).
        self.config = {k: _config_text(v) for k, v in properties.items()} if qtt else {}
        self.properties = {} if qtt else properties
        self.exact_numbers = _config_text(properties.get("use.exact.numeric.comparison", True))
        self.qtt_ids: dict[str, str] = {}  # ksqlpy query id -> the id QTT expects
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
            # QTT's KsqlConfig (TestExecutor) names internal topics after this service id.
            **({"ksql.service.id": "some.ksql.service.id"} if self.qtt else {}),
            **self.config,
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
                    self._refused(Refusal(answer.status_code, answer.json()))
                    return
                responses += [("admin", e) for e in answer.json()]
                # ksqlDB's TestExecutor numbers persistent queries 0, 1, ... in order of creation.
                started = [(e.get("commandStatus") or {}).get("queryId") for e in answer.json()]
                self.qtt_ids = {
                    q: re.sub(r"_\d+$", f"_{n}", q) for n, q in enumerate(filter(None, started))
                }
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
            # Any /ksql request lets persistent queries catch up on the inputs just produced.
            shown = http.post("/ksql", json={"ksql": "SHOW QUERIES;"}).json()
            failed = self._failed_query(http, shown) if self.qtt else None
            if failed is not None:
                # TopologyTestDriver throws what fails a query out of the run.
                self._refused(failed)
                return
            expected = self.case.get("expectedError") or self.case.get("expectedException")
            # ksqlDB's RestTestExecutor calls failIfExpectingError only after query statements:
            # a REST case of admin statements that all succeed is checked on its responses.
            if expected is not None and (self.qtt or self.queries):
                raise CaseFailed(f"expected an error: {expected}")
            self._verify_outputs()
            self._verify_post()
            order = bool((self.case.get("outputConditions") or {}).get("verifyOrder"))
            check_responses(
                responses, self.case.get("responses", []), self.admin + self.queries, order
            )

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
            self._refused(Refusal(answer.status_code, answer.json()))
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

    def _refused(self, refusal: Refusal) -> None:
        if "expectedException" in self.case:
            check_expected_exception(self.case["expectedException"], refusal)
        elif "expectedError" in self.case:
            last = (self.admin + self.queries)[-1]
            check_expected_error(self.case["expectedError"], refusal, last)
        elif refusal.query_error:
            raise CaseFailed(f"a query failed: {refusal.body.get('message')}")
        else:
            message = refusal.body.get("message")
            raise CaseFailed(f"server refused a statement ({refusal.status}): {message}")

    def _failed_query(self, http: httpx.Client, shown: Any) -> Refusal | None:
        """A persistent query stopped by an error while processing (a StreamsException in
        ksqlDB), with the messages of its errors."""
        entries = shown[0].get("queries", []) if isinstance(shown, list) and shown else []
        for entry in entries:
            if entry.get("state") != "ERROR":
                continue
            explained = http.post("/ksql", json={"ksql": f"EXPLAIN {entry['id']};"}).json()
            description = explained[0].get("queryDescription", {}) if explained else {}
            errors = [e.get("errorMessage", "") for e in description.get("queryErrors", [])]
            return Refusal(200, {"message": "\n".join(errors)}, query_error=True)
        return None

    # -- records --------------------------------------------------------------------------------

    def _source_for(self, topic: str) -> Source | None:
        sources = [s for s in self.server.engine.metastore.sources.values() if s.topic == topic]
        if not sources:  # an internal topic of a persistent query, described by the query
            queries = self.server.engine.persistent.values()
            sources = [q.internal_topics[topic] for q in queries if topic in q.internal_topics]
        return sources[0] if sources else None

    def _produce(self) -> None:
        for record in self.case.get("inputs", []):
            # On the server's loop, as its requests and pump timer run the engine: a pump from
            # this thread raced the timer's and once processed a record twice.
            self.server.call(lambda record=record: self._produce_one(record))

    def _produce_one(self, record: dict[str, Any]) -> None:
        log = self.server.engine.log
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
        log.append(topic, key, value, timestamp=int(record.get("timestamp", 0)), headers=headers)
        # ksqlDB's TestExecutor pipes one record at a time through the topology, so each
        # input is processed before the next arrives (order across topics matters to joins).
        self.server.engine.pump()

    def _verify_outputs(self) -> None:
        """TestExecutor.validateTopicData: exactly the records expected, in the order written;
        key (with window start, end and type), value, headers and timestamp each match."""
        log = self.server.engine.log
        by_topic: dict[str, list[dict[str, Any]]] = {}
        for record in self.case.get("outputs", []):
            by_topic.setdefault(record["topic"], []).append(record)
        # Run by INSERT statements alone, an expected timestamp of 0 stands for any.
        any_time_zero = self.qtt and not self.case.get("inputs")
        for topic, expected in by_topic.items():
            source = self._source_for(topic)
            if log.topic(topic) is None:
                raise CaseFailed(f"no topic {topic}")
            actual = [
                r for p in range(len(log.end_offsets(topic))) for r in log.read(topic, p, 0, 10**9)
            ]
            if len(actual) != len(expected):
                raise CaseFailed(f"{topic}: expected {len(expected)} records, found {len(actual)}")
            for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
                where = f"{topic} record {index}"
                key, window = self._windowed_key(source, got.key)
                value = self._deserialize(source, got.value, key_side=False)
                if not record_matches(key, want.get("key")):
                    raise CaseFailed(f"{where}: key {key!r} != {want.get('key')!r}")
                wanted_window = want.get("window")
                if wanted_window is not None:
                    wanted = (
                        wanted_window.get("start"),
                        wanted_window.get("end"),
                        str(wanted_window.get("type", "")).upper(),
                    )
                    if window != wanted:
                        raise CaseFailed(f"{where}: window {window} != {wanted}")
                if not record_matches(value, want.get("value")):
                    raise CaseFailed(f"{where}: value {value!r} != {want.get('value')!r}")
                stamp = want.get("timestamp", got.timestamp)
                if got.timestamp != stamp and not (any_time_zero and stamp == 0):
                    raise CaseFailed(f"{where}: timestamp {got.timestamp} != {stamp}")
                wanted_headers = want.get("headers") or []
                if (self.qtt or "headers" in want) and not headers_match(
                    got.headers, wanted_headers
                ):
                    raise CaseFailed(f"{where}: headers {got.headers} != {want.get('headers')}")

    def _verify_post(self) -> None:
        """The case's ``post`` conditions: sources, then topics."""
        post = self.case.get("post") or {}
        engine = self.server.engine
        check_post_sources(post.get("sources", []), engine.metastore)
        if post.get("topics"):
            names = {self._qtt_topic(t.name): t.name for t in engine.log.topics()}
            topics = {name: self._source_for(topic) for name, topic in names.items()}
            partitions = {name: len(engine.log.end_offsets(topic)) for name, topic in names.items()}
            check_post_topics(post["topics"], topics, partitions)

    def _qtt_topic(self, topic: str) -> str:
        """An internal topic named with the query id QTT gives its query."""
        for query_id, qtt_id in self.qtt_ids.items() if self.qtt else ():
            topic = topic.replace(f"query_{query_id}-", f"query_{qtt_id}-")
        return topic

    def _windowed_key(self, source: Source | None, data: bytes | None) -> tuple[Any, Any]:
        """A record key and, for a windowed source, its window (start, end, type): ksqlDB's
        harness compares windowed keys as the key plus the window."""
        if source is None or not source.windowed or data is None:
            return self._deserialize(source, data, key_side=True), None
        values = key_serde(source).deserialize(data)
        keys, bounds = values[:-2], (values[-2], values[-1])
        kind = "SESSION" if source.windowed == "SESSION" else "TIME"
        if len(keys) > 1 and source.key_format == "JSON":
            # As an unwindowed JSON key reads: the object of the key columns.
            return dict(zip([c.name for c in source.keys], keys, strict=True)), (*bounds, kind)
        return (keys[0] if len(keys) == 1 else keys), (*bounds, kind)

    def _deserialize(self, source: Source | None, data: bytes | None, key_side: bool) -> Any:
        """As ksqlDB's test deserializers: JSON as parsed (fractions exact unless the case sets
        use.exact.numeric.comparison=false), DELIMITED as text, others by the source's serde."""
        if data is None:
            return None
        fmt = (source.key_format if key_side else source.value_format) if source else "JSON"
        if fmt == "JSON":
            exact = self.exact_numbers.lower() != "false"
            return json.loads(data, parse_float=Decimal if exact else float)
        if fmt == "DELIMITED":
            return data.decode()
        serde = key_serde(source) if key_side else value_serde(source)  # type: ignore[arg-type]
        values = serde.deserialize(data)
        if fmt == "PROTOBUF_NOSR":
            # ksqlDB's harness compares a message as the object of its columns, as JSON shows it.
            shown = JsonSerde(serde.columns, serde.unwrapped).serialize(values)
            return None if shown is None else json.loads(shown, parse_float=Decimal)
        return values[0] if len(values) == 1 else values


def _stream_elements(text: str) -> list[Any]:
    out = []
    for raw in text.split("\n"):
        line = raw.strip().removeprefix("[").removesuffix("]").removesuffix(",")
        if line:
            out.append(json.loads(line, parse_float=Decimal))
    return out


def _serialize_side(source: Source | None, value: Any, key_side: bool) -> bytes | None:
    """Bytes for an input record's key or value, by the format of the source over its topic."""
    if value is None:
        return None
    if source is None:
        return (value if isinstance(value, str) else json_text(value)).encode()
    fmt = source.key_format if key_side else source.value_format
    columns = source.keys if key_side else source.values
    if fmt == "JSON":
        return json_text(value).encode()
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


def run_case(file: str, case: dict[str, Any], qtt: bool = False) -> list[Outcome]:
    """Run a case (each of its formats) as the REST or the query-translation harness does;
    never raises."""
    outcomes = []
    for expanded in expand(case):
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
