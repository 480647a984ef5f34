"""The properties SHOW PROPERTIES lists, as ksqlDB's ListPropertiesExecutor and PropertiesList
build them: every ``ksql.*`` config of KsqlConfig with its value, the ``ksql.streams.*`` values
ksqlDB sets itself, the server's settings and the request's overrides over them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .results import Property, PropertyList

# KsqlConfig's configs and their defaults, as ConfigDef writes them (lists comma-joined; None
# for no value). SSL configs are never listed.
KSQL_DEFAULTS: dict[str, str | None] = {
    "ksql.access.validator.enable": "auto",
    "ksql.admin.request.retry.timeout.ms": "2500",
    "ksql.assert.schema.default.timeout.ms": "1000",
    "ksql.assert.topic.default.timeout.ms": "1000",
    "ksql.authorization.cache.expiry.time.secs": "30",
    "ksql.authorization.cache.max.entries": "10000",
    "ksql.cast.strings.preserve.nulls": "true",
    "ksql.client.ip_port.configuration.enabled": "false",
    "ksql.connect.basic.auth.credentials.file": "",
    "ksql.connect.basic.auth.credentials.reload": "false",
    "ksql.connect.basic.auth.credentials.source": "NONE",
    "ksql.connect.request.headers.plugin": None,
    "ksql.connect.request.timeout.ms": "5000",
    "ksql.connect.url": "http://localhost:8083",
    "ksql.connect.worker.config": "",
    "ksql.create.or.replace.enabled": "true",
    "ksql.create.topic.inherit.source.replicas.enabled": "true",
    "ksql.deployment.type": "selfManaged",
    "ksql.endpoint.migrate.query": "true",
    "ksql.error.classifier.regex": "",
    "ksql.extension.dir": "ext",
    "ksql.fetch.remote.hosts.max.timeout.seconds": "10",
    "ksql.headers.columns.enabled": "true",
    "ksql.hidden.topics": (
        "_confluent.*,__confluent.*,_schemas,__consumer_offsets,__transaction_state,"
        "connect-configs,connect-offsets,connect-status,connect-statuses"
    ),
    "ksql.insert.into.values.enabled": "true",
    "ksql.internal.topic.min.insync.replicas": "1",
    "ksql.internal.topic.replicas": "1",
    "ksql.json_sr.converter.deserializer.enabled": "true",
    "ksql.kafka.client.additional.config.prefixes": "",
    "ksql.lambdas.enabled": "true",
    "ksql.metastore.backup.location": "",
    "ksql.metrics.extension": None,
    "ksql.metrics.tags.custom": "",
    "ksql.nested.error.set.null": "true",
    "ksql.new.query.planner.enabled": "false",
    "ksql.output.topic.name.prefix": "",
    "ksql.persistence.default.format.key": "KAFKA",
    "ksql.persistence.default.format.value": None,
    "ksql.persistence.wrap.single.values": None,
    "ksql.persistent.prefix": "query_",
    "ksql.properties.overrides.allowlist": "",
    "ksql.properties.overrides.denylist": "",
    "ksql.properties.overrides.log": "false",
    "ksql.properties.overrides.range.validation.log.enabled": "false",
    "ksql.properties.overrides.validation.mode": "denylist",
    "ksql.properties.overrides.validation.restore.enabled": "false",
    "ksql.proxy.protocol.local.mode.enabled": "false",
    "ksql.pull.queries.enable": "true",
    "ksql.query.cleanup.shutdown.timeout.ms": "30000",
    "ksql.query.error.max.queue.size": "10",
    "ksql.query.persistent.active.limit": "2147483647",
    "ksql.query.persistent.max.bytes.buffering.total": "-1",
    "ksql.query.pull.coordinator.queue.capacity": "2147483647",
    "ksql.query.pull.enable.standby.reads": "false",
    "ksql.query.pull.forwarding.timeout.ms": "20000",
    "ksql.query.pull.interpreter.enabled": "true",
    "ksql.query.pull.limit.clause.enabled": "true",
    "ksql.query.pull.max.allowed.offset.lag": "9223372036854775807",
    "ksql.query.pull.max.concurrent.requests": "2147483647",
    "ksql.query.pull.max.hourly.bandwidth.megabytes": "2147483647",
    "ksql.query.pull.max.qps": "2147483647",
    "ksql.query.pull.metrics.enabled": "true",
    "ksql.query.pull.range.scan.enabled": "true",
    "ksql.query.pull.router.queue.capacity": "2147483647",
    "ksql.query.pull.router.thread.pool.size": "50",
    "ksql.query.pull.stream.enabled": "true",
    "ksql.query.pull.table.scan.enabled": "true",
    "ksql.query.pull.thread.pool.size": "50",
    "ksql.query.push.v2.alos.enabled": "true",
    "ksql.query.push.v2.catchup.consumer.msg.window": "50",
    "ksql.query.push.v2.continuation.tokens.enabled": "false",
    "ksql.query.push.v2.enabled": "false",
    "ksql.query.push.v2.interpreter.enabled": "true",
    "ksql.query.push.v2.latest.reset.age.ms": "30000",
    "ksql.query.push.v2.max.catchup.consumers": "5",
    "ksql.query.push.v2.max.hourly.bandwidth.megabytes": "2147483647",
    "ksql.query.push.v2.metrics.enabled": "true",
    "ksql.query.push.v2.new.latest.delay.ms": "5000",
    "ksql.query.push.v2.registry.installed": "false",
    "ksql.query.retry.backoff.initial.ms": "15000",
    "ksql.query.retry.backoff.max.ms": "900000",
    "ksql.query.status.running.threshold.seconds": "300",
    "ksql.query.transient.max.bytes.buffering.total": "-1",
    "ksql.queryanonymizer.cluster_namespace": None,
    "ksql.queryanonymizer.logs_enabled": "true",
    "ksql.readonly.topics": (
        "_confluent.*,__confluent.*,_schemas,__consumer_offsets,__transaction_state,"
        "connect-configs,connect-offsets,connect-status,connect-statuses"
    ),
    "ksql.resource.extension.class": None,
    "ksql.runtime.feature.shared.enabled": "false",
    "ksql.schema.registry.url": "",
    "ksql.security.extension.class": None,
    "ksql.service.id": "default_",
    "ksql.shared.runtimes.count": "2",
    "ksql.sink.window.change.log.additional.retention": "1000000",
    "ksql.source.table.materialization.enabled": "true",
    "ksql.streams.shutdown.timeout.ms": "300000",
    "ksql.suppress.buffer.size.bytes": "-1",
    "ksql.suppress.enabled": "true",
    "ksql.timestamp.throw.on.invalid": "false",
    "ksql.transient.prefix": "transient_",
    "ksql.transient.query.cleanup.service.enable": "true",
    "ksql.transient.query.cleanup.service.initial.delay.seconds": "600",
    "ksql.transient.query.cleanup.service.period.seconds": "600",
    "ksql.udf.collect.metrics": "false",
    "ksql.udfs.enabled": "true",
    "ksql.variable.substitution.enable": "true",
    "ksql.websocket.connection.max.timeout.ms": "3600000",
    "metric.reporters": "",
}

# The Kafka Streams settings ksqlDB gives every query (KsqlConfig's streamsConfigDefaults), and
# the local server's reset policy, listed under ``ksql.streams.``.
STREAMS_SETTINGS: dict[str, str] = {
    "auto.offset.reset": "latest",
    "cache.max.bytes.buffering": "10000000",
    "commit.interval.ms": "2000",
    "default.deserialization.exception.handler": (
        "io.confluent.ksql.errors.LogMetricAndContinueExceptionHandler"
    ),
    "default.production.exception.handler": (
        "io.confluent.ksql.errors.ProductionExceptionHandlerUtil$LogAndFailProductionExceptionHandler"
    ),
    "num.stream.threads": "4",
    "topology.optimization": "all",
}
# Kafka's own defaults of those settings: a listed value equal to one is a default property.
_KAFKA_DEFAULTS: dict[str, str] = {
    "auto.offset.reset": "latest",
    "cache.max.bytes.buffering": "10485760",
    "commit.interval.ms": "30000",
    "num.stream.threads": "1",
    "topology.optimization": "none",
}
STREAMS_PREFIX = "ksql.streams."

# PropertiesList.QueryLevelProperties: exact names (a ``ksql.streams.`` name is not one).
QUERY_LEVEL = frozenset(
    {
        "auto.offset.reset",
        "buffered.records.per.partition",
        "cache.max.bytes.buffering",
        "ksql.fail.on.deserialization.error",
        "ksql.cast.strings.preserve.nulls",
        "ksql.nested.error.set.null",
        "ksql.query.retry.backoff.max.ms",
        "ksql.query.pull.max.allowed.offset.lag",
        "ksql.query.pull.table.scan.enabled",
        "ksql.timestamp.throw.on.invalid",
        "max.task.idle.ms",
        "task.timeout.ms",
    }
)
# PropertiesList.MutableSystemProperties.
MUTABLE = frozenset(
    {
        "max.poll.records",
        "max.poll.interval.ms",
        "session.timeout.ms",
        "heartbeat.interval.ms",
        "fetch.min.bytes",
        "fetch.max.bytes",
        "fetch.max.wait.ms",
        "metadata.max.age.ms",
        "max.partition.fetch.bytes",
        "batch.size",
        "linger.ms",
        "delivery.timeout.ms",
        "max.request.size",
        "max.block.ms",
        "buffer.memory",
        "compression.type",
        "acceptable.recovery.lag",
        "commit.interval.ms",
        "max.warmup.replicas",
        "num.standby.replicas",
        "poll.ms",
        "probing.rebalance.interval.ms",
        "processing.guarantee",
        "window.size.ms",
    }
)


def _config_name(name: str) -> str:
    """The config a listed name resolves to (KsqlConfigResolver): streams and client prefixes
    dropped, ``ksql.*`` names as they are."""
    bare = name.removeprefix(STREAMS_PREFIX)
    for prefix in ("consumer.", "producer.", "main.consumer.", "restore.consumer."):
        bare = bare.removeprefix(prefix)
    return bare


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def property_list(
    text: str, server: Mapping[str, Any], overrides: Mapping[str, Any]
) -> PropertyList:
    """SHOW PROPERTIES: ``server`` holds the server's settings over ksqlDB's defaults,
    ``overrides`` the request's (names already in their listed form)."""
    base: dict[str, str | None] = dict(KSQL_DEFAULTS)
    base.update((STREAMS_PREFIX + k, v) for k, v in STREAMS_SETTINGS.items())
    base.update((k, _text(v)) for k, v in server.items())
    merged = {**base, **{k: _text(v) for k, v in overrides.items()}}
    properties = []
    for name, value in sorted(merged.items()):
        config = _config_name(name)
        editable = config in QUERY_LEVEL or config in MUTABLE
        level = "QUERY" if name in QUERY_LEVEL else "SERVER"
        properties.append(Property(name, value, editable, level))
    defaults = {
        **KSQL_DEFAULTS,
        **{STREAMS_PREFIX + k: v for k, v in _KAFKA_DEFAULTS.items()},
    }
    return PropertyList(
        text,
        tuple(properties),
        tuple(sorted(k for k, v in merged.items() if base.get(k) != v)),
        tuple(sorted(k for k, v in merged.items() if k in defaults and defaults[k] == v)),
    )
