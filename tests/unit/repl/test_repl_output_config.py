"""The pager for tall finite output, the TOML settings file and ksql's --config-file."""

from __future__ import annotations

import io
import shlex
from pathlib import Path

import pytest

from ksqlpy import KsqlError
from ksqlpy.repl.config import Settings, load_client_file, load_settings, read_properties
from ksqlpy.repl.render.output import Output


def paging_output(tmp_path: Path, height: int) -> tuple[Output, io.StringIO, Path]:
    paged = tmp_path / "paged.txt"
    screen = io.StringIO()
    pager = f"sh -c {shlex.quote(f'cat > {paged}')}"
    return Output(screen, tty=True, pager=pager, height=lambda: height), screen, paged


def test_output_taller_than_the_screen_goes_to_the_pager(tmp_path: Path) -> None:
    out, screen, paged = paging_output(tmp_path, height=10)
    spool = io.StringIO()
    out.spool = spool
    text = "\n".join(f"row {i}" for i in range(50))
    out.block(text)
    assert paged.read_text() == text + "\n"
    assert screen.getvalue() == ""
    assert spool.getvalue() == text + "\n"  # the spool still gets it


def test_short_output_and_non_terminals_are_not_paged(tmp_path: Path) -> None:
    out, screen, paged = paging_output(tmp_path, height=10)
    out.block("one\ntwo")
    assert screen.getvalue() == "one\ntwo\n"
    assert not paged.exists()
    piped = Output(io.StringIO(), tty=False, pager="sh -c false", height=lambda: 3)
    piped.block("\n".join("x" * 20))
    assert piped.stream.getvalue().count("\n") == 20


def test_missing_pager_falls_back_to_printing(tmp_path: Path) -> None:
    screen = io.StringIO()
    out = Output(screen, tty=True, pager="/nonexistent/pager", height=lambda: 3)
    out.block("a\nb\nc\nd")
    assert screen.getvalue() == "a\nb\nc\nd\n"


def test_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('url = "http://k:8088"\nkey_bindings = "vi"\nquery_row_limit = 10\n')
    assert load_settings(path) == Settings(
        url="http://k:8088", key_bindings="vi", query_row_limit=10
    )
    path.write_text("colour = 1\n")
    with pytest.raises(KsqlError, match="unknown setting 'colour'"):
        load_settings(path)
    path.write_text('query_row_limit = "ten"\n')
    with pytest.raises(KsqlError, match="query_row_limit must be a int"):
        load_settings(path)


def test_first_run_writes_a_commented_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert load_settings() == Settings()
    template = (tmp_path / "ksqlpy" / "config.toml").read_text()
    assert "# key_bindings" in template
    assert load_settings() == Settings()  # the template itself reads as the defaults


def test_java_properties_file(tmp_path: Path) -> None:
    assert read_properties("# c\n! c\na=1\nb: two\n c = 3 \nflag\n") == {
        "a": "1",
        "b": "two",
        "c": "3",
        "flag": "",
    }
    path = tmp_path / "client.properties"
    path.write_text(
        "ssl.truststore.location=/etc/ca.pem\nssl.truststore.password=x\n"
        "ksql.streams.auto.offset.reset=earliest\n"
    )
    loaded = load_client_file(path)
    assert loaded.verify == "/etc/ca.pem"
    assert loaded.properties == {"ksql.streams.auto.offset.reset": "earliest"}
    path.write_text("ssl.truststore.location=/etc/truststore.jks\n")
    with pytest.raises(KsqlError, match="Java key store"):
        load_client_file(path)
