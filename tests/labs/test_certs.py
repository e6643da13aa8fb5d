"""The lab PKI: certificates verify, identities hold, real TLS works."""

from __future__ import annotations

import ipaddress
import stat
from concurrent import futures

import grpc
import pytest
from cryptography import x509
from cryptography.x509.verification import DNSName, IPAddress, PolicyBuilder, Store, VerificationError
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from labs.run.certs import (
    create_ca,
    identity,
    issue_client_cert,
    issue_server_cert,
    new_password,
    write_pair,
    write_secret,
)


@pytest.fixture(scope="module")
def ca():
    return create_ca("fabric-lab test CA")


@pytest.fixture(scope="module")
def sw1(ca):
    return issue_server_cert(ca, "sw1")


def store(ca):
    return Store([x509.load_pem_x509_certificate(ca.cert_pem)])


def test_server_cert_verifies_against_the_ca_by_name_and_ip(ca, sw1):
    cert = x509.load_pem_x509_certificate(sw1.cert_pem)
    for subject in (DNSName("sw1"), IPAddress(ipaddress.ip_address("127.0.0.1"))):
        chain = PolicyBuilder().store(store(ca)).build_server_verifier(subject).verify(cert, [])
        assert chain[-1].subject == x509.load_pem_x509_certificate(ca.cert_pem).subject
    with pytest.raises(VerificationError):
        PolicyBuilder().store(store(ca)).build_server_verifier(DNSName("sw2")).verify(cert, [])
    with pytest.raises(VerificationError):
        PolicyBuilder().store(store(create_ca("other"))).build_server_verifier(DNSName("sw1")).verify(cert, [])


def test_client_cert_identity(ca):
    client = issue_client_cert(ca, "worker-3")
    assert identity(client.cert_pem) == "worker-3"
    verified = (
        PolicyBuilder()
        .store(store(ca))
        .build_client_verifier()
        .verify(x509.load_pem_x509_certificate(client.cert_pem), [])
    )
    assert [s.value for s in verified.subjects] == ["worker-3"]
    assert "key_pem=***" in repr(client) and "PRIVATE" not in repr(client)


def test_files_with_private_material_are_0600(tmp_path, ca):
    cert, key = write_pair(tmp_path, "ca", ca)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(cert.stat().st_mode) == 0o644
    assert key.read_bytes() == ca.key_pem
    secret = tmp_path / "pw"
    write_secret(secret, new_password().encode())
    write_secret(secret, b"again")  # overwrites
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and secret.read_bytes() == b"again"
    assert len({new_password() for _ in range(10)}) == 10


def _serve(material, client_ca=None):
    server = grpc.server(futures.ThreadPoolExecutor(2))
    health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
    creds = grpc.ssl_server_credentials(
        [(material.key_pem, material.cert_pem)],
        root_certificates=client_ca,
        require_client_auth=client_ca is not None,
    )
    port = server.add_secure_port("127.0.0.1:0", creds)
    server.start()
    return server, port


def _check(port, creds, name=None):
    options = [("grpc.ssl_target_name_override", name)] if name else []
    with grpc.secure_channel(f"127.0.0.1:{port}", creds, options=options) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        return stub.Check(health_pb2.HealthCheckRequest(), timeout=10).status


def test_grpc_tls_with_lab_certificates(ca, sw1):
    server, port = _serve(sw1)
    try:
        good = grpc.ssl_channel_credentials(root_certificates=ca.cert_pem)
        assert _check(port, good, name="sw1") == health_pb2.HealthCheckResponse.SERVING
        assert _check(port, good) == health_pb2.HealthCheckResponse.SERVING  # by IP SAN 127.0.0.1
        wrong = grpc.ssl_channel_credentials(root_certificates=create_ca("other").cert_pem)
        with pytest.raises(grpc.RpcError) as info:
            _check(port, wrong, name="sw1")
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        server.stop(None)


def test_grpc_mutual_tls_with_a_client_certificate(ca, sw1):
    server, port = _serve(sw1, client_ca=ca.cert_pem)
    try:
        client = issue_client_cert(ca, "fabricd")
        with_cert = grpc.ssl_channel_credentials(ca.cert_pem, client.key_pem, client.cert_pem)
        assert _check(port, with_cert, name="sw1") == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.RpcError):
            _check(port, grpc.ssl_channel_credentials(ca.cert_pem), name="sw1")
    finally:
        server.stop(None)
