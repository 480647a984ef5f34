"""Benchmark: time from starting the shell to its first prompt, next to its peers.

Run ``python bench/bench_startup.py`` from the repository root (``--runs N``, default 9). Every
command starts in a fresh pseudo-terminal with empty config and data dirs (first-run work
included, for every tool alike) and is timed until its prompt is on the screen; then Ctrl-D.
One table with the median and the ratio to ``python -c pass`` (the floor any Python shell pays),
all measured in the same run:

- ``ksqlpy URL`` against a local server already running, and ``ksqlpy --local`` (which also
  starts the embedded server);
- the floor: ``python -c pass``, and the imports the shell cannot avoid;
- peers built on prompt-toolkit as ksqlpy is: pgcli against a throwaway PostgreSQL cluster
  (``initdb`` on a free port in a temp dir) and litecli on an in-memory SQLite. They are found on
  the PATH or given with ``--pgcli``/``--litecli`` (``pip install pgcli litecli`` in any venv);
  a row says why when one cannot run. The ksql CLI itself (a JVM) cannot run here, so there is
  no ratio against it.

Target: ksqlpy's first prompt within 0.5 s.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pty
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TARGET_S = 0.5
PROMPT_WAIT_S = 20.0


def until_prompt(command: list[str], marker: bytes | None) -> float:
    """Seconds from start until ``marker`` is on the pseudo-terminal (or, for None, until the
    process ends); the process then gets Ctrl-D."""
    master, slave = pty.openpty()
    home = tempfile.mkdtemp(prefix="bench-startup-")
    env = dict(
        os.environ, XDG_CONFIG_HOME=home, XDG_DATA_HOME=home, HOME=home, TERM="xterm", PAGER=""
    )
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env)
    seen = b""
    try:
        while marker is not None and marker not in seen:
            ready, _, _ = select.select([master], [], [], PROMPT_WAIT_S)
            if not ready or (proc.poll() is not None and not ready):
                raise RuntimeError(f"no {marker!r} within {PROMPT_WAIT_S:g} s: {seen[-300:]!r}")
            seen += os.read(master, 65536)
        took = time.perf_counter() - start
        if marker is not None:
            os.write(master, b"\x04")  # Ctrl-D
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return took if marker is not None else time.perf_counter() - start
    finally:
        os.close(master)
        os.close(slave)
        shutil.rmtree(home, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def postgres() -> Iterator[tuple[list[str], str]]:
    """A throwaway PostgreSQL cluster: yields pgcli's connection arguments, or a reason."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb is None or pg_ctl is None:
        yield [], "no PostgreSQL server binaries (initdb, pg_ctl) on the PATH"
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    # PostgreSQL refuses to run as root: use its own account then.
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if run_as:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()

    def quiet(argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, capture_output=True, text=True, check=False)

    try:
        made = quiet([*run_as, initdb, "-D", str(data), "-U", "postgres"])
        if made.returncode != 0:
            yield [], f"initdb failed: {made.stderr.strip()[-200:]}"
            return
        options = f"-k {folder} -p {port} -c listen_addresses=''"
        log = str(folder / "log")
        started = quiet([*run_as, pg_ctl, "-D", str(data), "-o", options, "-w", "-l", log, "start"])
        if started.returncode != 0:
            yield [], f"pg_ctl start failed: {started.stderr.strip()[-200:]}"
            return
        try:
            yield ["-h", str(folder), "-p", str(port), "-U", "postgres", "postgres"], ""
        finally:
            quiet([*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _peer(given: str | None, name: str) -> str | None:
    return given or shutil.which(name)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per row (default 9)")
    parser.add_argument("--pgcli", help="the pgcli executable (default: from the PATH)")
    parser.add_argument("--litecli", help="the litecli executable (default: from the PATH)")
    args = parser.parse_args()
    from ksqlpy.local import LocalServer

    py = sys.executable
    pgcli, litecli = _peer(args.pgcli, "pgcli"), _peer(args.litecli, "litecli")
    server: Any
    with LocalServer() as server, postgres() as (pg_args, pg_reason):
        rows: dict[str, tuple[list[str], bytes | None] | str] = {
            "raw: python -c pass": ([py, "-c", "pass"], None),
            "raw: import prompt_toolkit, httpx": ([py, "-c", "import prompt_toolkit, httpx"], None),
            "ksqlpy URL -> first prompt": ([py, "-m", "ksqlpy.repl.cli", server.url], b"ksql>"),
            "ksqlpy --local -> first prompt": ([py, "-m", "ksqlpy.repl.cli", "--local"], b"ksql>"),
            "pgcli -> first prompt": (
                ([pgcli, "--prompt", "PGCLI> ", *pg_args], b"PGCLI>")
                if pgcli and not pg_reason
                else pg_reason or "pgcli is not installed (pip install pgcli; or --pgcli PATH)"
            ),
            "litecli :memory: -> first prompt": (
                ([litecli, "--prompt", "LITECLI> ", ":memory:"], b"LITECLI>")
                if litecli
                else "litecli is not installed (pip install litecli; or --litecli PATH)"
            ),
        }
        runnable = {name: row for name, row in rows.items() if not isinstance(row, str)}
        for command, marker in runnable.values():
            until_prompt(command, marker)  # warm the OS file cache first
        # Round robin: on a shared machine a busy moment then slows every row alike.
        times: dict[str, list[float]] = {name: [] for name in runnable}
        for _ in range(args.runs):
            for name, (command, marker) in runnable.items():
                times[name].append(until_prompt(command, marker))
    floor = statistics.median(times["raw: python -c pass"])
    pg = (
        statistics.median(times["pgcli -> first prompt"]) if "pgcli -> first prompt" in times else 0
    )
    print(f"time to first prompt, median of {args.runs} runs, round robin (s)")
    header = f"{'what':36} {'median':>8} {'x pass':>7} {'x pgcli':>8}  note"
    print(header)
    print("-" * len(header))
    for name, row in rows.items():
        if isinstance(row, str):
            print(f"{name:36} {'-':>8} {'-':>7} {'-':>8}  {row}")
            continue
        median = statistics.median(times[name])
        note = ""
        if name.startswith("ksqlpy URL"):
            note = f"{'ok' if median < TARGET_S else 'SLOW'} (target < {TARGET_S:g} s)"
        versus = f"{median / pg:8.2f}" if pg else f"{'-':>8}"
        print(f"{name:36} {median:8.3f} {median / floor:7.1f} {versus}  {note}")
    print("\nThe ksql CLI (a JVM) cannot run on this machine: no ratio against it.")


if __name__ == "__main__":
    main()
