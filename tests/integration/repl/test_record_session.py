"""The README's terminal picture comes from a real shell session (docs/assets/record_session.py)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "docs" / "assets" / "record_session.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("record_session", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_colour_codes_become_coloured_runs() -> None:
    spans = _module().spans
    line = "\x1b[1mksql> \x1b[38;5;69mSELECT\x1b[0m * \x1b[31mFROM\x1b[39m s\x1b[38;2;1;2;3m;"
    assert spans(line) == [
        ("ksql> ", None, True),
        ("SELECT", "#5f87ff", True),
        (" * ", None, False),
        ("FROM", "#f14c4c", False),
        (" s", None, False),
        (";", "#010203", False),
    ]


def test_the_picture_holds_the_screen_text_escaped() -> None:
    svg = _module().render_svg("ksql> SELECT '<x>' & 1;\n| A |\n", "t")
    assert svg.startswith("<svg ")
    assert svg.rstrip().endswith("</svg>")
    assert "ksql&gt; SELECT &#x27;&lt;x&gt;&#x27; &amp; 1;" in svg
    assert "| A |" in svg


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux to drive the real shell")
def test_a_real_session_is_recorded(tmp_path: Path) -> None:
    capture = _module().record(tmp_path / "s.svg", people=3)
    svg = (tmp_path / "s.svg").read_text("utf-8")
    assert "Stream created" in capture
    assert "3 rows" in capture  # the live footer counted the people the feed inserted
    assert "| NAME" in svg
    assert "Stream created" in svg


def test_the_committed_picture_is_a_recorded_session() -> None:
    svg = SCRIPT.with_name("shell-session.svg").read_text("utf-8")
    assert "SELECT" in svg
    assert "rows/s" in svg
