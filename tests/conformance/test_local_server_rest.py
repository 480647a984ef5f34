"""ksqlDB's own REST query-validation cases, run against the local server over HTTP.

The floors below are the rates reached so far; a change that breaks a passing case fails here.
They only go up; the part-1 files (push, insert-values, stream pulls, headers, SOURCE tables)
are above the 90% target.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ksqldb_cases import Outcome, main, run, summarize

# passed / (passed + failed), per file, as reached; raise them when the server gets better.
FLOORS = {
    "insert-values.json": 1.0,
    "pull-queries-against-cst-materialized.json": 1.0,
    "pull-queries-against-ctas-materialized.json": 1.0,
    "pull-queries-against-materialized-aggregates.json": 1.0,
    "pull-queries-against-materialized-table-table-joins.json": 1.0,
    "pull-queries-against-streams.json": 1.0,
    "pull-queries-complex-lambda.json": 1.0,
    "pull-queries-with-headers.json": 1.0,
    "pull-queries-with-limit-clause.json": 1.0,
    "pull-queries-with-predicates.json": 1.0,
    "pull-queries-with-range-scan.json": 1.0,
    "pull-queries-with-struct-star.json": 1.0,
    "push-queries.json": 1.0,
    "scalable-push-queries.json": 1.0,
}


@pytest.fixture(scope="module")
def outcomes(ksqldb_tests_dir: Path) -> list[Outcome]:
    return run([ksqldb_tests_dir / "rest"])


def test_every_case_is_run_and_only_registry_formats_are_unsupported(
    outcomes: list[Outcome],
) -> None:
    assert len(outcomes) >= 280
    unsupported = [o for o in outcomes if o.status == "unsupported"]
    assert all(o.detail == "needs a schema registry" for o in unsupported)


@pytest.mark.parametrize("file", sorted(FLOORS))
def test_pass_rate_does_not_fall_below_the_floor(outcomes: list[Outcome], file: str) -> None:
    totals = summarize(outcomes)[file]
    failures = [
        f"{o.name}: {o.detail[:200]}" for o in outcomes if o.file == file and o.status == "failed"
    ]
    print(f"{file}: {dict(totals.counts)} rate {totals.rate:.1%}")
    assert totals.rate >= FLOORS[file], "\n".join(failures[:10])


def test_the_command_prints_a_table_and_the_summary_line(
    ksqldb_tests_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(ksqldb_tests_dir / "rest" / "pull-queries-against-streams.json")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == ["file", "passed", "failed", "unsupported", "rate"]
    assert lines[1].startswith("pull-queries-against-streams.json")
    assert lines[-2].split()[0] == "total"
    assert lines[-1].startswith("conformance: ")
    assert lines[-1].endswith(" unsupported")


def test_the_command_refuses_a_missing_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["/no/such/cases"]) == 2
    assert "no such file or folder" in capsys.readouterr().err
