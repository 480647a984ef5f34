"""``ksql-migrations.properties`` as ksql-migrations reads it: keys, defaults, errors, templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksqlpy import Client
from ksqlpy._errors import MigrationConfigError
from ksqlpy.migrations._properties import read_properties
from ksqlpy.migrations.config import (
    load_config,
    new_project_properties,
    read_headers,
)


def write(folder: Path, text: str | bytes, name: str = "ksql-migrations.properties") -> Path:
    path = folder / name
    path.write_bytes(text.encode("latin-1") if isinstance(text, str) else text)
    return path


def test_minimal_file_gives_the_java_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "ksql.server.url=http://localhost:8088\n"))
    assert config.path == tmp_path / "ksql-migrations.properties"
    assert config.path.is_absolute()
    assert config.server_url == "http://localhost:8088"
    assert config.migrations_dir == tmp_path / "migrations"
    assert (config.stream_name, config.table_name) == (
        "MIGRATION_EVENTS",
        "MIGRATION_SCHEMA_VERSIONS",
    )
    assert (config.stream_topic, config.table_topic) == ("", "")
    assert config.topic_replicas == 1
    assert (config.lock_ttl, config.request_timeout) == (120.0, 60.0)
    assert config.empty_is_success is False
    assert config.basic_auth is None
    assert config.bearer is None
    assert config.warnings == ()
    assert config.topics("default_") == (
        "default_ksql_MIGRATION_EVENTS",
        "default_ksql_MIGRATION_SCHEMA_VERSIONS",
    )


def test_every_key_read_and_trimmed(tmp_path: Path) -> None:
    text = (
        "ksql.server.url = HTTPS://ksql.example.com:8443/  \n"
        "ksql.migrations.stream.name=EVENTS\t\n"
        "ksql.migrations.table.name : VERSIONS\n"
        "ksql.migrations.stream.topic.name=ev-topic\n"
        "ksql.migrations.table.topic.name=ver-topic\n"
        "ksql.migrations.topic.replicas= 3 \n"
        "ksql.migrations.dir.override=" + str(tmp_path / "elsewhere").replace("\\", "\\\\") + "\n"
        "ksql.auth.basic.username=alice\n"
        "ksql.auth.basic.password=s3cr\\u00e9t\n"
        "ssl.alpn=TRUE\n"
        "ssl.verify.host=False\n"
        "ksqlpy.migrations.lock.ttl.seconds=30.5\n"
        "ksqlpy.migrations.request.timeout.seconds=5\n"
        "ksqlpy.migrations.apply.empty.success=True\n"
        "some.unknown.key=whatever\n"
    )
    config = load_config(write(tmp_path, text))
    assert config.server_url == "https://ksql.example.com:8443"
    assert (config.stream_name, config.table_name) == ("EVENTS", "VERSIONS")
    assert config.topics("ignored_") == ("ev-topic", "ver-topic")
    assert config.topic_replicas == 3
    assert config.migrations_dir == tmp_path / "elsewhere"
    assert config.basic_auth == ("alice", "s3cr\u00e9t")
    assert (config.tls.alpn, config.tls.verify_host) == (True, False)
    assert (config.lock_ttl, config.request_timeout, config.empty_is_success) == (30.5, 5.0, True)
    assert config.properties["some.unknown.key"] == "whatever"
    assert config.properties["ksql.migrations.topic.replicas"] == "3 "  # raw, as read
    assert config.warnings == ()


def test_derived_topics_follow_configured_names(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, "ksql.server.url=http://h:1\nksql.migrations.stream.name=S\n")
    )
    assert config.topics("svc_") == ("svc_ksql_S", "svc_ksql_MIGRATION_SCHEMA_VERSIONS")


def test_relative_dir_override_and_bare_file_name_use_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    write(project, "ksql.server.url=http://h:1\n")
    monkeypatch.chdir(project)
    # ksql-migrations cannot find the folder of a bare file name; ksqlpy can.
    assert load_config("ksql-migrations.properties").migrations_dir == project / "migrations"
    write(project, "ksql.server.url=http://h:1\nksql.migrations.dir.override=sql/files\n")
    monkeypatch.chdir(tmp_path)
    config = load_config(project / "ksql-migrations.properties")
    assert config.migrations_dir == tmp_path / "sql" / "files"


def test_crlf_and_latin1_file(tmp_path: Path) -> None:
    data = b"ksql.server.url=http://h:1\r\nksql.auth.basic.username=j\xf6rg\r\n"
    config = load_config(write(tmp_path, data))
    assert config.basic_auth == ("j\u00f6rg", "")


def test_utf8_value_reads_as_latin1_like_java(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, "ksql.server.url=http://h:1\nksql.auth.basic.password=é\n".encode())
    )
    assert config.basic_auth == ("", "\u00c3\u00a9")


def test_passwords_stay_out_of_repr(tmp_path: Path) -> None:
    text = (
        "ksql.server.url=https://h:1\nksql.auth.basic.username=u\n"
        "ksql.auth.basic.password=hunter2\nssl.keystore.password=kspass\n"
    )
    shown = repr(load_config(write(tmp_path, text)))
    assert "hunter2" not in shown
    assert "kspass" not in shown


def test_properties_are_read_only(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "ksql.server.url=http://h:1\n"))
    with pytest.raises(TypeError):
        config.properties["x"] = "y"  # type: ignore[index]


# ---- errors --------------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MigrationConfigError, match=r"does not exist.*new-project") as info:
        load_config(tmp_path / "nope.properties")
    assert str(tmp_path / "nope.properties") in str(info.value)


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(MigrationConfigError, match=r"is a folder.*ksql-migrations\.properties"):
        load_config(tmp_path)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "ksql.server.url=http://h:1\n")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)  # as root, chmod 0 would not stop a read
    with pytest.raises(MigrationConfigError, match="permission denied; make it readable"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# nothing\n", r"ksql-migrations.properties: ksql.server.url is missing; add a line"),
        ("x=1\nksql.server.url=  \n", r"properties, line 2: ksql.server.url is empty"),
        (
            "ksql.server.url=localhost:8088\n",
            r"line 1: ksql.server.url is not an http:// or https://",
        ),
        ("ksql.server.url=ftp://h:1\n", "not an http:// or https://"),
        ("ksql.server.url=http://\n", "not an http:// or https://"),
        ("ksql.server.url=http://h:99999\n", "not an http:// or https://"),
        ("ksql.server.url=http://u:p@h:1\n", "must not hold credentials; put them in ksql.auth"),
        ("ksql.server.url=http://my host:1\n", "not an http:// or https://"),
        ("ksql.server.url=http://h:1/?x=1\n", "must not have a query"),
    ],
)
def test_bad_or_missing_url(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(MigrationConfigError, match=message):
        load_config(write(tmp_path, text))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "ksql.migrations.topic.replicas=two",
            r"line 2: ksql.migrations.topic.replicas must be a whole number.*'two'",
        ),
        ("ksql.migrations.topic.replicas=", "replicas must be a whole number"),
        ("ksql.migrations.topic.replicas=0", "replicas must be a whole number from 1"),
        ("ksql.migrations.topic.replicas=1.5", "replicas must be a whole number"),
        ("ksql.migrations.topic.replicas=99999999999", "replicas must be a whole number"),
        ("ssl.alpn=yes", r"ssl.alpn must be true or false, got 'yes'; write ssl.alpn=true"),
        ("ssl.verify.host=", "ssl.verify.host must be true or false"),
        (
            "ksqlpy.migrations.lock.ttl.seconds=0",
            "lock.ttl.seconds must be a number of seconds above 0",
        ),
        ("ksqlpy.migrations.request.timeout.seconds=nan", "must be a number of seconds above 0"),
        ("ksqlpy.migrations.request.timeout.seconds=soon", "must be a number of seconds above 0"),
        ("ksqlpy.migrations.apply.empty.success=1", "apply.empty.success must be true or false"),
        (
            "ksql.migrations.stream.name=  ",
            "stream.name is empty; remove the line to use MIGRATION_EVENTS",
        ),
        ("ksql.auth.basic.username=a:b", "username must not contain ':'"),
        (
            "bearer.auth.issuer.endpoint.url=http://i/t\nbearer.auth.client.id=c\n"
            "bearer.auth.client.secret=s\nbearer.auth.cache.expiry.buffer.seconds=40000",
            "expiry.buffer.seconds must be a whole number",
        ),
    ],
)
def test_bad_values_name_the_key_line_and_fix(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(MigrationConfigError, match=message) as info:
        load_config(write(tmp_path, f"ksql.server.url=http://h:1\n{line}\n"))
    assert str(tmp_path) in str(info.value)


@pytest.mark.parametrize(
    "key",
    [
        "java.home",
        "os.name",
        "sun.x",
        "user.dir",
        "line.separator",
        "path.separator.x",
        "file.separator",
    ],
)
def test_reserved_java_keys_fail(tmp_path: Path, key: str) -> None:
    with pytest.raises(
        MigrationConfigError, match=rf"'{key}' \(line 2\).*reserved for Java system"
    ):
        load_config(write(tmp_path, f"ksql.server.url=http://h:1\n{key}=1\n"))


def test_keys_that_only_look_reserved_are_fine(tmp_path: Path) -> None:
    text = "ksql.server.url=http://h:1\nJava.home=1\nmy.java.x=1\nusers.x=1\n"
    assert load_config(write(tmp_path, text)).properties["Java.home"] == "1"


def test_malformed_escape_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "ksql.server.url=http://h:1\nksql.auth.basic.password=\\uXYZ1\n")
    with pytest.raises(MigrationConfigError, match=r"properties, line 2: malformed \\uXXXX"):
        load_config(path)


def test_byte_order_mark_is_explained(tmp_path: Path) -> None:
    with pytest.raises(MigrationConfigError, match="byte order mark"):
        load_config(write(tmp_path, b"\xef\xbb\xbfksql.server.url=http://h:1\n"))
    config = load_config(write(tmp_path, b"\xef\xbb\xbf# c\nksql.server.url=http://h:1\n"))
    assert any("byte order mark" in w for w in config.warnings)


def test_unknown_ksqlpy_key_is_a_warning_with_a_suggestion(tmp_path: Path) -> None:
    text = "ksql.server.url=http://h:1\nksqlpy.migrations.lock.ttl.secs=5\n"
    (warning,) = load_config(write(tmp_path, text)).warnings
    assert "line 2" in warning
    assert "did you mean ksqlpy.migrations.lock.ttl.seconds?" in warning


def test_tls_keys_with_http_url_are_ignored_with_a_warning(tmp_path: Path) -> None:
    text = "ksql.server.url=http://h:1\nssl.truststore.location=/does/not/exist.jks\n"
    config = load_config(write(tmp_path, text))
    assert any("ssl.truststore.location ignored" in w for w in config.warnings)
    options = config.client_options()  # the missing store is never opened
    assert "verify" not in options


def test_basic_and_bearer_together_is_an_error(tmp_path: Path) -> None:
    text = (
        "ksql.server.url=http://h:1\nksql.auth.basic.username=u\n"
        "bearer.auth.issuer.endpoint.url=http://idp/token\nbearer.auth.client.id=c\n"
        "bearer.auth.client.secret=s\n"
    )
    with pytest.raises(MigrationConfigError, match=r"both basic auth .* and OAuth"):
        load_config(write(tmp_path, text))


@pytest.mark.parametrize("missing", ["bearer.auth.client.id", "bearer.auth.client.secret"])
def test_incomplete_bearer_is_an_error(tmp_path: Path, missing: str) -> None:
    keys = {"bearer.auth.client.id": "c", "bearer.auth.client.secret": "s"}
    del keys[missing]
    text = "ksql.server.url=http://h:1\nbearer.auth.issuer.endpoint.url=http://idp/t\n"
    text += "".join(f"{k}={v}\n" for k, v in keys.items())
    with pytest.raises(MigrationConfigError, match=f"{missing} is empty"):
        load_config(write(tmp_path, text))


# ---- client options ------------------------------------------------------------------------------


def options_for(tmp_path: Path, text: str) -> dict[str, object]:
    return load_config(write(tmp_path, text)).client_options()


def test_http_options(tmp_path: Path) -> None:
    options = options_for(tmp_path, "ksql.server.url=http://h:1\n")
    assert options == {
        "url": "http://h:1",
        "connect_timeout": 10.0,
        "read_timeout": 60.0,
        "http2": True,
    }
    Client(**options).close()  # type: ignore[arg-type]


def test_https_without_stores_uses_the_client_defaults(tmp_path: Path) -> None:
    options = options_for(tmp_path, "ksql.server.url=https://h:1\n")
    assert "verify" not in options
    assert options["http2"] is False  # ssl.alpn defaults to false: HTTP/1.1, as the Java client
    assert options_for(tmp_path, "ksql.server.url=https://h:1\nssl.alpn=true\n")["http2"] is True


def test_https_without_host_check_gives_a_context(tmp_path: Path) -> None:
    import ssl

    options = options_for(tmp_path, "ksql.server.url=https://h:1\nssl.verify.host=false\n")
    context = options["verify"]
    assert isinstance(context, ssl.SSLContext)
    assert context.check_hostname is False
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_basic_auth_timeouts_and_headers(tmp_path: Path) -> None:
    text = (
        "ksql.server.url=http://h:1\nksql.auth.basic.password=pw\n"
        "ksqlpy.migrations.request.timeout.seconds=4\n"
    )
    config = load_config(write(tmp_path, text))
    options = config.client_options({"X-Team": "data"})
    assert options["auth"] == ("", "pw")
    assert (options["connect_timeout"], options["read_timeout"]) == (4.0, 4.0)
    assert options["headers"] == {"X-Team": "data"}
    with pytest.raises(MigrationConfigError, match=r"Authorization header or the ksql\.auth"):
        config.client_options({"authorization": "Basic x"})


# ---- headers ------------------------------------------------------------------------------------


def test_headers_file_both_separators(tmp_path: Path) -> None:
    path = write(tmp_path, "# extra headers\nX-Trace: abc  \nX-Env=prod\n", "headers.txt")
    assert read_headers(path) == {"X-Trace": "abc", "X-Env": "prod"}


def test_headers_file_errors(tmp_path: Path) -> None:
    with pytest.raises(
        MigrationConfigError, match=r"headers file .*missing.txt: it does not exist"
    ):
        read_headers(tmp_path / "missing.txt")
    bad = write(tmp_path, "ok: 1\nBad(Name): 2\n", "h1.txt")
    with pytest.raises(MigrationConfigError, match=r"h1.txt, line 2: 'Bad\(Name\)' is not a valid"):
        read_headers(bad)
    control = write(tmp_path, "X-A: a\\nb\n", "h2.txt")
    with pytest.raises(MigrationConfigError, match="control or non-Latin-1"):
        read_headers(control)
    reserved = write(tmp_path, "java.x: 1\n", "h3.txt")
    with pytest.raises(MigrationConfigError, match="reserved for Java"):
        read_headers(reserved)


# ---- new-project text ---------------------------------------------------------------------------

JAVA_TEMPLATE = """ksql.server.url=http://localhost:8088

