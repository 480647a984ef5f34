"""Persistent queries' commits on Kafka: each group's batches in order, on a thread of its own.

The engine commits from the server's event loop. A commit takes milliseconds and the caller
waits for it, so the output is readable when the request that caused it is answered. One that
takes longer than ``wait`` seconds (kafka-python waits for a transaction's offsets and commit
without a bound, and a broker gone mid-transaction holds them until it is back) goes on in the
background and the batches after it queue behind it, in order; while any group is in that state
no caller waits, so an outage stalls the server once, not once per query or batch. A
batch the broker refuses is retried until it takes it, as Kafka Streams retries a task for
``task.timeout.ms``; after ``outage_timeout`` the group gives up and its next commit raises.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

from ksqlpy.kafka import TopicPartition

from ._base import Pending, Record
from ._mirror import KafkaStorageError

log = logging.getLogger("ksqlpy.local.storage")

# What a commit is given: the output records, the positions they come from, the guarantee.
Batch = tuple[list[Pending], dict[TopicPartition, int], bool]
CommitOne = Callable[[str, list[Pending], dict[TopicPartition, int], bool], list[Record]]

WAIT_S = 3.0
OUTAGE_TIMEOUT_S = 300.0
RETRY_S = 1.0


@dataclass(slots=True, eq=False)
class _Group:
    name: str
    batches: deque[tuple[Batch, Future[list[Record]]]] = field(default_factory=deque)
    gave_up: KafkaStorageError | None = None
    dropped: bool = False


def _answer(future: Future[list[Record]], written: list[Record]) -> None:
    with contextlib.suppress(Exception):  # cancelled: the caller went on before
        future.set_result(written)


def _fail(future: Future[list[Record]], error: BaseException) -> bool:
    """Hand ``error`` to a caller still waiting; False when it went on before (cancelled)."""
    try:
        future.set_exception(error)
    except Exception:
        return False
    return True


class Committer:
    """Runs ``commit_one(group, records, offsets, exactly_once)`` for every batch, a group's in
    order; ``commit_one`` raises :class:`KafkaStorageError` when the cluster cannot take one,
    and ``ready()`` says whether a retry is worth a try (the broker accepts connections)."""

    def __init__(
        self,
        commit_one: CommitOne,
        ready: Callable[[], bool],
        *,
        wait: float = WAIT_S,
        outage_timeout: float = OUTAGE_TIMEOUT_S,
        retry: float = RETRY_S,
    ) -> None:
        self._commit_one = commit_one
        self._ready = ready
        self.wait = wait
        self.outage_timeout = outage_timeout
        self.retry = retry
        self._changed = threading.Condition()
        self._groups: dict[str, _Group] = {}
        # Groups whose last commit failed or outlasted ``wait``: an outage is on.
        self._troubled: set[str] = set()
        self._threads: list[threading.Thread] = []
        self._closed = threading.Event()

    def commit(self, group: str, batch: Batch) -> list[Record]:
        """Commit ``batch`` after the group's earlier ones; return what was written, or nothing
        when it goes on in the background (a backlog, or longer than ``wait``)."""
        future: Future[list[Record]] = Future()
        with self._changed:
            state = self._groups.get(group)
            if state is None:
                state = self._groups[group] = _Group(group)
                self._start(state)
            if state.gave_up is not None:
                failed, state.gave_up = state.gave_up, None
                raise failed
            behind = bool(state.batches or self._troubled)
            state.batches.append((batch, future))
            self._changed.notify_all()
        if behind:
            future.cancel()  # nobody waits: an error is logged, not handed over
            return []
        try:
            return future.result(self.wait)
        except FutureTimeout:
            if not future.cancel():  # answered just now
                return future.result()
            with self._changed:
                self._troubled.add(group)
            log.warning(
                "the output of '%s' is not committed after %g s; it is, in order, once Kafka "
                "answers (the query goes on)",
                group,
                self.wait,
            )
            return []

    def settle(self, group: str, timeout: float) -> bool:
        """Wait up to ``timeout`` for the group's queued batches to be done (committed, given
        up or dropped); say whether they are."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while (state := self._groups.get(group)) is not None and state.batches:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed.is_set():
                    return False
                self._changed.wait(left)
        return True

    def drop(self, group: str) -> None:
        """Forget a group's batches (its query was terminated); its thread ends."""
        with self._changed:
            state = self._groups.pop(group, None)
            self._troubled.discard(group)
            if state is not None:
                state.dropped = True
                self._changed.notify_all()

    def close(self, timeout: float) -> None:
        """Stop every group's thread; one held by Kafka is left behind after ``timeout``."""
        self._closed.set()
        with self._changed:
            self._changed.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _start(self, state: _Group) -> None:
        thread = threading.Thread(
            target=self._run, args=(state,), name=f"ksqlpy-commit-{state.name}", daemon=True
        )
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _next(self, state: _Group) -> tuple[Batch, Future[list[Record]]] | None:
        with self._changed:
            while not state.batches and not state.dropped and not self._closed.is_set():
                self._changed.wait()
            if state.dropped or self._closed.is_set():
                for _, future in state.batches:
                    _answer(future, [])
                state.batches.clear()
                return None
            return state.batches[0]

    def _run(self, state: _Group) -> None:
        failing_since: float | None = None
        while (taken := self._next(state)) is not None:
            (records, offsets, exactly_once), future = taken
            try:
                written = self._commit_one(state.name, records, offsets, exactly_once)
            except KafkaStorageError as exc:
                _answer(future, [])  # its caller goes on; the batch is retried
                if self._closed.is_set() or state.dropped:
                    continue  # its producer was closed under it: nothing to retry
                with self._changed:
                    self._troubled.add(state.name)
                now = time.monotonic()
                if failing_since is None:
                    failing_since = now
                    log.warning("%s; retrying for up to %g s", exc, self.outage_timeout)
                elif now - failing_since > self.outage_timeout:
                    self._give_up(state, exc)
                    failing_since = None
                    continue
                self._pause(state, failing_since + self.outage_timeout)
                continue
            except Exception as exc:  # not the cluster's: the caller's to see, not retried
                self._pop(state, future)
                failing_since = None
                if not _fail(future, exc):
                    log.error("the output of '%s' could not be committed: %r", state.name, exc)
                continue
            if self._pop(state, future):  # a caller was told it would follow
                log.warning("the output of '%s' is committed again", state.name)
            failing_since = None
            _answer(future, written)

    def _pop(self, state: _Group, future: Future[list[Record]]) -> bool:
        """Take a done batch off the queue; say whether its group was troubled."""
        with self._changed:
            if state.batches and state.batches[0][1] is future:
                state.batches.popleft()
                self._changed.notify_all()  # settle() waits for the queue to empty
            troubled = state.name in self._troubled
            self._troubled.discard(state.name)
            return troubled

    def _give_up(self, state: _Group, error: KafkaStorageError) -> None:
        log.error("the output of '%s' could not be committed: %s", state.name, error)
        with self._changed:
            for _, future in state.batches:
                _answer(future, [])
            state.batches.clear()
            state.gave_up = error
            self._changed.notify_all()
            self._troubled.discard(state.name)

    def _pause(self, state: _Group, give_up_at: float) -> None:
        """Wait ``retry`` seconds, then until the cluster answers, the group is gone or it is
        time for the last try."""
        while not self._closed.wait(self.retry) and not state.dropped:
            if time.monotonic() > give_up_at or self._ready():
                return
