"""HTTP rules of ksqlDB's Vert.x front that are not about its bodies: which media type to answer
(``Accept`` ranking), how request targets are read, and basic authentication.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .wire import DELIMITED, JSON, V1_JSON

Scope = dict[str, Any]


# The media types of each streaming route, in the order ksqlDB's ServerVerticle declares them:
# Vert.x answers the type of the highest q-value and breaks ties by this order, so ``*/*`` (what
# curl, requests and httpx send by default) gets the first, the delimited format.
QUERY_TYPES = (DELIMITED, V1_JSON, JSON)
PRINT_TYPES = (V1_JSON, JSON)  # PRINT on /query goes to the older route
QUERY_STREAM_TYPES = (DELIMITED, JSON, V1_JSON)
INSERTS_TYPES = (DELIMITED, JSON)


class PlainAnswer(Exception):
    """A refusal answered in plain text, as Vert.x answers it (406, 404)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def _accepted(header: str) -> list[tuple[str, str, float]]:
    """``Accept`` as (type, subtype, q) entries; entries that do not parse are left out."""
    out = []
    for part in header.split(","):
        media, *params = part.split(";")
        kind, slash, sub = media.strip().lower().partition("/")
        if not slash or not kind or not sub:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        out.append((kind, sub.strip(), q))
    return out


def negotiate(header: str | None, produces: Sequence[str]) -> str | None:
    """The media type to answer: ``None`` when the request has no ``Accept`` (no preference).

    Each of the route's types takes the q-value of the most specific entry matching it; the
    highest wins, ties go to the route's own order. Nothing acceptable is a 406, as in Vert.x.
    """
    if header is None or not header.strip():
        return None
    entries = _accepted(header)
    best: tuple[float, str] | None = None
    for media in produces:
        kind, _, sub = media.partition("/")
        matches = [
            (2 if (k, s) == (kind, sub) else 1 if k == kind and s == "*" else 0, q)
            for k, s, q in entries
            if (k, s) in ((kind, sub), (kind, "*"), ("*", "*"))
        ]
        if not matches:
            continue
        q = max(matches)[1]
        if q > 0 and (best is None or q > best[0]):
            best = (q, media)
    if best is None:
        raise PlainAnswer(406, "Not Acceptable")
    return best[1]


def origin_form(scope: Scope) -> Scope:
    """Route an absolute-form target (``POST http://host:port/query``) by its path."""
    path: str = scope["path"]
    if not path.startswith(("http://", "https://")):
        return scope
    return {**scope, "path": urlsplit(path).path or "/"}


@dataclass(frozen=True, slots=True)
class BasicAuth:
    """HTTP basic credentials the server requires."""

    user: str
    password: str
    realm: str = "KsqlServer"

    def allows(self, header: str | None) -> bool:
        """Whether an ``Authorization`` header carries these credentials."""
        if not header or header[:6].lower() != "basic ":
            return False
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True)
        except (binascii.Error, ValueError):  # ValueError: non-ASCII characters
            return False
        # Bytes, not str: compare_digest refuses non-ASCII text, and either side may hold it.
        user, _, password = decoded.partition(b":")
        user_ok = secrets.compare_digest(user, self.user.encode("utf-8"))
        return secrets.compare_digest(password, self.password.encode("utf-8")) and user_ok
