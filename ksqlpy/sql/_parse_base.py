"""The ksqlDB parser's foundation: token helpers, literals, queries (SELECT with its clauses,
joins and windows) and expressions with ksqlDB's operators (``->``, ``=>`` lambdas,
``MAP(k := v)``, ``STRUCT(a := v)``), following ksqlDB's ``SqlBase.g4``."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any, ClassVar

from sqlglot import exp, parser
from sqlglot.errors import ParseError
from sqlglot.tokenizer_core import Token, TokenType

from ._nodes import (
    KsqlDereference,
    KsqlDuration,
    KsqlMap,
    KsqlStructAll,
    KsqlVariable,
)

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


def _build_lambda(self: KsqlParserBase, expressions: list[exp.Expr]) -> exp.Lambda:
    body = self._parse_disjunction()
    if body is None:
        raise self._error("Expecting a lambda body after '=>'")
    return self.expression(
        exp.Lambda(this=self._replace_lambda(body, expressions), expressions=expressions)
    )


def _build_dereference(self: KsqlParserBase, this: exp.Expr, field: exp.Expr | None) -> exp.Expr:
    if isinstance(field, exp.Star):
        return self.expression(KsqlStructAll(this=this))
    if isinstance(field, exp.Column) and not field.table:
        return self.expression(KsqlDereference(this=this, expression=field.this))
    if isinstance(field, exp.Identifier):
        return self.expression(KsqlDereference(this=this, expression=field))
    raise self._error("Expecting a field name after '->'")


class KsqlParserBase(parser.Parser):
    """The token helpers, queries and expressions every statement parser builds on."""

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
    LITERALS: ClassVar[dict[TokenType, Callable[[KsqlParserBase], exp.Expr]]] = {
        TokenType.STRING: lambda self: self._parse_ksql_string(),
        TokenType.NUMBER: lambda self: self._parse_ksql_number("a literal"),
        TokenType.DASH: lambda self: self._parse_ksql_number("a literal"),
        TokenType.TRUE: lambda self: self._parse_ksql_word_literal(exp.Boolean(this=True)),
        TokenType.FALSE: lambda self: self._parse_ksql_word_literal(exp.Boolean(this=False)),
        TokenType.NULL: lambda self: self._parse_ksql_word_literal(exp.Null()),
        TokenType.VAR: lambda self: self._parse_ksql_variable_literal(),
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

    # --- expression lists and types -----------------------------------------------------------

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
