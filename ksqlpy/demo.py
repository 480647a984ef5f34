"""``python -m ksqlpy.demo``: the newcomer's first session (what ``make demo`` runs).

It starts the embedded ksqlDB-compatible server (``ksqlpy-local``), fills the ``fake_people``
topic with a steady trickle of people through ``ksqlpy-datagen --ksqldb`` (the ``/inserts-stream``
sink), and opens the ``ksqlpy`` shell on that server. In the shell::

    CREATE STREAM my_stream (id STRING, name STRING, title STRING)
      WITH (kafka_topic='fake_people', value_format='JSON');
    SELECT * FROM my_stream EMIT CHANGES;

shows people arriving live. Ctrl-C stops the query, Ctrl-D leaves, and everything the demo
started stops with it. Extra arguments go to the shell (``-e "..."`` runs statements and exits).
No Docker, no JVM: everything is Python.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence

from ._cli import EXIT_USAGE, base_parser

START_TIMEOUT_S = 30.0
FEED_STREAM = "FAKE_PEOPLE"


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


@contextlib.contextmanager
def local_server() -> Iterator[str]:
    """Run ``ksqlpy-local`` on a free port; yield its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ksqlpy.local.cli", "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"(https?://\S+)", line)
        if match is None:
            error = proc.stderr.read() if proc.stderr else ""
            raise SystemExit(f"ksqlpy demo: the local server did not start: {error.strip()}")
        yield match.group(1)
    finally:
        _stop(proc)


@contextlib.contextmanager
def people_feed(url: str, rate: float, seed: int | None) -> Iterator[subprocess.Popen[str]]:
    """Run ``ksqlpy-datagen`` into the server until the demo ends."""
    command = [
        sys.executable, "-m", "ksqlpy.datagen.cli",
        "--quickstart", "people", "--topic", "fake_people",
        "--ksqldb", url, "--stream", FEED_STREAM, "--rate", str(rate), "--quiet",
    ]  # fmt: skip
    if seed is not None:
        command += ["--seed", str(seed)]
    proc = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc
    finally:
        _stop(proc)


def _wait_for_topic(url: str, proc: subprocess.Popen[str]) -> None:
    """Wait until the feed has created its stream (so the shell's first CREATE finds the topic)."""
    import httpx

    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            error = proc.stderr.read() if proc.stderr else ""
            raise SystemExit(f"ksqlpy demo: the fake-data feed stopped: {error.strip()}")
        with contextlib.suppress(httpx.HTTPError):
            answer = httpx.post(url + "/ksql", json={"ksql": "SHOW TOPICS;"}, timeout=5).json()
            if any(t["name"] == "fake_people" for t in answer[0]["topics"]):
                return
        time.sleep(0.1)
    raise SystemExit("ksqlpy demo: the fake-data feed did not start in time")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo and return the shell's exit code."""
    parser = base_parser("python -m ksqlpy.demo", "Fake people, a local ksqlDB, and the shell.")
    parser.add_argument("--rate", type=float, default=2.0, help="people per second (default: 2)")
    parser.add_argument("--seed", type=int, help="make the people reproducible")
    args, shell_args = parser.parse_known_args(argv)
    if args.rate <= 0:
        parser.error("--rate must be above 0")
    try:
        with local_server() as url, people_feed(url, args.rate, args.seed) as feed:
            _wait_for_topic(url, feed)
            print(
                f"ksqlpy demo: a local ksqlDB at {url} with people arriving on topic "
                f"'fake_people' ({args.rate:g}/s). Try:\n"
                "  CREATE STREAM my_stream (id STRING, name STRING, title STRING) "
                "WITH (kafka_topic='fake_people', value_format='JSON');\n"
                "  SELECT * FROM my_stream EMIT CHANGES;",
                flush=True,
            )
            command = [sys.executable, "-m", "ksqlpy.repl.cli", url, *shell_args]
            shell = subprocess.run(command, check=False)
            return shell.returncode
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"ksqlpy demo: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
