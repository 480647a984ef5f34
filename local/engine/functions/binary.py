"""Bytes functions (TO_BYTES, FROM_BYTES)."""

from __future__ import annotations

import base64

from ..types import (
    BYTES,
    STRING,
)
from .registry import fixed, register


# As ksqlDB's BytesUtils: upper-case hex (lower case does not decode), MIME base64 (lines of 76
# characters, other characters ignored on reading), bad text replaced rather than refused.
def _to_bytes(text: str, encoding: str) -> bytes | None:
    codec = encoding.lower()
    if codec == "hex":
        if text != text.upper():
            return None
        try:
            return bytes.fromhex(text)
        except ValueError:
            return None
    if codec == "base64":
        try:
            return base64.b64decode(text)
        except ValueError:
            return None
    if codec in ("utf8", "ascii"):
        return text.encode("utf-8" if codec == "utf8" else "ascii", errors="replace")
    return None  # an unknown encoding fails the call: NULL


def _from_bytes(value: bytes, encoding: str) -> str | None:
    codec = encoding.lower()
    if codec == "hex":
        return value.hex().upper()
    if codec == "base64":
        text = base64.b64encode(value).decode("ascii")
        return "\r\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    if codec in ("utf8", "ascii"):
        return value.decode("utf-8" if codec == "utf8" else "ascii", errors="replace")
    return None


_ENCODINGS = "hex, utf8, ascii or base64"
register(
    "TO_BYTES",
    _to_bytes,
    fixed(BYTES),
    "BYTES",
    f"A string as BYTES, read in an encoding: {_ENCODINGS}.",
    2,
)
register(
    "FROM_BYTES",
    _from_bytes,
    fixed(STRING),
    "BYTES",
    f"BYTES as a string in an encoding: {_ENCODINGS}.",
    2,
)
