"""One combined broker+controller Apache Kafka node (KRaft) on loopback, for tests and demos.

The JVM runs under a tiny ``sh`` watchdog whose stdin is a pipe from this process: when this
process ends for any reason (even ``kill -9``) the pipe closes, the watchdog sends SIGTERM to the
JVM, waits for it and removes the broker's temp dir. A normal stop closes the pipe the same way.
The watchdog lives in its own session, so a Ctrl-C in the terminal reaches Python (which stops the
broker in order) rather than killing the JVM behind its back.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import IO

from ksqlpy._errors import KafkaLauncherError

from ._jars import ensure_jars, find_java, kafka_version

HOST = "127.0.0.1"
START_ATTEMPTS = 3

# C1-only JIT and serial GC: starts in ~1.7 s. The heap is 256 MiB: at 64 MiB a whole test
# session (hundreds of topics, transactions, large requests) ran the broker out of memory.
JVM_FLAGS = (
    "-Xms64m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
)

# Kills the JVM when our stdin closes, then removes the data dir once both the JVM is gone and
# stdin is closed (so a broker that crashes keeps its logs until we have read them).
# The first line printed is the JVM's pid: for liveness checks and a SIGKILL fallback. The stdin
# watcher reads our stdin through fd 3: sh gives background jobs /dev/null as their stdin.
_WATCHDOG = r"""
exec 3<&0
"$@" </dev/null >"$KSQLPY_KAFKA_DIR/broker.out" 2>&1 3<&- &
jvm=$!
echo "$jvm"
( cat <&3 >/dev/null; kill -TERM "$jvm" 2>/dev/null ) &
wait "$jvm"
rc=$?
wait
[ -e "$KSQLPY_KAFKA_DIR/keep" ] || rm -rf "$KSQLPY_KAFKA_DIR"
exit "$rc"
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _bindable(port: int, *, reuse: bool = False) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if reuse:  # as the JVM binds: connections of a stopped broker in TIME_WAIT do not count
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def _cluster_id() -> str:
    # Kafka's own generator: base64url of a random UUID, unpadded, never starting with '-'.
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


