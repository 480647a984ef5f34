"""The sans-IO flows both twins drive (retry/failover, insert batches): no sockets, no sleep.

Each test plays the twin: it answers every ``_Attempt`` with an httpx response or error and
records what the flow asked for, so the loop's decisions are checked once for sync and async.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest

from ksqlpy import KsqlStatementError, KsqlTimeoutError, ProtocolError, ServerUnavailableError
from ksqlpy import _inserts as inserts
from ksqlpy._config import ClientConfig
from ksqlpy._flows import aread_header, header_flow, read_header
from ksqlpy._protocol import AckDecoder, Request, get_request, ksql_request
from ksqlpy._query_decoders import QueryDecoder
from ksqlpy._transport import SyncTransport, _Attempt, _Pause, _Renew


def _drive(transport: SyncTransport, request: Request, answers: list[Any]) -> tuple[Any, list[str]]:
    """Run ``send_flow`` against scripted answers; (its result or error, the steps it took)."""
    flow = transport.send_flow(request)
    steps: list[str] = []
    try:
        step = next(flow)
        while True:
            if isinstance(step, _Attempt):
                steps.append(f"attempt {step.base}")
                step = flow.send(answers.pop(0))
            elif isinstance(step, _Pause):
                steps.append("pause")
                step = flow.send(None)
            else:
                assert isinstance(step, _Renew)
                steps.append("renew")
                step = flow.send(None)
    except StopIteration as done:
        return done.value, steps
    except Exception as error:  # the flow's verdict is what is tested
        return error, steps
    finally:
        transport.close()


def _transport(*urls: str, **options: Any) -> SyncTransport:
    return SyncTransport(ClientConfig.from_options(list(urls), **options))


def _response(status: int, body: bytes = b"{}", **headers: str) -> httpx.Response:
    return httpx.Response(status, content=body, headers=headers)


def test_an_idempotent_request_waits_and_retries_a_503() -> None:
    transport = _transport("http://a:8088", backoff=0.01)
    reply, steps = _drive(transport, get_request("/info"), [_response(503), _response(200)])
    assert steps == ["attempt http://a:8088", "pause", "attempt http://a:8088"]
    assert reply.status == 200


def test_a_statement_is_never_sent_twice() -> None:
    transport = _transport("http://a:8088", backoff=0.01)
    request = ksql_request("CREATE STREAM S (A INT) WITH (KAFKA_TOPIC='s', PARTITIONS=1);")
    timeout = httpx.ReadTimeout("slow")
    error, steps = _drive(transport, request, [timeout])
    assert steps == ["attempt http://a:8088"]
    assert isinstance(error, KsqlTimeoutError)
    assert error.__cause__ is timeout


def test_a_refused_connection_fails_over_to_the_next_url_then_gives_up() -> None:
    transport = _transport("http://a:8088", "http://b:8088", retries=0)
    refused = [httpx.ConnectError("Connection refused")] * 2
    error, steps = _drive(transport, get_request("/info"), list(refused))
    assert steps == ["attempt http://a:8088", "attempt http://b:8088"]
    assert isinstance(error, ServerUnavailableError)
    assert "cannot reach ksqlDB at http://b:8088" in str(error)


def test_an_http1_only_server_makes_the_flow_renew_the_client_once() -> None:
    transport = _transport("http://a:8088", retries=0)
    broken = httpx.RemoteProtocolError("illegal status line")
    reply, steps = _drive(transport, get_request("/info"), [broken, _response(200)])
    assert steps == ["attempt http://a:8088", "renew", "attempt http://a:8088"]
    assert reply.status == 200
    assert transport.http1_fallback


@pytest.mark.parametrize("status", [400, 404])
def test_a_refusal_is_the_mapped_error_at_once(status: int) -> None:
    transport = _transport("http://a:8088")
    body = b'{"@type":"statement_error","error_code":40001,"message":"no"}'
    error, steps = _drive(transport, get_request("/info"), [_response(status, body)])
    assert steps == ["attempt http://a:8088"]
    assert getattr(error, "http_status", None) == status


class _Link:
    base = "http://a:8088"
    config = ClientConfig.from_options("http://a:8088", read_timeout=5)
    http1_fallback = False


def test_a_broken_insert_batch_probes_the_server_for_its_reason() -> None:
    flow = inserts.batch_flow("PV", b'{"target":"PV"}\n', [{"ID": 1}], 0, _Link())
    assert isinstance(next(flow), inserts.OpenBatch)
    broken = ServerUnavailableError("reset", detail="the connection broke")
    step = flow.throw(broken)
    assert step == inserts.Probe(b'{"target":"PV"}\n')
    refused = KsqlStatementError("unknown stream/table: `PV`", http_status=400, error_code=40001)
    with pytest.raises(KsqlStatementError, match="unknown stream") as caught:
        flow.throw(refused)
    assert caught.value.__cause__ is broken


def test_an_insert_batch_without_acks_in_time_says_how_many_were_acknowledged() -> None:
    rows = [{"ID": i} for i in range(10)]
    flow = inserts.batch_flow("PV", b"{}\n", rows, 100, _Link())
    next(flow)
    step = flow.send("the response")
    assert isinstance(step, inserts.ReadAcks)
    step.decoder.feed(b'{"status":"ok","seq":0}\n{"status":"ok","seq":1}\n')
    with pytest.raises(KsqlTimeoutError) as caught:
        flow.throw(KsqlTimeoutError("did not answer"))
    assert "102 of the 110 rows sent to PV were acknowledged" in str(caught.value)


_HEADER = b'{"queryId":"q1","columnNames":["ID"],"columnTypes":["INTEGER"]}\n'


def test_a_query_starts_at_its_header_and_keeps_the_rows_that_came_with_it() -> None:
    decoder = QueryDecoder(where="the query")
    body = iter([_HEADER[:10], _HEADER[10:] + b"[1]\n", b"[2]\n"])
    pending = read_header(decoder, body)
    assert decoder.query_id == "q1"
    assert [row.as_dict() for row in pending] == [{"ID": 1}]
    assert next(body) == b"[2]\n"  # later chunks are left for the query to read


def test_a_query_refused_before_its_header_raises_the_servers_error() -> None:
    refusal = b'{"@type":"statement_error","error_code":40001,"message":"PV does not exist"}'
    with pytest.raises(KsqlStatementError, match="PV does not exist"):
        read_header(QueryDecoder(), iter([refusal, b"\n"]))


def test_a_reply_that_ends_before_the_header_is_a_protocol_error() -> None:
    flow = header_flow(QueryDecoder(where="the query 'S'"))
    next(flow)
    flow.send(b"")
    with pytest.raises(ProtocolError, match="the query 'S' ended before its header"):
        flow.send(None)


def test_the_async_twin_reads_the_same_header() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield _HEADER
        yield b"[3]\n"

    decoder = QueryDecoder()
    assert asyncio.run(aread_header(decoder, body())) == []
    assert decoder.columns[0].name == "ID"


def test_reading_acks_stops_at_a_refused_row_or_at_the_end() -> None:
    rows: list[Mapping[str, Any]] = [{"ID": 1}, {"ID": 2}]
    flow = inserts.batch_flow("PV", b"{}\n", rows, 0, _Link())
    next(flow)
    step = flow.send("the response")
    assert isinstance(step, inserts.ReadAcks)
    assert step.take(b'{"status":"ok","seq":0}\n') is False
    refused = b'{"status":"error","seq":1,"error_code":40000,"message":"bad ID"}\n'
    assert step.take(refused) is True
    done = inserts.ReadAcks("r", AckDecoder(1, [{"ID": 1}], where="x"))
    assert done.take(None) is True
    assert isinstance(done.decoder.error, ProtocolError)  # ended before its ack
