"""A log kept in memory and mirrored to a directory, so a restarted server keeps its topics.

Layout: ``<dir>/topics/<quoted name>/meta.json`` (partitions, replicas) and one JSON-lines file
per partition (``0.jsonl``: timestamp, key, value, headers; bytes in base64). Files are only
appended to; a torn last line from a crash is ignored when loading.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, unquote

from ._base import Record, TopicInfo
from ._memory import MemoryLog


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _bytes(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


class FileLog(MemoryLog):
    """:class:`MemoryLog` whose topics and records survive a restart (in ``directory``)."""

    def __init__(self, directory: str | Path) -> None:
        super().__init__()
        self.root = Path(directory) / "topics"
        self.root.mkdir(parents=True, exist_ok=True)
        self._files: dict[tuple[str, int], BinaryIO] = {}
        self._file_lock = threading.Lock()
        self._loading = True
        self._load()
        self._loading = False

    def _dir(self, topic: str) -> Path:
        return self.root / quote(topic, safe="")

    def _load(self) -> None:
        for folder in sorted(self.root.iterdir()):
            meta_file = folder / "meta.json"
            if not meta_file.exists():
                continue
            meta = json.loads(meta_file.read_text())
            name = unquote(folder.name)
            super().create_topic(name, int(meta["partitions"]), int(meta.get("replicas", 1)))
            for partition in range(int(meta["partitions"])):
                path = folder / f"{partition}.jsonl"
                if not path.exists():
                    continue
                with path.open() as handle:
                    for line in handle:
                        try:
                            stamp, key, value, headers = json.loads(line)
                        except ValueError:
                            break  # a line torn by a crash: everything before it is intact
                        super().append(
                            name,
                            _bytes(key),
                            _bytes(value),
                            timestamp=stamp,
                            headers=tuple((k, _bytes(v)) for k, v in headers),
                            partition=partition,
                        )

    def create_topic(self, name: str, partitions: int = 1, replicas: int = 1) -> TopicInfo:
        existed = self.topic(name) is not None
        info = super().create_topic(name, partitions, replicas)
        if not existed:
            folder = self._dir(name)
            folder.mkdir(parents=True, exist_ok=True)
            meta = {"partitions": partitions, "replicas": replicas}
            (folder / "meta.json").write_text(json.dumps(meta))
        return info

    def delete_topic(self, name: str) -> None:
        super().delete_topic(name)
        with self._file_lock:
            for key in [k for k in self._files if k[0] == name]:
                self._files.pop(key).close()
        shutil.rmtree(self._dir(name), ignore_errors=True)

    def _persist(self, record: Record) -> None:
        if self._loading:
            return
        line: list[Any] = [
            record.timestamp,
            _b64(record.key),
            _b64(record.value),
            [[k, _b64(v)] for k, v in record.headers],
        ]
        data = (json.dumps(line, separators=(",", ":")) + "\n").encode()
        place = (record.topic, record.partition)
        path = self._dir(record.topic) / f"{record.partition}.jsonl"
        with self._file_lock:
            handle = self._files.get(place)
            if handle is None:
                handle = self._files[place] = path.open("ab", buffering=0)
            start = handle.tell()
            try:
                written = 0
                while written < len(data):
                    written += handle.write(data[written:]) or 0
            except OSError:
                # A full disk (or a size limit): cut the torn line off, so the file holds
                # whole records only and the record is refused as a whole.
                self._files.pop(place, None)
                handle.close()
                with contextlib.suppress(OSError):
                    os.truncate(path, start)
                raise

    def close(self) -> None:
        with self._file_lock:
            for handle in self._files.values():
                handle.close()
            self._files.clear()
