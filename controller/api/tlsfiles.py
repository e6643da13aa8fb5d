"""The API's TLS material, read from its files and checked before use.

At start-up and at every reload (a changed file, SIGHUP) the three files of
``api.tls`` are read and checked together: the chain holds certificates, the
key is the first certificate's, the client CA holds certificates. Material
that fails any check is refused whole, naming the file and the problem; a
reload keeps serving what it had (a certificate half written by a rotation,
or a key from another pair, must not take the API down).
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from models.errors import PermanentError

#: the largest file accepted (a chain of a few certificates is a few KiB)
MAX_FILE = 1 << 20


class TlsFilesError(PermanentError):
    """The API's TLS files cannot be used (the message names the file)."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ServerTLS:
    """PEM material for a TLS listener. With ``client_ca`` set, clients must
    present a certificate signed by it (mutual TLS)."""

    cert_chain: bytes
    private_key: bytes
    client_ca: bytes | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Described:
    """What a log line and the metrics say of loaded material."""

    subject: str
    not_after: float  # the serving certificate's, seconds since the epoch
    sha256: str  # of the serving certificate (DER), the first 16 hex digits
    client_ca_not_after: float  # the earliest of the client CA's certificates'


def _read(path: Path, what: str) -> bytes:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE + 1)
    except OSError as e:
        raise TlsFilesError(f"api.tls.{what} {path}: cannot be read: {e.strerror}") from None
    if len(data) > MAX_FILE:
        raise TlsFilesError(f"api.tls.{what} {path}: larger than {MAX_FILE} bytes")
    return data


def _certificates(data: bytes, path: Path, what: str) -> list[x509.Certificate]:
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise TlsFilesError(f"api.tls.{what} {path}: holds no certificate")
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as e:
        raise TlsFilesError(f"api.tls.{what} {path}: not PEM certificates: {e}") from None
    return certs


def load(cert: Path, key: Path, client_ca: Path) -> tuple[ServerTLS, Described]:
    """Read and check the three files; raises TlsFilesError naming the first problem."""
    chain_pem, key_pem, ca_pem = _read(cert, "cert"), _read(key, "key"), _read(client_ca, "client_ca")
    chain = _certificates(chain_pem, cert, "cert")
    try:
        private = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as e:
        raise TlsFilesError(f"api.tls.key {key}: not an unencrypted PEM private key: {e}") from None
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if private.public_key().public_bytes(*spki) != chain[0].public_key().public_bytes(*spki):
        raise TlsFilesError(f"api.tls.key {key}: is not the key of the certificate in api.tls.cert {cert}")
    cas = _certificates(ca_pem, client_ca, "client_ca")
    described = Described(
        subject=chain[0].subject.rfc4514_string(),
        not_after=chain[0].not_valid_after_utc.timestamp(),
        sha256=hashlib.sha256(chain[0].public_bytes(serialization.Encoding.DER)).hexdigest()[:16],
        client_ca_not_after=min(c.not_valid_after_utc.timestamp() for c in cas),
    )
    return ServerTLS(cert_chain=chain_pem, private_key=key_pem, client_ca=ca_pem), described
