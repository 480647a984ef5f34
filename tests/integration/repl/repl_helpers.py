"""Helpers of the shell tests: a shell wired to a local server, writing into a buffer."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from ksqlpy import Client
from ksqlpy.repl.session import Failure, Session
from ksqlpy.repl.shell import Shell

ORDERS = (
    "CREATE STREAM orders (id INT KEY, item STRING, price DOUBLE) "
    "WITH (kafka_topic='orders', value_format='json', partitions=1);"
)


@dataclass
class Harness:
    """Runs text like typed input; ``text`` is everything the user saw."""

    client: Client
    session: Session
    shell: Shell
    buffer: io.StringIO
    asked: list[str] = field(default_factory=list)

    def run(self, text: str) -> list[Failure]:
        self.buffer.seek(0)
        self.buffer.truncate()
        return self.shell.run_text(text)

    @property
    def text(self) -> str:
        return self.buffer.getvalue()
