"""The shell against the local server: statements, shell commands, queries, Ctrl-C."""

from __future__ import annotations

import _thread
import io
import json
import threading
from pathlib import Path

from repl_helpers import ORDERS, Harness

from ksqlpy import Client, KsqlSyntaxError
from ksqlpy.repl.executor import Executor
from ksqlpy.repl.render.output import Output
from ksqlpy.repl.session import Session
from ksqlpy.repl.shell import Shell


def insert(h: Harness, *rows: tuple[int, str, float]) -> None:
    for row in rows:
        h.client.insert_into("ORDERS", {"ID": row[0], "ITEM": row[1], "PRICE": row[2]})


def test_several_statements_on_one_line_run_in_order(harness: Harness) -> None:
    assert harness.run(ORDERS + " SHOW STREAMS; DESCRIBE orders;") == []
    text = harness.text
    assert text.index("Stream created") < text.index("Stream Name") < text.index("Name : ORDERS")


def test_a_semicolon_in_a_string_or_comment_does_not_split(harness: Harness) -> None:
    harness.run(ORDERS)
    harness.run("INSERT INTO orders (id, item, price) VALUES (1, 'a;b', 2.0); -- c;d\n")
    harness.run("SET 'auto.offset.reset'='earliest';")
    harness.run("SELECT * FROM orders EMIT CHANGES LIMIT 1;")
    assert "| a;b " in harness.text


def test_first_failure_stops_the_rest(harness: Harness) -> None:
    failures = harness.run("DROP STREAM nope; " + ORDERS)
    assert len(failures) == 1
    assert "Stream NOPE does not exist." in harness.text
    assert harness.client.list_streams() == ()


def test_syntax_error_is_caught_before_sending_with_a_caret(harness: Harness) -> None:
    (failure,) = harness.run("SHOW STREAMS;\nSELECT * FORM orders;")
    assert isinstance(failure.error, KsqlSyntaxError)
    lines = harness.text.splitlines()
    at = lines.index("SELECT * FORM orders;")
    assert lines[at - 1].startswith("line 2:10:")
    assert lines[at + 1] == " " * 9 + "^^^^"


def test_pull_query_prints_a_table_with_count_and_time(harness: Harness) -> None:
    harness.run(ORDERS)
    insert(harness, (1, "apple", 1.5), (2, "pear", 2.5))
    assert harness.run("SELECT item FROM orders WHERE id = 2;") == []
    lines = harness.text.splitlines()
    assert lines[:4] == ["+------+", "| ITEM |", "+------+", "| pear |"]
    assert lines[-1].startswith("1 row in ")


def test_push_query_row_limit(harness: Harness) -> None:
    harness.run(ORDERS + " SET 'auto.offset.reset'='earliest';")
    insert(harness, (1, "a", 1.0), (2, "b", 2.0), (3, "c", 3.0))
    harness.session.row_limit = 2
    harness.run("SELECT * FROM orders EMIT CHANGES;")
    rows = [
        line for line in harness.text.splitlines() if line.startswith("| ") and "ID" not in line
    ]
    assert len(rows) == 2
    assert "Query stopped at 2 rows" in harness.text
    assert harness.client.list_queries() == ()


def test_push_query_shows_its_header_once(harness: Harness) -> None:
    harness.run(ORDERS + " SET 'auto.offset.reset'='earliest';")
    insert(harness, (1, "an item with a name longer than ten", 1.0), (2, "b", 2.0))
    harness.run("SELECT * FROM orders EMIT CHANGES LIMIT 2;")
    headers = [line for line in harness.text.splitlines() if line.startswith("| ID ")]
    assert len(headers) == 1, harness.text
    assert "| an item with a name longer than ten |" in harness.text


def test_push_query_with_no_rows_still_names_its_columns(harness: Harness) -> None:
    harness.run(ORDERS)
    harness.session.timeout = 0.3
    harness.run("SELECT * FROM orders EMIT CHANGES;")
    lines = harness.text.splitlines()
    assert sum(1 for line in lines if line.startswith("| ID ")) == 1, harness.text


def test_push_query_timeout(harness: Harness) -> None:
    harness.run(ORDERS)
    harness.session.timeout = 0.3
    assert harness.run("SELECT * FROM orders EMIT CHANGES;") == []
    assert "Query stopped after 0.3 s" in harness.text
    assert harness.client.list_queries() == ()


