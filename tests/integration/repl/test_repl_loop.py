"""The interactive loop with prompt-toolkit's pipe input against the local server."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.input.base import PipeInput
from prompt_toolkit.output import DummyOutput
from repl_helpers import ORDERS

from ksqlpy import Client
from ksqlpy.repl.commands import completion_names
from ksqlpy.repl.completion.catalog import Catalog, load_catalog
from ksqlpy.repl.completion.suggest import suggest
from ksqlpy.repl.completion.vocabulary import CatalogSnapshot
from ksqlpy.repl.executor import Executor
from ksqlpy.repl.render.output import Output
from ksqlpy.repl.session import Session
from ksqlpy.repl.shell import Shell, confirm_with, loop, make_prompt


@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    with (
        create_pipe_input() as pipe_input,
        create_app_session(input=pipe_input, output=DummyOutput()),
    ):
        yield pipe_input


def session_loop(url: str, pipe: PipeInput, keys: str) -> tuple[str, Client, Catalog]:
    client = Client(url)
    session = Session(url=url)
    names = completion_names()
    catalog = Catalog(lambda: load_catalog(client, names), CatalogSnapshot(commands=names))
    prompt = make_prompt(session, lambda: catalog.snapshot, input=pipe, output=DummyOutput())
    executor = Executor(client, session, confirm=confirm_with(prompt), on_change=catalog.refresh)
    buffer = io.StringIO()
    shell = Shell(executor, session, Output(buffer, tty=False), interactive=True)
    pipe.send_text(keys)
    loop(shell, prompt)
    catalog.close()  # before the client closes, as the CLI does
    return buffer.getvalue(), client, catalog


def test_typed_statements_run_and_ctrl_d_exits(local_ksqldb: Any, pipe: PipeInput) -> None:
    keys = ORDERS.replace(", item", ",\r item") + "\rSHOW\rSTREAMS;\r\x03SHOW TOPICS;\r\x04"
    out, client, _ = session_loop(local_ksqldb.url, pipe, keys)
    with client:
        assert "Stream created" in out
        assert "Stream Name" in out  # the multi-line SHOW STREAMS ran
        assert "Kafka Topic" in out  # Ctrl-C cleared a line and did not exit
        assert out.endswith("Exiting ksqlDB.\n")


def test_catalog_is_refreshed_after_ddl(local_ksqldb: Any, pipe: PipeInput) -> None:
    _out, client, catalog = session_loop(local_ksqldb.url, pipe, ORDERS + "\rexit\r")
    with client:
        snap = catalog.snapshot
        assert snap.sources["ORDERS"].columns == (
            ("ID", "INTEGER"),
            ("ITEM", "STRING"),
            ("PRICE", "DOUBLE"),
        )
        assert "orders" in snap.topics
        assert "UCASE" in snap.functions
        assert "ksql.service.id" in snap.properties
        assert {"ITEM", "INITCAP"} <= suggest("SELECT it", snap, " FROM orders").texts


def test_destructive_statement_is_asked_at_the_prompt(local_ksqldb: Any, pipe: PipeInput) -> None:
    keys = ORDERS + "\rDROP STREAM orders DELETE TOPIC;\rn\rexit\r"
    out, client, _ = session_loop(local_ksqldb.url, pipe, keys)
    with client:
        assert "Cancelled; nothing was run." in out
        assert [s.name for s in client.list_streams()] == ["ORDERS"]
    keys = "DROP STREAM orders DELETE TOPIC;\ry\rexit\r"
    out, client, _ = session_loop(local_ksqldb.url, pipe, keys)
    with client:
        assert client.list_streams() == ()
