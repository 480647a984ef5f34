"""The package as users get it: public names, cheap import, console scripts."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ksqlpy

CLIS = {
    "ksqlpy": "ksqlpy.repl.cli",
    "ksqlpy-migrations": "ksqlpy.migrations.cli",
    "ksqlpy-datagen": "ksqlpy.datagen.cli",
    "ksqlpy-local": "ksqlpy.local.cli",
}


def test_all_is_sorted_and_every_public_name_is_documented() -> None:
    assert ksqlpy.__all__ == sorted(ksqlpy.__all__)
    for name in ksqlpy.__all__:
        obj = getattr(ksqlpy, name)
        if name != "__version__":
            assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_importing_ksqlpy_does_not_load_heavy_optional_parts() -> None:
    code = (
        "import sys, ksqlpy; heavy = [m for m in ('kafka', 'prompt_toolkit', 'ksqlpy.local', "
        "'ksqlpy.repl', 'ksqlpy.migrations', 'hypercorn') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("prog", sorted(CLIS))
def test_every_console_script_answers_version(prog: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", CLIS[prog], "--version"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{prog} {ksqlpy.__version__}"


@pytest.mark.parametrize("prog", sorted(CLIS))
def test_every_console_script_answers_help(prog: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", CLIS[prog], "--help"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"usage: {prog}")
    assert "Traceback" not in out.stderr
