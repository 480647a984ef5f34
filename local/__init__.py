"""An embedded ksqlDB-compatible server for development and tests.

``LocalServer`` runs the server in a background thread on a free port::

    with LocalServer() as server:
        httpx.post(server.url + "/ksql", json={"ksql": "SHOW STREAMS;"})

``ksqlpy-local`` runs it from the command line (port 8088 by default).
"""

from __future__ import annotations

from .server import LocalServer

__all__ = ["LocalServer"]
