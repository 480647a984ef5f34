"""Record the README's terminal picture from a real run: the shell streaming a push query.

Run ``python docs/assets/record_session.py [OUT.svg]`` (needs tmux). It starts the embedded server,
creates the course's stream, types the statements into the real shell inside tmux like a user,
lets people arrive while the push query runs, captures the screen with its colours, and renders
that capture as SVG (``docs/assets/shell-session.svg`` by default). Nothing on the picture is
drawn by hand.
"""

from __future__ import annotations

import html
import re
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

WIDTH, HEIGHT = 100, 26
CELL_W, CELL_H, PAD = 8.4, 17, 12
# The 16 colours of a common dark terminal theme: SGR 30-37 and 90-97.
PALETTE = [
    "#1e1e1e", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#cccccc",
    "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
]  # fmt: skip
FOREGROUND, BACKGROUND = "#cccccc", "#1e1e1e"
_SGR = re.compile(r"\x1b\[([0-9;]*)m")
_OTHER_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]")

STATEMENTS = [
    "SET 'auto.offset.reset'='earliest';",
    "CREATE STREAM my_stream (id STRING, name STRING, title STRING) "
    "WITH (kafka_topic='fake_people', value_format='JSON', partitions=1);",
    "SELECT * FROM my_stream EMIT CHANGES;",
]


def _color(code: int, rest: list[int]) -> tuple[str | None, int]:
    """The colour an extended SGR (38/48;5;n or 38/48;2;r;g;b) names, and how many codes it used."""
    if rest[:1] == [5] and len(rest) >= 2:
        index = rest[1]
        if index < 16:
            return PALETTE[index], 2
        if index >= 232:
            level = 8 + (index - 232) * 10
            return f"#{level:02x}{level:02x}{level:02x}", 2
        index -= 16
        steps = [0, 95, 135, 175, 215, 255]
        red, green, blue = steps[index // 36], steps[index // 6 % 6], steps[index % 6]
        return f"#{red:02x}{green:02x}{blue:02x}", 2
    if rest[:1] == [2] and len(rest) >= 4:
        return "#{:02x}{:02x}{:02x}".format(*rest[1:4]), 4
    return None, 0


def spans(line: str) -> list[tuple[str, str | None, bool]]:
    """Split one captured line into (text, colour, bold) runs, following its SGR codes."""
    out: list[tuple[str, str | None, bool]] = []
    colour: str | None = None
    bold = False
    position = 0
    for match in _SGR.finditer(line):
        if match.start() > position:
            out.append((line[position : match.start()], colour, bold))
        position = match.end()
        codes = [int(c) if c else 0 for c in match.group(1).split(";")]
        index = 0
        while index < len(codes):
            code = codes[index]
            if code == 0:
                colour, bold = None, False
            elif code == 1:
                bold = True
            elif code == 22:
                bold = False
            elif 30 <= code <= 37 or 90 <= code <= 97:
                colour = PALETTE[code - 30 if code < 90 else code - 82]
            elif code == 39:
                colour = None
            elif code in (38, 48):
                picked, used = _color(code, codes[index + 1 :])
                if code == 38 and picked is not None:
                    colour = picked
                index += used
            index += 1
    if position < len(line):
        out.append((line[position:], colour, bold))
    return [(text, c, b) for text, c, b in out if text]


def render_svg(capture: str, title: str = "ksqlpy") -> str:
    """An SVG picture of a terminal screen captured with its escape codes (``capture-pane -e``)."""
    lines = [_OTHER_ESCAPE.sub("", line) for line in capture.rstrip("\n").split("\n")]
    width = PAD * 2 + CELL_W * WIDTH
    height = PAD * 2 + 24 + CELL_H * len(lines)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{html.escape(title)}">',
        f'<rect width="100%" height="100%" rx="8" fill="{BACKGROUND}"/>',
        '<g font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14" '
        'xml:space="preserve">',
        f'<text x="{width / 2:.0f}" y="{PAD + 8}" fill="#888888" text-anchor="middle">'
        f"{html.escape(title)}</text>",
    ]
    for row, line in enumerate(lines):
        y = PAD + 24 + CELL_H * (row + 1) - 4
        column = 0
        for text, colour, bold in spans(line):
            weight = ' font-weight="bold"' if bold else ""
            parts.append(
                f'<text x="{PAD + CELL_W * column:.1f}" y="{y}" fill="{colour or FOREGROUND}"'
                f"{weight}>{html.escape(text)}</text>"
            )
            column += len(text)
    parts.append("</g></svg>")
    return "\n".join(parts) + "\n"


def _tmux(socket: str, *args: str) -> str:
    done = subprocess.run(
        ["tmux", "-L", socket, *args], capture_output=True, text=True, check=True, timeout=10
    )
    return done.stdout


def _wait_for(socket: str, text: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in _tmux(socket, "capture-pane", "-p", "-t", "rec"):
        if time.monotonic() > deadline:
            raise SystemExit(f"record_session: {text!r} never appeared on the screen")
        time.sleep(0.1)


def record(out: Path, *, people: int = 6) -> str:
    """Run the shell for real, capture its screen, write the SVG to ``out``; return the capture."""
    from ksqlpy.local import LocalServer

    socket = f"ksqlpy-record-{uuid.uuid4().hex[:8]}"
    with LocalServer() as server:
        shell = f"{shlex.quote(sys.executable)} -m ksqlpy.repl.cli {shlex.quote(server.url)}"
        # No user settings, colours on: the picture shows the shell as it ships.
        env = "env -u NO_COLOR XDG_CONFIG_HOME=/nonexistent TERM=xterm-256color"
        size = ["-x", str(WIDTH), "-y", str(HEIGHT)]
        _tmux(socket, "new-session", "-d", "-s", "rec", *size, f"{env} {shell}; sleep 60")
        try:
            _wait_for(socket, "ksql>")
            for statement in STATEMENTS[:2]:
                _tmux(socket, "send-keys", "-t", "rec", "-l", statement.replace(";", "\\;"))
                _tmux(socket, "send-keys", "-t", "rec", "Enter")
                time.sleep(0.8)
            _tmux(socket, "send-keys", "-t", "rec", "-l", STATEMENTS[2].replace(";", "\\;"))
            _tmux(socket, "send-keys", "-t", "rec", "Enter")
            _wait_for(socket, "Ctrl-C")
            # People arrive while the query runs, from the fake-data producer, a few a second.
            feed = [sys.executable, "-m", "ksqlpy.datagen.cli", "--ksqldb", server.url,
                    "--stream", "MY_STREAM", "-q", "people", "--rate", "4",
                    "--iterations", str(people), "--seed", "7", "--quiet"]  # fmt: skip
            subprocess.run(feed, check=True, timeout=60, capture_output=True)
            time.sleep(1.0)
            capture = _tmux(socket, "capture-pane", "-p", "-e", "-t", "rec")
            _tmux(socket, "send-keys", "-t", "rec", "C-c")
        finally:
            subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, check=False)
    out.write_text(render_svg(capture, "ksqlpy — a push query over fake people"), encoding="utf-8")
    return capture


if __name__ == "__main__":
    target = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("shell-session.svg")
    )
    record(target)
    print(f"wrote {target}")
