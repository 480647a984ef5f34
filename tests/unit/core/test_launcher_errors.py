"""The launcher explains what to install instead of hanging or failing obscurely."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksqlpy import KafkaLauncherError, MissingToolError
from ksqlpy.testing.kafka import ensure_jars, find_java, kafka_version


def test_missing_java_names_the_tool_and_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(MissingToolError) as info:
        find_java()
    assert info.value.tool == "java"
    assert "Java 17" in str(info.value)
    assert "KAFKA_BOOTSTRAP_SERVERS" in str(info.value)


def test_old_java_is_refused_with_its_version(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = tmp_path / "bin" / "java"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'openjdk version \"11.0.2\" 2019-01-15' >&2\n")
    fake.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(MissingToolError, match="is Java 11"):
        find_java()


def test_missing_maven_names_the_tool_when_jars_are_not_cached(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("KSQLPY_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(MissingToolError) as info:
        ensure_jars("4.3.1", quiet=True)
    assert info.value.tool == "mvn"
    assert "apt-get install maven" in str(info.value)


def test_cached_jars_are_used_without_maven(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = tmp_path / "kafka-9.9.9"
    (home / "libs").mkdir(parents=True)
    (home / "complete").write_text("9.9.9\n")
    monkeypatch.setenv("PATH", str(tmp_path))  # no mvn at all
    monkeypatch.setenv("KSQLPY_CACHE_DIR", str(tmp_path))
    assert ensure_jars("9.9.9") == home / "libs"


def test_a_malformed_kafka_version_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSQLPY_KAFKA_VERSION", "latest; rm -rf /")
    with pytest.raises(KafkaLauncherError, match="not a Kafka version"):
        kafka_version()
