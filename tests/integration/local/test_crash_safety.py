"""--data-dir under ``kill -9``: nothing acknowledged is lost, no query result is repeated or
skipped, and a damaged directory starts with what it can trust or is refused by name."""

from __future__ import annotations

import base64
import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from server_process import ServerProcess

from ksqlpy.local.storage import FileLog

SETUP = (
    "CREATE STREAM S (ID INT KEY, GRP INT) WITH (KAFKA_TOPIC='s', FORMAT='JSON', PARTITIONS=2);"
    "CREATE TABLE T (GRP INT PRIMARY KEY, NAME STRING) "
    "WITH (KAFKA_TOPIC='t', FORMAT='JSON', PARTITIONS=2);"
    "INSERT INTO T (GRP, NAME) VALUES (0, 'zero');"
    "INSERT INTO T (GRP, NAME) VALUES (1, 'one');"
    "INSERT INTO T (GRP, NAME) VALUES (2, 'two');"
    "CREATE STREAM EVEN AS SELECT ID, GRP FROM S WHERE ID % 2 = 0;"
    "CREATE TABLE COUNTS AS SELECT GRP, COUNT(*) AS N FROM S GROUP BY GRP;"
    "CREATE STREAM NAMED AS SELECT T.GRP, S.ID AS SID, NAME FROM S JOIN T ON S.GRP = T.GRP;"
)
KILLS = 5
BATCH = 40


def _server(data_dir: Path) -> ServerProcess:
    return ServerProcess(
        "import sys\n"
        "from ksqlpy.local import LocalServer\n"
        f"with LocalServer(data_dir={str(data_dir)!r}) as server:\n"
        "    print(server.port, flush=True)\n"
        "    sys.stdin.readline()\n"
    )


def _feed(url: str, first: int, acked: list[int], stop: threading.Event) -> None:
    """Insert rows in batches until the server dies; remember the acknowledged ids."""
    next_id = first
    with httpx.Client(base_url=url, http1=False, http2=True, timeout=10) as client:
        while not stop.is_set():
            ids = list(range(next_id, next_id + BATCH))
            next_id += BATCH
            body = (
                b'{"target":"S"}\n'
                + "\n".join(json.dumps({"ID": i, "GRP": i % 3}) for i in ids).encode()
            )
            try:
                answer = client.post("/inserts-stream", content=body)
            except httpx.HTTPError:
                return
            for line in answer.text.splitlines():
                ack = json.loads(line)
                if ack.get("status") == "ok":
                    acked.append(ids[ack["seq"]])


def _decoded(log: FileLog, topic: str) -> list[tuple[object, object]]:
    out = []
    for partition in range(len(log.end_offsets(topic))):
        for record in log.read(topic, partition, 0, 10**7):
            key = json.loads(record.key) if record.key is not None else None
            value = json.loads(record.value) if record.value is not None else None
            out.append((key, value))
    return out


def test_kill_9_during_running_queries_loses_and_repeats_nothing(tmp_path: Path) -> None:
    with _server(tmp_path) as first:
        httpx.post(first.url + "/ksql", json={"ksql": SETUP}, timeout=30).raise_for_status()
        first.stop(timeout=30)
    acked: list[int] = []
    rng = random.Random(14)
    for round_number in range(KILLS):
        with _server(tmp_path) as server:
            stop = threading.Event()
            feeder = threading.Thread(
                target=_feed, args=(server.url, round_number * 1_000_000, acked, stop)
            )
            feeder.start()
            time.sleep(rng.uniform(0.5, 1.5))
            server.proc.kill()  # SIGKILL: no shutdown, whatever was in flight
            server.proc.communicate(timeout=10)
            stop.set()
            feeder.join(timeout=30)
    with _server(tmp_path) as last:
        (answer,) = httpx.post(
            last.url + "/ksql", json={"ksql": "SHOW QUERIES;"}, timeout=30
        ).json()
        assert sorted(q["state"] for q in answer["queries"]) == ["RUNNING"] * 3
        err = last.stop(timeout=30)
    assert "Traceback" not in err
    assert len(acked) > KILLS * BATCH
    log = FileLog(tmp_path)
    try:
        source = [key for key, _ in _decoded(log, "s")]
        even = [key for key, _ in _decoded(log, "EVEN")]
        counts = _decoded(log, "COUNTS")
        named = [value["SID"] for _, value in _decoded(log, "NAMED") if isinstance(value, dict)]
    finally:
        log.close()
    stored = Counter(source)
    assert set(acked) <= set(stored)  # every acknowledged row is there
    assert max(stored.values()) == 1  # and once
    assert sorted(even) == sorted(i for i in stored if isinstance(i, int) and i % 2 == 0)
    assert sorted(named) == sorted(stored)  # every row joins (its group is in T), once
    assert len(counts) == len(stored)  # one update per input row
    latest = {key: value["N"] for key, value in counts if isinstance(value, dict)}
    by_group = Counter(i % 3 for i in stored if isinstance(i, int))
    assert latest == dict(by_group)


