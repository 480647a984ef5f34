"""String functions (UCASE, SUBSTRING, SPLIT, LPAD, INSTR, EXTRACTJSONFIELD, ...)."""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
import uuid
from collections.abc import Callable
from typing import Any

from ..types import (
    INTEGER,
    STRING,
    ArrayType,
    MapType,
)
from .array import MAX_ELEMENTS
from .registry import first, fixed, register

STRINGS = "STRING"


def _substring(text: str, start: int, length: int | None = None) -> str:
    # ksqlDB positions are 1-based; negative counts from the end, and 0 reads as 1.
    begin = min(max(start - 1, 0), len(text)) if start >= 0 else max(len(text) + start, 0)
    if length is None:
        return text[begin:]
    return text[begin : begin + max(length, 0)]


def _pad(left: bool) -> Callable[[Any, int, Any], Any]:
    # For strings and bytes alike; an empty padding gives NULL even when none is needed.
    def run(text: Any, length: int, padding: Any) -> Any:
        if length < 0 or not padding:
            return None
        if length > MAX_ELEMENTS:
            raise ValueError(
                f"{'L' if left else 'R'}PAD target length {length} is over {MAX_ELEMENTS}"
            )
        if len(text) >= length:
            return text[:length]
        fill = (padding * (length // max(len(padding), 1) + 1))[: length - len(text)]
        return fill + text if left else text + fill

    return run


def _split(text: Any, delimiter: Any) -> list[Any]:
    if not delimiter:
        # Java's split(""): every character; an empty input gives one empty element.
        return [text[i : i + 1] for i in range(len(text))] or [text[:0]]
    return text.split(delimiter)  # type: ignore[no-any-return]


def _concat(*args: Any) -> Any:
    present = [a for a in args if a is not None]
    return (b"" if present and isinstance(present[0], bytes) else "").join(present)


def _concat_ws(separator: Any, *args: Any) -> Any:
    if separator is None:
        return None
    return separator.join(a for a in args if a is not None)


def _initcap(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:].lower() for w in text.split(" "))


def _instr(
    text: str | None, sub: str | None, position: int | None = 1, occurrence: int | None = 1
) -> int | None:
    """ksqlDB's Instr: a negative position counts from the end, searching backwards; overlapping
    occurrences count; a NULL string or substring is 0."""
    if text is None or sub is None:
        return 0
    if position is None or occurrence is None:
        return None  # ksqlDB's primitive int parameters cannot take a NULL
    if abs(position) > len(text):
        return 0
    backwards = position < 0
    if backwards:
        text, sub, position = text[::-1], sub[::-1], -position
    # Commons' substring(str, position - 1): a negative start counts from the end.
    start = position - 1
    tail = text[max(start + len(text), 0) :] if start < 0 else text[start:]
    index = _ordinal_index(tail, sub, occurrence)
    if index < 0:
        return 0
    return len(text) - position - index - len(sub) + 2 if backwards else index + position


def _ordinal_index(text: str, sub: str, ordinal: int) -> int:
    """Commons' StringUtils.ordinalIndexOf: the index of the n-th (overlapping) occurrence."""
    if ordinal <= 0:
        return -1
    if not sub:
        return 0
    index = -1
    for _ in range(ordinal):
        index = text.find(sub, index + 1)
        if index < 0:
            return -1
    return index


_JAVA_SPACE = "".join(chr(c) for c in range(33))  # String.trim(): every char <= ' '
_BOTH = ("STRING", "BYTES")
register(
    "UCASE",
    str.upper,
    fixed(STRING),
    STRINGS,
    "Returns an upper-case version of the input string.",
    1,
    signatures=["STRING input"],
)
register(
    "LCASE",
    str.lower,
    fixed(STRING),
    STRINGS,
    "Returns a lower-case version of the input string.",
    1,
    signatures=["STRING input"],
)
register(
    "LEN",
    len,
    fixed(INTEGER),
    STRINGS,
    "Returns the length of the input string or byte array.",
    1,
    signatures=[f"{t} input" for t in _BOTH],
)
register(
    "TRIM",
    lambda text: text.strip(_JAVA_SPACE),
    fixed(STRING),
    STRINGS,
    "Remove whitespace from the beginning and end of a string.",
    1,
    signatures=["STRING input"],
)
register(
    "INITCAP",
    _initcap,
    fixed(STRING),
    STRINGS,
    "Capitalizes the first letter of each word in a string and the rest lowercased. Words are "
    "delimited by whitespace.",
    1,
    signatures=["STRING input"],
)
register(
    "SUBSTRING",
    _substring,
    first,
    STRINGS,
    "Returns the portion of the string or bytes passed in value.",
    2,
    3,
    signatures=[f"{t} str, INT pos" for t in _BOTH]
    + [f"{t} str, INT pos, INT length" for t in _BOTH],
)
register(
    "REPLACE",
    str.replace,
    fixed(STRING),
    STRINGS,
    "Replaces all occurances of a substring in a string with a new substring.",
    3,
    signatures=["STRING str, STRING substring, STRING replacement"],
)
register(
    "SPLIT",
    _split,
    lambda a: ArrayType("ARRAY", a[0] if a[0].base == "BYTES" else STRING),
    STRINGS,
    "Splits a string or bytes into an array of substrings or bytes based on a delimiter.",
    2,
    signatures=[f"{t} string, {t} delimiter" for t in _BOTH],
)
for _name, _left in (("LPAD", True), ("RPAD", False)):
    register(
        _name,
        _pad(_left),
        first,
        STRINGS,
        f"Pads the input string or bytes, beginning from the {'left' if _left else 'right'}, "
        "with the specified padding of the same type, until the target length is reached.",
        3,
        signatures=[f"{t} input, INT targetLen, {t} padding" for t in _BOTH],
    )
register(
    "INSTR",
    _instr,
    fixed(INTEGER),
    STRINGS,
    "Returns the position of substring in the provided string",
    2,
    4,
    strict=False,
    signatures=[
        "STRING str, STRING substring",
        "STRING str, STRING substring, INT position",
        "STRING str, STRING substring, INT position, INT occurrence",
    ],
)
register(
    "CONCAT",
    _concat,
    first,
    STRINGS,
    "Concatenate an arbitrary number of string or bytes fields together",
    1,
    1000,
    strict=False,
    signatures=[f"{t}... inputs" for t in _BOTH],
)
register(
    "CONCAT_WS",
    _concat_ws,
    first,
    STRINGS,
    "Concatenate several strings or bytes, inserting a separator passed as the first argument "
    "between each one.",
    2,
    1000,
    strict=False,
    signatures=[f"{t} separator, {t}... args" for t in _BOTH],
)


def _chr(code: Any) -> str | None:
    if isinstance(code, str):
        # A UTF-16 escape like '\u004b' (surrogate pairs as two escapes).
        if len(code) < 6 or not code.startswith("\\u"):
            return None
        units = re.findall(r"\\u([0-9a-fA-F]{4})", code)
        data = b"".join(int(u, 16).to_bytes(2, "big") for u in units)
        return data.decode("utf-16-be", errors="surrogatepass")
    if not 0 <= code <= 0x10FFFF:
        return None
    return chr(code)


def _elt(n: Any, *args: Any) -> str | None:
    if n is None or n < 1 or n > len(args):
        return None
    return args[n - 1]  # type: ignore[no-any-return]


def _field(text: Any, *args: Any) -> int:
    if text is None:
        return 0
    return next((i + 1 for i, a in enumerate(args) if a == text), 0)


def _hex_strip(text: str) -> str:
    if text.startswith("0x"):
        return ("0" + text[2:]) if len(text) % 2 else text[2:]
    if re.fullmatch(r"[xX]'.*'", text, re.DOTALL):
        return text[2:-1]
    return text


_DECODE: dict[str, Callable[[str], bytes]] = {
    "hex": lambda t: bytes.fromhex(_hex_strip(t)),
    "utf8": lambda t: t.encode("utf-8"),
    "ascii": lambda t: t.encode("ascii", errors="replace"),
    "base64": lambda t: base64.b64decode(t + "=" * (-len(t) % 4), validate=False),
}
_ENCODE: dict[str, Callable[[bytes], str]] = {
    "hex": bytes.hex,
    "utf8": lambda b: b.decode("utf-8", errors="replace"),
    "ascii": lambda b: "".join(chr(c) if c < 128 else "\ufffd" for c in b),
    "base64": lambda b: base64.b64encode(b).decode("ascii"),
}


def _encode(text: str, source: str, target: str) -> str:
    decode, encode = _DECODE.get(source.lower()), _ENCODE.get(target.lower())
    if decode is None or encode is None or source.lower() == target.lower():
        raise ValueError("Supported input and output encodings are: hex, utf8, ascii and base64")
    return encode(decode(text))


_NO_MASK = None


def _mask_char(mask: str | None) -> str | None:
    if mask is None:
        return _NO_MASK
    if len(mask) != 1:
        raise ValueError(f"Invalid mask character. Must be only single character, but was '{mask}'")
    return mask


def _masked(
    text: str,
    upper: str | None = "X",
    lower: str | None = "x",
    digit: str | None = "n",
    other: str | None = "-",
) -> str:
    out = []
    for char in text:
        category = unicodedata.category(char)
        mask = (
            upper
            if category == "Lu"
            else lower
            if category == "Ll"
            else digit
            if category == "Nd"
            else other
        )
        out.append(char if mask is None else mask)
    return "".join(out)


def _mask(name: str, part: str) -> Callable[..., str | None]:
    """MASK, MASK_LEFT/RIGHT (mask n chars at one end), MASK_KEEP_LEFT/RIGHT (keep n)."""

    def run(text: str | None, *rest: Any) -> str | None:
        if text is None:
            return None
        count = None
        if part != "ALL":
            if not rest or rest[0] is None:
                return None
            count, rest = rest[0], rest[1:]
            if count < 0:
                raise ValueError(
                    f"function {name} requires a non-negative number of characters to mask or skip"
                )
        masks = [_mask_char(m) for m in rest] if rest else ["X", "x", "n", "-"]
        n = len(text) if count is None else min(count, len(text))
        if part == "ALL":
            return _masked(text, *masks)
        if part == "LEFT":
            return _masked(text[:n], *masks) + text[n:]
        if part == "RIGHT":
            return text[: len(text) - n] + _masked(text[len(text) - n :], *masks)
        if part == "KEEP_LEFT":
            return text[:n] + _masked(text[n:], *masks)
        return _masked(text[: len(text) - n], *masks) + text[len(text) - n :]

    return run


def _split_to_map(text: str, entries: str, pair: str) -> dict[str, str] | None:
    if not entries or not pair or entries == pair:
        return None
    out: dict[str, str] = {}
    for entry in text.split(entries):
        if entry and pair in entry:
            parts = entry.split(pair)
            out[parts[0]] = parts[1]
    return out


_MASK_RULES = (
    " Default masking rules will replace all upper-case characters with 'X', all lower-case "
    "characters with 'x', all digits with 'n', and any other character with '-'."
)
register(
    "CHR",
    _chr,
    fixed(STRING),
    STRINGS,
    "Returns a single-character string corresponding to the input character code.",
    1,
    signatures=["INT", "STRING"],
)
register(
    "ELT",
    _elt,
    fixed(STRING),
    STRINGS,
    "ELT() returns the Nth element of the list of strings. Returns NULL if N is less than 1 or "
    "greater than the number of arguments. Note that this method is 1-indexed. This is the "
    "complement to FIELD.",
    1,
    1000,
    strict=False,
    signatures=["INT, STRING..."],
)
register(
    "FIELD",
    _field,
    fixed(INTEGER),
    STRINGS,
    "Returns the position (1-indexed) of str in args, or 0 if not found. If str is NULL, the "
    "return value is 0 because NULL is not considered equal to any value. This is the "
    "compliment to ELT.",
    1,
    1000,
    strict=False,
    signatures=["STRING, STRING..."],
)
register(
    "ENCODE",
    _encode,
    fixed(STRING),
    STRINGS,
    "Takes an input string s, which is encoded as input_encoding, and encodes it as "
    "output_encoding. The accepted input and output encodings are: hex, utf8, ascii and "
    "base64. Throws exception if provided encodings are not supported.",
    3,
    signatures=["STRING, STRING, STRING"],
)
register(
    "MD5",
    lambda t: hashlib.md5(t.encode("utf-8")).hexdigest(),
    fixed(STRING),
    STRINGS,
    "Returns the hex-encoded MD5 hash of the input string.",
    1,
    signatures=["STRING"],
)
register(
    "UUID",
    lambda: str(uuid.uuid4()),
    fixed(STRING),
    STRINGS,
    "Create a Universally Unique Identifier (UUID) generated according to RFC 4122. "
    "A call to UUID() returns a value conforming to UUID version 4, sometimes called "
    '"random UUID", as described in RFC 4122. The value is a 128-bit number represented '
    "as a string of five hexadecimal numbers aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee.",
    0,
)
register(
    "SPLIT_TO_MAP",
    _split_to_map,
    fixed(MapType("MAP", STRING, STRING)),
    STRINGS,
    "Splits a string into key-value pairs and creates a map from them. The 'entryDelimiter' "
    "splits the string into key-value pairs which are then split by 'kvDelimiter'. If the same "
    "key is present multiple times in the input, the latest value for that key is returned. "
    "Returns NULL if the input text or either of the delimiters is NULL.",
    3,
    signatures=["STRING, STRING, STRING"],
)
_MASKS = "STRING, STRING, STRING, STRING"
for _name, _part, _text in [
    (
        "MASK",
        "ALL",
        "Returns a version of the input string with every character replaced by a mask.",
    ),
    (
        "MASK_LEFT",
        "LEFT",
        "Returns a version of the input string with the specified number of "
        "characters, starting from the beginning of the string, masked out.",
    ),
    (
        "MASK_RIGHT",
        "RIGHT",
        "Returns a version of the input string with the specified number "
        "of characters, starting from the end of the string, masked out.",
    ),
    (
        "MASK_KEEP_LEFT",
        "KEEP_LEFT",
        "Returns a version of the input string with all but the "
        "specified number of left-most characters masked out.",
    ),
    (
        "MASK_KEEP_RIGHT",
        "KEEP_RIGHT",
        "Returns a version of the input string with all but the "
        "specified number of right-most characters masked out.",
    ),
]:
    _sigs = (
        ["STRING", f"STRING, {_MASKS}"]
        if _part == "ALL"
        else ["STRING, INT", f"STRING, INT, {_MASKS}"]
    )
    register(
        _name,
        _mask(_name.lower(), _part),
        fixed(STRING),
        STRINGS,
        _text + _MASK_RULES,
        len(_sigs[0].split(",")),
        len(_sigs[1].split(",")),
        strict=False,
        signatures=_sigs,
    )
