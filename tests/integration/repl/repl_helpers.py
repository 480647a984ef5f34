"""Helpers of the shell tests: a shell wired to a local server, writing into a buffer."""

from __future__ import annotations

import io
import shlex
import subprocess
import time
import uuid
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


class Terminal:
    """One tmux session running a command; type into it and read its screen."""

    def __init__(self, command: list[str], env: dict[str, str], then: str = "sleep 60") -> None:
        """Run ``command`` with ``env``, then the shell line ``then`` (the pane stays open)."""
        self.name = f"ksqlpy-test-{uuid.uuid4().hex[:8]}"
        line = " ".join(shlex.quote(part) for part in command)
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        self._tmux(
            "new-session",
            "-d",
            "-s",
            self.name,
            "-x",
            "140",
            "-y",
            "50",
            f"env {exports} {line}; {then}",
        )

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.name, *args], capture_output=True, text=True, check=True, timeout=10
        )
        return done.stdout

    def type(self, text: str) -> None:
        # tmux reads a trailing ';' as its own command separator unless escaped.
        self._tmux("send-keys", "-t", self.name, "-l", text.replace(";", "\\;"))

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.name, *keys)

    def screen(self) -> str:
        try:
            return self._tmux("capture-pane", "-p", "-S", "-200", "-t", self.name)
        except subprocess.CalledProcessError:
            # The pane's own shell died (a SIGINT that reached it, as it reaches make).
            raise AssertionError("the terminal is gone: its command line was killed") from None

    def wait_for(self, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} did not appear on the screen:\n{self.screen()}")

    def wait_for_prompts(self, count: int, timeout: float = 15.0) -> None:
        """Wait until ``count`` prompts were shown (keys sent earlier may be dropped)."""
        deadline = time.monotonic() + timeout
        while self.screen().count("ksql>") < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {count} prompts:\n{self.screen()}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.name, "kill-server"], capture_output=True, check=False)