def _stopped_data_dir(tmp_path: Path) -> Path:
    with _server(tmp_path) as server:
        httpx.post(
            server.url + "/ksql",
            json={
                "ksql": "CREATE STREAM A (ID INT KEY, V INT) "
                "WITH (PARTITIONS=1, KAFKA_TOPIC='a', FORMAT='JSON');"
                "CREATE STREAM B (ID INT KEY, V INT) "
                "WITH (PARTITIONS=1, KAFKA_TOPIC='b', FORMAT='JSON');"
                "CREATE STREAM C (ID INT KEY, V INT) "
                "WITH (PARTITIONS=1, KAFKA_TOPIC='c', FORMAT='JSON');"
            },
            timeout=30,
        ).raise_for_status()
        server.stop(timeout=30)
    return tmp_path / "journal.log"


def _streams(data_dir: Path) -> tuple[list[str], str]:
    with _server(data_dir) as server:
        (answer,) = httpx.post(
            server.url + "/ksql", json={"ksql": "SHOW STREAMS;"}, timeout=30
        ).json()
        err = server.stop(timeout=30)
    return sorted(s["name"] for s in answer["streams"]), err


def test_a_torn_last_command_is_cut_off_and_the_rest_kept(tmp_path: Path) -> None:
    journal = _stopped_data_dir(tmp_path)
    data = journal.read_bytes()
    journal.write_bytes(data[: data.rstrip(b"\n").rindex(b"\n") + 20])  # C's command, torn
    names, err = _streams(tmp_path)
    assert names == ["A", "B"]
    assert f"{journal}: truncated a torn last line" in err
    assert "Traceback" not in err


def _line_of(journal: Path, text: bytes) -> int:
    """The byte offset of the journal line appending a record whose value holds ``text``."""
    offset = 0
    for line in journal.read_bytes().splitlines(keepends=True):
        item = json.loads(line[9:])
        if item[0] == "a" and item[5] and text in base64.b64decode(item[5]):
            return offset
        offset += len(line)
    raise AssertionError(f"no record holds {text!r}")


def test_a_damaged_command_in_the_middle_is_named_and_skipped(tmp_path: Path) -> None:
    journal = _stopped_data_dir(tmp_path)
    start = _line_of(journal, b"CREATE STREAM B")
    data = bytearray(journal.read_bytes())
    data[start + 30] ^= 0x01  # one bit flipped on disk
    journal.write_bytes(bytes(data))
    names, err = _streams(tmp_path)
    assert names == ["A", "C"]
    assert f"{journal}: dropped a damaged line at byte {start} (checksum mismatch)" in err
    assert "Traceback" not in err


def test_a_data_dir_it_cannot_trust_is_refused_by_name(tmp_path: Path) -> None:
    journal = _stopped_data_dir(tmp_path)
    journal.write_bytes(b"\x00" * 4096 + b"\n" + b"not ours\n" * 100)
    done = subprocess.run(
        [sys.executable, "-m", "ksqlpy.local.cli", "--port", "0", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert str(journal) in done.stderr
    assert "Traceback" not in done.stderr
