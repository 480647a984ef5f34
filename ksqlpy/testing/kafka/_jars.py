"""The jar cache: Apache Kafka's broker runtime, resolved once from Maven Central by ``mvn``.

Layout: ``$KSQLPY_CACHE_DIR`` (default ``~/.cache/ksqlpy``) / ``kafka-<version>/libs/*.jar``. A
directory is used only when its ``complete`` marker exists, and it is filled in a temp dir then
renamed, so an interrupted download never leaves a half cache behind. A file lock serialises
parallel test sessions that want the same version.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from ksqlpy._errors import KafkaLauncherError, MissingToolError

DEFAULT_KAFKA_VERSION = "4.3.1"
# Pinned so every machine resolves the same way (Maven 3.8 would otherwise pick plugin 2.8).
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
MIN_JAVA = 17
DOWNLOAD_TIMEOUT_S = 900.0

_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
_JAVA_VERSION_RE = re.compile(r'version "(\d+)(?:\.(\d+))?')

JAVA_HINT = (
    "Kafka needs Java 17 or newer: install a JDK (Debian/Ubuntu: "
    "'apt-get install openjdk-17-jre-headless') or set KAFKA_BOOTSTRAP_SERVERS to use a broker "
    "you already run"
)
MAVEN_HINT = (
    "Kafka's jars are fetched from Maven Central with Maven: install it (Debian/Ubuntu: "
    "'apt-get install maven') or set KAFKA_BOOTSTRAP_SERVERS to use a broker you already run"
)


def kafka_version() -> str:
    """The Kafka version to run: ``KSQLPY_KAFKA_VERSION`` or the tested default."""
    version = os.environ.get("KSQLPY_KAFKA_VERSION", DEFAULT_KAFKA_VERSION)
    if not _VERSION_RE.match(version):
        raise KafkaLauncherError(
            f"KSQLPY_KAFKA_VERSION={version!r} is not a Kafka version like {DEFAULT_KAFKA_VERSION}"
        )
    return version


def cache_root() -> Path:
    """Where ksqlpy keeps downloaded jars: ``KSQLPY_CACHE_DIR`` or ``~/.cache/ksqlpy``."""
    configured = os.environ.get("KSQLPY_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "ksqlpy"


def find_java() -> str:
    """Path of a ``java`` of version 17 or newer (``JAVA_HOME`` first), or a clear error."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = str(Path(java_home) / "bin" / "java") if java_home else None
    java = candidate if candidate and Path(candidate).exists() else shutil.which("java")
    if java is None:
        raise MissingToolError("java", JAVA_HINT)
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MissingToolError("java", f"'{java} -version' failed ({exc}); {JAVA_HINT}") from exc
    match = _JAVA_VERSION_RE.search(out.stderr + out.stdout)
    if match is None:
        raise MissingToolError("java", f"could not read the version of {java}; {JAVA_HINT}")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_x" style of Java 8 and older
        major = int(match.group(2))
    if major < MIN_JAVA:
        raise MissingToolError("java", f"{java} is Java {major}; {JAVA_HINT}")
    return java


def _find_maven() -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MissingToolError("mvn", MAVEN_HINT)
    return mvn


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_jars(version: str | None = None, *, quiet: bool = False) -> Path:
    """Return the directory of the broker's jars, downloading them on first use.

    The download goes through ``mvn dependency:copy-dependencies`` on the pom shipped in this
    package (Kafka plus the log4j SLF4J binding: about 46 jars, 45 MB) and prints one line to
    stderr saying what it fetches.
    """
    version = version or kafka_version()
    home = cache_root() / f"kafka-{version}"
    libs = home / "libs"
    marker = home / "complete"
    if marker.exists():
        return libs
    mvn = _find_maven()
    with _locked(cache_root() / f".kafka-{version}.lock"):
        if marker.exists():  # another process filled it while we waited
            return libs
        if not quiet:
            print(
                f"ksqlpy: fetching Apache Kafka {version} jars from Maven Central into {libs} "
                "(about 45 MB, once)",
                file=sys.stderr,
                flush=True,
            )
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="fetch-", dir=home) as work:
            _copy_dependencies(mvn, version, Path(work))
            if libs.exists():
                shutil.rmtree(libs)
            (Path(work) / "libs").rename(libs)
        marker.write_text(version + "\n")
    return libs


def _copy_dependencies(mvn: str, version: str, work: Path) -> None:
    # Run on a copy of the pom: the package may be installed read-only, and Maven writes beside it.
    pom = work / "pom.xml"
    pom.write_bytes(resources.files(__package__).joinpath("pom.xml").read_bytes())
    command = [
        mvn,
        "-B",
        "-q",
        "-Dstyle.color=never",
        "-f",
        str(pom),
        f"{DEPENDENCY_PLUGIN}:copy-dependencies",
        f"-DoutputDirectory={work / 'libs'}",
        f"-Dkafka.version={version}",
    ]
    try:
        done = subprocess.run(
            command,
            cwd=work,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=DOWNLOAD_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise KafkaLauncherError(
            f"fetching Kafka {version} jars with Maven took more than {DOWNLOAD_TIMEOUT_S:.0f} s; "
            "check that Maven Central is reachable"
        ) from exc
    jars = list((work / "libs").glob("*.jar"))
    if done.returncode != 0 or not jars:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise KafkaLauncherError(
            f"Maven could not fetch Apache Kafka {version} from Maven Central "
            f"(exit {done.returncode}); is the version right and the network up?\n{tail}"
        )
