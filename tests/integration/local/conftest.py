"""Helpers for talking to the local server over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from ksqlpy.local import LocalServer


@pytest.fixture
def server(local_ksqldb: LocalServer) -> LocalServer:
    return local_ksqldb


@pytest.fixture
def http(server: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


Ksql = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def ksql(http: httpx.Client) -> Ksql:
    """POST /ksql and return the entities, failing the test on an error status."""

    def run(text: str, **extra: Any) -> list[dict[str, Any]]:
        response = http.post("/ksql", json={"ksql": text, **extra})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        entities: list[dict[str, Any]] = response.json()
        return entities

    return run


@pytest.fixture
def stream_lines() -> Callable[[str], list[Any]]:
    """Parse a StreamedRow array line by line, as ksqlDB's own clients do."""

    def parse(text: str) -> list[Any]:
        out = []
        for raw in text.split("\n"):
            line = raw.strip().removeprefix("[").removesuffix("]").removesuffix(",")
            if line:
                out.append(json.loads(line))
        return out

    return parse
