"""Regular-expression functions (REGEXP_EXTRACT(_ALL), REGEXP_REPLACE, REGEXP_SPLIT_TO_ARRAY).

Patterns are java.util.regex patterns: :func:`java_regex` rewrites the constructs Python's ``re``
spells differently (named groups, ``\\Q..\\E`` quoting, ``\\z``, POSIX ``\\p{..}`` classes), and
replacement strings use Java's ``$1`` / ``${name}`` group references.
"""

from __future__ import annotations

import functools
import re

from ..types import STRING, ArrayType
from .registry import fixed, register

STRINGS = "REGULAR EXPRESSION"
_POSIX = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7F",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "!-/:-@\\[-`{-~",
    "Graph": "!-~",
    "Print": " -~",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1F\\x7F",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0B\\f\\r",
    "L": "^\\W\\d_",
    "IsAlphabetic": "^\\W\\d_",
    "N": "\\d",
}


@functools.lru_cache(maxsize=256)
def java_regex(pattern: str) -> re.Pattern[str]:
    """A java.util.regex pattern compiled by Python's ``re``; ValueError if it is invalid."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                end = len(pattern) if end < 0 else end
                out.append(re.escape(pattern[i + 2 : end]))
                i = end + 2
                continue
            if nxt in "pP" and i + 2 < len(pattern) and pattern[i + 2] == "{":
                end = pattern.index("}", i)
                name = pattern[i + 3 : end].removeprefix("Is")
                chars = _POSIX.get(name) or _POSIX.get("Is" + name)
                if chars is None:
                    raise ValueError(f"Invalid regular expression pattern: {pattern}")
                negate = nxt == "P"
                if chars.startswith("^"):
                    chars, negate = chars[1:], not negate
                out.append(f"[{'^' if negate else ''}{chars}]")
                i = end + 1
                continue
            if nxt == "z":
                out.append("\\Z")
            elif nxt == "Z":
                out.append("(?=\\n?\\Z)")
            elif nxt == "h":
                out.append("[ \\t\\xA0\\u1680\\u180e\\u2000-\\u200a\\u202f\\u205f\\u3000]")
            elif nxt == "k" and pattern[i + 2 : i + 3] == "<":
                end = pattern.index(">", i)
                out.append(f"(?P={pattern[i + 3 : end]})")
                i = end + 1
                continue
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
            out.append("(?P<")
            i += 3
            continue
        out.append(char)
        i += 1
    try:
        return re.compile("".join(out))
    except (re.error, IndexError) as exc:
        raise ValueError(f"Invalid regular expression pattern: {pattern}") from exc


@functools.lru_cache(maxsize=256)
def java_replacement(text: str) -> str:
    """A Java replacement string (``$1``, ``${name}``, ``\\$``) as a Python ``re`` template."""
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1].replace("\\", "\\\\"))
            i += 2
        elif char == "$":
            match = re.match(r"\$(?:\{(\w+)\}|(\d+))", text[i:])
            if match is None:
                raise ValueError(f"Illegal group reference in replacement: {text}")
            out.append(f"\\g<{match.group(1) or match.group(2)}>")
            i += match.end()
        else:
            out.append("\\\\" if char == "\\" else char)
            i += 1
    return "".join(out)


def _extract(pattern: str, text: str, group: int = 0) -> str | None:
    regex = java_regex(pattern)
    if group > regex.groups:
        return None
    match = regex.search(text)
    return match.group(group) if match else None


def _extract_all(pattern: str, text: str, group: int = 0) -> list[str | None] | None:
    regex = java_regex(pattern)
    if group > regex.groups:
        return None
    return [m.group(group) for m in regex.finditer(text)]


def _replace(text: str, pattern: str, replacement: str) -> str:
    return java_regex(pattern).sub(java_replacement(replacement), text)


def _split(text: str, pattern: str) -> list[str]:
    regex = java_regex(pattern)
    if regex.fullmatch(""):
        # java.util.regex.Pattern.split with a pattern that matches nothing: every character,
        # without Java's trailing empty strings.
        return list(text) if text else [""]
    parts, start = [], 0
    for match in regex.finditer(text):
        parts.append(text[start : match.start()])
        start = match.end()
    parts.append(text[start:])
    return parts


register(
    "REGEXP_EXTRACT",
    _extract,
    fixed(STRING),
    STRINGS,
    "extract the first subtring matched by a regex pattern",
    2,
    3,
    signatures=["STRING, STRING", "STRING, STRING, INT"],
)
register(
    "REGEXP_EXTRACT_ALL",
    _extract_all,
    fixed(ArrayType("ARRAY", STRING)),
    STRINGS,
    "Extracts the all subtrings matched by a regex pattern",
    2,
    3,
    signatures=["STRING, STRING", "STRING, STRING, INT"],
)
register(
    "REGEXP_REPLACE",
    _replace,
    fixed(STRING),
    STRINGS,
    "Replaces all matches of a regexp in a string with a new substring.",
    3,
    signatures=["STRING, STRING, STRING"],
)
register(
    "REGEXP_SPLIT_TO_ARRAY",
    _split,
    fixed(ArrayType("ARRAY", STRING)),
    STRINGS,
    "Splits a string into an array of substrings based on a regexp. If the regexp is found at "
    "the beginning of the string, end of the string, or there are contiguous matches in the "
    "string, then empty strings are added to the array. If the regexp is not found, then the "
    "original string is returned as the only element in the array. If the regexp is empty, "
    "then all characters in the string are split.",
    2,
    signatures=["STRING, STRING"],
)
