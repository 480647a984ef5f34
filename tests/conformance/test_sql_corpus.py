"""ksqlpy.sql against the statements of ksqlDB's own query-validation and REST test cases."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ksqlpy.sql import KsqlSyntaxError, parse
from ksqlpy.sql.dialect import KSQL

TARGET = 0.99
_DIALECT = KSQL()
# Messages ksqlDB gives for statements its parser refuses (as opposed to semantic errors).
_SYNTAX_MESSAGE = re.compile(
    r"syntax error|mismatched input|extraneous input|no viable alternative|missing '|"
    r"unknown statement",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Case:
    """One test case, expanded for one format."""

    name: str
    statements: tuple[str, ...]
    error: dict[str, Any] | None


def strip_line_comments(text: str) -> str:
    """Remove ``//`` comments outside JSON strings (some qtt files carry them)."""
    out: list[str] = []
    i, size, in_string = 0, len(text), False
    while i < size:
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < size:
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = size if end < 0 else end
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def load_cases(root: Path) -> Iterator[Case]:
    """Every case of qtt/ and rest/, with ``{FORMAT}`` expanded over the case's ``format`` list."""
    for path in sorted([*root.glob("qtt/*.json"), *root.glob("rest/*.json")]):
        document = json.loads(strip_line_comments(path.read_text(encoding="utf-8")))
        for case in document.get("tests", []):
            error = case.get("expectedException") or case.get("expectedError")
            formats = case.get("format") or [None]
            for fmt in formats:
                statements = tuple(
                    s.replace("{FORMAT}", fmt) if fmt else s for s in case.get("statements", [])
                )
                name = f"{path.parent.name}/{path.name}: {case.get('name')}"
                yield Case(f"{name} [{fmt}]" if fmt else name, statements, error)


@pytest.fixture(scope="module")
def cases(ksqldb_tests_dir: Path) -> list[Case]:
    return list(load_cases(ksqldb_tests_dir))


def test_strip_line_comments_keeps_urls_in_strings() -> None:
    text = '{"a": "http://x//y", // note\n "b": 1}'
    assert json.loads(strip_line_comments(text)) == {"a": "http://x//y", "b": 1}


def test_statements_of_passing_cases_parse(cases: list[Case]) -> None:
    statements = [s for case in cases if case.error is None for s in case.statements]
    failures: list[tuple[str, str]] = []
    for statement in statements:
        try:
            parse(statement)
        except KsqlSyntaxError as error:
            failures.append((statement, str(error)))
    parsed = len(statements) - len(failures)
    rate = parsed / len(statements)
    print(f"\nparsed {parsed}/{len(statements)} statements ({rate:.2%})")
    for statement, error in failures[:10]:
        print(f"  FAIL {statement}\n       {error.splitlines()[0]}")
    assert len(statements) > 3000, "the corpus looks truncated"
    assert rate >= TARGET


def test_round_trip_gives_the_same_tree(cases: list[Case]) -> None:
    statements = sorted({s for case in cases if case.error is None for s in case.statements})
    mismatches: list[tuple[str, str]] = []
    total = 0
    for statement in statements:
        try:
            trees = parse(statement)
        except KsqlSyntaxError:
            continue
        for tree in trees:
            total += 1
            text = tree.sql(dialect=_DIALECT)
            again = parse(text)
            if again != [tree]:
                mismatches.append((statement, text))
    print(f"\nround-trip identical for {total - len(mismatches)}/{total} statements")
    for statement, text in mismatches[:10]:
        print(f"  MISMATCH {statement}\n        -> {text}")
    assert not mismatches


def test_cases_expecting_a_syntax_error_are_refused(cases: list[Case]) -> None:
    expecting = [
        case
        for case in cases
        if case.error is not None and _SYNTAX_MESSAGE.search(str(case.error.get("message", "")))
    ]
    refused, accepted = 0, []
    for case in expecting:
        try:
            for statement in case.statements:
                parse(statement)
        except KsqlSyntaxError:
            refused += 1
        else:
            accepted.append(case)
    print(f"\nrefused {refused}/{len(expecting)} cases that expect a syntax error")
    for case in accepted[:20]:
        print(f"  ACCEPTED {case.name}: {case.error}")
    assert expecting, "no case expects a syntax error: the corpus looks wrong"
    # Reported, not the 99% target: ksqlDB refuses RUN SCRIPT on its server (a CLI command here).
    assert refused / len(expecting) >= 0.9
