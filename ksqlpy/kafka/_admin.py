"""Topic administration over kafka-python's ``KafkaAdminClient``: typed results, clear errors."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import kafka.errors as kerrors
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
from kafka.structs import OffsetAndMetadata
from kafka.structs import TopicPartition as _RawTopicPartition

from ksqlpy._cli import default_bootstrap
from ksqlpy._errors import (
    InvalidTopicNameError,
    KafkaError,
    ReplicationFactorError,
    TopicError,
    TopicExistsError,
    TopicNotFoundError,
)

from ._boundary import (
    build_client,
    connection_settings,
    translate,
)
from ._consumer import TopicPartition

# Kafka's rule (org.apache.kafka.common.internals.Topic): legal characters, at most 249 of them.
_LEGAL_TOPIC = re.compile(r"[a-zA-Z0-9._-]+")
MAX_TOPIC_NAME_LENGTH = 249


def check_topic_name(name: str) -> None:
    """Raise :class:`InvalidTopicNameError` unless ``name`` is a legal Kafka topic name."""
    if name in ("", ".", ".."):
        reason = "it is empty" if not name else f"'{name}' is reserved"
    elif len(name) > MAX_TOPIC_NAME_LENGTH:
        reason = f"it is {len(name)} characters long, the limit is {MAX_TOPIC_NAME_LENGTH}"
    elif not _LEGAL_TOPIC.fullmatch(name):
        bad = sorted({c for c in name if not _LEGAL_TOPIC.fullmatch(c)})
        reason = "it contains " + ", ".join(repr(c) for c in bad)
    else:
        return
    raise InvalidTopicNameError(
        name,
        f"invalid topic name {name!r}: {reason}; use 1-249 letters, digits, '.', '_' or '-'",
    )


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    """One partition of a topic: its leader broker, replicas and in-sync replicas."""

    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """A topic as the broker describes it."""

    name: str
    partitions: tuple[PartitionInfo, ...]
    internal: bool = False

    @property
    def partition_count(self) -> int:
        """The number of partitions."""
        return len(self.partitions)

    @property
    def replication_factor(self) -> int:
        """The number of replicas of the first partition (all partitions have the same)."""
        return len(self.partitions[0].replicas) if self.partitions else 0


def _topic_info(raw: Mapping[str, Any]) -> TopicInfo:
    parts = tuple(
        sorted(
            (
                PartitionInfo(
                    partition=int(p["partition_index"]),
                    leader=int(p.get("leader_id", -1)),
                    replicas=tuple(int(r) for r in p.get("replica_nodes") or ()),
                    isr=tuple(int(r) for r in p.get("isr_nodes") or ()),
                )
                for p in raw.get("partitions") or ()
            ),
            key=lambda p: p.partition,
        )
    )
    return TopicInfo(name=str(raw["name"]), partitions=parts, internal=bool(raw.get("is_internal")))


class TopicAdmin:
    """Create, describe, list, alter and delete topics.

    Example::

        with TopicAdmin("localhost:9092") as admin:
            admin.create_topic("orders", partitions=6, if_not_exists=True)
            print(admin.describe_topic("orders").partition_count)

    ``timeout`` (seconds) bounds the first contact with the broker and each request; extra keyword
    arguments are passed to kafka-python's ``KafkaAdminClient`` (security settings, client id).
    """

    def __init__(
        self, bootstrap_servers: str | None = None, *, timeout: float = 10.0, **config: Any
    ) -> None:
        bootstrap_servers = bootstrap_servers or default_bootstrap()
        self.bootstrap_servers = bootstrap_servers
        self.timeout = timeout
        self._closed = False
        settings: dict[str, Any] = {
            **connection_settings(bootstrap_servers, timeout),
            "request_timeout_ms": max(int(timeout * 1000), 1000),
            "client_id": "ksqlpy-admin",
        }
        settings.update(config)
        self._client: Any = build_client(
            KafkaAdminClient, settings, "connecting the admin client", "admin client", timeout
        )

    def __enter__(self) -> TopicAdmin:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection; closing twice is a no-op."""
        if not self._closed:
            self._closed = True
            self._client.close()

    def _check_open(self) -> None:
        if self._closed:
            raise KafkaError("this TopicAdmin is closed; create a new one")

    def broker_count(self) -> int:
        """The number of brokers registered in the cluster."""
        self._check_open()
        with translate("describing the cluster", self.bootstrap_servers, self.timeout):
            cluster = self._client.describe_cluster()
        return len(cluster.get("brokers") or ())

    def list_topics(self, *, include_internal: bool = False) -> list[str]:
        """Return the sorted topic names (without ``__consumer_offsets`` & co by default)."""
        self._check_open()
        with translate("listing topics", self.bootstrap_servers, self.timeout):
            names: list[str] = list(self._client.list_topics())
        if not include_internal:
            names = [n for n in names if not n.startswith("__")]
        return sorted(names)

    def topic_exists(self, name: str) -> bool:
        """Tell whether the topic exists."""
        return name in self.list_topics(include_internal=True)

    def describe_topic(self, name: str) -> TopicInfo:
        """Return the partitions of ``name``; raise :class:`TopicNotFoundError` if it is missing."""
        self._check_open()
        with translate(f"describing topic '{name}'", self.bootstrap_servers, self.timeout):
            topics = self._client.describe_topics([name])
        for raw in topics:
            if raw.get("name") != name:
                continue
            code = int(raw.get("error_code") or 0)
            if code == kerrors.UnknownTopicOrPartitionError.errno:
                raise TopicNotFoundError(name, f"topic '{name}' does not exist")
            if code:
                error = kerrors.for_code(code)
                raise TopicError(name, f"describing topic '{name}' failed: {error.__name__}")
            return _topic_info(raw)
        raise TopicNotFoundError(name, f"topic '{name}' does not exist")

    def create_topic(
        self,
        name: str,
        partitions: int | None = None,
        replication_factor: int | None = None,
        config: Mapping[str, str] | None = None,
        *,
        if_not_exists: bool = False,
    ) -> TopicInfo:
        """Create a topic and wait until every partition has a leader; return its description.

        ``partitions`` and ``replication_factor`` default to 1 for a new topic. With
        ``if_not_exists=True`` an existing topic is described and returned, but only if it has
        the partitions and replication factor that were asked for explicitly: a topic with
        another layout raises :class:`TopicExistsError` naming both, as ksqlDB refuses a
        ``CREATE STREAM ... PARTITIONS=5`` over a 3-partition topic. Kafka never lowers a
        partition count and adding partitions moves keys to other partitions, so neither is done
        behind the caller's back; leave them out to accept the topic as it is. Other errors:
        :class:`InvalidTopicNameError`, :class:`ReplicationFactorError`.
        """
        self._check_open()
        check_topic_name(name)
        asked_partitions, asked_replicas = partitions, replication_factor
        partitions = 1 if partitions is None else partitions
        replication_factor = 1 if replication_factor is None else replication_factor
        if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
            raise TopicError(
                name, f"cannot create topic '{name}' with {partitions!r} partitions; use 1 or more"
            )
        if (
            isinstance(replication_factor, bool)
            or not isinstance(replication_factor, int)
            or replication_factor < 1
        ):
            raise TopicError(
                name,
                f"cannot create topic '{name}' with replication factor "
                f"{replication_factor!r}; use 1 or more",
            )
        brokers = self.broker_count()
        if replication_factor > brokers:
            raise ReplicationFactorError(name, replication_factor, brokers)
        request = {
            name: {
                "num_partitions": partitions,
                "replication_factor": replication_factor,
                "configs": {str(k): str(v) for k, v in (config or {}).items()},
            }
        }
        action = f"creating topic '{name}'"
        try:
            with translate(action, self.bootstrap_servers, self.timeout):
                self._client.create_topics(
                    request, timeout_ms=int(self.timeout * 1000), wait_for_metadata=True
                )
        except KafkaError as exc:
            cause = exc.__cause__
            if isinstance(cause, kerrors.TopicAlreadyExistsError):
                if if_not_exists:
                    return _as_asked(self.describe_topic(name), asked_partitions, asked_replicas)
                raise TopicExistsError(
                    name,
                    f"topic '{name}' already exists; pass if_not_exists=True to reuse it "
                    "or delete it first",
                ) from cause
            if isinstance(cause, kerrors.InvalidReplicationFactorError):
                raise ReplicationFactorError(name, replication_factor, brokers) from cause
            if isinstance(cause, kerrors.InvalidTopicError):
                raise InvalidTopicNameError(
                    name, f"invalid topic name {name!r}: {cause}"
                ) from cause
            if isinstance(cause, kerrors.InvalidConfigurationError | kerrors.PolicyViolationError):
                raise TopicError(name, f"cannot create topic '{name}': {cause}") from cause
            raise
        return self.describe_topic(name)

    def describe_topics(self, names: list[str] | None = None) -> list[TopicInfo]:
        """Describe ``names`` (every topic but the internal ones by default) in one request;
        topics missing by then are left out."""
        self._check_open()
        wanted = self.list_topics() if names is None else names
        if not wanted:
            return []
        with translate("describing topics", self.bootstrap_servers, self.timeout):
            topics = self._client.describe_topics(list(wanted))
        found = [_topic_info(raw) for raw in topics if not int(raw.get("error_code") or 0)]
        return sorted(found, key=lambda t: t.name)

    def group_offsets(self, group_id: str) -> dict[TopicPartition, int]:
        """A consumer group's committed offsets (the next offset to read); empty if none."""
        self._check_open()
        found = self._retrying(
            f"reading offsets of group '{group_id}'",
            lambda: self._client.list_group_offsets({group_id: None}).get(group_id) or {},
        )
        return {
            TopicPartition(tp.topic, tp.partition): int(meta.offset)
            for tp, meta in found.items()
            if meta is not None and int(meta.offset) >= 0
        }

    def set_group_offsets(self, group_id: str, offsets: Mapping[TopicPartition, int]) -> None:
        """Commit ``{partition: next offset}`` for a group that has no running members."""
        self._check_open()
        if not offsets:
            return
        raw = {
            _RawTopicPartition(tp.topic, tp.partition): OffsetAndMetadata(off, "", -1)
            for tp, off in offsets.items()
        }
        action = f"committing offsets of group '{group_id}'"
        result = self._retrying(action, lambda: self._client.alter_group_offsets(group_id, raw))
        failed = {tp: err for tp, err in result.items() if err is not kerrors.NoError}
        if failed:
            tp, err = next(iter(failed.items()))
            raise KafkaError(f"{action} failed for {tp.topic}-{tp.partition}: {err.__name__}")

    def delete_group(self, group_id: str) -> None:
        """Delete a consumer group and its committed offsets (a missing group is no error)."""
        self._check_open()
        action = f"deleting group '{group_id}'"
        result = self._retrying(action, lambda: self._client.delete_groups([group_id]))
        # kafka-python answers {group: "OK"} or {group: the error's class name}.
        outcome = str(result.get(group_id, "OK"))
        if outcome not in ("OK", kerrors.GroupIdNotFoundError.__name__):
            raise KafkaError(f"{action} failed: {outcome}")

    def transaction_state(self, transactional_id: str) -> str | None:
        """The state of ``transactional_id``'s transaction as its coordinator names it
        (``Ongoing``, ``PrepareCommit``, ``CompleteCommit``, ...); None when no producer ever
        used it."""
        self._check_open()
        try:
            found = self._retrying(
                f"describing transaction '{transactional_id}'",
                lambda: self._client.describe_transactions([transactional_id]),
            )
        except KafkaError as exc:
            if isinstance(exc.__cause__, kerrors.TransactionalIdNotFoundError):
                return None
            raise
        return str(found[transactional_id].state.value)

    def _retrying(self, action: str, call: Callable[[], Any]) -> Any:
        """``call()``, repeated while the broker answers with a retriable error (a group
        coordinator still loading after start) for at most ``timeout`` seconds."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                with translate(action, self.bootstrap_servers, self.timeout):
                    return call()
            except KafkaError as exc:
                cause = exc.__cause__
                retriable = getattr(cause, "retriable", False)
                if not retriable or time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    def delete_topic(self, name: str, *, if_exists: bool = False) -> None:
        """Delete a topic; a missing one raises :class:`TopicNotFoundError` unless ``if_exists``."""
        self._check_open()
        try:
            with translate(f"deleting topic '{name}'", self.bootstrap_servers, self.timeout):
                self._client.delete_topics([name], timeout_ms=int(self.timeout * 1000))
        except KafkaError as exc:
            if isinstance(exc.__cause__, kerrors.UnknownTopicOrPartitionError):
                if if_exists:
                    return
                raise TopicNotFoundError(name, f"topic '{name}' does not exist") from exc.__cause__
            raise

    def topic_config(self, name: str) -> dict[str, str]:
        """Return the topic's settings that differ from the broker defaults."""
        self._check_open()
        self.describe_topic(name)
        resource = ConfigResource(ConfigResourceType.TOPIC, name)
        with translate(
            f"describing the config of topic '{name}'", self.bootstrap_servers, self.timeout
        ):
            result = self._client.describe_configs([resource])
        entries = result.get("topic", {}).get(name, {})
        return {str(k): _config_value(v) for k, v in entries.items()}

    def alter_config(self, name: str, config: Mapping[str, str]) -> None:
        """Set topic settings (e.g. ``{"retention.ms": "60000"}``), leaving the others alone."""
        self._check_open()
        self.describe_topic(name)
        resource = ConfigResource(
            ConfigResourceType.TOPIC, name, configs={str(k): str(v) for k, v in config.items()}
        )
        try:
            with translate(f"altering topic '{name}'", self.bootstrap_servers, self.timeout):
                result = self._client.alter_configs([resource])
        except ValueError as exc:  # kafka-python's check of the key names
            raise TopicError(name, f"cannot alter topic '{name}': {exc}") from exc
        outcome = result.get("topic", {}).get(name)
        # kafka-python answers "OK" per resource, or the broker's error as text (for a value the
        # broker refuses, e.g. retention.ms=abc): anything else is not a success.
        if outcome != "OK":
            reason = re.sub(r"^\[Error \d+\] \w+: ", "", str(outcome))
            raise TopicError(
                name,
                f"the broker refused the settings for topic '{name}': {reason}; "
                "the topic keeps its previous settings",
            )


def _as_asked(info: TopicInfo, partitions: int | None, replicas: int | None) -> TopicInfo:
    """``info`` when the existing topic has the layout asked for, else TopicExistsError."""
    wrong = []
    if partitions is not None and info.partition_count != partitions:
        wrong.append(f"{info.partition_count} partition(s), not {partitions}")
    if replicas is not None and info.replication_factor != replicas:
        wrong.append(f"replication factor {info.replication_factor}, not {replicas}")
    if not wrong:
        return info
    raise TopicExistsError(
        info.name,
        f"topic '{info.name}' already exists with {' and '.join(wrong)}; use it as it is "
        "(leave partitions/replication_factor out), or delete it first",
    )


def _config_value(entry: Any) -> str:
    if isinstance(entry, Mapping):
        value = entry.get("value", entry.get("config_value"))
        return "" if value is None else str(value)
    return str(entry)
