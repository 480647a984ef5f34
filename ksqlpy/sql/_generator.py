"""The ksqlDB dialect's generator: trees printed back in ksqlDB's syntax."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from sqlglot import exp, generator

from ._nodes import (
    KsqlAlterSource,
    KsqlAlterSystem,
    KsqlAssertSchema,
    KsqlAssertTopic,
    KsqlCreate,
    KsqlCreateConnector,
    KsqlCreateType,
    KsqlDefine,
    KsqlDereference,
    KsqlDescribe,
    KsqlDrop,
    KsqlDuration,
    KsqlExplain,
    KsqlHeaderConstraint,
    KsqlHeadersConstraint,
    KsqlInsert,
    KsqlJoin,
    KsqlKeyConstraint,
    KsqlMap,
    KsqlPauseResume,
    KsqlPrint,
    KsqlRunScript,
    KsqlSelect,
    KsqlSetProperty,
    KsqlShow,
    KsqlStructAll,
    KsqlTerminate,
    KsqlUndefine,
    KsqlUnsetProperty,
    KsqlVariable,
    KsqlWindow,
    KsqlWithin,
)


def _duration_sql(self: KsqlGenerator, e: KsqlDuration) -> str:
    return f"{self.sql(e, 'this')} {self.sql(e, 'unit')}"


def _seq(*parts: str) -> str:
    return " ".join(p for p in parts if p)


class KsqlGenerator(generator.Generator):
    """Generator printing ksqlDB's syntax; statement layouts mirror the grammar."""

    TYPE_MAPPING: ClassVar[dict[exp.DType, str]] = {
        **generator.Generator.TYPE_MAPPING,
        exp.DType.TEXT: "STRING",
        exp.DType.VARBINARY: "BYTES",
        exp.DType.INT: "INTEGER",
    }

    TRANSFORMS: ClassVar[dict[type[exp.Expr], Callable[..., str]]] = {
        **generator.Generator.TRANSFORMS,
        exp.Lambda: lambda self, e: self.lambda_sql(e, arrow_sep="=>"),
        exp.PropertyEQ: lambda self, e: self.binary(e, ":="),
        exp.Struct: lambda self, e: f"STRUCT({self.expressions(e, flat=True)})",
        exp.Array: lambda self, e: f"ARRAY[{self.expressions(e, flat=True)}]",
        KsqlMap: lambda self, e: "MAP({})".format(
            ", ".join(
                f"{self.sql(k)} := {self.sql(v)}"
                for k, v in zip(e.args.get("keys") or [], e.args.get("values") or [], strict=True)
            )
        ),
        KsqlDereference: lambda self, e: f"{self.sql(e, 'this')}->{self.sql(e, 'expression')}",
        KsqlStructAll: lambda self, e: f"{self.sql(e, 'this')}->*",
        KsqlVariable: lambda self, e: "${" + e.name + "}",
        KsqlKeyConstraint: lambda self, e: "KEY",
        KsqlHeadersConstraint: lambda self, e: "HEADERS",
        KsqlHeaderConstraint: lambda self, e: f"HEADER({self.sql(e, 'this')})",
        KsqlDuration: _duration_sql,
        KsqlSelect: lambda self, e: self.ksql_select_sql(e),
        KsqlJoin: lambda self, e: self.ksql_join_sql(e),
        KsqlWindow: lambda self, e: self.ksql_window_sql(e),
        KsqlWithin: lambda self, e: self.ksql_within_sql(e),
        KsqlCreate: lambda self, e: self.ksql_create_sql(e),
        KsqlInsert: lambda self, e: self.ksql_insert_sql(e),
        KsqlCreateType: lambda self, e: _seq(
            "CREATE TYPE",
            "IF NOT EXISTS" if e.args.get("exists") else "",
            self.sql(e, "this"),
            "AS",
            self.sql(e, "kind"),
        ),
        KsqlCreateConnector: lambda self, e: _seq(
            f"CREATE {e.text('kind').upper()} CONNECTOR",
            "IF NOT EXISTS" if e.args.get("exists") else "",
            self.sql(e, "this"),
            "WITH",
            self.ksql_properties_sql(e.args["properties"]),
        ),
        KsqlDrop: lambda self, e: _seq(
            f"DROP {e.text('kind').upper()}",
            "IF EXISTS" if e.args.get("exists") else "",
            self.sql(e, "this"),
            "DELETE TOPIC" if e.args.get("delete_topic") else "",
        ),
        KsqlAlterSource: lambda self, e: _seq(
            f"ALTER {e.text('kind').upper()}",
            self.sql(e, "this"),
            ", ".join(f"ADD COLUMN {self.sql(c)}" for c in e.expressions),
        ),
        KsqlAlterSystem: lambda self, e: (
            f"ALTER SYSTEM {self.sql(e, 'this')}={self.sql(e, 'expression')}"
        ),
        KsqlShow: lambda self, e: _seq(
            "LIST" if e.args.get("verb") else "SHOW",
            self.sql(e, "modifier"),
            self.sql(e, "this"),
            "EXTENDED" if e.args.get("extended") else "",
        ),
        KsqlDescribe: lambda self, e: _seq(
            "DESCRIBE",
            self.sql(e, "kind"),
            self.sql(e, "this"),
            "EXTENDED" if e.args.get("extended") else "",
        ),
        KsqlExplain: lambda self, e: f"EXPLAIN {self.sql(e, 'this')}",
        KsqlTerminate: lambda self, e: (
            f"TERMINATE {'ALL' if e.args.get('all') else self.sql(e, 'this')}"
        ),
        KsqlPauseResume: lambda self, e: _seq(
            e.text("kind").upper(), "ALL" if e.args.get("all") else self.sql(e, "this")
        ),
        KsqlPrint: lambda self, e: _seq(
            "PRINT",
            self.sql(e, "this"),
            "FROM BEGINNING" if e.args.get("from_beginning") else "",
            f"INTERVAL {self.sql(e, 'interval')}" if e.args.get("interval") else "",
            f"LIMIT {self.sql(e, 'limit')}" if e.args.get("limit") else "",
        ),
        KsqlSetProperty: lambda self, e: f"SET {self.sql(e, 'this')}={self.sql(e, 'expression')}",
        KsqlUnsetProperty: lambda self, e: f"UNSET {self.sql(e, 'this')}",
        KsqlDefine: lambda self, e: f"DEFINE {self.sql(e, 'this')}={self.sql(e, 'expression')}",
        KsqlUndefine: lambda self, e: f"UNDEFINE {self.sql(e, 'this')}",
        KsqlRunScript: lambda self, e: f"RUN SCRIPT {self.sql(e, 'this')}",
        KsqlAssertTopic: lambda self, e: _seq(
            "ASSERT",
            "NOT EXISTS" if e.args.get("not_exists") else "",
            "TOPIC",
            self.sql(e, "this"),
            f"WITH {self.ksql_properties_sql(e.args['properties'])}"
            if e.args.get("properties")
            else "",
            f"TIMEOUT {self.sql(e, 'timeout')}" if e.args.get("timeout") else "",
        ),
        KsqlAssertSchema: lambda self, e: _seq(
            "ASSERT",
            "NOT EXISTS" if e.args.get("not_exists") else "",
            "SCHEMA",
            f"SUBJECT {self.sql(e, 'subject')}" if e.args.get("subject") else "",
            f"ID {self.sql(e, 'id')}" if e.args.get("id") else "",
            f"TIMEOUT {self.sql(e, 'timeout')}" if e.args.get("timeout") else "",
        ),
    }

    def ksql_properties_sql(self, properties: exp.Expr) -> str:
        items = ", ".join(
            f"{self.sql(p, 'this')}={self.sql(p, 'value')}" for p in properties.expressions
        )
        return f"({items})"

    def ksql_select_sql(self, e: KsqlSelect) -> str:
        sep = self.sep()
        parts = [f"SELECT {self.expressions(e, flat=True)}"]
        parts.append(f"FROM {self.sql(e.args['from_'], 'this')}")
        parts.extend(self.sql(j) for j in e.args.get("joins") or [])
        if e.args.get("window"):
            parts.append(f"WINDOW {self.sql(e, 'window')}")
        if e.args.get("where"):
            parts.append(f"WHERE {self.sql(e.args['where'], 'this')}")
        if e.args.get("group"):
            parts.append(f"GROUP BY {self.expressions(e.args['group'], flat=True) or '()'}")
        if e.args.get("partition_by"):
            parts.append(f"PARTITION BY {self.expressions(e.args['partition_by'].this, flat=True)}")
        if e.args.get("having"):
            parts.append(f"HAVING {self.sql(e.args['having'], 'this')}")
        if e.args.get("emit"):
            parts.append(f"EMIT {self.sql(e, 'emit')}")
        if e.args.get("limit"):
            parts.append(f"LIMIT {self.sql(e.args['limit'], 'expression')}")
        return sep.join(p for p in parts if p)

    def ksql_join_sql(self, e: KsqlJoin) -> str:
        within = f"WITHIN {self.sql(e, 'within')}" if e.args.get("within") else ""
        return _seq(
            self.sql(e, "side"),
            self.sql(e, "kind"),
            "JOIN",
            self.sql(e, "this"),
            within,
            f"ON {self.sql(e, 'on')}",
        )

    def ksql_within_sql(self, e: KsqlWithin) -> str:
        if e.args.get("after"):
            sizes = f"({self.sql(e, 'this')}, {self.sql(e, 'after')})"
        else:
            sizes = self.sql(e, "this")
        grace = f"GRACE PERIOD {self.sql(e, 'grace')}" if e.args.get("grace") else ""
        return _seq(sizes, grace)

    def ksql_window_sql(self, e: KsqlWindow) -> str:
        kind = e.text("kind").upper()
        items = [f"SIZE {self.sql(e, 'size')}" if kind != "SESSION" else self.sql(e, "size")]
        if e.args.get("advance"):
            items.append(f"ADVANCE BY {self.sql(e, 'advance')}")
        if e.args.get("retention"):
            items.append(f"RETENTION {self.sql(e, 'retention')}")
        if e.args.get("grace"):
            items.append(f"GRACE PERIOD {self.sql(e, 'grace')}")
        return _seq(self.sql(e, "this"), f"{kind} ({', '.join(items)})")

    def ksql_create_sql(self, e: KsqlCreate) -> str:
        return _seq(
            "CREATE",
            "OR REPLACE" if e.args.get("replace") else "",
            "SOURCE" if e.args.get("source") else "",
            e.text("kind").upper(),
            "IF NOT EXISTS" if e.args.get("exists") else "",
            self.sql(e, "this"),
            f"WITH {self.ksql_properties_sql(e.args['properties'])}"
            if e.args.get("properties")
            else "",
            f"AS {self.sql(e, 'expression')}" if e.args.get("expression") else "",
        )

    def ksql_insert_sql(self, e: KsqlInsert) -> str:
        return _seq(
            "INSERT INTO",
            self.sql(e, "this"),
            f"WITH {self.ksql_properties_sql(e.args['properties'])}"
            if e.args.get("properties")
            else "",
            self.sql(e, "expression"),
        )

    def datatype_sql(self, expression: exp.DataType) -> str:
        if expression.is_type(exp.DType.STRUCT) and not expression.expressions:
            return "STRUCT<>"
        return super().datatype_sql(expression)

    def not_sql(self, expression: exp.Not) -> str:
        # `a NOT IN (...)`, `a IS NOT NULL`: the way ksqlDB (and people) write them.
        this = expression.this
        if isinstance(this, exp.In):
            return f"{self.sql(this, 'this')} NOT IN ({self.expressions(this, flat=True)})"
        if isinstance(this, exp.Between):
            low, high = self.sql(this, "low"), self.sql(this, "high")
            return f"{self.sql(this, 'this')} NOT BETWEEN {low} AND {high}"
        if isinstance(this, exp.Is) and isinstance(this.expression, exp.Null):
            return f"{self.sql(this, 'this')} IS NOT NULL"
        return super().not_sql(expression)

    def values_sql(self, expression: exp.Values, values_as_table: bool = True) -> str:
        return "VALUES " + ", ".join(self.sql(row) for row in expression.expressions)
