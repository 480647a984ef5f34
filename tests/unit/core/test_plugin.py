"""The pytest plugin as a user's project sees it: markers, the ksqldb skip, an external broker."""

from __future__ import annotations

import pytest


def test_kafka_bootstrap_uses_the_configured_broker_and_starts_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker.example:9092")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kafka
        def test_address(kafka_bootstrap):
            assert kafka_bootstrap == "broker.example:9092"
        """
    )
    result = pytester.runpytest_subprocess("--strict-markers", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_ksqldb_tests_are_skipped_with_the_reason_when_no_server_is_set(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KSQLDB_URL", raising=False)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.ksqldb
        def test_needs_server(ksqldb_url):
            raise AssertionError("must not run")

        @pytest.mark.slow
        def test_plain():
            pass
        """
    )
    result = pytester.runpytest_subprocess("--strict-markers", "-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*needs a real ksqlDB server: set KSQLDB_URL*"])


def test_ksqldb_tests_run_when_a_server_is_set(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KSQLDB_URL", "http://ksqldb.example:8088")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.ksqldb
        def test_needs_server(ksqldb_url):
            assert ksqldb_url == "http://ksqldb.example:8088"
        """
    )
    result = pytester.runpytest_subprocess("--strict-markers", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
