"""The emulator's local CA and server certificate: generated once, kept with the data, reused on restart."""

from __future__ import annotations

import ssl
from pathlib import Path

CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
SERVER_FILE = "server.pem"
SERVER_KEY_FILE = "server-key.pem"
_ALL = (CA_FILE, CA_KEY_FILE, SERVER_FILE, SERVER_KEY_FILE)


def ensure_certificates(directory: Path, extra_hosts: tuple[str, ...] = ()) -> Path:
    """Create the CA and a server certificate for loopback names in `directory` unless all four files exist.

    :returns: the path of the CA certificate clients must trust.
    """
    directory.mkdir(parents=True, exist_ok=True)
    if all((directory / name).exists() for name in _ALL):
        return directory / CA_FILE
    import trustme  # deferred: only needed on first start

    ca = trustme.CA(organization_name="Gallery Reconciler emulator")
    hosts = ("127.0.0.1", "localhost", "::1", *extra_hosts)
    server = ca.issue_cert(*dict.fromkeys(hosts))
    ca.cert_pem.write_to_path(str(directory / CA_FILE))
    ca.private_key_pem.write_to_path(str(directory / CA_KEY_FILE))
    with open(directory / SERVER_FILE, "wb") as out:
        for pem in server.cert_chain_pems:
            out.write(pem.bytes())
    server.private_key_pem.write_to_path(str(directory / SERVER_KEY_FILE))
    for name in (CA_KEY_FILE, SERVER_KEY_FILE):
        (directory / name).chmod(0o600)
    return directory / CA_FILE


def server_context(directory: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(directory / SERVER_FILE), str(directory / SERVER_KEY_FILE))
    return ctx
