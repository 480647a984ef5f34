"""Java ``.properties`` files, read exactly as ``java.util.Properties.load(InputStream)`` does.

ksql-migrations loads ``ksql-migrations.properties`` and the ``--headers`` file with that method,
so a project moving between the two tools must get the same keys and values from the same bytes:

- bytes are ISO-8859-1 (a UTF-8 ``é`` becomes two characters, a UTF-8 BOM three);
- natural lines end at ``\\n``, ``\\r`` or ``\\r\\n``; a logical line continues onto the next
  natural line when it ends in an odd number of backslashes, and that next line's leading
  blanks (space, tab, form feed) are dropped;
- a line whose first non-blank character is ``#`` or ``!`` is a comment (even when it ends in
  a backslash); blank lines are skipped;
- the key ends at the first unescaped ``=``, ``:`` or blank; blanks, then one optional ``=`` or
  ``:``, then blanks separate it from the value;
- escapes: ``\\t \\n \\r \\f``, ``\\uXXXX`` (anything else after ``\\u`` is an error, as in Java),
  and ``\\c`` is ``c`` for any other character. A later key replaces an earlier one.

Java quirks kept on purpose (the tests compare with a real JVM): a file that is only ``\\`` plus
one line break holds the key ``""``; a lone backslash line followed by ``#...`` makes that line
a comment. Java strings are UTF-16, so an escaped surrogate pair becomes one character here.
"""

from __future__ import annotations

from collections.abc import Iterator

from ksqlpy._errors import MigrationConfigError

__all__ = ["escape_value", "read_properties", "read_properties_lines"]

_BLANK = " \t\f"
_EOL = "\r\n"
_SEPARATORS = "=:"
_SIMPLE_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_HEX = frozenset("0123456789abcdefABCDEF")
_ESCAPES_OUT = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f"}


class _Line:
    """One logical line: its characters and the natural line each character came from."""

    __slots__ = ("chars", "marks", "start")

    def __init__(self) -> None:
        self.chars: list[str] = []
        self.start = 0
        # (index in chars, natural line number) at the start of each natural line joined in
        self.marks: list[tuple[int, int]] = []

    def line_of(self, index: int) -> int:
        line = self.start
        for at, number in self.marks:
            if at <= index:
                line = number
        return line


def _logical_lines(text: str) -> Iterator[_Line]:
    """Split ``text`` into logical lines the way Java's ``Properties.LineReader`` does."""
    line = _Line()
    number = 1
    previous = ""
    skip_blanks = True  # at the start of a natural line: drop leading blanks
    joined = False  # the current natural line continues a logical one
    backslash = False  # the last character kept is an unescaped backslash
    skip_lf = False  # a continuation ended in \r: a following \n belongs to it
    in_comment = False
    last = len(text) - 1
    for index, char in enumerate(text):
        if previous == "\n" or (previous == "\r" and char != "\n"):
            number += 1
        previous = char
        if in_comment:
            if char in _EOL:
                in_comment = False
                skip_blanks = True
            continue
        if skip_lf:
            skip_lf = False
            if char == "\n":
                continue
        if skip_blanks:
            if char in _BLANK or (not joined and char in _EOL):
                continue
            skip_blanks = False
            joined = False
        if not line.chars and char in "#!":
            in_comment = True
            continue
        if char not in _EOL:
            if not line.chars:
                line.start = number
            line.chars.append(char)
            backslash = char == "\\" and not backslash
            continue
        if not line.chars:
            skip_blanks = True
            continue
        if index == last:
            break  # end of input right after the line break: handled below
        if backslash:
            line.chars.pop()  # the continuation backslash is not part of the line
            line.marks.append((len(line.chars), number + 1))
            backslash = False
            skip_blanks = True
            joined = True
            skip_lf = char == "\r"
            continue
        yield line
        line = _Line()
        skip_blanks = True
    else:
        if not line.chars:
            return
    # Java ends the last line at end of input, dropping a trailing unescaped backslash even
    # when that leaves the line empty (so a file holding only "\\\n" defines the key "").
    if backslash:
        line.chars.pop()
    yield line


