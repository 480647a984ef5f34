"""SQL text the client builds from API arguments: names and values that cannot change it.

Every API that puts a name or a value into a statement (``describe_source``, ``terminate``,
the connector helpers, ``assert_topic``...) goes through ``name`` and ``literal`` here, built on
``ksqlpy.sql``'s quoting: a name is one identifier token and a value one literal token, whatever
they hold (quotes, backticks, ``;``, comments, newlines). Such statements are sent with variable
substitution off (``VERBATIM``), so a ``${x}`` in a name or value is kept as written.
"""

from __future__ import annotations

import re
from typing import Any

from ._errors import KsqlError

__all__ = ["SUBSTITUTION", "VERBATIM", "literal", "name"]

SUBSTITUTION = "ksql.variable.substitution.enable"
VERBATIM = {SUBSTITUTION: False}
"""Request properties for a statement whose every name and value came from API arguments."""

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_QUOTED = re.compile(r"`(?:[^`]|``)+`\Z")


def name(value: Any, what: str, *, quotable: bool = True) -> str:
    """``value`` as one identifier token of a statement, or KsqlError saying why it cannot be.

    A plain name (letters, digits, ``_``) stays as written, so ksqlDB upper-cases it as it would
    in a statement; a name already in backticks stays as it is; any other name is back-quoted,
    keeping its case. ``quotable=False`` refuses names that would need quotes (ksqlDB reads
    ``DESCRIBE FUNCTION``'s name without unquoting it).
    """
    if not isinstance(value, str) or not value.strip():
        raise KsqlError(f"{what} must be a non-empty str, got {value!r}")
    if _PLAIN.match(value) or _QUOTED.match(value):
        return value
    if not quotable:
        raise KsqlError(
            f"{what} {value!r} is not a plain name: ksqlDB takes only letters, digits and '_' here"
        )
    from ksqlpy.sql import quote_identifier  # lazily: sqlglot costs ~65 ms to import

    return quote_identifier(value)


def literal(value: Any) -> str:
    """``value`` as one literal token (strings quoted with ``'`` doubled)."""
    from ksqlpy.sql import quote_literal

    return quote_literal(value)
