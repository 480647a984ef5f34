"""TLS files for a local server: a throwaway CA and a certificate for 127.0.0.1 (trustme).

A module of its own: test modules import it by name, and ``conftest`` is not a unique name.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def tls_files(folder: Path) -> tuple[str, str, str]:
    """``(CA file, certificate chain file, key file)`` written into ``folder``."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.private_key_pem.write_to_path(str(key_file))
    with cert_file.open("wb") as out:
        for blob in cert.cert_chain_pems:
            out.write(blob.bytes())
    return str(ca_file), str(cert_file), str(key_file)