def test_ctrl_c_stops_a_push_query_and_closes_it_on_the_server(harness: Harness) -> None:
    harness.run(ORDERS + " SET 'auto.offset.reset'='earliest';")
    insert(harness, (1, "apple", 1.5))
    timer = threading.Timer(0.8, _thread.interrupt_main)
    timer.start()
    try:
        failures = harness.run("SELECT * FROM orders EMIT CHANGES; SHOW STREAMS;")
    finally:
        timer.cancel()
    assert failures == []
    assert "| 1      | apple" in harness.text
    assert "1 row in" in harness.text
    assert "Query terminated" in harness.text
    assert "Stream Name" in harness.text  # the next statement still ran
    assert harness.client.list_queries() == ()


def test_set_and_unset_report_old_values(harness: Harness) -> None:
    harness.run("SET 'auto.offset.reset'='earliest';")
    assert "changed local property 'auto.offset.reset' to 'earliest'" in harness.text
    harness.run("SET 'auto.offset.reset'='latest';")
    assert "from 'earliest' to 'latest'" in harness.text
    harness.run("UNSET 'auto.offset.reset';")
    assert "(value was 'latest')" in harness.text
    assert harness.session.properties == {}


def test_properties_are_sent_with_queries(harness: Harness) -> None:
    harness.run(ORDERS)
    insert(harness, (7, "kiwi", 1.0))
    harness.session.timeout = 0.5
    harness.run("SELECT * FROM orders EMIT CHANGES;")
    assert "kiwi" not in harness.text  # latest: old rows are not read
    harness.run("SET 'auto.offset.reset'='earliest'; SELECT * FROM orders EMIT CHANGES;")
    assert "kiwi" in harness.text


def test_define_substitutes_and_show_variables_lists(harness: Harness) -> None:
    harness.run("DEFINE src = 'orders'; DEFINE topic = 'orders';")
    harness.run(
        "CREATE STREAM ${src} (id INT KEY) "
        "WITH (kafka_topic='${topic}', value_format='json', partitions=1);"
    )
    assert "Stream created" in harness.text
    harness.run("SHOW VARIABLES;")
    rows = [[c.strip() for c in line.split("|")] for line in harness.text.splitlines()[2:4]]
    assert rows == [["src", "orders"], ["topic", "orders"]]
    harness.run("UNDEFINE SRC; DESCRIBE ${src};")  # names are case-insensitive
    assert "undefined variable 'src'" in harness.text


def test_substitution_can_be_switched_off(harness: Harness) -> None:
    harness.run("DEFINE x = 'orders'; SET 'ksql.variable.substitution.enable'='false';")
    failures = harness.run("DESCRIBE ${x};")
    assert failures
    assert "undefined variable" not in harness.text


def test_destructive_statements_ask_first(harness: Harness) -> None:
    harness.run(ORDERS)
    harness.run("DROP STREAM orders DELETE TOPIC;")
    assert harness.asked == ["drops orders and deletes its Kafka topic with all its data"]
    assert "Cancelled" in harness.text
    assert [s.name for s in harness.client.list_streams()] == ["ORDERS"]
    harness.run("TERMINATE ALL;")
    assert harness.asked[-1] == "terminates every persistent query"
    harness.run("DROP STREAM orders;")  # no topic deletion: no question
    assert len(harness.asked) == 2
    assert harness.client.list_streams() == ()


def test_output_json_switches_entities_and_rows(harness: Harness) -> None:
    harness.run(ORDERS)
    insert(harness, (1, "apple", 1.5))
    harness.run("OUTPUT JSON")
    harness.run("SHOW STREAMS;")
    assert json.loads(harness.text)["streams"][0]["name"] == "ORDERS"
    harness.run("SELECT * FROM orders;")
    assert json.loads(harness.text) == {"ID": 1, "ITEM": "apple", "PRICE": 1.5}
    harness.run("OUTPUT")
    assert harness.text.strip() == "Output format: JSON"
    assert harness.run("OUTPUT xml")
    assert "unknown output format 'XML'" in harness.text


