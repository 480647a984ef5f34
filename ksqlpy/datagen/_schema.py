"""Declarative record schemas: fields, key and timestamp fields, shared id pools (the value
generators themselves are in ``_generators``).

A schema is plain data (a dict from a JSON/TOML file or a quickstart); :func:`parse_schema` checks
it completely up front, so mistakes surface as one :class:`DatagenSchemaError` naming the field,
never as a failure in the middle of a run. :meth:`Schema.generator` compiles it into one closure
per field over a seeded :class:`random.Random`, so that ``--seed`` reproduces every value.
"""

from __future__ import annotations

import json
import random
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ksqlpy._errors import DatagenSchemaError

from ._generators import (
    _IDENT,
    BUILTIN_POOLS,
    GENERATORS,
    Context,
    Gen,
    Pools,
    _int_type,
    _Params,
    _value_type,
)

_FIELD_KEYS = frozenset({"name", "gen", "type", "null_rate"})


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a schema: its name, generator kind, parameters and KSQL type."""

    name: str
    gen: str
    params: tuple[tuple[str, Any], ...]
    ksql_type: str
    null_rate: float = 0.0
    children: tuple[FieldSpec, ...] = ()  # struct fields, or the one item spec of an array

    def compile(self, rng: random.Random, pools: Pools, where: str) -> Gen:
        """Build the generator of this field over ``rng``."""
        params = dict(self.params)
        if self.gen == "struct":
            gens = [(c.name, c.compile(rng, pools, where)) for c in self.children]
            gen: Gen = lambda ctx: {n: g(ctx) for n, g in gens}  # noqa: E731
        elif self.gen == "array":
            item = self.children[0].compile(rng, pools, where)
            lo, hi, randint = params.get("min_items", 0), params.get("max_items", 3), rng.randint
            gen = lambda ctx: [item(ctx) for _ in range(randint(lo, hi))]  # noqa: E731
        else:
            gen = GENERATORS[self.gen].build(
                _Params(params, f"{where}: field '{self.name}'"), rng, pools
            )
        if self.null_rate <= 0:
            return gen
        rate, rand, inner = self.null_rate, rng.random, gen
        return lambda ctx: None if rand() < rate else inner(ctx)


@dataclass(frozen=True, slots=True)
class Schema:
    """A record shape: fields with generators, an optional key field and timestamp field."""

    name: str
    fields: tuple[FieldSpec, ...]
    key: str | None = None
    timestamp: str | None = None
    pools: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    source: str = "schema"

    @property
    def field_names(self) -> list[str]:
        """The top-level field names, in order."""
        return [f.name for f in self.fields]

    def field(self, name: str) -> FieldSpec:
        """The field called ``name`` (a :class:`DatagenSchemaError` names the choices if none)."""
        for f in self.fields:
            if f.name == name:
                return f
        raise DatagenSchemaError(
            f"{self.source}: no field '{name}'; fields are {', '.join(self.field_names)}"
        )

    @property
    def uses_time(self) -> bool:
        """Whether some field reads the clock (timestamp generators)."""

        def reads(fields: Sequence[FieldSpec]) -> bool:
            return any(f.gen == "timestamp" or reads(f.children) for f in fields)

        return reads(self.fields)

    def generator(self, rng: random.Random) -> Callable[[Context], dict[str, Any]]:
        """Compile to one function ``Context -> record`` whose values all come from ``rng``."""
        gens = [(f.name, f.compile(rng, self.pools, self.source)) for f in self.fields]
        return lambda ctx: {name: gen(ctx) for name, gen in gens}

    def with_key(self, key: str | None) -> Schema:
        """This schema with another key field (``None``: records without key)."""
        if key is not None:
            self.field(key)
        return replace(self, key=key)

    def with_fields(self, extra: Sequence[FieldSpec]) -> Schema:
        """This schema with more fields at the end (names must be new)."""
        taken = set(self.field_names)
        for f in extra:
            if f.name in taken:
                raise DatagenSchemaError(f"{self.source}: field '{f.name}' is already defined")
            taken.add(f.name)
        return replace(self, fields=self.fields + tuple(extra))

    def ksql_names(self) -> Schema:
        """This schema with every field named as ksqlDB names an unquoted column: upper case.

        Records generated from it carry the names that ``DESCRIBE`` shows for the stream of
        :meth:`ddl`, nested struct fields included, so rows and columns match exactly (on the
        ``/inserts-stream`` of real ksqlDB and of the local server alike).
        """
        fields = _upper_fields(self.fields, self.source)
        return replace(
            self,
            fields=fields,
            key=None if self.key is None else self.key.upper(),
            timestamp=None if self.timestamp is None else self.timestamp.upper(),
        )

    def ddl(
        self,
        stream: str,
        topic: str,
        value_format: str,
        key_format: str = "KAFKA",
        *,
        if_not_exists: bool = False,
        key_column: str | None = None,
        partitions: int | None = None,
        replicas: int | None = None,
    ) -> str:
        """A ksqlDB ``CREATE STREAM`` statement that reads what this schema produces.

        ``key_column`` names a separate KEY column holding the key field's value, which then
        stays a value column as well (ksqlDB keeps key columns out of the value otherwise).
        """
        cols = []
        if self.key is not None and key_column is not None:
            cols.append(f"{_quote(key_column)} {self.field(self.key).ksql_type} KEY")
        for f in self.fields:
            suffix = " KEY" if f.name == self.key and key_column is None else ""
            cols.append(f"{_quote(f.name)} {f.ksql_type}{suffix}")
        fmt = f"value_format='{value_format.upper()}'"
        if self.key:
            fmt += f", key_format='{key_format.upper()}'"
        if self.timestamp:
            fmt += f", timestamp='{self.timestamp}'"
        if partitions is not None:
            fmt += f", partitions={partitions}"
        if replicas is not None:
            fmt += f", replicas={replicas}"
        body = ",\n  ".join(cols)
        create = "CREATE STREAM IF NOT EXISTS" if if_not_exists else "CREATE STREAM"
        return f"{create} {quote_name(stream)} (\n  {body}\n) WITH (kafka_topic='{topic}', {fmt});"


def _composite_type(gen: str, children: Sequence[FieldSpec]) -> str:
    if gen == "struct":
        return "STRUCT<" + ", ".join(f"{_quote(c.name)} {c.ksql_type}" for c in children) + ">"
    return f"ARRAY<{children[0].ksql_type}>"


def _upper_fields(fields: Sequence[FieldSpec], where: str) -> tuple[FieldSpec, ...]:
    out: list[FieldSpec] = []
    seen: dict[str, str] = {}
    for f in fields:
        name = f.name.upper()
        if name in seen:
            raise DatagenSchemaError(
                f"{where}: fields '{seen[name]}' and '{f.name}' are the same ksqlDB column "
                f"{name} (ksqlDB column names are upper case); rename one"
            )
        seen[name] = f.name
        children = _upper_fields(f.children, f"{where}: field '{f.name}'")
        ksql_type = f.ksql_type
        # A declared type is kept; a derived struct/array type is re-derived from the new names.
        if f.children and ksql_type == _composite_type(f.gen, f.children):
            ksql_type = _composite_type(f.gen, children)
        out.append(replace(f, name=name, children=children, ksql_type=ksql_type))
    return tuple(out)


# Words that ksqlDB's grammar reserves or treats specially as column names.
_RESERVED = frozenset(
    {"by", "date", "emit", "from", "group", "having", "key", "size", "select", "stream"}
    | {"table", "time", "timestamp", "value", "where", "window"}
)


def _quote(name: str) -> str:
    if _IDENT.fullmatch(name) and name.lower() not in _RESERVED:
        return name
    return f"`{name}`"


def quote_name(name: str) -> str:
    """A stream or column name for a statement: backticked when needed or already."""
    if len(name) > 1 and name[0] == name[-1] == "`":
        return name
    return _quote(name)


def _build_pools(raw: Any, where: str) -> dict[str, tuple[Any, ...]]:
    specs: dict[str, Any] = dict(BUILTIN_POOLS)
    if raw is not None:
        if not isinstance(raw, Mapping):
            raise DatagenSchemaError(f"{where}: 'pools' must be a table of name -> pool")
        specs.update(raw)
    pools: dict[str, tuple[Any, ...]] = {}
    for name, spec in specs.items():
        p = _Params(spec if isinstance(spec, Mapping) else {}, f"{where}: pool '{name}'")
        if not isinstance(spec, Mapping):
            raise p.error("must be {pattern, size[, start]} or {values}")
        unknown = set(spec) - {"pattern", "size", "start", "values"}
        if unknown:
            raise p.error(f"unknown keys {sorted(unknown)}; use pattern/size/start or values")
        if "values" in spec:
            values = spec["values"]
            if not isinstance(values, list) or not values:
                raise p.error("'values' must be a non-empty list")
            pools[name] = tuple(values)
            continue
        pattern, size, start = p.text("pattern"), p.integer("size"), p.integer("start", 1)
        if "{n}" not in pattern:
            raise p.error("'pattern' must contain {n}, e.g. 'User_{n}'")
        if size < 1:
            raise p.error("'size' must be 1 or more")
        pools[name] = tuple(pattern.replace("{n}", str(n)) for n in range(start, start + size))
    return pools


def _parse_field(raw: Any, where: str, pools: Pools, *, item: bool = False) -> FieldSpec:
    if not isinstance(raw, Mapping):
        raise DatagenSchemaError(f"{where}: each field must be a table, not {raw!r}")
    name = "item" if item else raw.get("name")
    if not isinstance(name, str) or not name:
        raise DatagenSchemaError(f"{where}: a field has no 'name'")
    here = f"{where}: field '{name}'"
    gen = raw.get("gen")
    if gen not in GENERATORS:
        known = ", ".join(sorted(GENERATORS))
        raise DatagenSchemaError(f"{here}: unknown generator {gen!r}; known generators: {known}")
    gen_def = GENERATORS[gen]
    unknown = set(raw) - _FIELD_KEYS - gen_def.params - ({"name"} if item else set())
    if unknown:
        allowed = ", ".join(sorted(gen_def.params)) or "none"
        raise DatagenSchemaError(
            f"{here}: unknown keys {sorted(unknown)} for generator '{gen}' (its keys: {allowed})"
        )
    params = {k: v for k, v in raw.items() if k in gen_def.params}
    null_rate = raw.get("null_rate", 0.0)
    if (
        isinstance(null_rate, bool)
        or not isinstance(null_rate, int | float)
        or not 0 <= null_rate <= 1
    ):
        raise DatagenSchemaError(f"{here}: 'null_rate' must be a number between 0 and 1")
    children: tuple[FieldSpec, ...] = ()
    if gen == "struct":
        sub = params.get("fields")
        if not isinstance(sub, list) or not sub:
            raise DatagenSchemaError(f"{here}: 'fields' must be a non-empty list of fields")
        children = tuple(_parse_field(f, here, pools) for f in sub)
        _check_unique(children, here)
        ksql_type = _composite_type(gen, children)
    elif gen == "array":
        items = params.get("items")
        children = (_parse_field(items, here, pools, item=True),)
        p = _Params(params, here)
        lo, hi = p.integer("min_items", 0), p.integer("max_items", 3)
        if not 0 <= lo <= hi:
            raise DatagenSchemaError(f"{here}: need 0 <= 'min_items' <= 'max_items'")
        ksql_type = _composite_type(gen, children)
    else:
        p = _Params(params, here)
        # Build once now so that every parameter error shows up before the run starts.
        gen_def.build(p, random.Random(0), pools)
        ksql_type = _infer_type(gen, params, pools)
    declared = raw.get("type")
    if declared is not None:
        if not isinstance(declared, str):
            raise DatagenSchemaError(f"{here}: 'type' must be a KSQL type name such as 'BIGINT'")
        ksql_type = declared.upper()
    frozen = tuple(sorted(params.items()))
    return FieldSpec(name, gen, frozen, ksql_type, float(null_rate), children)


def _infer_type(gen: str, params: Mapping[str, Any], pools: Pools) -> str:
    fixed = GENERATORS[gen].ksql_type
    if fixed is not None:
        return fixed
    if gen == "int":
        return _int_type(params["min"], params["max"])
    if gen == "choice":
        return _value_type(params["options"][0])
    if gen == "const":
        return _value_type(params.get("value"))
    if gen == "pool":
        return _value_type(pools[params["pool"]][0])
    if gen == "timestamp":
        return "STRING" if params.get("format") else "BIGINT"
    return "STRING"


def _check_unique(fields: Sequence[FieldSpec], where: str) -> None:
    seen: set[str] = set()
    for f in fields:
        if f.name in seen:
            raise DatagenSchemaError(f"{where}: field '{f.name}' is defined twice")
        seen.add(f.name)


def parse_schema(data: Any, source: str = "schema") -> Schema:
    """Check a schema given as plain data and return it; every mistake is a DatagenSchemaError.

    Shape (JSON shown; TOML works the same)::

        {"name": "users", "key": "userid", "timestamp": "registertime",
         "pools": {"user": {"pattern": "User_{n}", "size": 100}},
         "fields": [
           {"name": "userid", "gen": "pool", "pool": "user", "pick": "sequence"},
           {"name": "registertime", "gen": "timestamp", "offset": ["-30d", "0"]},
           {"name": "gender", "gen": "choice", "options": ["MALE", "FEMALE", "OTHER"]}]}
    """
    if not isinstance(data, Mapping):
        raise DatagenSchemaError(f"{source}: a schema must be a table with 'fields'")
    unknown = set(data) - {"name", "key", "timestamp", "pools", "fields"}
    if unknown:
        raise DatagenSchemaError(
            f"{source}: unknown keys {sorted(unknown)}; use name, key, timestamp, pools, fields"
        )
    pools = _build_pools(data.get("pools"), source)
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise DatagenSchemaError(f"{source}: 'fields' must be a non-empty list of fields")
    fields = tuple(_parse_field(f, source, pools) for f in raw_fields)
    _check_unique(fields, source)
    name = data.get("name", "records")
    if not isinstance(name, str):
        raise DatagenSchemaError(f"{source}: 'name' must be a string")
    schema = Schema(name, fields, None, None, pools, source)
    key = data.get("key")
    if key is not None:
        if not isinstance(key, str):
            raise DatagenSchemaError(f"{source}: 'key' must be the name of a field")
        schema = schema.with_key(key)
    ts = data.get("timestamp")
    if ts is not None:
        if not isinstance(ts, str) or schema.field(ts).ksql_type != "BIGINT":
            raise DatagenSchemaError(
                f"{source}: 'timestamp' must name a BIGINT field of epoch milliseconds"
            )
        schema = replace(schema, timestamp=ts)
    return schema


def load_schema(path: str | Path) -> Schema:
    """Read and check a schema file: ``.toml`` as TOML, anything else as JSON."""
    file = Path(path)
    source = f"schema file {str(path)!r}"
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise DatagenSchemaError(f"{source}: cannot read it ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise DatagenSchemaError(f"{source}: not UTF-8 text") from exc
    try:
        if file.suffix.lower() == ".toml":
            data: Any = tomllib.loads(text)
        else:
            data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatagenSchemaError(
            f"{source}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise DatagenSchemaError(f"{source}: invalid TOML: {exc}") from exc
    return parse_schema(data, source)
