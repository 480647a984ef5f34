"""Reading a data directory written before the journal (one file per partition), once.

The old layout was ``<dir>/topics/<quoted name>/meta.json`` and ``<partition>.jsonl`` lines of
``[timestamp, key, value, headers]``. Its records move to a new journal, written aside and
renamed into place (a crash during the move leaves the old files to move again); the old folder
is then renamed ``topics.converted``. Unreadable lines are reported and skipped, the rest kept
(the old loader stopped at the first one).
"""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ._base import Record, TopicInfo
from ._journal import HEADER, encode, frame
from ._memory import Batch

_log = logging.getLogger("ksqlpy.local")


def _bytes(text: Any) -> bytes | None:
    return None if text is None else base64.b64decode(text, validate=True)


def _record(topic: str, partition: int, line: str) -> Record:
    stamp, key, value, headers = json.loads(line)
    pairs = tuple((str(k), _bytes(v)) for k, v in headers)
    return Record(topic, partition, 0, int(stamp), _bytes(key), _bytes(value), pairs)


def convert_legacy(directory: Path, journal: Path) -> None:
    """Write ``journal`` from the old layout under ``directory``, if there is one."""
    root = directory / "topics"
    if not root.is_dir():
        return
    aside = journal.with_name(journal.name + ".tmp")
    moved = 0
    with aside.open("wb") as out:
        out.write(frame(HEADER))
        for folder in sorted(root.iterdir()):
            meta_file = folder / "meta.json"
            try:
                meta = json.loads(meta_file.read_text())
                name, replicas = unquote(folder.name), int(meta.get("replicas", 1))
                info = TopicInfo(name, int(meta["partitions"]), replicas)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                _log.warning("storage conversion: skipped %s (%s)", folder, exc)
                continue
            out.write(encode(info))
            for partition in range(info.partitions):
                path = folder / f"{partition}.jsonl"
                if not path.exists():
                    continue
                with path.open("rb") as handle:
                    offset = 0
                    for raw in handle:
                        try:
                            record = _record(info.name, partition, raw.decode())
                        except (ValueError, TypeError, UnicodeDecodeError):
                            _log.warning(
                                "storage conversion: dropped a damaged line at byte %d of %s",
                                offset,
                                path,
                            )
                        else:
                            out.write(encode(Batch([record])))
                            moved += 1
                        offset += len(raw)
        out.flush()
        os.fsync(out.fileno())
    os.replace(aside, journal)
    root.rename(directory / "topics.converted")
    _log.info("storage: moved %d records of %s into %s", moved, root, journal)
