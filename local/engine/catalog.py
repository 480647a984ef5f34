"""The function catalogue SHOW FUNCTIONS and DESCRIBE FUNCTION read: scalar and table functions
from the registry, aggregates from ``udafs``, with ksqlDB's names, types, categories and
descriptions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import functions
from .errors import KsqlStatementError
from .functions.registry import Signature
from .functions.user import USER
from .udafs import AGGREGATES

AUTHOR = "Confluent"  # ksqlDB's KsqlConstants.CONFLUENT_AUTHOR: these are its built-ins


def function_names() -> list[dict[str, str]]:
    """SHOW FUNCTIONS entries: scalar functions, then table functions, then aggregates."""
    entries = []
    for kind in ("SCALAR", "TABLE"):
        entries += [
            {"name": f.name, "type": kind, "category": f.category}
            for f in sorted(functions.REGISTRY.values(), key=lambda f: f.name)
            if f.kind == kind
        ]
    entries += [
        {"name": name, "type": "AGGREGATE", "category": "AGGREGATE"} for name in sorted(AGGREGATES)
    ]
    return entries


def _argument(signature: Signature, index: int) -> dict[str, Any]:
    names = signature.names or ("",) * len(signature.params)
    variadic = signature.variadic and index == len(signature.params) - 1
    return {
        "name": names[index],
        "type": signature.params[index],
        "description": "",
        "isVariadic": variadic,
    }


def _overloads(description: str, signatures: Sequence[Signature]) -> list[dict[str, Any]]:
    return [
        {
            "arguments": [_argument(s, i) for i in range(len(s.params))],
            "returnType": "",
            "description": description,
            "argumentTypes": list(s.params),
        }
        for s in signatures
    ]


def describe(name: str) -> dict[str, Any]:
    """A DESCRIBE FUNCTION entity's fields (without ``statementText``)."""
    upper = name.upper()
    user = USER.get(upper)
    if user is not None:
        kind = "AGGREGATE" if upper in AGGREGATES else functions.REGISTRY[upper].kind
        overloads = [
            {**_overloads(text, [signature])[0], "returnType": returns}
            for signature, returns, text in user.overloads
        ]
        entity = _description(upper, user.description, overloads, kind)
        return {**entity, "author": user.author, "version": user.version, "path": user.source}
    aggregate = AGGREGATES.get(upper)
    if aggregate is not None:
        overloads = _overloads(aggregate.description, aggregate.signatures)
        return _description(upper, aggregate.description, overloads, "AGGREGATE")
    function = functions.REGISTRY.get(upper)
    if function is None:
        raise KsqlStatementError(f"Can't find any functions with the name '{upper}'")
    overloads = _overloads(function.description, function.signatures)
    return _description(upper, function.description, overloads, function.kind)


def _description(
    name: str, description: str, overloads: list[dict[str, Any]], kind: str
) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "author": AUTHOR,
        "version": "",
        "path": "internal",
        "functions": overloads
        or [{"arguments": [], "returnType": "", "description": description, "argumentTypes": []}],
        "type": kind,
    }
