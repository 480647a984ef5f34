"""Fixtures of the shell tests."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from repl_helpers import Harness

from ksqlpy import Client
from ksqlpy.repl.executor import Executor
from ksqlpy.repl.render.output import Output
from ksqlpy.repl.session import Session
from ksqlpy.repl.shell import Shell


@pytest.fixture
def harness(local_ksqldb: Any) -> Iterator[Harness]:
    with Client(local_ksqldb.url) as client:
        session = Session(url=local_ksqldb.url)
        asked: list[str] = []

        def confirm(description: str) -> bool:
            asked.append(description)
            return False

        executor = Executor(client, session, confirm=confirm)
        buffer = io.StringIO()
        shell = Shell(executor, session, Output(buffer, tty=False), interactive=True)
        yield Harness(client, session, shell, buffer, asked)
        session.close_spool()