def _unescape(line: _Line, begin: int, end: int, source: str) -> str:
    chars = line.chars
    if "\\" not in chars[begin:end]:
        return "".join(chars[begin:end])
    out: list[str] = []
    index = begin
    while index < end:
        char = chars[index]
        index += 1
        if char != "\\":
            out.append(char)
            continue
        # The line reader never leaves an unescaped backslash last, so a character follows.
        char = chars[index]
        index += 1
        if char != "u":
            out.append(_SIMPLE_ESCAPES.get(char, char))
            continue
        digits = "".join(chars[index : index + 4])
        if index + 4 > end or not set(digits) <= _HEX:
            found = "".join(chars[index - 2 : min(index + 4, end)])
            raise MigrationConfigError(
                f"{source}, line {line.line_of(index - 2)}: malformed \\uXXXX escape "
                f"{found!r} (Java rejects the file too); write four hex digits after \\u, "
                "or \\\\u for a literal backslash and u"
            )
        out.append(chr(int(digits, 16)))
        index += 4
    return _join_surrogates("".join(out))


def _join_surrogates(text: str) -> str:
    # Java keeps UTF-16 code units; a high+low pair written as two escapes is one character.
    if not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    return text.encode("utf-16-be", "surrogatepass").decode("utf-16-be", "surrogatepass")


def _split(line: _Line) -> tuple[int, int]:
    """(end of the key, start of the value) of a logical line."""
    chars = line.chars
    size = len(chars)
    key_end = 0
    value_start = size
    has_separator = False
    escaped = False
    while key_end < size:
        char = chars[key_end]
        if not escaped and char in _SEPARATORS:
            value_start = key_end + 1
            has_separator = True
            break
        if not escaped and char in _BLANK:
            value_start = key_end + 1
            break
        escaped = char == "\\" and not escaped
        key_end += 1
    while value_start < size:
        char = chars[value_start]
        if char not in _BLANK:
            if has_separator or char not in _SEPARATORS:
                break
            has_separator = True
        value_start += 1
    return key_end, value_start


def read_properties(data: bytes, *, source: str = "<properties>") -> dict[str, str]:
    """The keys and values ``java.util.Properties.load(InputStream)`` reads from ``data``.

    ``source`` names the file in errors. A malformed ``\\uXXXX`` escape raises
    ``MigrationConfigError`` naming the line, where Java throws ``IllegalArgumentException``.

    >>> read_properties(b"a = b\\n# note\\nc:d\\\\\\n   e")
    {'a': 'b', 'c': 'de'}
    """
    return {key: value for key, (value, _) in read_properties_lines(data, source=source).items()}


def read_properties_lines(
    data: bytes, *, source: str = "<properties>"
) -> dict[str, tuple[str, int]]:
    """Like ``read_properties``, with the natural line each key (last) appears on."""
    result: dict[str, tuple[str, int]] = {}
    for line in _logical_lines(data.decode("latin-1")):
        key_end, value_start = _split(line)
        key = _unescape(line, 0, key_end, source)
        result[key] = (_unescape(line, value_start, len(line.chars), source), line.start)
    return result


def escape_value(value: str) -> str:
    """``value`` written so that ``read_properties`` gives it back unchanged after a separator.

    Printable ASCII stays as is (``http://host:8088`` reads as written); backslashes, a leading
    space, control and non-ASCII characters are escaped, so the text is pure ASCII.
    """
    out: list[str] = []
    for index, char in enumerate(value):
        if char in _ESCAPES_OUT:
            out.append(_ESCAPES_OUT[char])
        elif char == " " and index == 0:
            out.append("\\ ")  # a leading blank would be taken for separator padding
        elif " " <= char <= "~":
            out.append(char)
        else:
            units = char.encode("utf-16-be", "surrogatepass")
            out.extend(f"\\u{units[i : i + 2].hex().upper()}" for i in range(0, len(units), 2))
    return "".join(out)
