"""docker-compose.yml, the real stack of docs/stack.md, checked without a Docker engine.

No engine runs on our machines, so nothing here pulls, builds or starts a container.
``docker-compose config`` (Debian's ``docker-compose`` 1.29, installed by ``.ci/run``) validates
the file against Compose's own schema when it is installed; the other tests read the YAML and
check what a user of the stack would trip over: a floating image, a service started before what
it needs is ready, a datagen command its CLI refuses, a broker the host cannot reach.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from ksqlpy.datagen.cli import build_parser
from ksqlpy.datagen.cli import main as datagen_main

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
STACK_DOC = ROOT / "docs" / "stack.md"

DEFAULT_SERVICES = {"kafka", "ksqldb-server", "ksqldb-cli", "datagen"}
PROFILES = {"cluster": {"ksqldb-server-2"}, "schema-registry": {"schema-registry"}}
SKIP_MARKER = "<!-- docs-test: skip: needs a Docker engine and the compose stack -->"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose["services"]
    assert isinstance(found, dict)
    return found


def _env(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment (mapping or KEY=VALUE list) with values as strings."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _published(service: dict[str, Any]) -> dict[int, int]:
    """Host port -> container port of a service's ``ports`` (short syntax)."""
    mapping: dict[int, int] = {}
    for entry in service.get("ports", []):
        parts = str(entry).split(":")
        assert len(parts) >= 2, f"port {entry!r} publishes no fixed host port"
        mapping[int(parts[-2])] = int(parts[-1])
    return mapping


def _listeners(text: str) -> dict[str, tuple[str, int]]:
    """``NAME://host:port,...`` -> {NAME: (host, port)}."""
    result: dict[str, tuple[str, int]] = {}
    for item in text.split(","):
        name, _, address = item.partition("://")
        host, _, port = address.rpartition(":")
        result[name] = (host, int(port))
    return result


