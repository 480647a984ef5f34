"""The server-state routes: ``/info``, ``/healthcheck``, ``/clusterStatus``, ``/status``,
``/is_valid_property``, ``/v1/metadata`` and the liveness checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from .asgi import Receive, Scope, Send, respond, respond_json
from .entities import cluster_status, server_info
from .ports import Engine
from .wire import KsqlHttpError, generic_error

Handler = Callable[[Scope, Receive, Send], Awaitable[None]]


class StateRoutes:
    """Handlers that report on the server rather than run statements."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def routes(self) -> dict[tuple[str, str], Handler]:
        """Exact paths to their handlers."""
        return {
            ("GET", "/info"): self.info,
            ("GET", "/"): self.root,
            ("GET", "/healthcheck"): self.healthcheck,
            ("GET", "/clusterStatus"): self.cluster_status,
            ("GET", "/status"): self.statuses,
            ("GET", "/v1/metadata"): self.metadata,
            ("GET", "/v1/metadata/id"): self.metadata_id,
            ("GET", "/chc/ready"): self.chc,
            ("GET", "/chc/live"): self.chc,
        }

    def prefix_routes(self) -> dict[tuple[str, str], Handler]:
        """Templated paths, matched by prefix, to their handlers."""
        return {
            ("GET", "/status/"): self.status,
            ("GET", "/is_valid_property/"): self.valid_property,
        }

    async def info(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``GET /info``."""
        info = self.engine.server_info()
        body = server_info(info.version, info.cluster_id, info.service_id)
        await respond_json(send, 200, {"KsqlServerInfo": body})

    async def root(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``GET /``: a redirect to ``/info``."""
        await respond(send, 307, b"", None, [("location", "/info")])

    async def healthcheck(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``GET /healthcheck``."""
        healthy = {"isHealthy": True}
        details = {"metastore": healthy, "kafka": healthy, "commandRunner": healthy}
        await respond_json(
            send, 200, {"isHealthy": True, "details": details, "serverState": "READY"}
        )

    async def cluster_status(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``GET /clusterStatus``."""
        host, port = scope.get("server") or ("localhost", 8088)
        await respond_json(send, 200, cluster_status(f"{host}:{port}"))

    async def statuses(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``GET /status``."""
        commands = self.engine.command_statuses()
        statuses = {command_id: c.status for command_id, c in commands.items()}
        await respond_json(send, 200, {"commandStatuses": statuses})

    async def status(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``GET /status/{type}/{entity}/{action}``."""
        parts = scope["path"][len("/status/") :].split("/")
        if len(parts) != 3:
            await respond(send, 404, b"Not Found", "text/plain")
            return
        kind, entity, action = (unquote(p) for p in parts)
        found = self.engine.command_status(f"{kind.lower()}/{entity}/{action.lower()}")
        if found is None:
            raise KsqlHttpError(404, generic_error(40400, "Command not found"))
        body = {"status": found.status, "message": found.message, "queryId": found.query_id}
        await respond_json(send, 200, body)

    async def valid_property(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``GET /is_valid_property/{name}``: bare ``true`` or a 400."""
        self.engine.is_valid_property(unquote(scope["path"][len("/is_valid_property/") :]))
        await respond(send, 200, b"true")

    async def metadata(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``GET /v1/metadata``."""
        info = self.engine.server_info()
        await respond_json(send, 200, {"version": info.version, "clusterId": self._cluster_id()})

    async def metadata_id(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``GET /v1/metadata/id``."""
        await respond_json(send, 200, self._cluster_id())

    def _cluster_id(self) -> dict[str, Any]:
        info = self.engine.server_info()
        clusters = {"kafka-cluster": info.cluster_id, "ksql-cluster": info.service_id}
        return {"scope": {"path": [], "clusters": clusters}, "id": ""}

    async def chc(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``GET /chc/ready`` and ``/chc/live``: ``{}``."""
        await respond(send, 200, b"{}")
