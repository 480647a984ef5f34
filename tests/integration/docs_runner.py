"""Run one page's blocks in order (a child process of test_docs_examples.py).

Usage: ``python docs_runner.py BLOCKS.json``; the JSON holds the blocks (already pointed at the
test servers) and the settings. Before each block it prints ``@@ path:line`` to stderr, so a
block that hangs is named when the test kills this process. Exit 0 when every block ran.
"""

from __future__ import annotations

import contextlib
import doctest
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

COMMAND_TIMEOUT_S = 90.0


class Failed(Exception):
    """A block did not do what the page says."""


def _python(block: dict[str, Any], namespace: dict[str, Any]) -> None:
    code = block["code"]
    if code.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(
            code, namespace, block["where"], block["path"], block["line"]
        )
        out: list[str] = []
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test, out=out.append, clear_globs=False)
        if runner.failures:
            raise Failed("".join(out))
        return
    exec(compile(code, block["where"], "exec"), namespace)


_GROUPS: list[int] = []
"""Process groups of the commands run so far: what a block left running in the background (a
server, like a reader's ``cmd &``) keeps running for later blocks and is stopped at the end."""


def _command(argv: list[str], block: dict[str, Any], **options: Any) -> None:
    # Output to files, not pipes: a background job holding a pipe would keep it from ending.
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=err, text=True, start_new_session=True, **options
        )
        _GROUPS.append(proc.pid)
        try:
            proc.wait(COMMAND_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            err.seek(0)
            late = err.read()[-2000:]
            raise Failed(f"still running after {COMMAND_TIMEOUT_S:g} s: {late}") from None
        out.seek(0)
        err.seek(0)
        output, errors = out.read(), err.read()
    sys.stdout.write(output)
    if proc.returncode != 0 or "Traceback" in errors:
        raise Failed(f"exit {proc.returncode}\n{output}\n{errors}")


def _stop_background() -> None:
    for group in _GROUPS:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)


_FILE = re.compile(r"--\s*(\S+\.sql)\s*")


def _sql(block: dict[str, Any], settings: dict[str, Any]) -> None:
    named = _FILE.fullmatch(block["code"].splitlines()[0]) if block["code"].strip() else None
    if named is not None:  # "-- path/file.sql" first: the reader saves it in that file
        target = Path(named.group(1))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block["code"], encoding="utf-8")
        return
    if block["mode"] == "demo":
        argv = [sys.executable, "-m", "ksqlpy.demo", "--rate", "20", "--seed", "1"]
        argv += ["--query-row-limit", "3", "-e", block["code"]]
    else:
        argv = [sys.executable, "-m", "ksqlpy.repl.cli", settings["ksqldb"]]
        argv += ["--query-timeout", str(settings["query_timeout_ms"]), "-e", block["code"]]
    _command(argv, block)


def _sh(block: dict[str, Any]) -> None:
    """Like a reader's terminal: a ``cd`` in one block holds for the next ones."""
    if block["mode"] == "interrupt":
        for command in _commands(block["code"]):
            _interrupted(command, float(block["argument"]))
        return
    with tempfile.NamedTemporaryFile("r", suffix=".cwd") as where:
        script = f"{block['code']}\npwd > {where.name}\n"
        _command(["bash", "-e", "-o", "pipefail", "-c", script], block)
        folder = where.read().strip()
    if folder:
        os.chdir(folder)


def _commands(code: str) -> list[str]:
    """The commands of a block: lines joined at a trailing backslash, comments dropped."""
    commands, current = [], ""
    for line in code.splitlines():
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        current += line
        if current.strip() and not current.lstrip().startswith("#"):
            commands.append(current.strip())
        current = ""
    return commands


def _interrupted(command: str, seconds: float) -> None:
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],  # the runner's cwd: where the reader's shell is
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
        try:
            code = proc.wait(seconds)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)
            try:
                code = proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise Failed(f"{command!r} did not stop within 15 s of Ctrl-C") from None
        err.seek(0)
        errors = err.read()
    if code not in (0, 130, -signal.SIGINT) or "Traceback" in errors:
        raise Failed(f"{command!r} exited {code}:\n{errors}")


def _pytest(block: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        test = Path(folder) / "test_from_docs.py"
        test.write_text(block["code"], encoding="utf-8")
        argv = [sys.executable, "-m", "pytest", str(test), "-q", "-p", "no:cacheprovider"]
        _command(argv, block, cwd=folder)


def main(path: str) -> int:
    try:
        return _run(json.loads(Path(path).read_text(encoding="utf-8")))
    finally:
        _stop_background()


def _run(spec: dict[str, Any]) -> int:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for block in spec["blocks"]:
        print(f"@@ {block['where']}", file=sys.stderr, flush=True)
        try:
            if block["language"] == "python" and block["mode"] == "pytest":
                _pytest(block)
            elif block["language"] == "python":
                _python(block, namespace)
            elif block["language"] == "sql":
                _sql(block, spec)
            else:
                _sh(block)
        except Failed as failure:
            print(f"{block['where']}: {failure}", file=sys.stderr)
            return 1
        except BaseException:  # what a reader would see: the traceback of their copy
            print(f"{block['where']}: failed\n{traceback.format_exc()}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
