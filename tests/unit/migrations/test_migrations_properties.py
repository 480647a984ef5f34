"""The properties reader against ``java.util.Properties.load(InputStream)``: a table of cases, and
the same cases plus hypothesis-generated files fed to a real JVM in one run."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ksqlpy._errors import MigrationConfigError
from ksqlpy.migrations._properties import escape_value, read_properties

# (bytes, expected map) — each one checked by the JVM as well.
CASES: list[tuple[bytes, dict[str, str]]] = [
    (b"", {}),
    (b"a=b", {"a": "b"}),
    (b"a:b", {"a": "b"}),
    (b"a b", {"a": "b"}),
    (b"a\tb", {"a": "b"}),
    (b"a\fb", {"a": "b"}),
    (b"  a  =  b  ", {"a": "b  "}),
    (b"a = = b", {"a": "= b"}),
    (b"a b = c", {"a": "b = c"}),
    (b"a  :b", {"a": "b"}),
    (b"a=", {"a": ""}),
    (b"a", {"a": ""}),
    (b"=b", {"": "b"}),
    (b":b", {"": "b"}),
    (b"a=b=c", {"a": "b=c"}),
    (b"a\\=b=c", {"a=b": "c"}),
    (b"a\\:b:c", {"a:b": "c"}),
    (b"a\\ b c", {"a b": "c"}),
    (b"a\\\\=b", {"a\\": "b"}),
    (b"# comment\na=1", {"a": "1"}),
    (b"! comment\na=1", {"a": "1"}),
    (b"   # indented comment\na=1", {"a": "1"}),
    (b"a=1 # not a comment", {"a": "1 # not a comment"}),
    (b"#comment \\\na=1", {"a": "1"}),
    (b"a=1\\\n  2\\\n\t3", {"a": "123"}),
    (b"a=1\\\r\n  2", {"a": "12"}),
    (b"a=1\\\r  2", {"a": "12"}),
    (b"a=1\\\\\nb=2", {"a": "1\\", "b": "2"}),
    (b"a=1\\\\\\\nb=2", {"a": "1\\b=2"}),
    (b"a=1\\\n\nb=2", {"a": "1", "b": "2"}),
    (b"a=1\\\n# not a comment", {"a": "1# not a comment"}),
    (b"\\\n#comment\nk=v", {"k": "v"}),
    (b"\\\n", {"": ""}),
    (b"\\", {"": ""}),
    (b"\\\r\n", {}),
    (b"a=1\\", {"a": "1"}),
    (b"a=1\\\n", {"a": "1"}),
    (b"a=1\r\nb=2\r\n", {"a": "1", "b": "2"}),
    (b"a=1\rb=2\r", {"a": "1", "b": "2"}),
    (b"a=1\n\n\n\r\r\nb=2", {"a": "1", "b": "2"}),
    (b"a=\\t\\n\\r\\f", {"a": "\t\n\r\f"}),
    (b"a=\\q\\#\\!\\=", {"a": "q#!="}),
    (b"a=\\u0041\\u00e9", {"a": "A\u00e9"}),
    (b"\\u0041=x", {"A": "x"}),
    (b"a=\\uD83D\\uDE00", {"a": "\U0001f600"}),
    (b"a=\xe9\xff", {"a": "\u00e9\u00ff"}),
    (b"a=\xc3\xa9", {"a": "\u00c3\u00a9"}),
    (b"\xef\xbb\xbfa=1", {"\u00ef\u00bb\u00bfa": "1"}),
    (b"a=1\na=2", {"a": "2"}),
    (b"ksql.server.url=http://localhost:8088", {"ksql.server.url": "http://localhost:8088"}),
    (b"a=b\\\n   \\ c", {"a": "b c"}),
    (b"\t\f a", {"a": ""}),
    (b"a\x0bb", {"a\x0bb": ""}),
    (b"a=1\n   b=2\n\t\fc = 3", {"a": "1", "b": "2", "c": "3"}),
    (b"a=1\r\n  \r\n\tb=2", {"a": "1", "b": "2"}),
]

MALFORMED = [b"a=\\u", b"a=\\u12", b"a=\\u12g4", b"\\uXYZW=1", b"a=\\u00\n"]


@pytest.mark.parametrize(("data", "expected"), CASES)
def test_reads_like_java(data: bytes, expected: dict[str, str]) -> None:
    assert read_properties(data) == expected


@pytest.mark.parametrize("data", MALFORMED)
def test_malformed_unicode_escape_is_an_error_naming_the_line(data: bytes) -> None:
    with pytest.raises(MigrationConfigError, match=r"x\.properties, line 3: malformed \\uXXXX"):
        read_properties(b"# first\nok=1\n" + data, source="x.properties")


def test_error_line_counts_continuations_and_crlf() -> None:
    data = b"a=1\r\nb=x\\\r\n   y\\\n  \\u00zz\r\nc=3"
    with pytest.raises(MigrationConfigError, match="line 4"):
        read_properties(data, source="f")


@pytest.mark.parametrize(
    "value",
    [
        "http://localhost:8088",
        " lead",
        "  two",
        "tab\tin",
        "a\\b",
        "",
        "#!=: x",
        "é€\U0001f600",
        "\n",
    ],
)
def test_escape_value_round_trips(value: str) -> None:
    text = "k=" + escape_value(value)
    assert text.isascii()
    assert read_properties(text.encode("latin-1")) == {"k": value}


# ---- against a real JVM ---------------------------------------------------------------------

PROGRAM = r"""
import java.io.*;
import java.util.*;

