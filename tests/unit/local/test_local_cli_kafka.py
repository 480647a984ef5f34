"""ksqlpy-local's Kafka flags: where the cluster address comes from, and what is refused."""

from __future__ import annotations

import pytest

from ksqlpy.local import cli


def test_the_cluster_comes_from_ksqldb_s_variable_then_kafka_s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KSQL_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    assert cli.bootstrap_from_env() is None
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    assert cli.bootstrap_from_env() == "kafka:9092"
    monkeypatch.setenv("KSQL_BOOTSTRAP_SERVERS", " broker:29092 ")
    assert cli.bootstrap_from_env() == "broker:29092"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bootstrap-servers", "k:9092", "--data-dir", "d"], "exclude each other"),
        (["--bootstrap-servers", "k:9092", "--kafka-timeout", "0"], "must be positive"),
    ],
)
def test_contradictory_flags_are_a_usage_error(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