def _kafka_addresses(services: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """The (inside the network, from the host) addresses Kafka advertises."""
    env = _env(services["kafka"])
    advertised = _listeners(env["KAFKA_ADVERTISED_LISTENERS"])
    inter = advertised[env["KAFKA_INTER_BROKER_LISTENER_NAME"]]
    hosts = [addr for addr in advertised.values() if addr[0] == "localhost"]
    assert len(hosts) == 1, f"one listener must advertise localhost: {advertised}"
    return f"{inter[0]}:{inter[1]}", f"{hosts[0][0]}:{hosts[0][1]}"


# --- the file as Compose reads it ---------------------------------------------------------


def _docker_compose(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("docker-compose")
    if exe is None:
        pytest.skip(
            "docker-compose is not installed (Debian: apt-get install docker-compose; .ci/run "
            "installs it), so 'docker-compose config' did not validate docker-compose.yml; "
            "the YAML checks in this file still ran"
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_"))}
    return subprocess.run(
        [exe, "--project-directory", str(ROOT), "-f", str(COMPOSE), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_docker_compose_accepts_the_file_with_and_without_profiles() -> None:
    for profiles in ([], ["cluster"], ["cluster", "schema-registry"]):
        flags = [arg for name in profiles for arg in ("--profile", name)]
        result = _docker_compose(*flags, "config")
        assert result.returncode == 0, result.stderr
        # An unescaped $ in a healthcheck would be interpolated (and warned about) here.
        assert "WARNING" not in result.stderr, result.stderr
        resolved = yaml.safe_load(result.stdout)
        assert DEFAULT_SERVICES | set().union(*PROFILES.values()) <= set(resolved["services"])
        # The YAML merge of the cluster node: the shared settings plus its own address.
        node2 = _env(resolved["services"]["ksqldb-server-2"])
        node1 = _env(resolved["services"]["ksqldb-server"])
        assert node2["KSQL_KSQL_SERVICE_ID"] == node1["KSQL_KSQL_SERVICE_ID"]
        assert node2["KSQL_KSQL_ADVERTISED_LISTENER"] == "http://ksqldb-server-2:8088"
        for name, service in resolved["services"].items():
            for target, condition in service.get("depends_on", {}).items():
                assert condition == {"condition": "service_healthy"}, (name, target)


# --- pins and health ----------------------------------------------------------------------


def _pinned(image: str) -> bool:
    name, _, tag = image.rpartition(":")
    return bool(name) and "/" not in tag and tag not in ("", "latest")


def test_every_image_is_pinned(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if "build" in service:
            assert "image" not in service, f"{name}: built here, it names no registry image"
            continue
        assert _pinned(service["image"]), f"{name}: {service['image']} is not pinned"
    bases = re.findall(r"^FROM\s+(\S+)", DOCKERFILE.read_text(encoding="utf-8"), re.M)
    assert bases
    assert all(_pinned(base) for base in bases), bases
    # The CLI and the servers of one Confluent release: the CLI warns about any other pairing.
    confluent = {
        s["image"].split(":")[1]
        for s in services.values()
        if "confluentinc/" in str(s.get("image"))
    }
    assert len(confluent) == 1, confluent


def test_dependencies_wait_for_health(services: dict[str, dict[str, Any]]) -> None:
    waited_for: set[str] = set()
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on needs the long form"
        for target, spec in depends.items():
            assert spec == {"condition": "service_healthy"}, (name, target, spec)
            # A service always started cannot wait for one that only a profile starts.
            if not service.get("profiles"):
                assert not services[target].get("profiles"), (name, target)
            waited_for.add(target)
    assert {"kafka", "ksqldb-server"} <= waited_for
    for name in waited_for | {n for n, s in services.items() if s.get("ports")}:
        check = services[name].get("healthcheck")
        assert check, f"{name} has no healthcheck"
        assert not check.get("disable"), f"{name} disables its healthcheck"
        assert check["test"][0] == "CMD-SHELL", name
        assert check["retries"] >= 3, name
        assert check["interval"], name
        assert check["timeout"], name


def _run_healthcheck(command: str, tmp_path: Path, body: str | None) -> tuple[int, list[str]]:
    """Run a CMD-SHELL healthcheck with a fake ``curl`` that answers ``body`` (None: refused)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "calls"
    curl = bin_dir / "curl"
    answer = "exit 7" if body is None else f"printf '%s' {shlex.quote(body)}"
    curl.write_text(f'#!/bin/sh\necho "$*" >> {shlex.quote(str(calls))}\n{answer}\n')
    curl.chmod(0o755)
    calls.write_text("")
    # Compose turns $$ into $ before the container's shell sees the command.
    script = command.replace("$$", "$")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["sh", "-c", script], env=env, timeout=10, check=False)
    return result.returncode, calls.read_text().split()


def test_ksqldb_healthcheck_reads_the_health_body(
    services: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    check = services["ksqldb-server"]["healthcheck"]
    assert services["ksqldb-server-2"]["healthcheck"] == check
    command = check["test"][1]
    port = _listeners(_env(services["ksqldb-server"])["KSQL_LISTENERS"])["http"][1]

    def detail(ok: bool) -> dict[str, bool]:
        return {"isHealthy": ok}

    healthy = {"isHealthy": True, "details": {"metastore": detail(True), "kafka": detail(True)}}
    rc, args = _run_healthcheck(command, tmp_path, json.dumps(healthy, separators=(",", ":")))
    assert rc == 0
    assert f"http://localhost:{port}/healthcheck" in args
    # ksqlDB answers 200 while unhealthy too: the body decides, whatever its key order.
    for body in (
        {"isHealthy": False, "details": {"metastore": detail(True), "kafka": detail(False)}},
        {"details": {"metastore": detail(True), "kafka": detail(True)}, "isHealthy": False},
        {"isHealthy": False, "details": {}, "serverState": "STARTING"},
    ):
        rc, _ = _run_healthcheck(command, tmp_path, json.dumps(body, separators=(",", ":")))
        assert rc != 0, body
    rc, _ = _run_healthcheck(command, tmp_path, None)
    assert rc != 0


# --- Kafka: KRaft, listeners, ports --------------------------------------------------------


def test_kafka_is_a_single_kraft_node(services: dict[str, dict[str, Any]]) -> None:
    env = _env(services["kafka"])
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    # The image formats its storage with CLUSTER_ID: Kafka takes base64url of 16 bytes only.
    cluster_id = env["CLUSTER_ID"]
    try:
        raw = base64.urlsafe_b64decode(cluster_id + "=" * (-len(cluster_id) % 4))
    except (binascii.Error, ValueError):
        pytest.fail(f"CLUSTER_ID {cluster_id!r} is not base64url")
    assert len(raw) == 16, cluster_id
    assert len(cluster_id) == 22, cluster_id
    assert not cluster_id.startswith("-"), cluster_id
    listeners = _listeners(env["KAFKA_LISTENERS"])
    protocols = dict(p.split(":") for p in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert set(listeners) == set(protocols)
    controller = env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    node, _, voter = env["KAFKA_CONTROLLER_QUORUM_VOTERS"].partition("@")
    assert node == env["KAFKA_NODE_ID"]
    assert voter == f"{services['kafka']['hostname']}:{listeners[controller][1]}"
    advertised = _listeners(env["KAFKA_ADVERTISED_LISTENERS"])
    assert controller not in advertised
    assert set(advertised) < set(listeners)
    # Consumer groups, idempotent producers (datagen's default) and transactions on one broker.
    for key in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ):
        assert env[key] == "1", key


def test_host_tools_reach_kafka_and_ksqldb(services: dict[str, dict[str, Any]]) -> None:
    kafka_env = _env(services["kafka"])
    listeners = _listeners(kafka_env["KAFKA_LISTENERS"])
    advertised = _listeners(kafka_env["KAFKA_ADVERTISED_LISTENERS"])
    (host_listener,) = [n for n, (host, _) in advertised.items() if host == "localhost"]
    # The default of every ksqlpy Kafka tool: published 9092 -> the listener advertising it.
    assert advertised[host_listener][1] == 9092
    assert _published(services["kafka"])[9092] == listeners[host_listener][1]
    inside, _ = _kafka_addresses(services)
    assert inside.split(":")[0] == services["kafka"]["hostname"]
    ksql = _env(services["ksqldb-server"])
    assert ksql["KSQL_BOOTSTRAP_SERVERS"] == inside
    assert ksql["KSQL_LOG4J_PROCESSING_LOG_BROKERLIST"] == inside
    assert (
        _published(services["ksqldb-server"])[8088] == _listeners(ksql["KSQL_LISTENERS"])["http"][1]
    )
    registry = _env(services["schema-registry"])
    assert registry["SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"].endswith("://" + inside)


def test_processing_log_is_on(services: dict[str, dict[str, Any]]) -> None:
    env = _env(services["ksqldb-server"])
    assert env["KSQL_KSQL_LOGGING_PROCESSING_TOPIC_AUTO_CREATE"] == "true"
    assert env["KSQL_KSQL_LOGGING_PROCESSING_STREAM_AUTO_CREATE"] == "true"
    assert env["KSQL_KSQL_LOGGING_PROCESSING_TOPIC_NAME"] == env["KSQL_LOG4J_PROCESSING_LOG_TOPIC"]


# --- datagen --------------------------------------------------------------------------------


def test_datagen_command_is_accepted_by_ksqlpy_datagen(
    services: dict[str, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    command = [str(arg) for arg in services["datagen"]["command"]]
    assert command[0] == "ksqlpy-datagen"
    try:
        args = build_parser().parse_args(command[1:])
    except SystemExit:
        pytest.fail(f"ksqlpy-datagen refuses {command}: {capsys.readouterr().err}")
    assert args.bootstrap_servers == _kafka_addresses(services)[0]
    assert (args.quickstart, args.topic) == ("people", "fake_people")
    # The same command, printing three records instead of producing: no broker is touched.
    capsys.readouterr()
    extra = ["--dry-run", "--iterations", "3", "--seed", "7", "--rate", "1000", "--quiet"]
    assert datagen_main([*command[1:], *extra]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for line in lines:
        key, value = line.split("\t")
        record = json.loads(value)
        # The course's stream: (id STRING, name STRING, title STRING), keyed by id.
        assert set(record) == {"id", "name", "title"}
        assert key == record["id"]


# --- volumes, profiles, the image -----------------------------------------------------------


def test_named_volumes_hold_kafka_data(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    declared = set(compose.get("volumes") or {})
    assert declared
    mounts: dict[str, str] = {}
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source, _, target = str(volume).partition(":")
            if not source.startswith((".", "/", "~")):
                assert source in declared, f"{name} mounts undeclared volume {source}"
                mounts[target.split(":")[0]] = source
    log_dir = _env(services["kafka"])["KAFKA_LOG_DIRS"]
    assert any(log_dir == t or log_dir.startswith(t + "/") for t in mounts), (log_dir, mounts)


def test_profiles_add_a_cluster_node_and_a_schema_registry(
    services: dict[str, dict[str, Any]],
) -> None:
    by_profile: dict[str, set[str]] = {}
    for name, service in services.items():
        for profile in service.get("profiles", []):
            by_profile.setdefault(profile, set()).add(name)
    assert by_profile == PROFILES
    assert {n for n, s in services.items() if not s.get("profiles")} == DEFAULT_SERVICES
    node1, node2 = services["ksqldb-server"], services["ksqldb-server-2"]
    env1, env2 = _env(node1), _env(node2)
    assert node2["image"] == node1["image"]
    assert env2["KSQL_KSQL_SERVICE_ID"] == env1["KSQL_KSQL_SERVICE_ID"]
    assert env2["KSQL_BOOTSTRAP_SERVERS"] == env1["KSQL_BOOTSTRAP_SERVERS"]
    # Each node advertises its own routable address for pull-query forwarding.
    for service, env in ((node1, env1), (node2, env2)):
        assert env["KSQL_KSQL_ADVERTISED_LISTENER"] == f"http://{service['hostname']}:8088"
    assert set(_published(node1)).isdisjoint(_published(node2))
    registry = services["schema-registry"]
    port = _listeners(_env(registry)["SCHEMA_REGISTRY_LISTENERS"])["http"][1]
    assert env1["KSQL_KSQL_SCHEMA_REGISTRY_URL"] == f"http://{registry['hostname']}:{port}"


def _ignored(path: str, patterns: list[str]) -> bool:
    return any(
        fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern.removeprefix("**/"))
        for pattern in patterns
    )


def test_image_context_has_the_package_and_no_checkout_clutter(
    services: dict[str, dict[str, Any]],
) -> None:
    assert services["datagen"]["build"] in (".", "./")
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for clutter in (".git", ".venv", ".mypy_cache", ".pytest_cache", "ksqlpy.egg-info"):
        assert _ignored(clutter, patterns), clutter
    sources = []
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("COPY "):
            sources += line.split()[1:-1]
    # What the Dockerfile copies exists and is sent: pyproject's readme and setup.py included.
    assert {
        "pyproject.toml",
        "setup.py",
        "README.md",
        "ksqlpy",
        "repl",
        "migrations",
        "local",
    } <= set(sources)
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not _ignored(source, patterns), source


# --- docs/stack.md says what the file does --------------------------------------------------


def _doc_blocks() -> list[tuple[str, str]]:
    """(the line before the fence, the block's text) for every fenced block of stack.md."""
    lines = STACK_DOC.read_text(encoding="utf-8").splitlines()
    blocks: list[tuple[str, str]] = []
    start = None
    for i, line in enumerate(lines):
        if line.startswith("```"):
            if start is None:
                start = i
            else:
                blocks.append((lines[start - 1] if start else "", "\n".join(lines[start + 1 : i])))
                start = None
    return blocks


def test_stack_doc_commands_match_the_file(services: dict[str, dict[str, Any]]) -> None:
    blocks = _doc_blocks()
    assert blocks
    seen_datagen = 0
    for marker, text in blocks:
        # A block that talks to Docker cannot run in the docs runner: it says so.
        if "docker compose" in text:
            assert marker == SKIP_MARKER, text
        for line in text.splitlines():
            words = shlex.split(line.split("  #")[0])
            if "--profile" in words:
                profile = words[words.index("--profile") + 1]
                assert profile in PROFILES, line
            if words[:2] == ["docker", "compose"]:
                rest = [w for w in words[2:] if not w.startswith("-")]
                verb = rest[0]
                if verb in ("exec", "run", "logs"):
                    targets = rest[1:2] if verb in ("exec", "run") else rest[1:]
                    assert set(targets) <= set(services), line
            if "ksqlpy-datagen" in words:
                seen_datagen += 1
                args = words[words.index("ksqlpy-datagen") + 1 :]
                try:
                    build_parser().parse_args(args)
                except SystemExit:
                    pytest.fail(f"stack.md shows a datagen command its CLI refuses: {line}")
    assert seen_datagen >= 2
    doc = STACK_DOC.read_text(encoding="utf-8")
    images = {s["image"] for s in services.values() if "image" in s}
    assert set(re.findall(r"`([a-z0-9./-]+/[a-z0-9.-]+:[\w.-]+)`", doc)) == images
