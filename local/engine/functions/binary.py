"""Bytes functions (TO_BYTES, FROM_BYTES)."""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable
from typing import Any

from ..types import BIGINT, BYTES, DOUBLE, INTEGER, STRING
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
    "STRING",
    "Converts a STRING value in the specified encoding to BYTES. The accepted encoders are "
    "'hex', 'utf8', 'ascii', and 'base64'.",
    2,
    signatures=["STRING str, STRING encoding"],
)
register(
    "FROM_BYTES",
    _from_bytes,
    fixed(STRING),
    "STRING",
    "Converts a BYTES value to STRING in the specified encoding. The accepted encoders are "
    "'hex', 'utf8', 'ascii', and 'base64'.",
    2,
    signatures=["BYTES bytes, STRING encoding"],
)


def _from_bytes_as(name: str, code: str) -> Callable[..., Any]:
    size = struct.calcsize(code)

    def run(value: bytes, order: str = "BIG_ENDIAN") -> Any:
        prefix = {"BIG_ENDIAN": ">", "LITTLE_ENDIAN": "<"}.get(order.upper())
        if prefix is None:
            raise ValueError(
                f"Byte order must be BIG_ENDIAN or LITTLE_ENDIAN. Unknown byte order '{order}'."
            )
        if len(value) != size:
            raise ValueError(f"Number of bytes must be equal to {size}, but found {len(value)}")
        return struct.unpack(prefix + code, value)[0]

    run.__name__ = name
    return run


for _name, _code, _kind, _type_name in [
    ("INT_FROM_BYTES", "i", INTEGER, "INT"),
    ("BIGINT_FROM_BYTES", "q", BIGINT, "BIGINT"),
    ("DOUBLE_FROM_BYTES", "d", DOUBLE, "DOUBLE"),
]:
    _size = struct.calcsize(_code)
    register(
        _name,
        _from_bytes_as(_name, _code),
        fixed(_kind),
        "CONVERSIONS",
        f"Converts a BYTES value to an {_type_name} value according to the specified byte "
        f"order. BYTES must be {_size} bytes long or a NULL value will be returned.",
        1,
        2,
        signatures=["BYTES", "BYTES, STRING"],
    )
