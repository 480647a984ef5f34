"""Every code block of README.md and docs/*.md runs as written (see docs_examples.py for how,
and for the markers a block that cannot run must carry)."""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from docs_examples import (
    KAFKA,
    KSQLDB,
    ROOT,
    SQL_QUERY_TIMEOUT_MS,
    Block,
    MarkerError,
    blocks,
    pages,
)

RUNNER = Path(__file__).with_name("docs_runner.py")
PAGE_TIMEOUT_S = 240.0
# Pages whose owners are editing them on other branches: their failing blocks are reported to
# the lead, not marked here. Strict: once the page runs, this entry must go. Those in NOT_RUN
# would only wait for the command timeout (a server that never ends), so they are not run.
REPORTED = {}
NOT_RUN: set[str] = set()


def _needs_kafka(text: str) -> bool:
    return KAFKA in text or "kafka_bootstrap" in text or "ksqlpy-datagen -t" in text


def _param(page: Path) -> object:
    text = page.read_text(encoding="utf-8")
    name = str(page.relative_to(ROOT))
    marks = [pytest.mark.kafka] if _needs_kafka(text) else []
    if name in REPORTED:
        marks.append(pytest.mark.xfail(reason=REPORTED[name], strict=True, run=name not in NOT_RUN))
    return pytest.param(page, marks=marks, id=name)


def _empty_broker(bootstrap: str) -> None:
    """Delete the topics and consumer groups earlier pages left, so each page starts as a reader
    does: on an empty cluster (Kafka's own ``__`` topics stay)."""
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=20000)
    try:
        topics = [t for t in admin.list_topics() if not t.startswith("__")]
        if topics:
            admin.delete_topics(topics)
        groups = [group["group_id"] for group in admin.list_groups()]
        if groups:
            admin.delete_groups(groups)
    finally:
        admin.close()
    # Deletion is asynchronous in the controller: wait until the names are free again.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap)
        try:
            left = [t for t in admin.list_topics() if not t.startswith("__")]
        finally:
            admin.close()
        if not left:
            return
        time.sleep(0.2)
    pytest.fail(f"topics of earlier pages still there after 30 s: {left}")


def _pointed(block: Block, url: str, bootstrap: str) -> dict[str, object]:
    code = block.code.replace(KSQLDB, url).replace(KAFKA, bootstrap)
    return {**dataclasses.asdict(block), "code": code, "where": block.where}


@pytest.mark.slow
@pytest.mark.timeout(PAGE_TIMEOUT_S + 30)
@pytest.mark.parametrize("page", [_param(page) for page in pages()])
def test_every_block_of_the_page_runs(
    page: Path, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    text = page.read_text(encoding="utf-8")
    found = blocks(text, str(page.relative_to(ROOT)))
    runnable = [b for b in found if b.mode != "skip"]
    bootstrap = KAFKA
    if _needs_kafka(text):
        bootstrap = request.getfixturevalue("kafka_bootstrap")
        _empty_broker(bootstrap)
    # A fresh server per page (on an emptied broker for pages that use Kafka): the page's
    # statements see only each other, as a reader's do.
    local = importlib.import_module("ksqlpy.local")
    # A Kafka page's server reads and writes the broker, as the reader's ksqlpy-local
    # --bootstrap-servers (or a real ksqlDB) does: what a producer wrote, a stream sees.
    on_kafka = {"bootstrap_servers": bootstrap} if _needs_kafka(text) else {}
    with local.LocalServer(**on_kafka) as server:
        spec = {
            "ksqldb": server.url,
            "query_timeout_ms": SQL_QUERY_TIMEOUT_MS,
            "blocks": [_pointed(b, server.url, bootstrap) for b in runnable],
        }
        (tmp_path / "blocks.json").write_text(json.dumps(spec), encoding="utf-8")
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_DATA_HOME": str(tmp_path / "data"),
        }
        proc = subprocess.Popen(
            [sys.executable, str(RUNNER), str(tmp_path / "blocks.json")],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # so a hung block's children are stopped with it
        )
        try:
            out, err = proc.communicate(timeout=PAGE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            running = [line for line in err.splitlines() if line.startswith("@@ ")]
            pytest.fail(
                f"{running[-1][3:] if running else page}: still running after "
                f"{PAGE_TIMEOUT_S:g} s\n{err[-3000:]}"
            )
    failure = "\n".join(line for line in err.splitlines() if not line.startswith("@@ "))
    assert proc.returncode == 0, failure[-6000:] or out[-3000:]


def test_skips_are_rare_and_say_why() -> None:
    skipped = [b for page in pages() for b in blocks(page.read_text("utf-8"), page.name)]
    skipped = [b for b in skipped if b.mode == "skip"]
    total = sum(len(blocks(page.read_text("utf-8"), page.name)) for page in pages())
    assert all(len(b.argument) >= 15 for b in skipped), [b.where for b in skipped]
    assert len(skipped) * 5 <= total, [b.where for b in skipped]


def test_markers_say_how_a_block_runs_and_mistakes_are_refused() -> None:
    page = (
        "<!-- docs-test: skip: needs a real ksqlDB with TLS -->\n```python\nx = 1\n```\n"
        "<!-- docs-test: interrupt after 2 s -->\n```sh\nksqlpy-local\n```\n"
        "```console\n$ not run\n```\n"
        "- a list item:\n  ```sql\n  SHOW STREAMS;\n  ```\n"
    )
    found = blocks(page, "p.md")
    assert [(b.line, b.language, b.mode, b.argument) for b in found] == [
        (2, "python", "skip", "needs a real ksqlDB with TLS"),
        (6, "sh", "interrupt", "2"),
        (13, "sql", "run", ""),
    ]
    assert found[2].code == "SHOW STREAMS;\n"
    for wrong, why in [
        ("<!-- docs-test: skip -->\n```python\n```\n", "unknown marker"),
        ("<!-- docs-test: pytest -->\n```sh\n```\n", "does not apply to a sh block"),
        ("<!-- docs-test skip: x -->\n```sh\n```\n", "malformed marker"),
    ]:
        with pytest.raises(MarkerError, match=why):
            blocks(wrong, "p.md")


def test_the_translated_tutorial_runs_the_same_code() -> None:
    def code(name: str) -> list[tuple[str, str, str]]:
        page = ROOT / "docs" / name
        return [(b.language, b.mode, b.code) for b in blocks(page.read_text("utf-8"), name)]

    assert code("tutorial.ko.md") == code("tutorial.md")
