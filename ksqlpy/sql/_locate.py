"""Where a parsed node was written: the line and column of its first token.

sqlglot keeps a token's position in the ``meta`` of the node it became (identifiers, literals,
and nodes the parser placed at a keyword, such as a window at TUMBLING): ``line``, ``col`` (the
column of its *last* character) and ``start``/``end`` (offsets in the text that was parsed). A node
without a position of its own starts where the earliest positioned node under it does.
"""

from __future__ import annotations

from sqlglot import exp


def shift(tree: exp.Expr, line: int, column: int) -> exp.Expr:
    """``tree`` with its positions moved for text that starts at ``line``/``column``."""
    if line == 1 and column == 1:
        return tree
    for node in tree.walk():
        if node.meta_get("line") is None:
            continue
        meta = node.meta
        if meta["line"] == 1:
            meta["col"] += column - 1
        meta["line"] += line - 1
    return tree


def location(node: exp.Expr) -> tuple[int, int] | None:
    """1-based line and column where ``node`` starts, or None when nothing under it has one.

    >>> from ksqlpy.sql import parse_one
    >>> where = parse_one("SELECT a,\\n  b FROM s EMIT CHANGES;").expressions[1]
    >>> location(where)
    (2, 3)
    """
    first: dict[str, int] | None = node.meta if node.meta_get("start") is not None else None
    for leaf in node.walk() if first is None else ():
        start = leaf.meta_get("start")
        if start is not None and (first is None or start < first["start"]):
            first = leaf.meta
    if first is None:
        return None
    # ``col`` is where the token ends; a token spanning lines keeps no column of its start.
    width = first["end"] - first["start"]
    return first["line"], max(first["col"] - width, 1)
