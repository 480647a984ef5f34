"""The public surface of the client: exports, twin clients, docstrings, cheap import."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ksqlpy
from ksqlpy import AsyncClient, AsyncStreamedQuery, Client, ConfigurationError, StreamedQuery
from ksqlpy._config import OPTIONS


def _public(cls: type) -> dict[str, object]:
    return {name: member for name, member in vars(cls).items() if not name.startswith("_")}


def test_all_is_sorted_and_keeps_the_existing_names() -> None:
    assert ksqlpy.__all__ == sorted(ksqlpy.__all__)
    assert {"KafkaLauncherError", "KsqlError", "MissingToolError", "__version__"} <= set(
        ksqlpy.__all__
    )
    for name in ksqlpy.__all__:
        assert hasattr(ksqlpy, name), name


def test_sync_and_async_clients_expose_the_same_methods_with_the_same_parameters() -> None:
    sync, async_ = _public(Client), _public(AsyncClient)
    assert sorted(sync) == sorted(async_)
    for name, member in sync.items():
        other = async_[name]
        if callable(member):
            sync_params = list(inspect.signature(member).parameters)
            async_params = list(inspect.signature(other).parameters)  # type: ignore[arg-type]
            assert sync_params == async_params, name


def test_sync_and_async_streamed_queries_match() -> None:
    sync = set(_public(StreamedQuery))
    async_ = set(_public(AsyncStreamedQuery))
    assert sync == async_


def test_every_public_name_and_method_has_a_docstring() -> None:
    missing = []
    for name in ksqlpy.__all__:
        obj = getattr(ksqlpy, name)
        if name == "__version__":
            continue
        if not (obj.__doc__ or "").strip():
            missing.append(name)
        if inspect.isclass(obj):
            for attr, member in _public(obj).items():
                if callable(member) and not (member.__doc__ or "").strip():
                    missing.append(f"{name}.{attr}")
    assert missing == []


def test_entry_points_carry_an_example() -> None:
    for obj in (Client, AsyncClient, Client.stream_query, AsyncClient.stream_query):
        assert ">>>" in (obj.__doc__ or ""), obj


def test_importing_ksqlpy_loads_neither_sqlglot_nor_kafka_nor_the_server() -> None:
    code = (
        "import sys, ksqlpy; print([m for m in ('sqlglot', 'ksqlpy.sql', 'kafka', "
        "'prompt_toolkit', 'ksqlpy.local', 'hypercorn') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_httpx_loads_only_when_a_client_is_first_used() -> None:
    code = (
        "import sys, ksqlpy; before = 'httpx' in sys.modules; "
        "from ksqlpy import Client; print(before, 'httpx' in sys.modules, Client.__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "Client"]


def test_the_options_table_of_the_docs_is_the_declared_options() -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "client.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \| `([^`]*)` \| (.+?) \|$", docs, re.M)
    assert rows == [(name, repr(spec.default), spec.doc) for name, spec in OPTIONS.items()]


def test_both_clients_document_every_option() -> None:
    for cls in (Client, AsyncClient):
        for name in OPTIONS:
            assert f"``{name}=" in (cls.__doc__ or ""), (cls.__name__, name)


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_a_misspelt_option_is_refused_with_the_right_name(cls: type) -> None:
    with pytest.raises(
        ConfigurationError,
        match=re.escape("unknown client option retires=; did you mean retries=?"),
    ):
        cls("http://localhost:8088", retires=3)


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_every_option_reaches_the_validation_from_both_constructors(cls: type) -> None:
    with pytest.raises(ConfigurationError, match="read_timeout must be a positive number"):
        cls("http://localhost:8088", read_timeout=-1)
    client = cls("http://localhost:8088", properties={"a": "b"}, http2=False, retries=0)
    assert client._core.config.properties == {"a": "b"}
    assert client._core.config.http2 is False
    assert client._core.config.retry.retries == 0