# Migrations metadata configs:
# ksql.migrations.stream.name=MIGRATION_EVENTS
# ksql.migrations.table.name=MIGRATION_SCHEMA_VERSIONS
# ksql.migrations.stream.topic.name=ksql-service-idksql_MIGRATION_EVENTS
# ksql.migrations.table.topic.name=ksql-service-idksql_MIGRATION_SCHEMA_VERSIONS
# ksql.migrations.topic.replicas=1

# TLS configs:
# ssl.truststore.location=
# ssl.truststore.password=
# ssl.keystore.location=
# ssl.keystore.password=
# ssl.key.password=
# ssl.key.alias=
# ssl.alpn=false
# ssl.verify.host=true

# ksqlDB server authentication configs:
# ksql.auth.basic.username=
# ksql.auth.basic.password=

# Migrations directory configs:
# ksql.migrations.dir.override="""


def test_new_project_text_starts_with_the_java_template() -> None:
    text = new_project_properties("http://localhost:8088")
    assert text.startswith(JAVA_TEMPLATE + "\n")
    for key in (
        "ksqlpy.migrations.lock.ttl.seconds=120",
        "ksqlpy.migrations.request.timeout.seconds=60",
        "ksqlpy.migrations.apply.empty.success=false",
        "bearer.auth.issuer.endpoint.url=",
    ):
        assert f"\n# {key}\n" in text


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8088",
        "https://ksql.example.com:443/",
        "http://h:1/path with space",
        "http://ünï:1",
        " http://h:1",
    ],
)
def test_new_project_text_round_trips(url: str) -> None:
    text = new_project_properties(url)
    assert read_properties(text.encode("latin-1")) == {"ksql.server.url": url}


def test_new_project_file_loads_with_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, new_project_properties("http://localhost:8088")))
    assert config.server_url == "http://localhost:8088"
    assert config.warnings == ()
    assert config.topic_replicas == 1
