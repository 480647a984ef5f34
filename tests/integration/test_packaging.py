"""A wheel install puts everything under ``ksqlpy`` and nothing generic in site-packages."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("ksqlpy-*.whl")
    return built


def test_wheel_has_only_the_ksqlpy_package_and_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"ksqlpy"}
    for expected in (
        "ksqlpy/py.typed",
        "ksqlpy/repl/cli.py",
        "ksqlpy/migrations/cli.py",
        "ksqlpy/local/cli.py",
        "ksqlpy/testing/kafka/pom.xml",
        "ksqlpy/testing/kafka/log4j2.properties",
    ):
        assert expected in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "ksqlpy = ksqlpy.testing.plugin" in text
    assert "ksqlpy-local = ksqlpy.local.cli:main" in text


def test_wheel_install_imports_mapped_packages_from_any_directory(
    wheel: Path, tmp_path: Path
) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # Dependencies come from this interpreter's site-packages (a plain path entry, so the
    # editable install's import hook there stays inactive and the wheel's copy is imported).
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours = next(p for p in sys.path if p.endswith("site-packages"))
    (Path(site) / "zz_dependencies.pth").write_text(ours + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    code = (
        "import importlib.util, ksqlpy.repl, ksqlpy.migrations, ksqlpy.local;"
        "print(ksqlpy.repl.__name__, ksqlpy.local.__file__);"
        "print([m for m in ('repl', 'migrations', 'local') if importlib.util.find_spec(m)])"
    )
    out = subprocess.run(
        [str(python), "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    first, second = out.stdout.splitlines()
    assert first.startswith("ksqlpy.repl ")
    assert "site-packages/ksqlpy/local/__init__.py" in first
    assert second == "[]"
