"""The ksqlDB dialect for sqlglot: tokenizer, parser and generator.

Statements are dispatched on their first word to KSQL-specific parse methods (ksqlDB's grammar is
small and differs from ANSI SQL at the statement level); expressions reuse sqlglot's expression
parser with ksqlDB's operators (``->``, ``=>`` lambdas, ``MAP(k := v)``, ``STRUCT(a := v)``).
The grammar followed is ksqlDB's ``SqlBase.g4``.

>>> import sqlglot
>>> sqlglot.parse_one("SELECT s->a FROM t EMIT CHANGES;", read="ksql").sql("ksql")
'SELECT s->a FROM t EMIT CHANGES'
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any, ClassVar

from sqlglot import exp, generator, parser, tokens
from sqlglot.dialects.dialect import Dialect, NormalizationStrategy
from sqlglot.errors import ParseError
from sqlglot.tokenizer_core import Token, TokenType

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

__all__ = ["END_OF_INPUT", "KSQL", "NO_VIABLE"]

# Appended to a parse error's description when the statement ended too early; the error then
# points just after the token it names.
END_OF_INPUT = " <at end of input>"

# A parse error's ``ksqldb`` detail where ksqlDB's ANTLR parser finds no alternative of a rule
# that fits the token (``NoViableAltException``): ksqlDB then says ``Syntax error at or near``.
NO_VIABLE = "no viable alternative"

# Window and duration units of the grammar (``windowUnit``), singular and plural.
TIME_UNITS = frozenset(
    {
        "DAY",
        "DAYS",
        "HOUR",
        "HOURS",
        "MINUTE",
        "MINUTES",
        "SECOND",
        "SECONDS",
        "MILLISECOND",
        "MILLISECONDS",
    }
)

# Reserved words of ksqlDB that the tokenizer below leaves as plain words: never an unquoted
# alias, so `FROM t EMIT CHANGES` and `JOIN b WITHIN 1 HOUR` are not read as `t AS EMIT`.
_NOT_ALIASES = frozenset({"EMIT", "WITHIN", "CHANGES", "FINAL", "GROUP", "PARTITION"})

# SHOW/LIST targets: the word after SHOW, whether EXTENDED is allowed, and a required follower.
_SHOW_TARGETS: dict[str, tuple[bool, str | None]] = {
    "PROPERTIES": (False, None),
    "TOPICS": (True, None),
    "STREAMS": (True, None),
    "TABLES": (True, None),
    "FUNCTIONS": (False, None),
    "CONNECTORS": (False, None),
    "CONNECTOR": (False, "PLUGINS"),
    "TYPES": (False, None),
    "VARIABLES": (False, None),
    "QUERIES": (True, None),
}


# ksqlDB's detail when a column list goes on after a complete column (ANTLR's expected set).
_MORE_OR_CLOSE = "Expecting {',', ')'}"

_OPEN = frozenset({TokenType.L_PAREN, TokenType.L_BRACKET})
_CLOSE = frozenset({TokenType.R_PAREN, TokenType.R_BRACKET})


def _first_at_depth(tokens: list[Token], token_type: TokenType, depth: int = 1) -> Token | None:
    """The first token of ``token_type`` nested ``depth`` brackets deep in ``tokens``."""
    level = 0
    for token in tokens:
        if token.token_type in _OPEN:
            level += 1
        elif token.token_type in _CLOSE:
            level -= 1
        elif token.token_type == token_type and level == depth:
            return token
    return None


def _build_lambda(self: KsqlParser, expressions: list[exp.Expr]) -> exp.Lambda:
    body = self._parse_disjunction()
    if body is None:
        raise self._error("Expecting a lambda body after '=>'")
    return self.expression(
        exp.Lambda(this=self._replace_lambda(body, expressions), expressions=expressions)
    )


def _build_dereference(self: KsqlParser, this: exp.Expr, field: exp.Expr | None) -> exp.Expr:
    if isinstance(field, exp.Star):
        return self.expression(KsqlStructAll(this=this))
    if isinstance(field, exp.Column) and not field.table:
        return self.expression(KsqlDereference(this=this, expression=field.this))
    if isinstance(field, exp.Identifier):
        return self.expression(KsqlDereference(this=this, expression=field))
    raise self._error("Expecting a field name after '->'")


class KsqlTokenizer(tokens.Tokenizer):
    """Tokenizer with ksqlDB's lexical rules: backtick/double-quote identifiers, no commands."""

    IDENTIFIERS: ClassVar[list[str | tuple[str, str]]] = ["`", '"']
    QUOTES: ClassVar[list[tuple[str, str] | str]] = ["'"]
    STRING_ESCAPES: ClassVar[list[str]] = ["'"]
    COMMENTS: ClassVar[list[str | tuple[str, str]]] = ["--", ("/*", "*/")]
    # ksqlDB's BRACKETED_COMMENT is '/*' .*? '*/': the first */ ends it.
    NESTED_COMMENTS = False
    # `${name}` is one variable token; '@' may appear inside identifiers.
    VAR_SINGLE_TOKENS: ClassVar[set[str]] = {"{", "}", "@"}
    # SHOW, EXPLAIN ... are ordinary statements here, never swallowed as raw commands.
    COMMANDS: ClassVar[set[TokenType]] = set()

    KEYWORDS: ClassVar[dict[str, TokenType]] = {
        "||": TokenType.DPIPE,
        ">=": TokenType.GTE,
        "<=": TokenType.LTE,
        "<>": TokenType.NEQ,
        "!=": TokenType.NEQ,
        ":=": TokenType.COLON_EQ,
        "->": TokenType.ARROW,
        "=>": TokenType.FARROW,
        "ALL": TokenType.ALL,
        "AND": TokenType.AND,
        "AS": TokenType.ALIAS,
        "BETWEEN": TokenType.BETWEEN,
        "CASE": TokenType.CASE,
        "DISTINCT": TokenType.DISTINCT,
        "ELSE": TokenType.ELSE,
        "END": TokenType.END,
        "ESCAPE": TokenType.ESCAPE,
        "EXISTS": TokenType.EXISTS,
        "FALSE": TokenType.FALSE,
        "FROM": TokenType.FROM,
        "FULL": TokenType.FULL,
        "GROUP BY": TokenType.GROUP_BY,
        "HAVING": TokenType.HAVING,
        "IN": TokenType.IN,
        "INNER": TokenType.INNER,
        "IS": TokenType.IS,
        "JOIN": TokenType.JOIN,
        "LEFT": TokenType.LEFT,
        "LIKE": TokenType.LIKE,
        "LIMIT": TokenType.LIMIT,
        "NOT": TokenType.NOT,
        "NULL": TokenType.NULL,
        "ON": TokenType.ON,
        "OR": TokenType.OR,
        "OUTER": TokenType.OUTER,
        "PARTITION BY": TokenType.PARTITION_BY,
        "RIGHT": TokenType.RIGHT,
        "SELECT": TokenType.SELECT,
        "THEN": TokenType.THEN,
        "TRUE": TokenType.TRUE,
        "VALUES": TokenType.VALUES,
        "WHEN": TokenType.WHEN,
        "WHERE": TokenType.WHERE,
        "WINDOW": TokenType.WINDOW,
        "WITH": TokenType.WITH,
        # types
        "ARRAY": TokenType.ARRAY,
        "BIGINT": TokenType.BIGINT,
        "BOOLEAN": TokenType.BOOLEAN,
        "BYTES": TokenType.VARBINARY,
        "DATE": TokenType.DATE,
        "DECIMAL": TokenType.DECIMAL,
        "DOUBLE": TokenType.DOUBLE,
        "INT": TokenType.INT,
        "INTEGER": TokenType.INT,
        "MAP": TokenType.MAP,
        "STRING": TokenType.TEXT,
        "STRUCT": TokenType.STRUCT,
        "TIME": TokenType.TIME,
        "TIMESTAMP": TokenType.TIMESTAMP,
        "VARCHAR": TokenType.VARCHAR,
    }