public class Props {
    static String hex(String s) {
        StringBuilder out = new StringBuilder("x");
        for (char c : s.toCharArray()) out.append(String.format("%04x", (int) c));
        return out.toString();
    }

    public static void main(String[] args) throws IOException {
        DataInputStream in = new DataInputStream(new FileInputStream(args[0]));
        int count = in.readInt();
        for (int i = 0; i < count; i++) {
            byte[] data = new byte[in.readInt()];
            in.readFully(data);
            Properties props = new Properties();
            try {
                props.load(new ByteArrayInputStream(data));
                for (String key : props.stringPropertyNames()) {
                    System.out.println("E " + hex(key) + " " + hex(props.getProperty(key)));
                }
            } catch (IllegalArgumentException e) {
                System.out.println("ERROR");
            }
            System.out.println("END");
        }
    }
}
"""

TOKENS = [
    b"a", b"k", b"Z", b"=", b":", b" ", b"\t", b"\f", b"\x0b", b"\\", b"\\\\", b"\n", b"\r",
    b"\r\n", b"#", b"!", b"\\u0041", b"\\u00e9", b"\\uD83D", b"\\uDE00", b"\\u00", b"\\uZZ12",
    b"\\n", b"\\t", b"\\=", b"\\:", b"\\ ", b"\xe9", b"\xff", b"\xef\xbb\xbf", b"\x00", b"key",
    b"ksql.server.url",
]  # fmt: skip

properties_files = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=40).map(b"".join),
    st.binary(max_size=60),
)


def _java_units(text: str) -> str:
    return "x" + text.encode("utf-16-be", "surrogatepass").hex()


def _python_view(data: bytes) -> dict[str, str] | None:
    try:
        props = read_properties(data)
    except MigrationConfigError:
        return None
    return {_java_units(k): _java_units(v) for k, v in props.items()}


def _run_java(cases: list[bytes], folder: Path) -> list[dict[str, str] | None]:
    java = shutil.which("java")
    if java is None:
        pytest.skip("no `java` on PATH: the comparison with java.util.Properties needs a JDK >= 17")
    source = folder / "Props.java"
    source.write_text(PROGRAM)
    blob = folder / "cases.bin"
    with blob.open("wb") as out:
        out.write(struct.pack(">i", len(cases)))
        for data in cases:
            out.write(struct.pack(">i", len(data)) + data)
    done = subprocess.run(
        [java, str(source), str(blob)], capture_output=True, text=True, timeout=110, check=False
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, str] | None] = []
    current: dict[str, str] | None = {}
    for line in done.stdout.splitlines():
        if line == "END":
            results.append(current)
            current = {}
        elif line == "ERROR":
            current = None
        else:
            _, key, value = line.split(" ")
            assert current is not None
            current[key] = value
    assert len(results) == len(cases)
    return results


@pytest.mark.slow
def test_same_result_as_java_properties_load(tmp_path: Path) -> None:
    cases = [data for data, _ in CASES] + MALFORMED

    @settings(
        max_examples=2000,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
        deadline=None,
    )
    @given(properties_files)
    def collect(data: bytes) -> None:
        cases.append(data)

    collect()
    java = _run_java(cases, tmp_path)
    differ = [
        (data, _python_view(data), expected)
        for data, expected in zip(cases, java, strict=True)
        if _python_view(data) != expected
    ]
    differ.sort(key=lambda item: len(item[0]))
    assert not differ, f"{len(differ)} files read differently; smallest: {differ[:3]}"


@given(st.text(max_size=40))
def test_escape_value_round_trips_any_text(value: str) -> None:
    text = "k=" + escape_value(value)
    assert text.isascii()
    assert read_properties(text.encode("latin-1")) == {"k": value}
