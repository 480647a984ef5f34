"""ksqlDB's statements other than SELECT (CREATE, INSERT, DROP, ALTER, SHOW, DESCRIBE, EXPLAIN,
TERMINATE, PRINT, SET/UNSET, DEFINE/UNDEFINE, RUN SCRIPT, ASSERT): one parse method each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.tokenizer_core import TokenType

from ._nodes import (
    KsqlAlterSource,
    KsqlAlterSystem,
    KsqlAssertSchema,
    KsqlAssertTopic,
    KsqlCreate,
    KsqlCreateConnector,
    KsqlCreateType,
    KsqlDefine,
    KsqlDescribe,
    KsqlDrop,
    KsqlDuration,
    KsqlExplain,
    KsqlHeaderConstraint,
    KsqlHeadersConstraint,
    KsqlInsert,
    KsqlJoin,
    KsqlKeyConstraint,
    KsqlPauseResume,
    KsqlPrint,
    KsqlRunScript,
    KsqlSelect,
    KsqlSetProperty,
    KsqlShow,
    KsqlTerminate,
    KsqlUndefine,
    KsqlUnsetProperty,
    KsqlWindow,
    KsqlWithin,
)
from ._parse_base import _MORE_OR_CLOSE, _NOT_ALIASES, _SHOW_TARGETS, NO_VIABLE, KsqlParserBase


class KsqlStatementParser(KsqlParserBase):
    """The statement parse methods the dialect's dispatch table names."""

    # The dispatch table (first word -> parse method), filled in by the dialect's parser.
    STATEMENTS: ClassVar[dict[str, Callable[[Any], exp.Expr]]] = {}

    def _parse_ksql_query(self) -> KsqlSelect:
        """The rest of ``SELECT ...`` (SELECT consumed), in the grammar's clause order."""
        projections = self._parse_csv(self._parse_ksql_select_item)
        self._expect(TokenType.FROM, "FROM")
        args: dict[str, Any] = {
            "expressions": projections,
            "from_": self.expression(exp.From(this=self._parse_ksql_relation())),
        }
        joins = []
        while (join := self._parse_ksql_join()) is not None:
            joins.append(join)
        if joins:
            args["joins"] = joins
        if self._match(TokenType.WINDOW):
            args["window"] = self._parse_ksql_window()
        if self._match(TokenType.WHERE):
            args["where"] = self.expression(exp.Where(this=self._parse_ksql_expression()))
        if self._match(TokenType.GROUP_BY):
            args["group"] = self.expression(exp.Group(expressions=self._parse_ksql_value_list()))
        if self._match(TokenType.PARTITION_BY):
            args["partition_by"] = self.expression(
                exp.PartitionedByProperty(this=exp.Tuple(expressions=self._parse_ksql_value_list()))
            )
        if self._match(TokenType.HAVING):
            args["having"] = self.expression(exp.Having(this=self._parse_ksql_expression()))
        if self._match_text_seq("EMIT"):
            emit = self._word()
            if emit not in ("CHANGES", "FINAL"):
                raise self._error("Expecting CHANGES or FINAL after EMIT")
            self._advance()
            args["emit"] = exp.var(emit)
        if self._match(TokenType.LIMIT):
            args["limit"] = self.expression(
                exp.Limit(expression=self._parse_ksql_number("a row count after LIMIT"))
            )
        return self.expression(KsqlSelect(**args))

    def _parse_ksql_select_item(self) -> exp.Expr:
        if self._match(TokenType.STAR):
            return self.expression(exp.Star())
        this = self._parse_ksql_expression()
        if self._match(TokenType.ALIAS):
            alias = self._parse_ksql_identifier("an alias after AS")
        elif self._ksql_can_alias():
            alias = self._parse_ksql_identifier()
        else:
            return this
        return self.expression(exp.Alias(this=this, alias=alias))

    def _ksql_can_alias(self) -> bool:
        curr = self._curr
        if not curr or curr.token_type not in self.ID_VAR_TOKENS:
            return False
        return curr.token_type == TokenType.IDENTIFIER or curr.text.upper() not in _NOT_ALIASES

    def _parse_ksql_relation(self) -> exp.Table:
        table = self._parse_ksql_source_name()
        if self._match(TokenType.ALIAS):
            alias = self._parse_ksql_identifier("an alias after AS")
        elif self._ksql_can_alias():
            alias = self._parse_ksql_identifier()
        else:
            return table
        table.set("alias", self.expression(exp.TableAlias(this=alias)))
        return table

    def _parse_ksql_join(self) -> KsqlJoin | None:
        index = self._index
        side: str | None = None
        kind: str | None = None
        if self._match(TokenType.INNER):
            kind = "INNER"
        elif self._match_set((TokenType.LEFT, TokenType.RIGHT, TokenType.FULL)):
            side = self._prev.text.upper()
            if self._match(TokenType.OUTER):
                kind = "OUTER"
        if not self._match(TokenType.JOIN):
            self._retreat(index)
            return None
        args: dict[str, Any] = {"this": self._parse_ksql_relation(), "side": side, "kind": kind}
        if self._match_text_seq("WITHIN"):
            args["within"] = self._parse_ksql_within()
        self._expect(TokenType.ON, "ON after the joined source")
        args["on"] = self._parse_ksql_expression()
        return self.expression(KsqlJoin(**args))

    def _parse_ksql_within(self) -> KsqlWithin:
        if self._match(TokenType.L_PAREN):
            before = self._parse_ksql_duration()
            self._expect(TokenType.COMMA, "',' between the WITHIN durations")
            after: KsqlDuration | None = self._parse_ksql_duration()
            self._expect(TokenType.R_PAREN, "')' after the WITHIN durations")
        else:
            before, after = self._parse_ksql_duration(), None
        grace = self._parse_ksql_duration() if self._match_text_seq("GRACE", "PERIOD") else None
        return self.expression(KsqlWithin(this=before, after=after, grace=grace))

    def _parse_ksql_window(self) -> KsqlWindow:
        name: exp.Expr | None = None
        kind = self._word()
        if kind not in ("TUMBLING", "HOPPING", "SESSION"):
            name = self._parse_ksql_identifier("TUMBLING, HOPPING or SESSION")
            kind = self._word()
            if kind not in ("TUMBLING", "HOPPING", "SESSION"):
                raise self._error("Expecting TUMBLING, HOPPING or SESSION")
        kind_token = self._curr  # where ksqlDB locates the window (its WindowExpression)
        self._advance()
        self._expect(TokenType.L_PAREN, f"'(' after {kind}")
        args: dict[str, Any] = {"this": name, "kind": kind}
        if kind != "SESSION":
            self._expect_words("SIZE")
        args["size"] = self._parse_ksql_duration()
        if kind == "HOPPING":
            self._expect(TokenType.COMMA, "',' and ADVANCE BY")
            self._expect_words("ADVANCE", "BY")
            args["advance"] = self._parse_ksql_duration()
        while self._match(TokenType.COMMA):
            if "retention" not in args and self._match_text_seq("RETENTION"):
                args["retention"] = self._parse_ksql_duration()
            elif "grace" not in args and self._match_text_seq("GRACE", "PERIOD"):
                args["grace"] = self._parse_ksql_duration()
            else:
                raise self._error("Expecting RETENTION or GRACE PERIOD")
        self._expect(TokenType.R_PAREN, "')' to close the window")
        return self.expression(KsqlWindow(**args), kind_token)

    def _parse_ksql_create(self) -> exp.Expr:
        replace = bool(self._match_text_seq("OR", "REPLACE"))
        word = self._word()
        if word in ("SINK", "SOURCE") and self._next and self._next.text.upper() == "CONNECTOR":
            if replace:
                raise self._error("CREATE OR REPLACE is not supported for connectors")
            self._advance(2)
            return self._parse_ksql_create_connector(word)
        if word == "TYPE":
            if replace:
                raise self._error("CREATE OR REPLACE is not supported for types")
            self._advance()
            return self._parse_ksql_create_type()
        source = word == "SOURCE"
        if source:
            self._advance()
            word = self._word()
        if word not in ("STREAM", "TABLE"):
            raise self._error("Expecting STREAM, TABLE, TYPE or SOURCE/SINK CONNECTOR after CREATE")
        self._advance()
        exists = self._parse_ksql_if_not_exists()
        this: exp.Expr = self._parse_ksql_source_name()
        if self._match(TokenType.L_PAREN, advance=False):
            self._advance()
            columns = self._parse_csv(self._parse_ksql_column_def)
            if not self._match(TokenType.R_PAREN):
                raise self._error("Expecting ')' after the column list", ksqldb=_MORE_OR_CLOSE)
            this = self.expression(exp.Schema(this=this, expressions=columns))
        properties = self._parse_ksql_properties() if self._match(TokenType.WITH) else None
        query = None
        if self._match(TokenType.ALIAS):
            if source:
                raise self._error("CREATE SOURCE ... AS SELECT is not supported", self._prev)
            if isinstance(this, exp.Schema):
                raise self._error("A column list is not allowed with AS SELECT", self._prev)
            self._expect(TokenType.SELECT, "SELECT after AS")
            query = self._parse_ksql_query()
        return self.expression(
            KsqlCreate(
                this=this,
                kind=word,
                replace=replace or None,
                source=source or None,
                exists=exists or None,
                properties=properties,
                expression=query,
            )
        )

    def _parse_ksql_column_def(self) -> exp.ColumnDef:
        name = self._parse_ksql_identifier("a column name")
        kind = self._parse_ksql_type()
        constraints: list[exp.Expr] = []
        if self._match_text_seq("PRIMARY", "KEY"):
            constraints.append(exp.PrimaryKeyColumnConstraint())
        elif self._match_text_seq("KEY"):
            constraints.append(KsqlKeyConstraint())
        elif self._match_text_seq("HEADERS"):
            constraints.append(KsqlHeadersConstraint())
        elif self._match_text_seq("HEADER"):
            self._expect(TokenType.L_PAREN, "'(' after HEADER")
            key = self._parse_ksql_string("a header key")
            self._expect(TokenType.R_PAREN, "')' after the header key")
            constraints.append(KsqlHeaderConstraint(this=key))
        return self.expression(
            exp.ColumnDef(
                this=name,
                kind=kind,
                constraints=[exp.ColumnConstraint(kind=c) for c in constraints] or None,
            )
        )

    def _parse_ksql_create_type(self) -> KsqlCreateType:
        exists = self._parse_ksql_if_not_exists()
        name = self._parse_ksql_identifier("a type name")
        self._expect(TokenType.ALIAS, "AS after the type name")
        return self.expression(
            KsqlCreateType(this=name, kind=self._parse_ksql_type(), exists=exists or None)
        )

    def _parse_ksql_create_connector(self, kind: str) -> KsqlCreateConnector:
        exists = self._parse_ksql_if_not_exists()
        name = self._parse_ksql_identifier("a connector name")
        self._expect(TokenType.WITH, "WITH (...) after the connector name")
        return self.expression(
            KsqlCreateConnector(
                this=name,
                kind=kind,
                properties=self._parse_ksql_properties(),
                exists=exists or None,
            )
        )

    def _parse_ksql_insert(self) -> KsqlInsert:
        insert = self._prev  # ksqlDB locates INSERT INTO ... SELECT at its first word
        self._expect_words("INTO")
        table: exp.Expr = self._parse_ksql_source_name()
        if self._match(TokenType.L_PAREN):
            columns = self._parse_csv(lambda: self._parse_ksql_identifier("a column name"))
            self._expect(TokenType.R_PAREN, "')' after the column list")
            table = self.expression(exp.Schema(this=table, expressions=columns))
        if self._match(TokenType.VALUES):
            self._expect(TokenType.L_PAREN, "'(' after VALUES")
            if self._match(TokenType.R_PAREN):
                values: list[exp.Expr] = []
            else:
                values = self._parse_csv(self._parse_ksql_value_expression)
                self._expect(TokenType.R_PAREN, "')' after the values")
            row = self.expression(exp.Tuple(expressions=values))
            return self.expression(KsqlInsert(this=table, expression=exp.Values(expressions=[row])))
        if isinstance(table, exp.Schema):
            raise self._error("Expecting VALUES after the column list")
        properties = self._parse_ksql_properties() if self._match(TokenType.WITH) else None
        self._expect(TokenType.SELECT, "VALUES or SELECT")
        return self.expression(
            KsqlInsert(this=table, expression=self._parse_ksql_query(), properties=properties),
            insert,
        )

    def _parse_ksql_drop(self) -> KsqlDrop:
        kind = self._word()
        if kind not in ("STREAM", "TABLE", "TYPE", "CONNECTOR"):
            raise self._error("Expecting STREAM, TABLE, TYPE or CONNECTOR after DROP")
        self._advance()
        exists = bool(self._match_text_seq("IF", "EXISTS"))
        name = self._parse_ksql_identifier("a name")
        delete_topic = kind in ("STREAM", "TABLE") and bool(self._match_text_seq("DELETE", "TOPIC"))
        return self.expression(
            KsqlDrop(this=name, kind=kind, exists=exists or None, delete_topic=delete_topic or None)
        )

    def _parse_ksql_alter(self) -> exp.Expr:
        kind = self._word()
        if kind == "SYSTEM":
            self._advance()
            key = self._parse_ksql_string("a property name")
            self._expect(TokenType.EQ, "'='")
            return self.expression(
                KsqlAlterSystem(this=key, expression=self._parse_ksql_string("a value"))
            )
        if kind not in ("STREAM", "TABLE"):
            raise self._error("Expecting STREAM, TABLE or SYSTEM after ALTER")
        self._advance()
        name = self._parse_ksql_source_name()

        def _add_column() -> exp.Expr:
            self._expect_words("ADD")
            self._match_text_seq("COLUMN")
            column = self._parse_ksql_identifier("a column name")
            return self.expression(exp.ColumnDef(this=column, kind=self._parse_ksql_type()))

        return self.expression(
            KsqlAlterSource(this=name, kind=kind, expressions=self._parse_csv(_add_column))
        )

    def _parse_ksql_show(self) -> KsqlShow:
        verb = self._prev.text.upper()
        modifier: str | None = None
        word = self._word()
        if word == "ALL" and self._next and self._next.text.upper() == "TOPICS":
            modifier = "ALL"
        elif word in ("SOURCE", "SINK") and self._next and self._next.text.upper() == "CONNECTORS":
            modifier = word
        if modifier:
            self._advance()
            word = self._word()
        target = _SHOW_TARGETS.get(word or "")
        if target is None:
            raise self._error(f"Unknown statement '{verb} {self._curr.text if self._curr else ''}'")
        self._advance()
        allows_extended, follower = target
        if follower:
            self._expect_words(follower)
            word = f"{word} {follower}"
        extended = allows_extended and bool(self._match_text_seq("EXTENDED"))
        return self.expression(
            KsqlShow(
                this=exp.var(word),
                verb=exp.var("LIST") if verb == "LIST" else None,
                modifier=exp.var(modifier) if modifier else None,
                extended=extended or None,
            )
        )

    def _parse_ksql_describe(self) -> KsqlDescribe:
        word = self._word()
        following = self._next
        if word in ("STREAMS", "TABLES") and (
            not following
            or following.token_type == TokenType.SEMICOLON
            or following.text.upper() == "EXTENDED"
        ):
            self._advance()
            extended = bool(self._match_text_seq("EXTENDED"))
            return self.expression(KsqlDescribe(kind=exp.var(word), extended=extended or None))
        if word in ("FUNCTION", "CONNECTOR") and following:
            self._advance()
            name = self._parse_ksql_identifier(f"a {word.lower()} name")
            return self.expression(KsqlDescribe(this=name, kind=exp.var(word)))
        name = self._parse_ksql_identifier("a source name")
        extended = bool(self._match_text_seq("EXTENDED"))
        return self.expression(KsqlDescribe(this=name, extended=extended or None))

    def _parse_ksql_explain(self) -> KsqlExplain:
        word = self._word()
        if word is not None and word in self.STATEMENTS:
            return self.expression(KsqlExplain(this=self._parse_statement()))
        return self.expression(KsqlExplain(this=self._parse_ksql_identifier("a query id")))

    def _parse_ksql_terminate(self) -> KsqlTerminate:
        if self._match(TokenType.ALL):
            return self.expression(KsqlTerminate(all=True))
        return self.expression(KsqlTerminate(this=self._parse_ksql_identifier("a query id")))

    def _parse_ksql_pause_resume(self) -> KsqlPauseResume:
        kind = self._prev.text.upper()
        if self._match(TokenType.ALL):
            return self.expression(KsqlPauseResume(kind=kind, all=True))
        name = self._parse_ksql_identifier("a query id")
        return self.expression(KsqlPauseResume(this=name, kind=kind))

    def _parse_ksql_print(self) -> KsqlPrint:
        args: dict[str, Any] = {"this": self._parse_ksql_resource_name()}
        if self._match(TokenType.FROM):
            self._expect_words("BEGINNING")
            args["from_beginning"] = True
        if self._match_texts(("INTERVAL", "SAMPLE")):
            args["interval"] = self._parse_ksql_number("an interval")
        if self._match(TokenType.LIMIT):
            args["limit"] = self._parse_ksql_number("a row count after LIMIT")
        return self.expression(KsqlPrint(**args))

    def _parse_ksql_set(self) -> KsqlSetProperty:
        key = self._parse_ksql_string("a quoted property name")
        self._expect(TokenType.EQ, "'=' after the property name")
        value = self._parse_ksql_string("a quoted property value")
        return self.expression(KsqlSetProperty(this=key, expression=value))

    def _parse_ksql_unset(self) -> KsqlUnsetProperty:
        return self.expression(
            KsqlUnsetProperty(this=self._parse_ksql_string("a quoted property name"))
        )

    def _parse_ksql_variable_name(self) -> exp.Identifier:
        curr = self._curr
        if not curr or curr.token_type != TokenType.VAR or curr.text.startswith("${"):
            raise self._error("Expecting a variable name")
        self._advance()
        return self.expression(exp.Identifier(this=curr.text, quoted=False), curr)

    def _parse_ksql_define(self) -> KsqlDefine:
        name = self._parse_ksql_variable_name()
        self._expect(TokenType.EQ, "'=' after the variable name")
        value = self._parse_ksql_string("a quoted value")
        return self.expression(KsqlDefine(this=name, expression=value))

    def _parse_ksql_undefine(self) -> KsqlUndefine:
        return self.expression(KsqlUndefine(this=self._parse_ksql_variable_name()))

    def _parse_ksql_run_script(self) -> KsqlRunScript:
        self._expect_words("SCRIPT")
        return self.expression(KsqlRunScript(this=self._parse_ksql_string("a quoted script path")))

    def _parse_ksql_assert(self) -> exp.Expr:
        not_exists = bool(self._match_text_seq("NOT", "EXISTS")) or None
        if self._match_text_seq("TOPIC"):
            args: dict[str, Any] = {"this": self._parse_ksql_resource_name()}
            if self._match(TokenType.WITH):
                args["properties"] = self._parse_ksql_properties()
            if self._match_text_seq("TIMEOUT"):
                args["timeout"] = self._parse_ksql_duration()
            return self.expression(KsqlAssertTopic(not_exists=not_exists, **args))
        if self._match_text_seq("SCHEMA"):
            args = {}
            if self._match_text_seq("SUBJECT"):
                args["subject"] = self._parse_ksql_resource_name()
            if self._match_text_seq("ID"):
                args["id"] = self._parse_ksql_literal()
            if self._match_text_seq("TIMEOUT"):
                args["timeout"] = self._parse_ksql_duration()
            if not args.get("subject") and not args.get("id"):
                raise self._error("ASSERT SCHEMA needs a SUBJECT or an ID")
            return self.expression(KsqlAssertSchema(not_exists=not_exists, **args))
        raise self._error("Expecting TOPIC or SCHEMA after ASSERT", ksqldb=NO_VIABLE)
