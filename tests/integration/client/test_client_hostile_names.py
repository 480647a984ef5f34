"""Hostile names through every client API that puts a name or value into SQL.

Each name below, sent through each such API against the local server, must either be refused
with a KsqlError or address exactly the object so named: the VICTIM stream, its persistent
query and the session variable stay as they were, and nothing else is created.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ksqlpy import Client, KsqlError

HOSTILE = [
    "S; DROP STREAM VICTIM",
    "S'; DROP STREAM VICTIM; --",
    "S`; DROP STREAM VICTIM; --",
    "`S`; DROP STREAM VICTIM; `X`",
    "${x}",
    "S\nDROP STREAM VICTIM",
    "S /* c */; DROP STREAM VICTIM",
    "S -- c\n; DROP STREAM VICTIM",
    "S); DROP STREAM VICTIM; --",
    "ALL",
]

APIS: dict[str, Callable[[Client, str], Any]] = {
    "describe_source": lambda c, n: c.describe_source(n),
    "describe_source extended": lambda c, n: c.describe_source(n, extended=True),
    "describe_function": lambda c, n: c.describe_function(n),
    "describe_query": lambda c, n: c.describe_query(n),
    "terminate": lambda c, n: c.terminate(n),
    "describe_connector": lambda c, n: c.describe_connector(n),
    "create_connector name": lambda c, n: c.create_connector(n, {"connector.class": "X"}),
    "create_connector config": lambda c, n: c.create_connector("C", {n: n}),
    "drop_connector": lambda c, n: c.drop_connector(n),
    "assert_topic": lambda c, n: c.assert_topic(n, timeout=0),
    "assert_schema": lambda c, n: c.assert_schema(subject=n, timeout=0),
}


def _state(client: Client) -> tuple[Any, ...]:
    streams = sorted(s.name for s in client.list_streams())
    tables = sorted(t.name for t in client.list_tables())
    queries = sorted((q.id, q.state) for q in client.list_queries())
    return streams, tables, queries, client.variables()


@pytest.fixture(scope="module")
def victim() -> Any:
    from ksqlpy.local import LocalServer

    with LocalServer() as server, Client(server.url) as client:
        client.execute_statement(
            "CREATE STREAM VICTIM (ID INT KEY, V STRING) WITH (KAFKA_TOPIC='victim', "
            "VALUE_FORMAT='JSON', PARTITIONS=1);"
        )
        client.execute_statement("CREATE STREAM COPY AS SELECT * FROM VICTIM;")
        yield server


@pytest.mark.parametrize("api", list(APIS))
def test_a_hostile_name_runs_nothing_but_the_api_call(victim: Any, api: str) -> None:
    with Client(victim.url) as client:
        client.define("x", "VICTIM")
        before = _state(client)
        for hostile in HOSTILE:
            try:
                result = APIS[api](client, hostile)
            except KsqlError:
                pass  # refused, or the object so named does not exist: either is fine
            else:
                # the call succeeded: it must have addressed the literal name, not VICTIM
                assert "VICTIM" not in repr(result) or api.startswith("assert"), (hostile, result)
            assert _state(client) == before, f"{api}({hostile!r}) changed the server"


def test_names_that_need_no_quotes_still_work_as_before(victim: Any) -> None:
    with Client(victim.url) as client:
        client.execute_statement(
            "CREATE STREAM `Mixed-Case` (ID INT KEY) WITH (KAFKA_TOPIC='mixed', "
            "VALUE_FORMAT='JSON', PARTITIONS=1);"
        )
        assert client.describe_source("Mixed-Case").name == "Mixed-Case"
        assert client.describe_source("`Mixed-Case`").name == "Mixed-Case"
        assert client.describe_source("victim").name == "VICTIM"
        client.execute_statement("CREATE STREAM COPY2 AS SELECT * FROM VICTIM;")
        query_id = next(q.id for q in client.list_queries() if "COPY2" in q.sinks)
        client.terminate(query_id)
        assert [q.id for q in client.list_queries() if "COPY2" in q.sinks] == []


def test_a_value_with_a_variable_reference_is_kept_as_written(victim: Any) -> None:
    with Client(victim.url) as client:
        client.define("x", "VICTIM")
        with pytest.raises(KsqlError) as caught:
            client.describe_source("${x}")
        assert "${x}" in str(caught.value)


@pytest.mark.parametrize("bad", [None, "", "  ", 5, b"S"])
def test_a_name_that_is_not_a_str_is_refused_before_anything_is_sent(victim: Any, bad: Any) -> None:
    with Client(victim.url) as client, pytest.raises(KsqlError, match="non-empty str"):
        client.describe_source(bad)
