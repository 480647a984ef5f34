"""Sources from CREATE statements: WITH properties, column definitions, key/header/window rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from ksqlpy.sql.nodes import KsqlHeaderConstraint, KsqlHeadersConstraint, KsqlKeyConstraint

from ..storage import Log
from . import sqlformat
from .convert import identifier_name, sql_type
from .errors import EngineError, KsqlStatementError, at
from .metastore import Column, Metastore, Source
from .rows import HEADERS_TYPE, PSEUDO_NAMES, key_serde, value_serde
from .serde import check_format, persistence_text
from .types import BYTES, ArrayType, MapType, SqlType, StructType

_KEY_HINT = (
    "Tables have PRIMARY KEYs, which are unique and NON NULL.\n"
    "Streams have KEYs, which have no uniqueness or NON NULL constraints."
)


def with_properties(node: exp.Expression | None) -> dict[str, Any]:
    """The WITH (...) clause as upper-case names to Python values."""
    out: dict[str, Any] = {}
    if node is None:
        return out
    for prop in node.expressions:
        key = prop.this.name if isinstance(prop.this, exp.Expression) else str(prop.this)
        value = prop.args.get("value")
        if isinstance(value, exp.Literal):
            parsed: Any = (
                value.this
                if value.is_string
                else int(value.this)
                if value.this.lstrip("-").isdigit()
                else float(value.this)
            )
        elif isinstance(value, exp.Boolean):
            parsed = bool(value.this)
        elif value is None:
            parsed = None
        else:
            parsed = value.name or value.sql(dialect="ksql")
        out[key.upper()] = parsed
    return out


def check_properties(props: dict[str, Any]) -> None:
    """Refusals of WITH properties that ksqlDB makes before it looks at anything else: values
    its property definitions refuse, then formats given twice."""
    delimiter = props.get("VALUE_DELIMITER")
    if delimiter is not None:
        _check_delimiter(str(delimiter))
    if props.get("WINDOW_SIZE") is not None:
        try:
            window_size_ms(str(props["WINDOW_SIZE"]))
        except ValueError as error:
            raise KsqlStatementError(
                f"Failed to prepare statement: Configuration WINDOW_SIZE is invalid: {error}"
            ) from None
    _check_format_pairs(props)
    if delimiter is None:
        return
    value_format = str(props.get("VALUE_FORMAT") or props.get("FORMAT") or "").upper()
    if value_format and value_format != "DELIMITED":  # none yet: a CSAS takes its source's
        raise KsqlStatementError(
            f"{value_format} does not support the following configs: [delimiter]"
        )


def _check_delimiter(text: str) -> None:
    reason = None
    if not text.strip():
        reason = (
            "Delimiter cannot be empty, if you meant to have a tab or space for delimiter, "
            "please use the special values 'TAB' or 'SPACE'"
        )
    elif len(text) > 1 and text.upper() not in ("TAB", "SPACE"):
        reason = (
            f"Invalid delimiter value: '{text}'. Delimiter must be a single character or TAB,SPACE"
        )
    if reason is not None:
        raise KsqlStatementError(
            f"Failed to prepare statement: Configuration VALUE_DELIMITER is invalid: {reason}"
            "\nExample valid value: ';'"
        )


def _check_format_pairs(props: dict[str, Any]) -> None:
    """FORMAT sets both formats, so neither may be given with it (CommonCreateConfigs)."""
    if props.get("FORMAT") is None:
        return
    for prop in ("KEY_FORMAT", "VALUE_FORMAT"):
        if props.get(prop) is not None:
            raise KsqlStatementError(
                f"Cannot supply both '{prop}' and 'FORMAT' properties, as 'FORMAT' sets both "
                "key and value formats. Either use just 'FORMAT', or use 'KEY_FORMAT' and "
                "'VALUE_FORMAT'."
            )


WRAP_SINGLE_VALUES = "ksql.persistence.wrap.single.values"

# The server settings that stand in for a missing KEY_FORMAT / VALUE_FORMAT.
DEFAULT_FORMAT_CONFIGS = (
    ("KEY_FORMAT", "ksql.persistence.default.format.key", "KAFKA"),
    ("VALUE_FORMAT", "ksql.persistence.default.format.value", None),
)


def inject_default_formats(props: dict[str, Any], setting: Callable[[str], str | None]) -> None:
    """ksqlDB's DefaultFormatInjector for CREATE STREAM/TABLE: a format the WITH clause leaves
    out comes from the server's default-format config; then both names must be known formats
    (checked before the columns, as its schema injector looks the formats up first)."""
    if props.get("FORMAT") is None and None in (props.get("KEY_FORMAT"), props.get("VALUE_FORMAT")):
        for prop, config, default in DEFAULT_FORMAT_CONFIGS:
            if props.get(prop) is None:
                chosen = setting(config) or default
                if chosen is None:
                    raise KsqlStatementError(
                        f"Statement is missing the '{prop}' property from the WITH clause. "
                        f"Either provide one or set a default via the '{config}' config."
                    )
                props[prop] = chosen
        # The injector writes both formats back by their names, upper-cased.
        for prop, _, _ in DEFAULT_FORMAT_CONFIGS:
            props[prop] = str(props[prop]).upper()
    both = props.get("FORMAT")
    check_format(str(both or props["KEY_FORMAT"]), "key")
    check_format(str(both or props["VALUE_FORMAT"]), "value")


def define_columns(metastore: Metastore, target: exp.Expression, kind: str) -> list[Column]:
    if not isinstance(target, exp.Schema) or not target.expressions:
        raise KsqlStatementError(
            "The statement does not define any columns. (The ksqlpy local server cannot infer "
            "columns from a schema registry.)"
        )
    columns: list[Column] = []
    seen: set[str] = set()
    for definition in target.expressions:
        name = identifier_name(definition.this)
        if name in PSEUDO_NAMES or name in ("WINDOWSTART", "WINDOWEND"):
            raise KsqlStatementError(
                f"'{name}' is a reserved column name. You cannot use it as a name for a column."
            )
        if name in seen:
            raise KsqlStatementError(f"Duplicate column names: `{name}`")
        seen.add(name)
        column_type = sql_type(definition.args["kind"], metastore.types)
        role, header_key = "VALUE", None
        for constraint in definition.args.get("constraints") or []:
            spec = constraint.args.get("kind")
            if isinstance(spec, (KsqlKeyConstraint, exp.PrimaryKeyColumnConstraint)):
                primary = isinstance(spec, exp.PrimaryKeyColumnConstraint)
                _check_key_kind(name, kind, primary, at(definition))
                role = "KEY"
            elif isinstance(spec, KsqlHeadersConstraint):
                if column_type != HEADERS_TYPE:
                    raise KsqlStatementError(
                        f"Invalid type for HEADERS column: expected {HEADERS_TYPE}, "
                        f"got {column_type}"
                    )
                role = "HEADERS"
            elif isinstance(spec, KsqlHeaderConstraint):
                if column_type != BYTES:
                    raise KsqlStatementError(
                        f"Invalid type for HEADER('{spec.this.name}') column: expected BYTES, "
                        f"got {column_type}"
                    )
                role, header_key = "HEADER", spec.this.name
        columns.append(Column(name, column_type, role, header_key))
    if kind == "TABLE" and not any(c.role == "KEY" for c in columns):
        raise KsqlStatementError("Tables require a PRIMARY KEY. Please define the PRIMARY KEY.")
    return columns


def make_source(
    log: Log,
    name: str,
    kind: str,
    columns: list[Column],
    props: dict[str, Any],
    text: str,
    is_source: bool,
    *,
    replace: bool = False,
    not_exists: bool = False,
    wrap_default: str | None = None,
) -> Source:
    original = dict(props)
    topic = props.pop("KAFKA_TOPIC", None)
    if topic is None:
        raise KsqlStatementError(
            'Missing required property "KAFKA_TOPIC" which has no default value.'
        )
    _check_format_pairs(props)
    both = props.pop("FORMAT", None)
    key_format = check_format(str(both or props.pop("KEY_FORMAT", None) or "KAFKA"), "key")
    value_format = props.pop("VALUE_FORMAT", None)
    if both is None and value_format is None:
        raise KsqlStatementError(
            'Missing required property "VALUE_FORMAT" which has no default value.'
        )
    value_format = check_format(str(both or value_format), "value")
    _check_format_configs(key_format, props, _KEY_CONFIGS)
    _check_format_configs(value_format, props, _VALUE_CONFIGS)
    if log.topic(str(topic)) is None and not props.get("PARTITIONS"):
        example = sqlformat.create_source(
            kind,
            name,
            columns,
            # The formats were written out before this check (DefaultFormatInjector runs first).
            {**sqlformat.with_default_formats(original), "PARTITIONS": 2},
            replace=replace,
            is_source=is_source,
            not_exists=not_exists,
        )
        # ksqlDB's TopicCreateInjector: a plain KsqlException, so a generic 400 error.
        raise EngineError(
            f"Topic '{topic}' does not exist. If you want to create a new topic for the "
            "stream/table please re-run the statement providing the required 'PARTITIONS' "
            "configuration in the WITH clause (and optionally 'REPLICAS'). For example: " + example,
            40000,
        )
    partitions = int(props.pop("PARTITIONS", 0) or 0)
    replicas = int(props.pop("REPLICAS", 1) or 1)
    timestamp = props.pop("TIMESTAMP", None)
    timestamp_format = props.pop("TIMESTAMP_FORMAT", None)
    delimiter = _delimiter(props.pop("VALUE_DELIMITER", None))
    key_delimiter = _delimiter(props.pop("KEY_DELIMITER", None))
    wrap = props.pop("WRAP_SINGLE_VALUE", None)
    window_type = props.pop("WINDOW_TYPE", None)
    window_size = props.pop("WINDOW_SIZE", None)
    source = Source(
        name=name,
        kind=kind,
        columns=tuple(columns),
        topic=str(topic),
        key_format=key_format,
        value_format=value_format,
        statement=text,
        timestamp_column=_column_name(str(timestamp)) if timestamp else None,
        timestamp_format=str(timestamp_format) if timestamp_format else None,
        is_source=is_source,
        value_delimiter=delimiter,
        key_delimiter=key_delimiter,
        wrap_single_value=None if wrap is None else bool(wrap),
    )
    if window_type is not None:
        source.windowed, source.window_size_ms = _window_props(str(window_type), window_size)
    if wrap is None and wrap_default is not None:
        source.wrap_single_value = _default_wrapping(source, wrap_default.lower() == "true")
    if source.timestamp_column:
        _check_timestamp_column(source)
    _check_key_types(source)
    _check_wrapping(source)
    # Build the serdes once now so an unusable format/column mix fails the CREATE, with the
    # wrapping ksqlDB puts around a format's reason.
    for side, fmt, side_columns, build in (
        ("Key", source.key_format, source.keys, key_serde),
        ("Value", source.value_format, source.values, value_serde),
    ):
        try:
            build(source)
        except KsqlStatementError as exc:
            schema = ", ".join(persistence_text(c) for c in side_columns)
            raise KsqlStatementError(
                f"{side} format does not support schema.\nformat: {fmt}\n"
                f"schema: Persistence{{columns=[{schema}], features=[]}}\nreason: {exc.message}"
            ) from exc
    if source.windowed and not source.keys:
        # CreateSourceCommand.validate, once the factory's checks passed.
        raise KsqlStatementError("Windowed sources require a key column.")
    existing = log.topic(source.topic)
    if existing is None:
        log.create_topic(source.topic, partitions or 1, replicas)
    elif partitions and existing.partitions != partitions:
        raise KsqlStatementError(
            f"A Kafka topic with the name '{source.topic}' already exists, with different "
            f"partition/replica configuration than required. KSQL expects {partitions} "
            f"partitions (topic has {existing.partitions}), {replicas} replication factor "
            f"(topic has {existing.replicas})."
        )
    return source


# The WITH properties that become a format's own configs (CreateSourceProperties), per side.
_KEY_CONFIGS = (
    ("KEY_SCHEMA_FULL_NAME", "fullSchemaName"),
    ("KEY_DELIMITER", "delimiter"),
    ("KEY_SCHEMA_ID", "schemaId"),
)
_VALUE_CONFIGS = (
    ("VALUE_AVRO_SCHEMA_FULL_NAME", "fullSchemaName"),
    ("VALUE_SCHEMA_FULL_NAME", "fullSchemaName"),
    ("VALUE_DELIMITER", "delimiter"),
    ("VALUE_SCHEMA_ID", "schemaId"),
)
# The configs each format takes (its getSupportedProperties); the others take none here.
_FORMAT_CONFIGS = {"DELIMITED": frozenset({"delimiter"})}


def _check_format_configs(
    fmt: str, props: dict[str, Any], configs: tuple[tuple[str, str], ...]
) -> None:
    """FormatProperties.validateProperties: a format refuses configs it does not take."""
    given = dict.fromkeys(config for prop, config in configs if props.get(prop) is not None)
    unsupported = [c for c in given if c not in _FORMAT_CONFIGS.get(fmt, frozenset())]
    if unsupported:
        raise KsqlStatementError(
            f"{fmt} does not support the following configs: [{', '.join(unsupported)}]"
        )


def _delimiter(value: Any) -> str:
    text = str(value or ",")
    return {"TAB": "\t", "SPACE": " "}.get(text.upper(), text)


def _check_key_kind(name: str, kind: str, primary: bool, where: str) -> None:
    # ksqlDB's CreateStream/CreateTable, prefixed with the column's NodeLocation.
    if kind == "STREAM" and primary:
        raise KsqlStatementError(
            f"{where}Column `{name}` is a 'PRIMARY KEY' column: please use 'KEY' for streams."
            f"\n{_KEY_HINT}"
        )
    if kind == "TABLE" and not primary:
        raise KsqlStatementError(
            f"{where}Column `{name}` is a 'KEY' column: please use 'PRIMARY KEY' for tables."
            f"\n{_KEY_HINT}"
        )


def _column_name(text: str) -> str:
    """A column named in a property value: backticks keep its case, otherwise upper case."""
    if len(text) > 1 and text.startswith("`") and text.endswith("`"):
        return text[1:-1]
    return text.upper()


def _window_props(kind: str, size: Any) -> tuple[str, int | None]:
    """WINDOW_TYPE and WINDOW_SIZE of a source over windowed data."""
    upper = kind.upper()
    if upper not in ("TUMBLING", "HOPPING", "SESSION"):
        raise KsqlStatementError(f"Invalid WINDOW_TYPE '{kind}': use TUMBLING, HOPPING or SESSION")
    if upper == "SESSION":
        if size is not None:
            raise KsqlStatementError("'WINDOW_SIZE' should not be set for SESSION windows.")
        return upper, None
    if size is None:
        raise KsqlStatementError(
            f"{upper} windows require 'WINDOW_SIZE' to be provided in the WITH clause."
        )
    return upper, window_size_ms(str(size))  # checked with the other properties


# java.util.concurrent.TimeUnit, in its order, as nanoseconds.
_TIME_UNIT_NS = {
    "NANOSECONDS": 1,
    "MICROSECONDS": 1_000,
    "MILLISECONDS": 1_000_000,
    "SECONDS": 1_000_000_000,
    "MINUTES": 60_000_000_000,
    "HOURS": 3_600_000_000_000,
    "DAYS": 86_400_000_000_000,
}


def window_size_ms(text: str) -> int:
    """A WINDOW_SIZE like ``'10 SECONDS'`` in milliseconds, read as ksqlDB's DurationParser
    reads it (a long and a TimeUnit, the plural S optional); ValueError says why not."""
    parts = re.split(r"\s", text)
    while parts and not parts[-1]:  # Java's split drops trailing empty strings
        parts.pop()
    if len(parts) != 2:
        raise ValueError(f"Invalid duration: '{text}'. Expected 2 tokens, got: {len(parts)}")
    if re.fullmatch(r"[+-]?[0-9]+", parts[0]) is None:
        raise ValueError(f"Invalid duration: '{text}'. Not numeric: '{parts[0]}'")
    unit = parts[1].upper()
    nanos = _TIME_UNIT_NS.get(unit if unit.endswith("S") else unit + "S")
    if nanos is None:
        raise ValueError(
            f"Invalid duration: '{text}'. Unknown time unit: '{unit}'\n"
            f"Supported time units are: {', '.join(_TIME_UNIT_NS)}"
        )
    return int(parts[0]) * nanos // 1_000_000


def check_timestamp_exists(props: dict[str, Any], columns: list[str]) -> None:
    """A query's TIMESTAMP property names one of its result's columns: ksqlDB checks it on the
    result before the keys (LogicalPlanner.buildOutputNode)."""
    timestamp = props.get("TIMESTAMP")
    if timestamp and (name := _column_name(str(timestamp))) not in columns:
        raise _missing_timestamp(name)


def _missing_timestamp(name: str | None) -> KsqlStatementError:
    return KsqlStatementError(
        f"The TIMESTAMP column set in the WITH clause does not exist in the schema: '{name}'"
    )


def _check_timestamp_column(source: Source) -> None:
    """The TIMESTAMP column must exist and be BIGINT, TIMESTAMP, or STRING with a format."""
    name = source.timestamp_column
    column = source.column(name) if name else None
    if column is None:
        raise _missing_timestamp(name)
    base = column.type.base
    if base in ("BIGINT", "TIMESTAMP") or (base == "STRING" and source.timestamp_format):
        return
    raise KsqlStatementError(
        f"Timestamp column, `{name}`, should be LONG(INT64), TIMESTAMP, or a String with a "
        "timestamp_format specified."
    )


def _contains_map(kind: SqlType) -> bool:
    if isinstance(kind, MapType):
        return True
    if isinstance(kind, ArrayType):
        return _contains_map(kind.element)
    if isinstance(kind, StructType):
        return any(_contains_map(t) for _, t in kind.fields)
    return False


def _check_key_types(source: Source) -> None:
    for column in source.keys:
        check_key_type(column.name, column.type)


def check_key_type(name: str, kind: SqlType) -> None:
    """ksqlDB refuses key columns that are or hold a MAP (their serialization is unstable)."""
    if _contains_map(kind):
        raise KsqlStatementError(
            "Map keys, including types that contain maps, are not supported as they may "
            "lead to unexpected behavior due to inconsistent serialization. Key column name: "
            f"`{name}`. Column type: {kind}. "
            "See https://github.com/confluentinc/ksql/issues/6621 for more."
        )


# The wrapping each format can be told to use (its supportedFeatures): True wraps, False not.
_WRAPPINGS = {
    "JSON": (True, False),
    "PROTOBUF_NOSR": (True, False),
    "KAFKA": (False,),
    "DELIMITED": (False,),
}


def _default_wrapping(source: Source, wrap: bool) -> bool | None:
    """SerdeFeaturesFactory's default value wrapping: the ``ksql.persistence.wrap.single.values``
    config, for a single value column in a format that supports it; otherwise none."""
    if len(source.values) != 1 or wrap not in _WRAPPINGS.get(source.value_format, ()):
        return None
    return wrap


def _check_wrapping(source: Source) -> None:
    """WRAP_SINGLE_VALUE needs a format that can wrap (or unwrap) as asked, then exactly one
    value column (ksqlDB's SerdeFeaturesFactory.validateExplicitValueWrapping)."""
    wrap = source.wrap_single_value
    if wrap is None:
        return
    if wrap not in _WRAPPINGS.get(source.value_format, ()):
        raise KsqlStatementError(
            f"Format '{source.value_format}' does not support 'WRAP_SINGLE_VALUE' set to "
            f"'{str(wrap).lower()}'."
        )
    if len(source.values) != 1:
        raise KsqlStatementError("'WRAP_SINGLE_VALUE' is only valid for single-field value schemas")
