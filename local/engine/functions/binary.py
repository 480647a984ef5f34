"""Bytes functions (TO_BYTES, FROM_BYTES)."""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Callable
from typing import Any

from ..types import BIGINT, BYTES, DOUBLE, INTEGER, STRING
from .registry import fixed, register

# As ksqlDB's BytesUtils: hex read in any case and written upper-case (DatatypeConverter),
# base64 as java.util.Base64's basic codec (no line breaks; padding optional on reading),
# characters a charset cannot hold replaced rather than refused.
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


def _codec(encoding: str) -> str:
    codec = encoding.lower()
    if codec not in ("hex", "utf8", "ascii", "base64"):
        raise ValueError(
            f"Unknown encoding type '{encoding}'. "
            "Supported formats are 'hex', 'utf8', 'ascii', and 'base64'."
        )
    return codec


def _to_bytes(text: str, encoding: str) -> bytes:
    codec = _codec(encoding)
    if codec == "hex":
        if not _HEX.fullmatch(text):
            raise ValueError(f"hexBinary needs to be even-length and hexadecimal: {text}")
        return bytes.fromhex(text)
    if codec == "base64":
        if not _BASE64.fullmatch(text) or len(text.rstrip("=")) % 4 == 1:
            raise ValueError(f"Illegal base64 text: {text}")
        return base64.b64decode(text + "=" * (-len(text) % 4))
    return text.encode("utf-8" if codec == "utf8" else "ascii", errors="replace")


def _from_bytes(value: bytes, encoding: str) -> str:
    codec = _codec(encoding)
    if codec == "hex":
        return value.hex().upper()
    if codec == "base64":
        return base64.b64encode(value).decode("ascii")
    return value.decode("utf-8" if codec == "utf8" else "ascii", errors="replace")


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
