"""TLS from ksql-migrations configs: PKCS12 and JKS trust/key stores (JKS built by Java's own
``keytool``), and a TLS local server that demands a client certificate, reached through
``Client(**config.client_options())``."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.serialization import pkcs12

from ksqlpy import Client
from ksqlpy._errors import KsqlError, MigrationConfigError
from ksqlpy.migrations import _tls
from ksqlpy.migrations._properties import escape_value
from ksqlpy.migrations._tls import TlsSettings, build_context
from ksqlpy.migrations.config import load_config

trustme = pytest.importorskip("trustme")

STORE_PASS = "store-pass"
KEY_PASS = "key-pass"  # only the JKS key store has a key password of its own


@dataclass
class Stores:
    folder: Path
    ca_pem: Path
    server_chain: Path
    server_key: Path
    wrong_host_chain: Path
    wrong_host_key: Path
    client_public: bytes
    p12_trust: Path
    p12_keys: Path
    jks_trust: Path | None = None
    jks_keys: Path | None = None
    jks_two_keys: Path | None = None
    keytool_p12_trust: Path | None = None
    keytool_p12_keys: Path | None = None


def _public(key_pem: bytes) -> bytes:
    key = ser.load_pem_private_key(key_pem, None)
    return key.public_key().public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo)


def _keytool(*args: str) -> None:
    tool = shutil.which("keytool")
    assert tool is not None
    done = subprocess.run([tool, *args], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Stores:
    folder = tmp_path_factory.mktemp("stores")
    ca = trustme.CA()
    ca_pem = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_pem))

    def leaf(name: str, *hosts: str) -> tuple[Path, Path, bytes, bytes]:
        issued = ca.issue_cert(*hosts)
        chain, key = folder / f"{name}-chain.pem", folder / f"{name}-key.pem"
        chain.write_bytes(b"".join(blob.bytes() for blob in issued.cert_chain_pems))
        key.write_bytes(issued.private_key_pem.bytes())
        return chain, key, issued.cert_chain_pems[0].bytes(), issued.private_key_pem.bytes()

    server_chain, server_key, _, _ = leaf("server", "127.0.0.1", "localhost")
    wrong_chain, wrong_key, _, _ = leaf("wrong", "wrong.example")
    _, _, client_cert, client_key = leaf("client", "client.example")
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    p12_trust = folder / "trust.p12"
    p12_trust.write_bytes(
        pkcs12.serialize_key_and_certificates(
            None, None, None, [ca_cert], ser.BestAvailableEncryption(STORE_PASS.encode())
        )
    )
    p12_keys = folder / "keys.p12"
    p12_keys.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"client",
            ser.load_pem_private_key(client_key, None),  # type: ignore[arg-type]
            x509.load_pem_x509_certificate(client_cert),
            None,
            ser.BestAvailableEncryption(STORE_PASS.encode()),
        )
    )
    result = Stores(
        folder, ca_pem, server_chain, server_key, wrong_chain, wrong_key,
        _public(client_key), p12_trust, p12_keys,
    )  # fmt: skip
    if shutil.which("keytool") is not None:
        result.jks_trust = folder / "trust.jks"
        _keytool(
            "-importcert", "-noprompt", "-alias", "ca", "-file", str(ca_pem),
            "-keystore", str(result.jks_trust), "-storetype", "JKS", "-storepass", STORE_PASS,
        )  # fmt: skip
        result.jks_keys = folder / "keys.jks"
        _keytool(
            "-importkeystore", "-noprompt", "-srckeystore", str(p12_keys),
            "-srcstoretype", "PKCS12", "-srcstorepass", STORE_PASS, "-srcalias", "client",
            "-destkeystore", str(result.jks_keys), "-deststoretype", "JKS",
            "-deststorepass", STORE_PASS, "-destalias", "client", "-destkeypass", KEY_PASS,
        )  # fmt: skip
        result.jks_two_keys = folder / "two.jks"
        shutil.copy(result.jks_keys, result.jks_two_keys)
        _keytool(
            "-genkeypair", "-alias", "other", "-keyalg", "EC", "-groupname", "secp256r1",
            "-dname", "CN=other", "-keystore", str(result.jks_two_keys), "-storetype", "JKS",
            "-storepass", STORE_PASS, "-keypass", STORE_PASS,
        )  # fmt: skip
        # Java 9+ writes PKCS12 by default: trusted-certificate entries carry Oracle's own
        # attribute, and the key password is the store password.
        result.keytool_p12_trust = folder / "keytool-trust.p12"
        _keytool(
            "-importcert", "-noprompt", "-alias", "ca", "-file", str(ca_pem),
            "-keystore", str(result.keytool_p12_trust), "-storetype", "PKCS12",
            "-storepass", STORE_PASS,
        )  # fmt: skip
        result.keytool_p12_keys = folder / "keytool-keys.p12"
        _keytool(
            "-importkeystore", "-noprompt", "-srckeystore", str(result.jks_keys),
            "-srcstoretype", "JKS", "-srcstorepass", STORE_PASS, "-srcalias", "client",
            "-srckeypass", KEY_PASS, "-destkeystore", str(result.keytool_p12_keys),
            "-deststoretype", "PKCS12", "-deststorepass", STORE_PASS, "-destalias", "client",
        )  # fmt: skip
    return result


def jks(stores: Stores) -> Stores:
    if stores.jks_trust is None:
        pytest.skip("no `keytool` on PATH: JKS stores are built with Java's keytool (JDK >= 17)")
    return stores


def ca_subjects(context: ssl.SSLContext) -> list[str]:
    return [str(cert["subject"]) for cert in context.get_ca_certs()]


# ---- trust stores --------------------------------------------------------------------------------


def test_pkcs12_trust_store(stores: Stores) -> None:
    context = build_context(
        TlsSettings(truststore=stores.p12_trust, truststore_password=STORE_PASS)
    )
    assert len(ca_subjects(context)) == 1
    assert context.check_hostname is True


@pytest.mark.slow
def test_jks_trust_store(stores: Stores) -> None:
    stores = jks(stores)
    assert stores.jks_trust is not None
    with_password = TlsSettings(truststore=stores.jks_trust, truststore_password=STORE_PASS)
    p12 = build_context(TlsSettings(truststore=stores.p12_trust, truststore_password=STORE_PASS))
    assert ca_subjects(build_context(with_password)) == ca_subjects(p12)
    # Trusted certificates are not encrypted: without a password the digest is not checked.
    assert ca_subjects(build_context(TlsSettings(truststore=stores.jks_trust))) == ca_subjects(p12)


@pytest.mark.slow
def test_pkcs12_stores_written_by_keytool(stores: Stores) -> None:
    stores = jks(stores)
    assert stores.keytool_p12_trust is not None
    assert stores.keytool_p12_keys is not None
    trust = TlsSettings(truststore=stores.keytool_p12_trust, truststore_password=STORE_PASS)
    p12 = build_context(TlsSettings(truststore=stores.p12_trust, truststore_password=STORE_PASS))
    assert ca_subjects(build_context(trust)) == ca_subjects(p12)
    keys = TlsSettings(
        keystore=stores.keytool_p12_keys, keystore_password=STORE_PASS, key_alias="client"
    )
    key, _ = _tls._private_key(keys)
    public = key.public_key().public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo)
    assert public == stores.client_public


@pytest.mark.parametrize("kind", ["p12", "jks"])
def test_wrong_trust_store_password(stores: Stores, kind: str) -> None:
    path = stores.p12_trust if kind == "p12" else jks(stores).jks_trust
    with pytest.raises(
        MigrationConfigError, match=r"password \(ssl\.truststore\.password\) is wrong"
    ) as info:
        build_context(TlsSettings(truststore=path, truststore_password="nope"))
    assert str(path) in str(info.value)


def test_damaged_jks_is_refused(stores: Stores, tmp_path: Path) -> None:
    source = jks(stores).jks_trust
    assert source is not None
    data = bytearray(source.read_bytes())
    data[len(data) // 2] ^= 0x01
    altered = tmp_path / "altered.jks"
    altered.write_bytes(bytes(data))
    with pytest.raises(MigrationConfigError, match="is wrong, or the file was altered"):
        build_context(TlsSettings(truststore=altered, truststore_password=STORE_PASS))
    truncated = tmp_path / "truncated.jks"
    truncated.write_bytes(source.read_bytes()[:40])
    with pytest.raises(MigrationConfigError, match=r"truncated\.jks is truncated or damaged"):
        build_context(TlsSettings(truststore=truncated, truststore_password=STORE_PASS))


def test_missing_pem_and_garbage_stores(stores: Stores, tmp_path: Path) -> None:
    with pytest.raises(
        MigrationConfigError, match=r"cannot read ssl\.truststore\.location .*no such file"
    ):
        build_context(TlsSettings(truststore=tmp_path / "none.jks"))
    with pytest.raises(MigrationConfigError, match=r"is a PEM file; .*keytool -importcert"):
        build_context(TlsSettings(truststore=stores.ca_pem))
    garbage = tmp_path / "garbage.p12"
    garbage.write_bytes(b"\x30\x03\x02\x01\x03")
    with pytest.raises(MigrationConfigError, match="as a PKCS12 store"):
        build_context(TlsSettings(keystore=garbage))
    text = tmp_path / "text.jks"
    text.write_bytes(b"hello")
    with pytest.raises(MigrationConfigError, match="is not a JKS or PKCS12 key store"):
        build_context(TlsSettings(truststore=text))


# ---- key stores ----------------------------------------------------------------------------------


def test_pkcs12_key_store(stores: Stores) -> None:
    settings = TlsSettings(keystore=stores.p12_keys, keystore_password=STORE_PASS)
    key, chain = _tls._private_key(settings)
    assert (
        key.public_key().public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo)
        == stores.client_public
    )
    assert len(chain) == 1
    build_context(settings)  # the key and certificate load into an SSLContext
    with pytest.raises(MigrationConfigError, match=r"no key with the alias 'other'.*'client'"):
        build_context(
            TlsSettings(keystore=stores.p12_keys, keystore_password=STORE_PASS, key_alias="other")
        )
    build_context(
        TlsSettings(keystore=stores.p12_keys, keystore_password=STORE_PASS, key_alias="CLIENT")
    )


def test_pkcs12_key_store_errors(stores: Stores) -> None:
    with pytest.raises(MigrationConfigError, match=r"\(ssl\.keystore\.password\) is wrong"):
        build_context(TlsSettings(keystore=stores.p12_keys, keystore_password="bad"))
    with pytest.raises(MigrationConfigError, match="holds no private key with its certificate"):
        build_context(TlsSettings(keystore=stores.p12_trust, keystore_password=STORE_PASS))


@pytest.mark.slow
def test_jks_key_store_decrypts_the_key_keytool_wrote(stores: Stores) -> None:
    stores = jks(stores)
    assert stores.jks_keys is not None
    settings = TlsSettings(
        keystore=stores.jks_keys, keystore_password=STORE_PASS, key_password=KEY_PASS
    )
    key, chain = _tls._private_key(settings)
    assert (
        key.public_key().public_bytes(ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo)
        == stores.client_public
    )
    assert x509.load_der_x509_certificate(chain[0]).subject.rfc4514_string() != ""
    build_context(settings)


def test_jks_key_store_errors(stores: Stores) -> None:
    stores = jks(stores)
    assert stores.jks_keys is not None
    assert stores.jks_two_keys is not None
    with pytest.raises(
        MigrationConfigError, match=r"cannot decrypt the key 'client'.*set ssl\.key\.password"
    ):
        build_context(TlsSettings(keystore=stores.jks_keys, keystore_password=STORE_PASS))
    with pytest.raises(MigrationConfigError, match=r"ssl\.keystore\.password\) is wrong"):
        build_context(TlsSettings(keystore=stores.jks_keys, keystore_password="bad"))
    with pytest.raises(MigrationConfigError, match=r"no private key with the alias 'nope'.*client"):
        build_context(
            TlsSettings(keystore=stores.jks_keys, keystore_password=STORE_PASS, key_alias="nope")
        )
    with pytest.raises(
        MigrationConfigError, match=r"holds 2 private keys \(client, other\); set ssl\.key\.alias"
    ):
        build_context(TlsSettings(keystore=stores.jks_two_keys, keystore_password=STORE_PASS))
    # With the alias, the key of the second entry (same password as the store) is chosen.
    build_context(
        TlsSettings(keystore=stores.jks_two_keys, keystore_password=STORE_PASS, key_alias="other")
    )


# ---- end to end: a TLS local server that wants a client certificate ------------------------------


def _server(chain: Path, key: Path, client_ca: Path | None) -> Iterator[str]:
    local = pytest.importorskip("ksqlpy.local")
    server = local.LocalServer(certfile=chain, keyfile=key)
    if client_ca is not None:
        server.config.ca_certs = str(client_ca)
        server.config.verify_mode = ssl.CERT_REQUIRED
    with server:
        yield server.url


@pytest.fixture(scope="module")
def mtls_url(stores: Stores) -> Iterator[str]:
    yield from _server(stores.server_chain, stores.server_key, stores.ca_pem)


@pytest.fixture(scope="module")
def wrong_host_url(stores: Stores) -> Iterator[str]:
    yield from _server(stores.wrong_host_chain, stores.wrong_host_key, None)


def config_file(folder: Path, url: str, **keys: str) -> Path:
    lines = [f"ksql.server.url={url}"] + [
        f"{key.replace('_', '.')}={escape_value(value)}" for key, value in keys.items()
    ]
    path = folder / "ksql-migrations.properties"
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    return path


def server_version(path: Path) -> str:
    with Client(**load_config(path).client_options()) as client:
        return client.server_info().version


@pytest.mark.parametrize("alpn", ["true", "false"])
@pytest.mark.parametrize("kind", ["p12", "jks"])
def test_client_certificate_from_stores_reaches_the_server(
    stores: Stores, mtls_url: str, tmp_path: Path, kind: str, alpn: str
) -> None:
    if kind == "jks":
        stores = jks(stores)
        keys = {
            "ssl_truststore_location": str(stores.jks_trust),
            "ssl_keystore_location": str(stores.jks_keys),
            "ssl_key_password": KEY_PASS,
        }
    else:
        keys = {
            "ssl_truststore_location": str(stores.p12_trust),
            "ssl_keystore_location": str(stores.p12_keys),
        }
    path = config_file(
        tmp_path, mtls_url, ssl_truststore_password=STORE_PASS,
        ssl_keystore_password=STORE_PASS, ssl_alpn=alpn, **keys,
    )  # fmt: skip
    options = load_config(path).client_options()
    assert options["http2"] is (alpn == "true")
    # /inserts-stream (how the runner writes metadata rows) is HTTP/2 even when ssl.alpn=false.
    name = f"TLS_{kind}_{alpn}".upper()
    with Client(**options) as client:
        assert client.server_info().version
        client.execute_statement(
            f"CREATE STREAM {name} (ID INT) WITH (KAFKA_TOPIC='{name}', PARTITIONS=1, "
            "VALUE_FORMAT='JSON');"
        )
        client.insert_into(name, {"ID": 7})
        rows = client.execute_query(
            f"SELECT ID FROM {name} EMIT CHANGES LIMIT 1;",
            properties={"auto.offset.reset": "earliest"},
        ).rows
        assert [row[0] for row in rows] == [7]


def test_without_a_client_certificate_the_server_refuses(
    stores: Stores, mtls_url: str, tmp_path: Path
) -> None:
    path = config_file(
        tmp_path, mtls_url, ssl_truststore_location=str(stores.p12_trust),
        ssl_truststore_password=STORE_PASS,
    )  # fmt: skip
    with pytest.raises(KsqlError):
        server_version(path)


def test_host_verification_on_and_off(stores: Stores, wrong_host_url: str, tmp_path: Path) -> None:
    trust = {
        "ssl_truststore_location": str(stores.p12_trust),
        "ssl_truststore_password": STORE_PASS,
    }
    checked = config_file(tmp_path, wrong_host_url, **trust)
    with pytest.raises(KsqlError, match="certificate"):
        server_version(checked)
    unchecked = config_file(tmp_path, wrong_host_url, ssl_verify_host="false", **trust)
    assert server_version(unchecked)


def test_untrusted_server_without_a_trust_store(wrong_host_url: str, tmp_path: Path) -> None:
    # No trust store: the system CAs, which do not know the test CA.
    with pytest.raises(KsqlError, match="certificate"):
        server_version(config_file(tmp_path, wrong_host_url, ssl_verify_host="false"))
