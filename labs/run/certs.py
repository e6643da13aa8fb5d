"""The lab PKI: a CA per lab run, a server certificate per switch (SAN: DNS
switch name and IP 127.0.0.1), client certificates whose identity is a name
(fabricd's mTLS to switches, later per-node clients of its API), and the
per-run gNMI password. Keys are ECDSA P-256; files with private material are
written mode 0600.

Generation is pure (bytes in, bytes out); :func:`write_secret` and
:func:`write_pair` are the only writers.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from proto.fabric.v1 import NODE_ORGANIZATION, OPERATOR_ORGANIZATION, PEER_ORGANIZATION

VALID_DAYS = 365


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class CertKey:
    """A PEM certificate and its PEM (PKCS#8, unencrypted) private key."""

    cert_pem: bytes
    key_pem: bytes

    def __repr__(self) -> str:
        return f"CertKey(subject={identity(self.cert_pem)!r}, key_pem=***)"


LAB_ORGANIZATION = "fabric-lab"
#: client roles and the organisation fabricd reads them from (proto/fabric/v1)
ROLES = {
    "node": NODE_ORGANIZATION,
    "operator": OPERATOR_ORGANIZATION,
    "peer": PEER_ORGANIZATION,
    "switch-client": LAB_ORGANIZATION,
}


def _name(common_name: str, organization: str = LAB_ORGANIZATION) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def create_ca(common_name: str) -> CertKey:
    """A self-signed CA (e.g. ``fabric-lab seed CA``)."""
    key = ec.generate_private_key(ec.SECP256R1())
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - datetime.timedelta(minutes=5))
        .not_valid_after(_now() + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertKey(cert_pem=cert.public_bytes(serialization.Encoding.PEM), key_pem=_key_pem(key))


def _issue(
    ca: CertKey,
    name: str,
    usage: x509.ObjectIdentifier,
    sans: Sequence[x509.GeneralName],
    valid: tuple[datetime.datetime, datetime.datetime] | None = None,
    *,
    organization: str = LAB_ORGANIZATION,
) -> CertKey:
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    ca_key = serialization.load_pem_private_key(ca.key_pem, password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError("the lab CA key is not an EC key")
    key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name, organization))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0] if valid else _now() - datetime.timedelta(minutes=5))
        .not_valid_after(
            valid[1] if valid else min(_now() + datetime.timedelta(days=VALID_DAYS), ca_cert.not_valid_after_utc)
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return CertKey(cert_pem=cert.public_bytes(serialization.Encoding.PEM), key_pem=_key_pem(key))


Validity = tuple[datetime.datetime, datetime.datetime]


def issue_server_cert(
    ca: CertKey, name: str, *, ips: Sequence[str] = ("127.0.0.1",), valid: Validity | None = None
) -> CertKey:
    """A TLS server certificate for switch ``name`` (SAN: DNS name, IPs).
    ``valid``: (not before, not after), e.g. an expired one for tests."""
    sans: list[x509.GeneralName] = [x509.DNSName(name)]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    return _issue(ca, name, ExtendedKeyUsageOID.SERVER_AUTH, sans, valid)


def issue_client_cert(ca: CertKey, name: str, *, role: str = "switch-client", valid: Validity | None = None) -> CertKey:
    """A TLS client certificate whose identity is ``name`` (subject CN and SAN
    DNS name) in a role: ``node`` (a Kubernetes node, O=fabricd:nodes),
    ``operator`` (O=fabricd:operators), ``peer`` (another fabricd forwarding
    on behalf of its callers, O=fabricd:peers), or ``switch-client``
    (fabricd towards the lab's switches)."""
    if role not in ROLES:
        raise ValueError(f"client role {role!r} is not one of {', '.join(ROLES)}")
    return _issue(ca, name, ExtendedKeyUsageOID.CLIENT_AUTH, [x509.DNSName(name)], valid, organization=ROLES[role])


def identity(cert_pem: bytes) -> str:
    """The subject common name of a certificate."""
    cert = x509.load_pem_x509_certificate(cert_pem)
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def new_password() -> str:
    return secrets.token_urlsafe(24)


def write_secret(path: Path, data: bytes) -> None:
    """Write ``data`` to a file only its owner can read (0600 from creation)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def write_pair(directory: Path, stem: str, material: CertKey) -> tuple[Path, Path]:
    """``<stem>.crt`` (0644) and ``<stem>.key`` (0600) in ``directory``."""
    cert, key = directory / f"{stem}.crt", directory / f"{stem}.key"
    cert.write_bytes(material.cert_pem)
    cert.chmod(0o644)
    write_secret(key, material.key_pem)
    return cert, key
