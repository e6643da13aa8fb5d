"""Per-run secrets of a lab, written into its state directory: the gNMI
password (0600) and, unless the lab is plaintext, the PKI (lab CA, a server
certificate per switch, a client certificate for fabricd)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from labs.files.lab import Lab
from labs.files.spec import Credentials, ServerTls
from labs.run.certs import (
    CertKey,
    create_ca,
    issue_client_cert,
    issue_server_cert,
    new_password,
    write_pair,
    write_secret,
)

PASSWORD_FILE = "gnmi-password"
PKI_DIR = "pki"
#: the client identity fabricd presents to switches
CONTROLLER_CLIENT = "fabricd"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Material:
    credentials: Credentials
    password_file: Path
    tls: dict[str, ServerTls] | None  # switch -> server TLS; None: plaintext
    ca_file: Path | None
    cert_files: dict[str, Path]  # switch -> its server certificate
    client_cert_file: Path | None
    client_key_file: Path | None

    def __repr__(self) -> str:
        return f"Material(password_file={self.password_file!s}, ca_file={self.ca_file!s})"


def create_material(lab: Lab, state_dir: Path) -> Material:
    password = new_password()
    password_file = state_dir / PASSWORD_FILE
    write_secret(password_file, password.encode())
    credentials = Credentials(username=lab.sidecar.gnmi.username, password=password)
    if lab.sidecar.gnmi.plaintext:
        return Material(
            credentials=credentials,
            password_file=password_file,
            tls=None,
            ca_file=None,
            cert_files={},
            client_cert_file=None,
            client_key_file=None,
        )
    pki = state_dir / PKI_DIR
    pki.mkdir(mode=0o700, exist_ok=True)
    ca = create_ca(f"fabric-lab {lab.name} CA")
    ca_file, _ = write_pair(pki, "ca", ca)
    client_ca = ca.cert_pem if lab.sidecar.gnmi.client_auth else None
    tls, cert_files = {}, {}
    for sw in lab.switches():
        server = issue_server_cert(ca, sw.name)
        cert_files[sw.name], _ = write_pair(pki, sw.name, server)
        tls[sw.name] = ServerTls(cert_pem=server.cert_pem, key_pem=server.key_pem, client_ca_pem=client_ca)
    client_cert, client_key = write_client_cert(state_dir, ca, CONTROLLER_CLIENT)
    return Material(
        credentials=credentials,
        password_file=password_file,
        tls=tls,
        ca_file=ca_file,
        cert_files=cert_files,
        client_cert_file=client_cert,
        client_key_file=client_key,
    )


def load_ca(state_dir: Path) -> CertKey:
    pki = state_dir / PKI_DIR
    return CertKey(cert_pem=(pki / "ca.crt").read_bytes(), key_pem=(pki / "ca.key").read_bytes())


def write_client_cert(state_dir: Path, ca: CertKey, name: str, *, role: str = "switch-client") -> tuple[Path, Path]:
    """``pki/client-<name>.crt`` and ``.key`` (0600), identity ``name`` in
    ``role`` (``node``, ``operator``, ``switch-client``)."""
    return write_pair(state_dir / PKI_DIR, f"client-{name}", issue_client_cert(ca, name, role=role))