class KsqlParser(parser.Parser):
    """Parser for ksqlDB statements; every statement kind has its own method."""

    _TYPE_KEYWORDS: ClassVar[set[TokenType]] = {
        TokenType.ARRAY,
        TokenType.BIGINT,
        TokenType.BOOLEAN,
        TokenType.VARBINARY,
        TokenType.DATE,
        TokenType.DECIMAL,
        TokenType.DOUBLE,
        TokenType.INT,
        TokenType.MAP,
        TokenType.TEXT,
        TokenType.STRUCT,
        TokenType.TIME,
        TokenType.TIMESTAMP,
        TokenType.VARCHAR,
    }

    ID_VAR_TOKENS: ClassVar[set[TokenType]] = {
        TokenType.VAR,
        TokenType.IDENTIFIER,
        TokenType.ESCAPE,
        *_TYPE_KEYWORDS,
    }
    TABLE_ALIAS_TOKENS: ClassVar[set[TokenType]] = ID_VAR_TOKENS
    ALIAS_TOKENS: ClassVar[set[TokenType]] = ID_VAR_TOKENS
    COLON_PLACEHOLDER_TOKENS: ClassVar[set[TokenType]] = ID_VAR_TOKENS
    FUNC_TOKENS: ClassVar[set[TokenType]] = {TokenType.VAR, TokenType.IDENTIFIER, *_TYPE_KEYWORDS}
    TYPE_TOKENS: ClassVar[set[TokenType]] = _TYPE_KEYWORDS
    NO_PAREN_FUNCTIONS: ClassVar[dict[TokenType, type[exp.Expr]]] = {}
    NO_PAREN_FUNCTION_PARSERS: ClassVar[dict[str, Callable[[Any], exp.Expr]]] = {
        "CASE": parser.Parser.NO_PAREN_FUNCTION_PARSERS["CASE"],
    }
    BRACKETS: ClassVar[frozenset[TokenType]] = frozenset({TokenType.L_BRACKET})
    # Every function is an exp.Anonymous that keeps its name: ksqlDB has its own function
    # library, and sqlglot's builders would rename (LEN -> LENGTH) or reject arities.
    FUNCTIONS: ClassVar[dict[str, Callable[..., exp.Expr]]] = {}
    FUNCTION_PARSERS: ClassVar[dict[str, Callable[[Any], exp.Expr]]] = {
        "CAST": parser.Parser.FUNCTION_PARSERS["CAST"],
        "MAP": lambda self: self._parse_ksql_map(),
        "STRUCT": lambda self: self._parse_ksql_struct(),
    }
    LAMBDAS: ClassVar[dict[TokenType, Callable[..., exp.Expr]]] = {
        TokenType.FARROW: _build_lambda,
    }
    COLUMN_OPERATORS: ClassVar[dict[TokenType, Any]] = {
        TokenType.DOT: None,
        TokenType.ARROW: _build_dereference,
    }
    STRICT_CAST = True

    # Dispatch table for ``literal`` (property values, ASSERT SCHEMA ID): token type -> parser.
    LITERALS: ClassVar[dict[TokenType, Callable[[KsqlParser], exp.Expr]]] = {
        TokenType.STRING: lambda self: self._parse_ksql_string(),
        TokenType.NUMBER: lambda self: self._parse_ksql_number("a literal"),
        TokenType.DASH: lambda self: self._parse_ksql_number("a literal"),
        TokenType.TRUE: lambda self: self._parse_ksql_word_literal(exp.Boolean(this=True)),
        TokenType.FALSE: lambda self: self._parse_ksql_word_literal(exp.Boolean(this=False)),
        TokenType.NULL: lambda self: self._parse_ksql_word_literal(exp.Null()),
        TokenType.VAR: lambda self: self._parse_ksql_variable_literal(),
    }

    # Dispatch table: first word of a statement -> parse method (the word is consumed).
    STATEMENTS: ClassVar[dict[str, Callable[[KsqlParser], exp.Expr]]] = {
        "SELECT": lambda self: self._parse_ksql_query(),
        "CREATE": lambda self: self._parse_ksql_create(),
        "INSERT": lambda self: self._parse_ksql_insert(),
        "DROP": lambda self: self._parse_ksql_drop(),
        "ALTER": lambda self: self._parse_ksql_alter(),
        "SHOW": lambda self: self._parse_ksql_show(),
        "LIST": lambda self: self._parse_ksql_show(),
        "DESCRIBE": lambda self: self._parse_ksql_describe(),
        "EXPLAIN": lambda self: self._parse_ksql_explain(),
        "TERMINATE": lambda self: self._parse_ksql_terminate(),
        "PAUSE": lambda self: self._parse_ksql_pause_resume(),
        "RESUME": lambda self: self._parse_ksql_pause_resume(),
        "PRINT": lambda self: self._parse_ksql_print(),
        "SET": lambda self: self._parse_ksql_set(),
        "UNSET": lambda self: self._parse_ksql_unset(),
        "DEFINE": lambda self: self._parse_ksql_define(),
        "UNDEFINE": lambda self: self._parse_ksql_undefine(),
        "RUN": lambda self: self._parse_ksql_run_script(),
        "ASSERT": lambda self: self._parse_ksql_assert(),
    }

    # --- helpers ---------------------------------------------------------------------------------

    def _error(self, message: str, token: Token | None = None, ksqldb: str = "") -> ParseError:
        """A ParseError located at ``token`` (default: the current token), for ``raise``.

        ``ksqldb`` is the detail ksqlDB's ANTLR parser gives at that point (``NO_VIABLE`` or
        its text, such as ``Expecting {',', ')'}``), kept as ``ksqldb`` in the error's info.
        """
        try:
            if token is None and not self._curr and self._prev:
                # Past the last token: point just after it and say so.
                self.raise_error(message + END_OF_INPUT, self._prev)
            elif token is None:
                self.raise_error(message)
            else:
                self.raise_error(message, token)
        except ParseError as error:
            if ksqldb and error.errors:
                error.errors[0]["ksqldb"] = ksqldb
            raise
        return ParseError(message)  # only reached with a non-raising error level

    def _word(self) -> str | None:
        """The upper-cased text of the current token if it is a plain word, else None."""
        curr = self._curr
        if not curr or curr.token_type in self.TEXT_MATCH_EXCLUDED_TOKENS:
            return None
        return curr.text.upper()

    def _expect_words(self, *words: str) -> None:
        if not self._match_text_seq(*words):
            raise self._error(f"Expecting {' '.join(words)}")

    def _expect(self, token_type: TokenType, what: str) -> None:
        if not self._match(token_type):
            raise self._error(f"Expecting {what}")

    def _parse_ksql_identifier(self, what: str = "an identifier") -> exp.Expr:
        curr = self._curr
        if curr:
            if curr.token_type == TokenType.VAR and curr.text.startswith("${"):
                return self._parse_ksql_variable()
            if curr.token_type == TokenType.IDENTIFIER:
                self._advance()
                return self.expression(exp.Identifier(this=curr.text, quoted=True), curr)
            if curr.token_type in self.ID_VAR_TOKENS:
                self._advance()
                return self.expression(exp.Identifier(this=curr.text, quoted=False), curr)
        raise self._error(f"Expecting {what}")

    def _parse_ksql_variable(self) -> exp.Expr:
        token = self._curr
        text = token.text
        if not (text.startswith("${") and text.endswith("}") and len(text) > 3):
            raise self._error(f"Invalid variable reference '{text}'")
        self._advance()
        return self.expression(KsqlVariable(this=text[2:-1]), token)

    def _parse_ksql_source_name(self) -> exp.Table:
        return self.expression(exp.Table(this=self._parse_ksql_identifier("a source name")))

    def _parse_ksql_resource_name(self) -> exp.Expr:
        if self._curr and self._curr.token_type == TokenType.STRING:
            string = self._parse_string()
            assert string is not None
            return string
        return self._parse_ksql_identifier("a name")

    def _parse_ksql_string(self, what: str = "a string") -> exp.Expr:
        if self._curr and self._curr.token_type == TokenType.VAR and self._curr.text[:2] == "${":
            return self._parse_ksql_variable()
        if not self._match(TokenType.STRING):
            raise self._error(f"Expecting {what}")
        return self.expression(exp.Literal.string(self._prev.text), self._prev)

    def _parse_ksql_number(self, what: str = "a number") -> exp.Expr:
        negative = self._match(TokenType.DASH)
        if not self._match(TokenType.NUMBER):
            raise self._error(f"Expecting {what}")
        number: exp.Expr = self.expression(exp.Literal.number(self._prev.text), self._prev)
        if negative:
            number = self.expression(exp.Neg(this=number))
        return number

    def _parse_ksql_literal(self) -> exp.Expr:
        """The grammar's ``literal``: string, number, boolean, NULL or a variable."""
        curr = self._curr
        parse = self.LITERALS.get(curr.token_type) if curr else None
        if parse is None:
            raise self._error("Expecting a literal")
        return parse(self)

    def _parse_ksql_word_literal(self, node: exp.Expr) -> exp.Expr:
        self._advance()
        return self.expression(node)

    def _parse_ksql_variable_literal(self) -> exp.Expr:
        if not self._curr.text.startswith("${"):
            raise self._error("Expecting a literal")
        return self._parse_ksql_variable()

    def _parse_ksql_duration(self) -> KsqlDuration:
        number = self._parse_ksql_number("a duration")
        unit = self._word()
        if unit not in TIME_UNITS:
            raise self._error("Expecting a time unit (MILLISECONDS, SECONDS, MINUTES, HOURS, DAYS)")
        self._advance()
        return self.expression(KsqlDuration(this=number, unit=exp.var(unit)))

    def _parse_ksql_properties(self) -> exp.Properties:
        """``(key = literal, ...)`` after WITH: keys are kept as written, never interpreted."""
        self._expect(TokenType.L_PAREN, "'(' after WITH")

        def _property() -> exp.Expr:
            key: exp.Expr
            if self._curr and self._curr.token_type == TokenType.STRING:
                key = self._parse_ksql_string()
            else:
                key = self._parse_ksql_identifier("a property name")
            self._expect(TokenType.EQ, "'=' after the property name")
            return self.expression(exp.Property(this=key, value=self._parse_ksql_literal()))

        props = self._parse_csv(_property)
        self._expect(TokenType.R_PAREN, "')' to close WITH (...)")
        return self.expression(exp.Properties(expressions=props))

    def _parse_ksql_if_not_exists(self) -> bool:
        return bool(self._match_text_seq("IF", "NOT", "EXISTS"))

    # --- statements ------------------------------------------------------------------------------

    def _parse_statement(self) -> exp.Expr | None:
        curr = self._curr
        if not curr:
            return None
        if curr.token_type == TokenType.SEMICOLON:
            # sqlglot gives a `;` that carries a comment a chunk of its own: not a statement.
            self._advance()
            return None
        handler = None
        if curr.token_type not in self.TEXT_MATCH_EXCLUDED_TOKENS:
            handler = self.STATEMENTS.get(curr.text.upper())
        if handler is None:
            raise self._error(f"Unknown statement '{curr.text}'")
        comments = curr.comments
        self._advance()
        stmt = handler(self)
        if comments:
            stmt.add_comments(comments, prepend=True)
        return stmt

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

    def _parse_ksql_expression(self) -> exp.Expr:
        expression = self._parse_disjunction()
        if expression is None:
            raise self._error("Expecting an expression")
        return expression

    def _parse_ksql_value_expression(self) -> exp.Expr:
        expression = self._parse_bitwise()
        if expression is None:
            raise self._error("Expecting an expression")
        return expression

    def _parse_ksql_value_list(self) -> list[exp.Expr]:
        """``v, v, ...`` or ``(v, v, ...)`` (GROUP BY and PARTITION BY)."""
        index = self._index
        if self._match(TokenType.L_PAREN):
            if self._match(TokenType.R_PAREN):
                return []
            values = self._parse_csv(self._parse_ksql_value_expression)
            if len(values) > 1 and self._match(TokenType.R_PAREN):
                return values
            # One value: `(a) + 1, b` is an ordinary expression list.
            self._retreat(index)
        return self._parse_csv(self._parse_ksql_value_expression)

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

    def _parse_ksql_type(self) -> exp.Expr:
        start = self._index
        kind = self._parse_types(check_func=False, allow_identifiers=True)
        if kind is None:
            raise self._error("Expecting a type")
        # The grammar's typeParameter is an integer or the word STRING: DECIMAL(10, 2),
        # VARCHAR(STRING); ANTLR stops at the first token after '(' or ',' that is neither.
        tokens = self._tokens[start : self._index]
        depth = 0
        for before, token in pairwise(tokens):
            depth += (before.token_type == TokenType.L_PAREN) - (
                before.token_type == TokenType.R_PAREN
            )
            parameter = before.token_type == TokenType.L_PAREN or (
                before.token_type == TokenType.COMMA and depth > 0
            )
            if parameter and not (
                token.token_type == TokenType.NUMBER or token.text.upper() == "STRING"
            ):
                raise self._error(
                    "Expecting a number or a string as a type parameter",
                    token,
                    ksqldb="Expecting {'STRING', INTEGER_VALUE}",
                )
        return kind

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

    # --- expressions -----------------------------------------------------------------------------

    def _parse_select(self, *args: Any, **kwargs: Any) -> exp.Expr | None:
        # ksqlDB has no subqueries: sqlglot's expression parser may only find SELECT where it
        # would start one, and must not.
        return None

    def _parse_column(self) -> exp.Expr | None:
        curr = self._curr
        if curr and curr.token_type == TokenType.VAR and curr.text.startswith("${"):
            return self._parse_column_ops(self._parse_ksql_variable())
        return super()._parse_column()

    def _parse_primary(self) -> exp.Expr | None:
        curr = self._curr
        if curr and curr.token_type == TokenType.STRING:
            # One literal: ksqlDB does not join adjacent strings ('a' 'b').
            self._advance()
            return self.expression(exp.Literal.string(curr.text), curr)
        if bool(curr) and curr.token_type == TokenType.VAR and curr.text.startswith("${"):
            return self._parse_ksql_variable()
        return super()._parse_primary()

    def _parse_type(
        self, parse_interval: bool = True, fallback_to_identifier: bool = False
    ) -> exp.Expr | None:
        # In expressions a type name only starts a typed literal (`DATE '2024-01-01'`); anything
        # else is a column or a constructor call such as STRUCT(...) or ARRAY[...].
        if (atom := self._parse_atom()) is not None:
            return atom
        curr, following = self._curr, self._next
        if (
            bool(curr)
            and curr.token_type in self.TYPE_TOKENS
            and following is not None
            and following.token_type == TokenType.STRING
        ):
            return super()._parse_type(parse_interval=False)
        if fallback_to_identifier:
            return self._parse_id_var()
        return self._parse_column()

    def _parse_types(
        self,
        check_func: bool = False,
        schema: bool = False,
        allow_identifiers: bool = True,
        with_collation: bool = False,
    ) -> exp.Expr | None:
        curr, following = self._curr, self._next
        if (
            bool(curr)
            and curr.token_type == TokenType.STRUCT
            and following is not None
            and following.token_type == TokenType.NEQ
        ):
            # `STRUCT<>` (no fields) is lexed as STRUCT followed by the `<>` operator.
            self._advance(2)
            return self.expression(exp.DataType(this=exp.DType.STRUCT, nested=True))
        return super()._parse_types(check_func, schema, allow_identifiers, with_collation)

    def _parse_function_args(self, alias: bool = False) -> list[exp.Expr]:
        # ksqlDB: `f(*)`, or expressions followed by lambdas; no DISTINCT, aliases, ORDER BY...
        if self._curr.token_type == TokenType.STAR and self._next.token_type == TokenType.R_PAREN:
            self._advance()
            return [self.expression(exp.Star())]
        if self._curr.token_type == TokenType.R_PAREN:
            return []
        return self._parse_csv(self._parse_ksql_function_argument)

    def _parse_ksql_function_argument(self) -> exp.Expr:
        params = self._ksql_lambda_params_ahead()
        if params is None:
            start = self._curr
            argument = self._parse_ksql_expression()
            if isinstance(argument, exp.Star):
                raise self._error("Expecting an expression: '*' must be the only argument", start)
            return argument
        names = [self._parse_ksql_identifier()]
        while len(names) < params and self._match(TokenType.COMMA):
            names.append(self._parse_ksql_identifier())
        self._match(TokenType.R_PAREN)
        self._match(TokenType.FARROW)
        return _build_lambda(self, names)

    def _ksql_lambda_params_ahead(self) -> int | None:
        """If a lambda starts here (`x =>`, `(x, y) =>`), consume up to its first parameter
        and return the number of parameters; otherwise consume nothing and return None."""
        tokens, i = self._tokens, self._index
        names = self.ID_VAR_TOKENS
        if i + 1 < len(tokens) and tokens[i].token_type in names:
            return 1 if tokens[i + 1].token_type == TokenType.FARROW else None
        if i < len(tokens) and tokens[i].token_type == TokenType.L_PAREN:
            j, count = i + 1, 0
            while j < len(tokens) and tokens[j].token_type in names:
                count += 1
                if j + 1 < len(tokens) and tokens[j + 1].token_type == TokenType.COMMA:
                    j += 2
                    continue
                j += 1
                break
            if (
                count
                and j + 1 < len(tokens)
                and tokens[j].token_type == TokenType.R_PAREN
                and tokens[j + 1].token_type == TokenType.FARROW
            ):
                self._advance()  # the '('; parameters and commas are read by the caller
                return count
        return None

    def _parse_is_rhs(self, distinct: bool = False) -> exp.Expr | None:
        # ksqlDB: only IS [NOT] NULL and IS [NOT] DISTINCT FROM.
        if distinct:
            return super()._parse_is_rhs(distinct=True)
        if not self._match(TokenType.NULL):
            raise self._error("Expecting NULL or DISTINCT FROM after IS")
        return self.expression(exp.Null())

    def _parse_in(self, this: exp.Expr | None, alias: bool = False) -> exp.In:
        # ksqlDB: `IN (expression, ...)` with at least one item; no subqueries.
        if not self._match(TokenType.L_PAREN):
            raise self._error("Expecting '(' after IN")
        expressions = self._parse_csv(self._parse_ksql_expression)
        if not self._match(TokenType.R_PAREN):
            raise self._error("Expecting ')' to close the IN list")
        return self.expression(exp.In(this=this, expressions=expressions))

    def _parse_paren(self) -> exp.Expr | None:
        start = self._index
        this = super()._parse_paren()
        if isinstance(this, exp.Tuple):
            # ksqlDB has no row/tuple values: `(a, b)` is only valid in IN lists and lambdas.
            # ANTLR reads `(a` as a bracketed expression and stops at the first ',' in it.
            comma = _first_at_depth(self._tokens[start : self._index], TokenType.COMMA)
            raise self._error(
                "Expecting ')': ksqlDB has no tuple expressions",
                comma,
                ksqldb=f"missing ')' at '{comma.text}'" if comma else "",
            )
        return this

    def _parse_struct_types(self, type_required: bool = False) -> exp.Expr | None:
        # `STRUCT<name type, ...>`: the field name is any identifier, the type may be custom.
        name = self._parse_ksql_identifier("a struct field name")
        return self.expression(exp.ColumnDef(this=name, kind=self._parse_ksql_type()))

    def _parse_ksql_map(self) -> KsqlMap:
        keys: list[exp.Expr] = []
        values: list[exp.Expr] = []
        if not self._match(TokenType.R_PAREN, advance=False):
            while True:
                keys.append(self._parse_ksql_expression())
                self._expect(TokenType.COLON_EQ, "':=' between a map key and its value")
                values.append(self._parse_ksql_expression())
                if not self._match(TokenType.COMMA):
                    break
        return self.expression(KsqlMap(keys=keys, values=values))

    def _parse_ksql_struct(self) -> exp.Struct:
        fields: list[exp.Expr] = []
        if not self._match(TokenType.R_PAREN, advance=False):
            while True:
                name = self._parse_ksql_identifier("a field name")
                self._expect(TokenType.COLON_EQ, "':=' after the struct field name")
                value = self._parse_ksql_expression()
                fields.append(self.expression(exp.PropertyEQ(this=name, expression=value)))
                if not self._match(TokenType.COMMA):
                    break
        return self.expression(exp.Struct(expressions=fields))


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


class KSQL(Dialect):
    """ksqlDB's SQL as a sqlglot dialect, registered under the name ``ksql``."""

    NORMALIZATION_STRATEGY = NormalizationStrategy.UPPERCASE
    # The grammar's DIGIT_IDENTIFIER: `1abc` is a name, not `1 AS abc`.
    IDENTIFIERS_CAN_START_WITH_DIGIT = True
    SUPPORTS_USER_DEFINED_TYPES = True
    # Subscripts are kept exactly as written (ksqlDB arrays are 1-based and accept negative
    # indexes); an offset here would make sqlglot rewrite the literals in the tree.
    INDEX_OFFSET = 0

    Tokenizer = KsqlTokenizer
    Parser = KsqlParser
    Generator = KsqlGenerator
