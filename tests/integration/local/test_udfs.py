"""``ksqlpy-local --udf-dir``: Python UDFs loaded at start and called over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

UDF = """
from ksqlpy.local.udf import udf


@udf("shout", description="Upper-cases and adds an exclamation mark.", author="docs")
def shout(text: str) -> str:
    return text.upper() + "!"
"""


def test_the_cli_loads_a_udf_dir_and_serves_its_functions(tmp_path: Path) -> None:
    (tmp_path / "shout.py").write_text(UDF)
    argv = [sys.executable, "-m", "ksqlpy.local.cli", "--port", "0", "--udf-dir", str(tmp_path)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()  # printed once it serves
        url = banner.split(" at ")[1].split()[0]
        with httpx.Client(base_url=url, timeout=20) as http:
            described = http.post("/ksql", json={"ksql": "DESCRIBE FUNCTION SHOUT;"}).json()
            assert described[0]["author"] == "docs"
            assert described[0]["path"] == str(tmp_path / "shout.py")
            statements = (
                "CREATE STREAM S (ID INT KEY, T STRING) "
                "WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);"
                "INSERT INTO S (ID, T) VALUES (1, 'hello');"
            )
            assert http.post("/ksql", json={"ksql": statements}).status_code == 200
            query = {
                "ksql": "SELECT SHOUT(T) AS LOUD FROM S EMIT CHANGES LIMIT 1;",
                "streamsProperties": {"ksql.streams.auto.offset.reset": "earliest"},
            }
            answer = http.post("/query", json=query)
            assert answer.status_code == 200
            rows = [json.loads(line) for line in answer.text.splitlines() if line.strip()]
            assert rows[1:] == [["HELLO!"]]
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_a_bad_udf_stops_the_start_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(UDF.replace('"shout"', '"concat"'))
    argv = [sys.executable, "-m", "ksqlpy.local.cli", "--port", "0", "--udf-dir", str(tmp_path)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert done.stderr.strip() == (
        f"ksqlpy-local: cannot load UDF file {tmp_path / 'bad.py'}: function 'CONCAT' has the "
        "name of a built-in function"
    )
