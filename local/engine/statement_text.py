"""The statement text ksqlDB keeps for a source and its persistent query.

ksqlDB does not keep what the user typed: its injectors (DefaultFormatInjector,
TopicCreateInjector) add the properties they decide, and the statement is written back with
SqlFormatter. That text is what DESCRIBE EXTENDED (``statement``), SHOW QUERIES (``queryString``)
and EXPLAIN (``statementText``) show. INSERT INTO ... SELECT passes through no injector: it keeps
the user's text. The command log keeps the user's text too, and replay re-parses that.

Writing a statement back is cosmetic: when it cannot be done, the user's text is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlglot import exp

from ksqlpy.sql import parse_one
from ksqlpy.sql.nodes import KsqlCreate, KsqlSelect

from ..storage import Log
from . import sqlformat
from .convert import identifier_name
from .metastore import Metastore
from .sources import define_columns, with_properties
from .sqlformat_query import query

_log = logging.getLogger("ksqlpy.local")

# TopicProperties.DEFAULT_RETENTION_IN_MS, and Kafka's default retention.ms: the retention a
# sink inherits when neither its WITH clause nor its source topic says otherwise.
DEFAULT_RETENTION_MS = 604_800_000


def create_source_text(
    text: str, metastore: Metastore, formats: Mapping[str, Any] | None = None
) -> str:
    """``CREATE STREAM|TABLE name (columns) WITH (...)`` as ksqlDB keeps it: default formats
    written out (DefaultFormatInjector; ``formats`` are the ones the executor chose) and the
    topic's CLEANUP_POLICY (TopicCreateInjector)."""
    try:
        node = parse_one(text)
        assert isinstance(node, KsqlCreate)
        kind = str(node.args["kind"]).upper()
        target = node.this
        given = with_properties(node.args.get("properties"))
        props = sqlformat.with_default_formats(given, formats)
        props["CLEANUP_POLICY"] = "compact" if kind == "TABLE" else "delete"
        return sqlformat.create_source(
            kind,
            _target_name(target),
            define_columns(metastore, target, kind),
            props,
            replace=bool(node.args.get("replace")),
            is_source=bool(node.args.get("source")),
            not_exists=bool(node.args.get("exists")),
        )
    except Exception as exc:  # cosmetic: a statement is never refused for its text
        _log.debug("kept the text of %r as typed: %s", text, exc)
        return text


def create_as_text(text: str, metastore: Metastore, log: Log, partitions: int) -> str:
    """``CREATE STREAM|TABLE name WITH (...) AS SELECT ...`` as ksqlDB keeps it: the sink topic's
    KAFKA_TOPIC, PARTITIONS, REPLICAS, RETENTION_MS and CLEANUP_POLICY written out
    (TopicCreateInjector), the query qualified and aliased (AstSanitizer).

    ``partitions`` is the sink topic's partition count, as the statement's executor chose it."""
    try:
        node = parse_one(text)
        assert isinstance(node, KsqlCreate)
        select = node.args["expression"]
        assert isinstance(select, KsqlSelect)
        kind = str(node.args["kind"]).upper()
        sink = _target_name(node.this)
        props = with_properties(node.args.get("properties"))
        props.update(_topic_properties(props, select, metastore, log, sink, partitions))
        if kind == "STREAM":
            props["CLEANUP_POLICY"] = "delete"
        else:
            windowed = select.args.get("window") is not None
            props["CLEANUP_POLICY"] = "compact,delete" if windowed else "compact"
        head = "CREATE " + ("OR REPLACE " if node.args.get("replace") else "") + kind + " "
        head += ("IF NOT EXISTS " if node.args.get("exists") else "") + sqlformat.name(sink)
        return f"{head} WITH ({sqlformat.properties(props)}) AS {query(select, metastore)};"
    except Exception as exc:  # cosmetic: a statement is never refused for its text
        _log.debug("kept the text of %r as typed: %s", text, exc)
        return text


def _target_name(target: exp.Expression) -> str:
    table = target.this if isinstance(target, exp.Schema) else target
    return identifier_name(table.this if isinstance(table, exp.Table) else table)


def _topic_properties(
    props: dict[str, Any],
    select: KsqlSelect,
    metastore: Metastore,
    log: Log,
    sink: str,
    partitions: int,
) -> dict[str, Any]:
    """The sink topic as TopicProperties.Builder settles it: the WITH clause first, then the
    topic of the query's first source (replicas), then the defaults."""
    first = select.args["from_"].this
    source = metastore.source(identifier_name(first))
    info = log.topic(source.topic) if source is not None else None
    given = {k: v for k, v in props.items() if v is not None}
    return {
        "KAFKA_TOPIC": str(given.get("KAFKA_TOPIC", sink)),
        "PARTITIONS": int(partitions),
        "REPLICAS": int(given.get("REPLICAS", info.replicas if info else 1)),
        "RETENTION_MS": int(given.get("RETENTION_MS", DEFAULT_RETENTION_MS)),
    }
