"""Syntax highlighting for prompt-toolkit from ksqlpy's own KSQL tokenizer."""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.lexers import Lexer
from prompt_toolkit.styles import Style

from ksqlpy.sql import TokenKind, tokenize

# Token kind -> prompt-toolkit style class.
STYLE_CLASSES = {kind: f"class:sql.{kind.value}" for kind in TokenKind}

STYLE = Style.from_dict(
    {
        "sql.keyword": "bold #5f87ff",
        "sql.type": "#00afaf",
        "sql.string": "#5faf00",
        "sql.number": "#d7875f",
        "sql.variable": "#d75fd7",
        "sql.comment": "italic #808080",
        "sql.quoted_identifier": "#d7af00",
        "sql.operator": "#af87d7",
        "sql.error": "#ff5f5f",
        "prompt": "bold",
        "continuation": "#808080",
        "bottom-toolbar": "noreverse bg:#303030 #bcbcbc",
        "error": "#ff5f5f",
        "warning": "#d7af00",
    }
)


def highlight(text: str) -> list[StyleAndTextTuples]:
    """Styled fragments of ``text``, one list per line."""
    lines: list[StyleAndTextTuples] = [[]]
    for token in tokenize(text):
        style = STYLE_CLASSES[token.kind]
        parts = token.text.split("\n")
        for index, part in enumerate(parts):
            if index:
                lines.append([])
            if part:
                lines[-1].append((style, part))
    return lines


class KsqlLexer(Lexer):
    """Highlights the whole buffer at once (statements span lines), then serves it by line."""

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        """The fragments of each line of ``document``."""
        lines = highlight(document.text)

        def get_line(lineno: int) -> StyleAndTextTuples:
            return lines[lineno] if lineno < len(lines) else []

        return get_line
