"""Packaging rules of the shell: relative sibling imports, no prompt-toolkit in ksqlpy."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPL = Path(__file__).resolve().parents[3] / "repl"


def test_repl_never_imports_itself_by_folder_name() -> None:
    offenders = [
        str(path.relative_to(REPL.parent))
        for path in REPL.rglob("*.py")
        if re.search(r"^\s*(?:import repl\b|from repl\b)", path.read_text(), re.M)
    ]
    assert offenders == []


def test_importing_ksqlpy_does_not_load_prompt_toolkit() -> None:
    code = "import sys, ksqlpy; print('prompt_toolkit' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_script_mode_does_not_load_prompt_toolkit() -> None:
    code = (
        "import sys; from ksqlpy.repl import cli, executor, shell, commands; "
        "print('prompt_toolkit' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
