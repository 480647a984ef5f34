"""A pipeline process for the crash tests: it may SIGKILL itself at a checkpoint of one batch.

Usage: python pipeline_crash_child.py BOOTSTRAP SOURCE SINK GROUP GUARANTEE CRASH_POINT CRASH_BATCH
(CRASH_POINT ``none`` runs until the source has been idle for 3 s).
"""

from __future__ import annotations

import logging
import os
import signal
import sys

from ksqlpy.kafka import Record, pipeline

# Static membership: the restarted process takes the killed member's place at once instead of
# waiting for its session to expire (kept short anyway).
CONSUMER = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 500}


def main(argv: list[str]) -> int:
    bootstrap, source, sink, group, guarantee, crash_point, crash_batch = argv
    # On stderr for the test's failure message: group joins, assignments, kafka-python warnings.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("ksqlpy.kafka").setLevel(logging.INFO)
    batches = {"produced": 0, "committed": 0}

    def checkpoint(point: str) -> None:
        batches[point] += 1
        if point == crash_point and batches[point] == int(crash_batch):
            os.kill(os.getpid(), signal.SIGKILL)

    def upper(record: Record) -> bytes:
        return (record.value or b"").upper()

    stats = pipeline(
        source,
        sink,
        upper,
        bootstrap_servers=bootstrap,
        guarantee=guarantee,
        group_id=group,
        batch_size=40,
        idle_timeout=3.0,
        consumer_config={**CONSUMER, "group_instance_id": f"{group}-member"},
        checkpoint=checkpoint,
    )
    print(f"consumed={stats.consumed} produced={stats.produced}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
