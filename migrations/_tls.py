"""Trust stores and key stores (JKS and PKCS12) as Java reads them, turned into an SSLContext.

ksql-migrations points ``ssl.truststore.location`` / ``ssl.keystore.location`` at Java key
stores. Java 9+ opens both formats whatever the file is called, so ksqlpy does too, telling them
apart by their first bytes. PKCS12 goes through ``cryptography`` (imported only when a store is
configured); JKS has no Python reader there, so it is read here: the layout of Sun's
``JavaKeyStore`` (magic ``0xFEEDFEED``, trusted-certificate and private-key entries, a SHA-1
digest keyed by the store password) and its ``KeyProtector`` (a SHA-1 keystream XORed over the
PKCS#8 key, with a SHA-1 check digest).

Python's ``ssl`` module loads a client key only from a file, so the key goes to an anonymous
in-memory file (``memfd``) where the platform has one, else to a private temporary file that
holds it encrypted with a one-time password and is deleted at once.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import ssl
import struct
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ksqlpy._errors import MigrationConfigError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
    from cryptography.hazmat.primitives.serialization.pkcs12 import (
        PKCS12KeyAndCertificates as _Pkcs12,
    )

__all__ = ["TlsSettings", "build_context"]

_JKS_MAGIC = 0xFEEDFEED
_JCEKS_MAGIC = 0xCECECECE
_JKS_WHITENER = b"Mighty Aphrodite"  # mixed into the store digest by Sun's JavaKeyStore
_KEY_PROTECTOR_OID = bytes.fromhex(
    "2b06010401 2a02110101".replace(" ", "")
)  # 1.3.6.1.4.1.42.2.17.1.1
_SHA1_SIZE = 20
_PRIVATE_KEY_ENTRY = 1
_TRUSTED_CERT_ENTRY = 2

TRUSTSTORE = "ssl.truststore.location"
KEYSTORE = "ssl.keystore.location"


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """The ``ssl.*`` keys of a ksql-migrations config (used only with an ``https://`` URL)."""

    truststore: Path | None = None
    truststore_password: str = field(default="", repr=False)
    keystore: Path | None = None
    keystore_password: str = field(default="", repr=False)
    key_password: str = field(default="", repr=False)
    key_alias: str = ""
    alpn: bool = False
    verify_host: bool = True

    @property
    def customised(self) -> bool:
        """True when the defaults (system CAs, host check, no client certificate) do not do."""
        return self.truststore is not None or self.keystore is not None or not self.verify_host


def build_context(tls: TlsSettings) -> ssl.SSLContext:
    """A client TLS context: the trust store's CAs (else the system's), the key store's key."""
    if tls.truststore is not None:
        certificates = _trusted_certificates(tls.truststore, tls.truststore_password)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            context.load_verify_locations(cadata=b"".join(certificates))
        except ssl.SSLError as error:
            raise MigrationConfigError(
                f"{TRUSTSTORE} {tls.truststore}: a certificate in it is unusable ({error})"
            ) from error
    else:
        context = ssl.create_default_context()
    context.check_hostname = tls.verify_host
    if tls.keystore is not None:
        key, chain = _private_key(tls)
        _load_key(context, key, chain, tls.keystore)
    return context


# ---- reading the files ------------------------------------------------------------------------


def _read(path: Path, key: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        reason = "no such file"
    except IsADirectoryError:
        reason = "it is a folder, not a key store file"
    except PermissionError:
        reason = "permission denied"
    except OSError as error:
        reason = error.strerror or str(error)
    raise MigrationConfigError(f"cannot read {key} {path}: {reason}; fix the path in the config")


def _kind(data: bytes, path: Path, key: str) -> str:
    if len(data) >= 4:
        magic = struct.unpack(">I", data[:4])[0]
        if magic == _JKS_MAGIC:
            return "jks"
        if magic == _JCEKS_MAGIC:
            raise MigrationConfigError(
                f"{key} {path} is a JCEKS store, which ksqlpy cannot read; convert it with "
                f"'keytool -importkeystore -srckeystore {path} -destkeystore store.p12 "
                "-deststoretype PKCS12'"
            )
    if data[:1] == b"\x30":
        return "pkcs12"
    if data.lstrip()[:10] == b"-----BEGIN":
        raise MigrationConfigError(
            f"{key} {path} is a PEM file; Java (and ksql-migrations) read only JKS or PKCS12 "
            "stores there: build one with 'keytool -importcert' (trust) or 'openssl pkcs12 "
            "-export' (key)"
        )
    raise MigrationConfigError(f"{key} {path} is not a JKS or PKCS12 key store")


def _trusted_certificates(path: Path, password: str) -> list[bytes]:
    data = _read(path, TRUSTSTORE)
    if _kind(data, path, TRUSTSTORE) == "jks":
        # Trusted certificates are not encrypted; with no password Java skips the digest check.
        store = _Jks.parse(data, path, TRUSTSTORE, password)
        found = [der for _, der in store.trusted] + [c for _, _, ch in store.keys for c in ch[:1]]
    else:
        bundle = _pkcs12(data, path, TRUSTSTORE, password)
        from cryptography.hazmat.primitives.serialization import Encoding

        found = [c.certificate.public_bytes(Encoding.DER) for c in bundle.additional_certs]
        if bundle.cert is not None:
            found.insert(0, bundle.cert.certificate.public_bytes(Encoding.DER))
    if not found:
        raise MigrationConfigError(
            f"{TRUSTSTORE} {path} holds no certificates; import the server's CA with "
            f"'keytool -importcert -file ca.pem -keystore {path}'"
        )
    return found


def _private_key(tls: TlsSettings) -> tuple[PrivateKeyTypes, list[bytes]]:
    assert tls.keystore is not None
    path = tls.keystore
    data = _read(path, KEYSTORE)
    if _kind(data, path, KEYSTORE) == "jks":
        return _jks_private_key(data, tls)
    from cryptography.hazmat.primitives.serialization import Encoding

    bundle = _pkcs12(data, path, KEYSTORE, tls.keystore_password)
    if bundle.key is None or bundle.cert is None:
        raise MigrationConfigError(
            f"{KEYSTORE} {path} holds no private key with its certificate; put the client "
            "key and certificate in it, or remove ssl.keystore.location"
        )
    name = (bundle.cert.friendly_name or b"").decode("utf-8", "replace")
    if tls.key_alias and tls.key_alias.lower() != name.lower():
        raise MigrationConfigError(
            f"{KEYSTORE} {path} has no key with the alias {tls.key_alias!r} (ssl.key.alias); "
            f"it holds {name!r}"
        )
    chain = [bundle.cert.certificate.public_bytes(Encoding.DER)]
    chain += [c.certificate.public_bytes(Encoding.DER) for c in bundle.additional_certs]
    return bundle.key, chain


def _pkcs12(data: bytes, path: Path, key: str, password: str) -> _Pkcs12:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import pkcs12

    # "" and "no password" differ in PKCS12; Java's empty password can mean either.
    attempts = [password.encode("utf-8")] + ([None] if not password else [])
    for attempt in attempts:
        try:
            return pkcs12.load_pkcs12(data, attempt)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
    what = key.replace(".location", ".password")
    raise MigrationConfigError(
        f"cannot open {key} {path} as a PKCS12 store: the password ({what}) is wrong, or the "
        "file is damaged"
    )


# ---- JKS ---------------------------------------------------------------------------------------


class _Cursor:
    """Big-endian reads over a JKS file; running off its end is a damaged-file error."""

    def __init__(self, data: bytes, path: Path, key: str) -> None:
        self.data, self.path, self.key, self.at = data, path, key, 0

    def take(self, size: int) -> bytes:
        if size < 0 or self.at + size > len(self.data):
            raise MigrationConfigError(f"{self.key} {self.path} is truncated or damaged")
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk

    def u16(self) -> int:
        return int(struct.unpack(">H", self.take(2))[0])

    def u32(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])

    def text(self) -> str:
        # Java's modified UTF-8: NUL is C0 80, characters beyond the BMP are surrogate pairs.
        raw = self.take(self.u16()).replace(b"\xc0\x80", b"\x00")
        return raw.decode("utf-8", "surrogatepass")

    def certificate(self, version: int) -> bytes:
        if version == 2 and (kind := self.text()) != "X.509":
            raise MigrationConfigError(
                f"{self.key} {self.path} holds a {kind!r} certificate; only X.509 is supported"
            )
        return self.take(self.u32())


@dataclass(slots=True)
class _Jks:
    trusted: list[tuple[str, bytes]]
    keys: list[tuple[str, bytes, list[bytes]]]  # alias, protected key, certificate chain

    @classmethod
    def parse(cls, data: bytes, path: Path, key: str, password: str) -> _Jks:
        cursor = _Cursor(data, path, key)
        cursor.u32()  # the magic number, already checked
        version = cursor.u32()
        if version not in (1, 2):
            raise MigrationConfigError(f"{key} {path}: unknown JKS version {version}")
        store = cls([], [])
        for _ in range(cursor.u32()):
            tag = cursor.u32()
            alias = cursor.text()
            cursor.take(8)  # creation date
            if tag == _PRIVATE_KEY_ENTRY:
                protected = cursor.take(cursor.u32())
                chain = [cursor.certificate(version) for _ in range(cursor.u32())]
                store.keys.append((alias, protected, chain))
            elif tag == _TRUSTED_CERT_ENTRY:
                store.trusted.append((alias, cursor.certificate(version)))
            else:
                raise MigrationConfigError(f"{key} {path}: unknown JKS entry type {tag}")
        digest = cursor.take(_SHA1_SIZE)
        if password:
            secret = password.encode("utf-16-be")
            body = data[: cursor.at - _SHA1_SIZE]
            if hashlib.sha1(secret + _JKS_WHITENER + body).digest() != digest:
                what = key.replace(".location", ".password")
                raise MigrationConfigError(
                    f"cannot open {key} {path}: the password ({what}) is wrong, or the file "
                    "was altered"
                )
        return store


def _jks_private_key(data: bytes, tls: TlsSettings) -> tuple[PrivateKeyTypes, list[bytes]]:
    assert tls.keystore is not None
    path = tls.keystore
    store = _Jks.parse(data, path, KEYSTORE, tls.keystore_password)
    aliases = sorted(alias for alias, _, _ in store.keys)
    if tls.key_alias:
        chosen = [e for e in store.keys if e[0].lower() == tls.key_alias.lower()]
        if not chosen:
            raise MigrationConfigError(
                f"{KEYSTORE} {path} has no private key with the alias {tls.key_alias!r} "
                f"(ssl.key.alias); its keys: {', '.join(aliases) or 'none'}"
            )
    elif len(store.keys) == 1:
        chosen = store.keys
    else:
        raise MigrationConfigError(
            f"{KEYSTORE} {path} holds {len(store.keys)} private keys"
            + (f" ({', '.join(aliases)}); set ssl.key.alias to one of them" if aliases else "")
        )
    alias, protected, chain = chosen[0]
    if not chain:
        raise MigrationConfigError(f"{KEYSTORE} {path}: the key {alias!r} has no certificate")
    # Vert.x decrypts with ssl.key.password when given, else with the store password.
    passwords = list(dict.fromkeys(p for p in (tls.key_password, tls.keystore_password)))
    for password in passwords or [""]:
        plain = _unprotect(protected, password, path, alias)
        if plain is not None:
            from cryptography.hazmat.primitives.serialization import load_der_private_key

            try:
                return load_der_private_key(plain, None), chain
            except (ValueError, TypeError) as error:
                raise MigrationConfigError(
                    f"{KEYSTORE} {path}: the key {alias!r} is not a key ksqlpy can use ({error})"
                ) from error
    raise MigrationConfigError(
        f"cannot decrypt the key {alias!r} in {KEYSTORE} {path}: wrong password; set "
        "ssl.key.password (or ssl.keystore.password when both are the same)"
    )


def _der(data: bytes, at: int, tag: int) -> tuple[int, int]:
    """(start, end) of the content of the DER element with ``tag`` at ``at``."""
    if at + 2 > len(data) or data[at] != tag:
        raise ValueError("unexpected DER element")
    size = data[at + 1]
    at += 2
    if size & 0x80:
        count = size & 0x7F
        size = int.from_bytes(data[at : at + count], "big")
        at += count
    if at + size > len(data):
        raise ValueError("DER element runs past the end")
    return at, at + size


def _unprotect(protected: bytes, password: str, path: Path, alias: str) -> bytes | None:
    """The PKCS#8 key inside a JKS ``KeyProtector`` blob, or None when the password is wrong."""
    try:
        start, _ = _der(protected, 0, 0x30)  # EncryptedPrivateKeyInfo
        algorithm_start, algorithm_end = _der(protected, start, 0x30)
        oid_start, oid_end = _der(protected, algorithm_start, 0x06)
        body_start, body_end = _der(protected, algorithm_end, 0x04)
    except ValueError as error:
        raise MigrationConfigError(
            f"{KEYSTORE} {path}: the key {alias!r} is damaged ({error})"
        ) from error
    if protected[oid_start:oid_end] != _KEY_PROTECTOR_OID:
        raise MigrationConfigError(
            f"{KEYSTORE} {path}: the key {alias!r} is encrypted with an algorithm ksqlpy "
            "cannot read; convert the store to PKCS12 with 'keytool -importkeystore'"
        )
    blob = protected[body_start:body_end]
    if len(blob) <= 2 * _SHA1_SIZE:
        raise MigrationConfigError(f"{KEYSTORE} {path}: the key {alias!r} is damaged")
    salt, encrypted, check = blob[:_SHA1_SIZE], blob[_SHA1_SIZE:-_SHA1_SIZE], blob[-_SHA1_SIZE:]
    secret = password.encode("utf-16-be")
    stream = bytearray()
    block = salt
    while len(stream) < len(encrypted):
        block = hashlib.sha1(secret + block).digest()
        stream += block
    plain = bytes(a ^ b for a, b in zip(encrypted, stream, strict=False))
    if hashlib.sha1(secret + plain).digest() != check:
        return None
    return plain


# ---- handing the key to ssl --------------------------------------------------------------------


def _load_key(
    context: ssl.SSLContext, key: PrivateKeyTypes, chain: list[bytes], path: Path
) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization as ser

    certificates = b"".join(
        x509.load_der_x509_certificate(der).public_bytes(ser.Encoding.PEM) for der in chain
    )
    try:
        if hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd"):
            plain = key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())
            fd = os.memfd_create("ksqlpy-client-key", os.MFD_CLOEXEC)
            try:
                with os.fdopen(os.dup(fd), "wb") as out:
                    out.write(certificates + plain)
                context.load_cert_chain(f"/proc/self/fd/{fd}")
            finally:
                os.close(fd)
        else:
            once = secrets.token_hex(16).encode("ascii")
            sealed = key.private_bytes(
                ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.BestAvailableEncryption(once)
            )
            with tempfile.TemporaryDirectory(prefix="ksqlpy-") as folder:
                pem = Path(folder) / "client.pem"
                pem.touch(mode=0o600)
                pem.write_bytes(certificates + sealed)
                context.load_cert_chain(str(pem), password=once)
    except (ssl.SSLError, ValueError, TypeError) as error:
        raise MigrationConfigError(
            f"{KEYSTORE} {path}: the client key and certificate cannot be used ({error}); check "
            "that the key matches its certificate"
        ) from error