@dataclass
class KafkaBroker:
    """A real single-node Kafka broker on 127.0.0.1, started and stopped as a context manager.

    Example::

        with KafkaBroker() as broker:
            producer = KafkaProducer(bootstrap_servers=broker.bootstrap)

    The first start downloads the jars (see :func:`ensure_jars`); later starts take about 2 s.
    ``stop(keep_data=True)`` stops it like a broker going down; ``start()`` then brings the same
    broker back on the same ports with its topics, offsets and transactions.
    """

    version: str = field(default_factory=kafka_version)
    heap: str = "256m"
    startup_timeout: float = 60.0
    stop_timeout: float = 20.0
    log_level: str = "WARN"
    config: dict[str, str] = field(default_factory=dict)
    port: int = 0
    """The client port on 127.0.0.1 (0: a free one; the controller port is always free)."""
    bootstrap: str = field(default="", init=False)
    _proc: subprocess.Popen[str] | None = field(default=None, init=False, repr=False)
    _jvm_pid: int | None = field(default=None, init=False, repr=False)
    _dir: Path | None = field(default=None, init=False, repr=False)
    # The ports and data of a broker stopped with keep_data, for the next start.
    _kept: tuple[Path, int, int] | None = field(default=None, init=False, repr=False)
    _ports: tuple[int, int] = field(default=(0, 0), init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def running(self) -> bool:
        """Whether the broker's JVM is alive."""
        return self._jvm_pid is not None and _alive(self._jvm_pid)

    @property
    def data_dir(self) -> Path | None:
        """The broker's temp dir (config, logs, data) while it runs or is kept by
        ``stop(keep_data=True)``; removed at any other stop."""
        return self._dir if self._dir is not None else self._kept[0] if self._kept else None

    def __enter__(self) -> KafkaBroker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> str:
        """Start the broker and wait until an admin client can talk to it; return ``host:port``."""
        if self.running:
            return self.bootstrap
        if self._kept is not None:
            return self._restart(*self._kept)
        if self.port and not _bindable(self.port):
            raise KafkaLauncherError(
                f"port {self.port} on {HOST} is in use; stop what listens there or choose "
                "another port (0 picks a free one)"
            )
        java = find_java()
        libs = ensure_jars(self.version)
        last: KafkaLauncherError | None = None
        for _ in range(START_ATTEMPTS):
            try:
                self._start_once(java, libs)
            except _PortInUseError as exc:  # another process took a port between pick and bind
                if self.port:
                    raise KafkaLauncherError(f"port {self.port} on {HOST} is in use") from exc
                last = exc
                continue
            return self.bootstrap
        raise KafkaLauncherError(
            f"could not bind Kafka's ports after {START_ATTEMPTS} tries: {last}"
        )

    def crash(self, timeout: float = 10.0) -> None:
        """Kill the broker's JVM with SIGKILL, as a crash or a pulled cable would (no goodbye to
        its clients), and wait until it is gone; :meth:`stop` still cleans up after it."""
        self.signal_jvm(signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while self.running:
            if time.monotonic() >= deadline:
                raise KafkaLauncherError(f"the broker at {self.bootstrap} outlived SIGKILL")
            time.sleep(0.05)

    def signal_jvm(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the JVM itself (SIGSTOP freezes the broker with its connections
        open); its watchdog would otherwise stop it politely."""
        if self._jvm_pid is None:
            raise KafkaLauncherError("the broker is not running")
        os.kill(self._jvm_pid, sig)

    def stop(self, *, keep_data: bool = False) -> None:
        """Stop the broker (SIGTERM, then SIGKILL after ``stop_timeout``) and remove its temp dir,
        or with ``keep_data`` keep it (and the ports) for the next :meth:`start`.

        Stopping a broker that is not running does nothing (but removes kept data).
        """
        with self._lock:
            proc, self._proc = self._proc, None
            jvm_pid, self._jvm_pid = self._jvm_pid, None
            data_dir, self._dir = self._dir, None
            kept, self._kept = self._kept, None
        if kept is not None and kept[0] != data_dir:
            shutil.rmtree(kept[0], ignore_errors=True)
        keep = keep_data and proc is not None and data_dir is not None
        if keep and data_dir is not None:
            (data_dir / "keep").touch()  # tells the watchdog to leave the dir
        if proc is not None:
            _close(proc.stdin)  # the watchdog's cue: SIGTERM to the JVM
            try:
                proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                if jvm_pid is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(jvm_pid, signal.SIGKILL)
                proc.wait(timeout=self.stop_timeout)
            _close(proc.stdout)
        if keep and data_dir is not None:
            self._kept = (data_dir, *self._ports)
        elif data_dir is not None:
            shutil.rmtree(data_dir, ignore_errors=True)
        self.bootstrap = ""

    def _restart(self, data_dir: Path, port: int, controller_port: int) -> str:
        # The kept dir holds the formatted storage and the properties naming both ports.
        for taken in (port, controller_port):
            if not _bindable(taken, reuse=True):
                raise KafkaLauncherError(
                    f"cannot restart the Kafka broker: port {taken} on {HOST} is in use"
                )
        (data_dir / "keep").unlink(missing_ok=True)
        self._kept = None
        self._launch(find_java(), ensure_jars(self.version), data_dir, port, controller_port)
        return self.bootstrap

    def _start_once(self, java: str, libs: Path) -> None:
        data_dir = Path(tempfile.mkdtemp(prefix="ksqlpy-kafka-"))
        port, controller_port = self.port or _free_port(), _free_port()
        props = data_dir / "server.properties"
        props.write_text(self._properties(data_dir, port, controller_port))
        log4j = data_dir / "log4j2.properties"
        log4j.write_bytes(resources.files(__package__).joinpath("log4j2.properties").read_bytes())
        (data_dir / "logs").mkdir()
        self._format(self._jvm(java, libs, data_dir), props, data_dir)
        self._launch(java, libs, data_dir, port, controller_port)

    def _jvm(self, java: str, libs: Path, data_dir: Path) -> list[str]:
        return [
            java,
            f"-Xmx{self.heap}",
            *JVM_FLAGS,
            f"-Dlog4j2.configurationFile={data_dir / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={data_dir / 'logs'}",
            f"-Dksqlpy.kafka.loglevel={self.log_level}",
            "-cp",
            str(libs / "*"),
        ]

    def _launch(
        self, java: str, libs: Path, data_dir: Path, port: int, controller_port: int
    ) -> None:
        jvm = self._jvm(java, libs, data_dir)
        props = data_dir / "server.properties"
        env = {**os.environ, "KSQLPY_KAFKA_DIR": str(data_dir)}
        proc = subprocess.Popen(
            ["sh", "-c", _WATCHDOG, "ksqlpy-kafka-watchdog", *jvm, "kafka.Kafka", str(props)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
            start_new_session=True,
        )
        assert proc.stdout is not None
        pid_line = proc.stdout.readline().strip()
        with self._lock:
            self._proc, self._dir = proc, data_dir
            self._ports = (port, controller_port)
            self._jvm_pid = int(pid_line) if pid_line.isdigit() else None
            self.bootstrap = f"{HOST}:{port}"
        try:
            self._wait_ready(data_dir)
        except BaseException:
            # Read the logs before stop() removes the dir, then clean up whatever the failure was.
            self.stop()
            raise

    def _properties(self, data_dir: Path, port: int, controller_port: int) -> str:
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"{HOST}:{controller_port}",
            "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{port}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "log.dirs": str(data_dir / "data"),
            # One node: every internal topic must accept a single replica, or idempotence,
            # transactions and consumer groups stall.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # Fewer internal partitions: the first consumer group and transaction are ready sooner.
            "offsets.topic.num.partitions": "4",
            "transaction.state.log.num.partitions": "4",
            "group.initial.rebalance.delay.ms": "0",
            # The cleaner's dedupe buffer is allocated on the heap (128 MiB by default).
            "log.cleaner.dedupe.buffer.size": "2097152",
            **self.config,
        }
        return "".join(f"{key}={value}\n" for key, value in settings.items())

    def _format(self, jvm: list[str], props: Path, data_dir: Path) -> None:
        command = [*jvm, "kafka.tools.StorageTool", "format", "-t", _cluster_id()]
        command += ["-c", str(props), "--standalone"]
        try:
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=self.startup_timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            shutil.rmtree(data_dir, ignore_errors=True)
            raise KafkaLauncherError(
                f"formatting Kafka storage took more than {self.startup_timeout:.0f} s"
            ) from exc
        if done.returncode != 0:
            shutil.rmtree(data_dir, ignore_errors=True)
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-10:])
            raise KafkaLauncherError(
                f"formatting Kafka storage failed (exit {done.returncode}):\n{tail}"
            )

    def _wait_ready(self, data_dir: Path) -> None:
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaConnectionError, KafkaTimeoutError

        deadline = time.monotonic() + self.startup_timeout
        while True:
            if not self.running:
                output = (
                    _tail(data_dir / "broker.out") + "\n" + _tail(data_dir / "logs" / "server.log")
                )
                if "Address already in use" in output:
                    raise _PortInUseError(output.strip())
                raise KafkaLauncherError(
                    f"the Kafka broker exited while starting:\n{output.strip()}"
                )
            if time.monotonic() > deadline:
                raise KafkaLauncherError(
                    f"the Kafka broker did not answer on {self.bootstrap} within "
                    f"{self.startup_timeout:.0f} s:\n{_tail(data_dir / 'logs' / 'server.log')}"
                )
            if not _accepts(self.bootstrap):
                time.sleep(0.05)
                continue
            try:
                admin = KafkaAdminClient(
                    bootstrap_servers=self.bootstrap,
                    bootstrap_timeout_ms=500,
                    request_timeout_ms=5000,
                    reconnect_backoff_ms=20,
                    reconnect_backoff_max_ms=100,
                )
            except (KafkaTimeoutError, KafkaConnectionError):
                _collect_leaked_sockets()
                time.sleep(0.05)
                continue
            try:
                admin.describe_cluster()
                return
            except (KafkaTimeoutError, KafkaConnectionError):
                time.sleep(0.05)
            finally:
                admin.close()


def _accepts(bootstrap: str) -> bool:
    # A plain TCP probe first: kafka-python leaks a socket each time a client fails to bootstrap.
    host, port = bootstrap.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


def _collect_leaked_sockets() -> None:
    # A failed KafkaAdminClient() leaves its socket to the garbage collector; collect it here,
    # quietly, rather than let a ResourceWarning surface later in unrelated code.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


class _PortInUseError(KafkaLauncherError):
    """The broker lost a race for one of its ports; the start is retried on new ports."""


def _alive(pid: int) -> bool:
    # The watchdog reaps the JVM at once, so a dead JVM never lingers as a zombie under this pid.
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pid reused by another user's process
        return False
    return True


def _close(stream: IO[str] | None) -> None:
    if stream is not None:
        with contextlib.suppress(OSError):
            stream.close()
