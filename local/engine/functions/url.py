"""URL functions (URL_EXTRACT_HOST, URL_ENCODE_PARAM, ...), read as java.net.URI reads a URL."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from ..types import INTEGER, STRING
from .registry import fixed, register

URL = "URL"
# Characters java.net.URI refuses anywhere (its parser raises URISyntaxException).
_ILLEGAL = re.compile(r"[\s\"<>\\^`{|}]")


@dataclass(frozen=True, slots=True)
class _Uri:
    """The components java.net.URI gives, percent-decoded as its getters decode them."""

    scheme: str | None
    host: str | None
    port: int | None
    path: str | None
    query: str | None
    fragment: str | None


def _decoded(text: str | None) -> str | None:
    return None if text is None else urllib.parse.unquote(text)


def _parse(url: str) -> _Uri:
    if _ILLEGAL.search(url):
        raise ValueError(f"URL input has invalid syntax: {url}")
    rest, _, fragment = url.partition("#")
    fragment_part = fragment if "#" in url else None
    scheme = None
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", rest)
    if match:
        scheme = match.group(1)
        rest = rest[match.end() :]
    host = port = None
    if rest.startswith("//"):
        end = min((i for i in (rest.find("/", 2), rest.find("?", 2)) if i >= 0), default=len(rest))
        authority, rest = rest[2:end], rest[end:]
        hostport = authority.rpartition("@")[2]
        name, colon, digits = hostport.rpartition(":") if "]" not in hostport[-1:] else ("", "", "")
        if colon and digits.isdigit():
            host, port = name, int(digits)
        else:
            host = hostport if not colon else name
        host = host or None
    path, question, query = rest.partition("?")
    return _Uri(
        scheme,
        host,
        port,
        _decoded(path),
        _decoded(query) if question else None,
        _decoded(fragment_part),
    )


def _extract(part: Callable[[_Uri], object]) -> Callable[[str], object]:
    return lambda url: part(_parse(url))


def _parameter(url: str, name: str) -> str | None:
    query = _parse(url).query
    if query is None:
        return None
    for param in query.split("&"):
        key, equals, value = param.partition("=")
        if key == name:
            return value if equals else ""
    return None


def _encode(text: str) -> str:
    # java.net.URLEncoder: spaces as '+', only A-Z a-z 0-9 . - * _ kept.
    return urllib.parse.quote_plus(text, safe="*")


def _decode(text: str) -> str:
    return urllib.parse.unquote_plus(text, errors="strict")


_FORM = "an application/x-www-form-urlencoded String"
for _name, _call, _type, _text in [
    ("URL_DECODE_PARAM", _decode, STRING, f"Decodes a previously encoded {_FORM[3:]}"),
    (
        "URL_ENCODE_PARAM",
        _encode,
        STRING,
        "Returns a version of the input with all URL sensitive characters encoded "
        "using the application/x-www-form-urlencoded standard.",
    ),
    (
        "URL_EXTRACT_FRAGMENT",
        _extract(lambda u: u.fragment),
        STRING,
        f"Extracts the fragment of {_FORM} input",
    ),
    (
        "URL_EXTRACT_HOST",
        _extract(lambda u: u.host),
        STRING,
        f"Extracts the Host Name of {_FORM} input",
    ),
    ("URL_EXTRACT_PATH", _extract(lambda u: u.path), STRING, f"Extracts the path of {_FORM} input"),
    (
        "URL_EXTRACT_PORT",
        _extract(lambda u: u.port),
        INTEGER,
        "Extracts the port from an application/x-www-form-urlencoded encoded String. "
        "If there is no port or the string is invalid, this will return null.",
    ),
    (
        "URL_EXTRACT_PROTOCOL",
        _extract(lambda u: u.scheme),
        STRING,
        "Extracts the Scheme Component (protocol) of an application/x-www-form-urlencoded "
        "encoded String input",
    ),
    (
        "URL_EXTRACT_QUERY",
        _extract(lambda u: u.query),
        STRING,
        "Extracts the query parameters of an application/x-www-form-urlencoded encoded "
        "String input, if it exists.",
    ),
]:
    register(_name, _call, fixed(_type), URL, _text, 1, signatures=["STRING"])

register(
    "URL_EXTRACT_PARAMETER",
    _parameter,
    fixed(STRING),
    URL,
    "Extracts a parameter with a specified name encoded inside an "
    "application/x-www-form-urlencoded String.",
    2,
    signatures=["STRING, STRING"],
)
