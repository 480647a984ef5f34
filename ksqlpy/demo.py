"""``python -m ksqlpy.demo``: the newcomer's first session (what ``make demo`` runs).

When Java is installed it starts a real single-node Kafka broker (``python -m
ksqlpy.testing.kafka``), ``ksqlpy-datagen`` producing people into its topic ``fake_people`` and the
embedded ksqlDB-compatible server (``ksqlpy-local --bootstrap-servers``) on that broker, as the
course runs it. Without Java (or with ``--memory``) the server keeps its topics in memory and the
people arrive through its ``/inserts-stream`` sink (``ksqlpy-datagen --ksqldb``). Then it opens the
``ksqlpy`` shell on the server. In the shell::

    CREATE STREAM my_stream (id STRING, name STRING, title STRING)
      WITH (kafka_topic='fake_people', value_format='JSON');
    SELECT * FROM my_stream EMIT CHANGES;

shows people arriving live. Ctrl-C stops the query, Ctrl-D leaves, and everything the demo
started stops with it. Extra arguments go to the shell (``-e "..."`` runs statements and exits).
No Docker: the broker is Apache Kafka's own jars, fetched once from Maven Central.

Ctrl-C belongs to the shell alone: on a terminal the shell runs as its foreground job (its own
process group, as a job-control shell would start it), so neither ``make``, the demo, the server
nor the feed see the key; the server and the feed also run in sessions of their own (and, on
Linux, get SIGTERM if the demo dies). The terminal and its modes come back to the demo however
the shell ends, even killed in raw mode. SIGTERM or SIGHUP to the demo stops everything it
started.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from ._cli import EXIT_USAGE, base_parser

START_TIMEOUT_S = 30.0
# The first start of the broker fetches its jars (about 45 MB) before it answers.
BROKER_TIMEOUT_S = 180.0
FEED_STREAM = "FAKE_PEOPLE"


def _detach() -> None:
    """In the child before exec: a session of its own (no terminal signals) and, on Linux,
    SIGTERM when the demo dies, so nothing outlives it even after a SIGKILL."""
    os.setsid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
            if os.getppid() == 1:  # the demo died before prctl took effect
                os._exit(1)


def _spawn(command: list[str], **options: Any) -> subprocess.Popen[str]:
    # preexec_fn is unsafe with threads; the demo starts none before its children.
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        text=True,
        preexec_fn=_detach,  # noqa: PLW1509
        **options,
    )


def _log() -> IO[str]:
    """Where a child's stderr goes: a file, read only on failure (an undrained pipe would
    block a child that writes much during a long session)."""
    return tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")


def _errors(log: IO[str]) -> str:
    log.seek(0)
    return log.read().strip()


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


def _has_java() -> bool:
    java_home = os.environ.get("JAVA_HOME")
    return bool(java_home and os.path.exists(os.path.join(java_home, "bin", "java"))) or bool(
        shutil.which("java")
    )


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The child's first line of output, or "" if it ends or stays silent for ``timeout`` s."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline() if ready else ""


@contextlib.contextmanager
def kafka_broker() -> Iterator[str | None]:
    """Run the project's single-node Kafka broker; yield its ``host:port``, or ``None`` (said in
    one line) when there is no Java or it cannot start."""
    if not _has_java():
        print(
            "ksqlpy demo: no Java found, so no Kafka broker: the server keeps its topics in "
            "memory (install Java 17+ to run the demo on Kafka)",
            file=sys.stderr,
            flush=True,
        )
        yield None
        return
    log = _log()
    proc = _spawn(
        [sys.executable, "-m", "ksqlpy.testing.kafka"], stdout=subprocess.PIPE, stderr=log
    )
    try:
        match = re.match(r"bootstrap=(\S+)", _first_line(proc, BROKER_TIMEOUT_S))
        if match is None:
            _stop(proc)
            reason = (_errors(log).splitlines() or ["it did not start in time"])[-1]
            print(
                f"ksqlpy demo: no Kafka broker ({reason}): the server keeps its topics in memory",
                file=sys.stderr,
                flush=True,
            )
            yield None
            return
        yield match.group(1)
    finally:
        _stop(proc)
        log.close()


@contextlib.contextmanager
def local_server(bootstrap: str | None = None) -> Iterator[str]:
    """Run ``ksqlpy-local`` on a free port (on Kafka at ``bootstrap`` if given); yield its URL."""
    log = _log()
    command = [sys.executable, "-m", "ksqlpy.local.cli", "--port", "0"]
    if bootstrap is not None:
        command += ["--bootstrap-servers", bootstrap]
    proc = _spawn(command, stdout=subprocess.PIPE, stderr=log)
    try:
        line = _first_line(proc, START_TIMEOUT_S + (30 if bootstrap else 0))
        match = re.search(r"(https?://\S+)", line)
        if match is None:
            _stop(proc)
            raise SystemExit(f"ksqlpy demo: the local server did not start: {_errors(log)}")
        yield match.group(1)
    finally:
        _stop(proc)
        log.close()


@contextlib.contextmanager
def people_feed(
    url: str, rate: float, seed: int | None, bootstrap: str | None = None
) -> Iterator[tuple[subprocess.Popen[str], IO[str]]]:
    """Run ``ksqlpy-datagen`` until the demo ends (into Kafka's ``fake_people`` when there is a
    broker, else through the server); yield it and its stderr."""
    command = [
        sys.executable, "-m", "ksqlpy.datagen.cli",
        "--quickstart", "people", "--topic", "fake_people", "--rate", str(rate), "--quiet",
    ]  # fmt: skip
    if bootstrap is not None:
        command += ["--bootstrap-servers", bootstrap]
    else:
        command += ["--ksqldb", url, "--stream", FEED_STREAM]
    if seed is not None:
        command += ["--seed", str(seed)]
    log = _log()
    proc = _spawn(command, stdout=subprocess.DEVNULL, stderr=log)
    try:
        yield proc, log
    finally:
        _stop(proc)
        log.close()


def _wait_for_topic(url: str, proc: subprocess.Popen[str], log: IO[str]) -> None:
    """Wait until the feed has created its stream (so the shell's first CREATE finds the topic)."""
    import httpx

    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"ksqlpy demo: the fake-data feed stopped: {_errors(log)}")
        with contextlib.suppress(httpx.HTTPError):
            answer = httpx.post(url + "/ksql", json={"ksql": "SHOW TOPICS;"}, timeout=5).json()
            if any(t["name"] == "fake_people" for t in answer[0]["topics"]):
                return
        time.sleep(0.1)
    raise SystemExit("ksqlpy demo: the fake-data feed did not start in time")