def test_run_script_runs_each_statement_like_typed_input(harness: Harness, tmp_path: Path) -> None:
    script = tmp_path / "setup.sql"
    script.write_text(
        ORDERS + "\nSET 'auto.offset.reset'='earliest';\n"
        "INSERT INTO orders (id, item, price) VALUES (1, 'x', 1.0);\n"
        "SELECT * FROM orders EMIT CHANGES LIMIT 1;\n",
        encoding="utf-8",
    )
    assert harness.run(f"RUN SCRIPT '{script}';") == []
    assert "Stream created" in harness.text
    assert "| 1      | x " in harness.text  # a push query works inside a script
    assert harness.run("RUN SCRIPT '/nonexistent/x.sql';")
    assert "cannot read script /nonexistent/x.sql" in harness.text


def test_spool_copies_commands_and_output(harness: Harness, tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    harness.run(f"SPOOL {target}")
    harness.shell.echo("SHOW STREAMS;")
    harness.run("SHOW STREAMS;")
    harness.run("SPOOL OFF")
    harness.run("SHOW TABLES;")
    spooled = target.read_text(encoding="utf-8")
    assert "ksql> SHOW STREAMS;" in spooled
    assert "Stream Name" in spooled
    assert "Table Name" not in spooled


def test_help_history_version_exit(harness: Harness) -> None:
    harness.run("help")
    for name in ("SPOOL", "RUN SCRIPT", "DEFINE", "HISTORY", "OUTPUT", "EXIT | QUIT"):
        assert name in harness.text
    harness.session.history.extend(["SHOW STREAMS;", "SHOW\nTABLES;"])
    harness.run("history")
    assert harness.text.splitlines() == ["1  SHOW STREAMS;", "2  SHOW TABLES;"]
    harness.run("version")
    assert harness.text.startswith("ksqlpy ")
    harness.run("exit")
    assert harness.shell.done


def test_bang_reruns_history_entries(harness: Harness) -> None:
    harness.run(ORDERS)
    harness.session.history.extend(["SHOW STREAMS;", "SHOW TOPICS;", "!!"])
    harness.run("!!")
    assert harness.text.splitlines()[0] == "SHOW TOPICS;"
    assert "Kafka Topic" in harness.text
    harness.run("!1")
    assert "Stream Name" in harness.text
    assert harness.run("!9")
    assert "no history entry 9" in harness.text
    harness.run("history")
    assert harness.text.splitlines() == ["1  SHOW STREAMS;", "2  SHOW TOPICS;"]


def test_line_commands_are_not_split_as_sql(harness: Harness, tmp_path: Path) -> None:
    target = tmp_path / "it's; here.txt"
    assert harness.run(f"spool {target}") == []
    harness.run("spool off")
    assert target.exists()


def test_set_cli_column_width_and_wrap(harness: Harness) -> None:
    harness.run(ORDERS)
    insert(harness, (1, "a very long item name", 1.0))
    assert harness.run("SET CLI COLUMN-WIDTH 6;") == []
    harness.run("SELECT item FROM orders;")
    assert "| a ver… |" in harness.text
    harness.run("SET CLI COLUMN-WIDTH 0")
    harness.run("SELECT item FROM orders;")
    assert "| a very long item name |" in harness.text
    harness.shell.width = lambda: 40
    harness.run("SET CLI WRAP ON")
    assert harness.text.strip() == "Long lines wrap in the terminal."
    harness.run("SHOW PROPERTIES;")
    assert max(len(line) for line in harness.text.splitlines()) > 40
    harness.run("SET CLI WRAP OFF")
    harness.run("SHOW PROPERTIES;")
    assert max(len(line) for line in harness.text.splitlines()) <= 40
    assert harness.run("SET CLI COLOUR ON")
    assert "usage: SET CLI WRAP <value>, COLUMN-WIDTH <value>" in harness.text


def test_a_server_gone_mid_session_names_ksqlpy_local_first() -> None:
    url = "http://127.0.0.1:9"
    with Client(url) as client:
        session = Session(url=url)
        buffer = io.StringIO()
        shell = Shell(Executor(client, session), session, Output(buffer, tty=False))
        failures = shell.run_text("SHOW STREAMS;")
    assert len(failures) == 1
    assert buffer.getvalue().strip() == (
        f"cannot reach ksqlDB at {url} (connection refused); "
        "run 'ksqlpy --local' for an embedded server, or start ksqlDB and pass its URL"
    )
