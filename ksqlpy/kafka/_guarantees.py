"""Delivery guarantees as named presets of producer and consumer settings (pure, no I/O)."""

from __future__ import annotations

import enum
from typing import Any


class Guarantee(enum.StrEnum):
    """How often a record may reach its destination when a process crashes.

    ``AT_MOST_ONCE``: acks=0, no retries, offsets committed *before* processing (losses possible,
    never duplicates). ``AT_LEAST_ONCE``: acks=all, retries, idempotence, offsets committed *after*
    processing (duplicates possible after a crash, never losses). ``EXACTLY_ONCE``: idempotence and
    transactions; a consume-transform-produce step commits its input offsets inside the same
    transaction (``send_offsets_to_transaction``) and readers use ``read_committed``.
    """

    AT_MOST_ONCE = "at-most-once"
    AT_LEAST_ONCE = "at-least-once"
    EXACTLY_ONCE = "exactly-once"

    @classmethod
    def parse(cls, text: str | Guarantee) -> Guarantee:
        """Return the guarantee named by ``text`` (``at-least-once``, ``at_least_once``, ...)."""
        if isinstance(text, Guarantee):
            return text
        normalized = text.strip().lower().replace("_", "-").replace(" ", "-")
        try:
            return cls(normalized)
        except ValueError:
            names = ", ".join(g.value for g in cls)
            raise ValueError(f"unknown guarantee {text!r}; choose one of {names}") from None


def producer_settings(guarantee: Guarantee, transactional_id: str | None = None) -> dict[str, Any]:
    """Return the kafka-python ``KafkaProducer`` settings that implement ``guarantee``.

    At-most-once passes ``enable_idempotence=False`` explicitly: with acks=0 kafka-python would
    otherwise log a warning and turn idempotence off by itself.
    """
    if guarantee is Guarantee.AT_MOST_ONCE:
        return {"acks": 0, "retries": 0, "enable_idempotence": False}
    if guarantee is Guarantee.AT_LEAST_ONCE:
        return {"acks": "all", "enable_idempotence": True}
    if not transactional_id:
        raise ValueError("exactly-once needs a transactional_id for the producer")
    return {"acks": "all", "enable_idempotence": True, "transactional_id": transactional_id}


def consumer_settings(guarantee: Guarantee) -> dict[str, Any]:
    """Return the kafka-python ``KafkaConsumer`` settings that implement ``guarantee``.

    Offsets are always committed by the consume loop at the point the guarantee needs, never by
    the auto-commit timer (which commits at arbitrary moments and gives no guarantee at all).
    """
    settings: dict[str, Any] = {"enable_auto_commit": False}
    if guarantee is Guarantee.EXACTLY_ONCE:
        settings["isolation_level"] = "read_committed"
    return settings