def _run_shell(command: list[str]) -> int:
    """Run the shell as the terminal's foreground job, as a job-control shell would: Ctrl-C
    (and Ctrl-Z) reach it alone, not make, the demo or its children; the terminal and its modes
    come back to the demo however the shell ends. Its exit code."""
    tty = sys.stdin.fileno() if sys.stdin.isatty() else None
    saved = _modes(tty)
    # A handler that does nothing, not SIG_IGN: exec resets handlers to the default (the shell
    # keeps its KeyboardInterrupt) while an ignored signal would stay ignored. It covers the
    # case without a terminal, where the shell shares the demo's process group.
    previous = signal.signal(signal.SIGINT, _ignore)
    shell = subprocess.Popen(  # the demo starts no threads: preexec_fn is safe here
        command,
        preexec_fn=None if tty is None else lambda: _foreground(tty, 0),  # noqa: PLW1509
    )
    try:
        if tty is not None:
            _foreground(tty, shell.pid)  # also from this side: whichever runs first wins
        return _wait(shell)
    finally:
        if shell.returncode is None:  # the demo itself is stopping (SIGTERM/SIGHUP)
            shell.terminate()
            try:
                shell.wait(5)
            except subprocess.TimeoutExpired:
                shell.kill()
                shell.wait()
        signal.signal(signal.SIGINT, previous)
        if tty is not None:
            _foreground(tty, os.getpgrp())
            _restore(tty, saved)


def _foreground(tty: int, pid: int) -> None:
    """Make ``pid``'s process group (0: this process, in a new group) the terminal's
    foreground group. SIGTTOU is ignored meanwhile: a background caller would be stopped."""
    if pid == 0:
        os.setpgid(0, 0)
        pid = os.getpid()
    else:
        with contextlib.suppress(OSError):  # already done by the child itself, or exec'd
            os.setpgid(pid, pid)
    old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        with contextlib.suppress(OSError):
            os.tcsetpgrp(tty, pid)
    finally:
        signal.signal(signal.SIGTTOU, old)


def _wait(shell: subprocess.Popen[Any]) -> int:
    """Wait for the shell; a Ctrl-Z stop is undone at once (the demo has no job control)."""
    while True:
        _pid, status = os.waitpid(shell.pid, os.WUNTRACED)
        if os.WIFSTOPPED(status):
            os.killpg(shell.pid, signal.SIGCONT)
            continue
        code = os.waitstatus_to_exitcode(status)
        shell.returncode = code
        return code if code >= 0 else 128 - code


def _modes(tty: int | None) -> list[Any] | None:
    if tty is None:
        return None
    import termios

    try:
        return termios.tcgetattr(tty)
    except termios.error:
        return None


def _restore(tty: int, modes: list[Any] | None) -> None:
    """Put the terminal's modes back (a shell killed in raw mode would leave them raw)."""
    if modes is None:
        return
    import termios

    with contextlib.suppress(termios.error):
        termios.tcsetattr(tty, termios.TCSADRAIN, modes)


def _ignore(_signum: int, _frame: Any) -> None:
    """Ctrl-C while the shell runs is the shell's business."""


def _exit_on(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def _on_termination(handler: Callable[[int, Any], None]) -> None:
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo and return the shell's exit code."""
    parser = base_parser("python -m ksqlpy.demo", "Fake people, a local ksqlDB, and the shell.")
    parser.add_argument("--rate", type=float, default=2.0, help="people per second (default: 2)")
    parser.add_argument("--seed", type=int, help="make the people reproducible")
    parser.add_argument(
        "--memory", action="store_true", help="no Kafka broker: the server keeps topics in memory"
    )
    args, shell_args = parser.parse_known_args(argv)
    if args.rate <= 0:
        parser.error("--rate must be above 0")
    _on_termination(_exit_on)  # unwind the with blocks below, which stop the children
    try:
        with contextlib.ExitStack() as stack:
            bootstrap = None if args.memory else stack.enter_context(kafka_broker())
            url = stack.enter_context(local_server(bootstrap))
            feed = stack.enter_context(people_feed(url, args.rate, args.seed, bootstrap))
            _wait_for_topic(url, *feed)
            where = f" in Kafka at {bootstrap}" if bootstrap else " (in memory)"
            print(
                f"ksqlpy demo: a local ksqlDB at {url} with people arriving on topic "
                f"'fake_people'{where} ({args.rate:g}/s). Try:\n"
                "  CREATE STREAM my_stream (id STRING, name STRING, title STRING) "
                "WITH (kafka_topic='fake_people', value_format='JSON');\n"
                "  SELECT * FROM my_stream EMIT CHANGES;",
                flush=True,
            )
            return _run_shell([sys.executable, "-m", "ksqlpy.repl.cli", url, *shell_args])
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"ksqlpy demo: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
