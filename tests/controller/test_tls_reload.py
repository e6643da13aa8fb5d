"""The API's TLS material replaced while fabricd serves: a renewed
certificate and a new client CA take effect for new connections, through
both front ends, when the files change as the kubelet changes a Secret's
(a new directory, its link swapped); unusable material (a key of another
pair, a half-written certificate) is refused whole and the material in use
stays; fabricd's start-up names the file that is wrong."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import os
import signal
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from controller.api.front import FrontServer
from controller.api.tlsfiles import MAX_FILE, TlsFilesError, load
from controller.settings.inventory import parse_inventory
from labs.run.certs import CertKey, create_ca, issue_client_cert, issue_server_cert
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import eventually
from tests.front import FRONT_ENDS, front_api
from tests.stack import Stack, run_fabricd, sample, settings, stack


class SecretDir:
    """A Secret volume's files as the kubelet updates them: each version in
    a new directory, the ``..data`` link swapped at once, each file a link
    through it (so a file's content changes without the file being written)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir()
        self.version = 0

    def write(self, files: dict[str, bytes]) -> None:
        self.version += 1
        version = self.root / f"..v{self.version}"
        version.mkdir()
        for name, data in files.items():
            (version / name).write_bytes(data)
        tmp = self.root / "..data_tmp"
        tmp.symlink_to(version.name)
        os.replace(tmp, self.root / "..data")
        for name in files:
            if not (self.root / name).is_symlink():
                (self.root / name).symlink_to(f"..data/{name}")

    def material(self, server: CertKey, ca: CertKey) -> None:
        self.write({"tls.crt": server.cert_pem, "tls.key": server.key_pem, "clients-ca.crt": ca.cert_pem})


def der(ck: CertKey) -> bytes:
    return x509.load_pem_x509_certificate(ck.cert_pem).public_bytes(serialization.Encoding.DER)


def not_after(ck: CertKey) -> float:
    return x509.load_pem_x509_certificate(ck.cert_pem).not_valid_after_utc.timestamp()


def _handshake(address: str, client_cert: Path, client_key: Path) -> bytes:
    host, _, port = address.rpartition(":")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the certificate itself is compared
    ctx.set_alpn_protocols(["h2"])
    ctx.load_cert_chain(client_cert, client_key)
    with socket.create_connection((host, int(port)), timeout=10) as raw, ctx.wrap_socket(raw) as tls:
        peer = tls.getpeercert(binary_form=True)
        assert peer is not None
        return peer


class Api:
    """fabricd with mutual TLS from a SecretDir, and the tools to look at what it serves."""

    def __init__(self, tmp: Path, st: Stack, secret: SecretDir) -> None:
        self.tmp, self.st, self.secret = tmp, st, secret

    async def served(self, client: CertKey) -> bytes:
        """The certificate a new connection is served (a handshake with ``client``'s certificate)."""
        cert, key = self.tmp / "client.pem", self.tmp / "client.key"
        cert.write_bytes(client.cert_pem)
        key.write_bytes(client.key_pem)
        return await asyncio.to_thread(_handshake, self.st.address, cert, key)

    def channel(self, ca: CertKey, client: CertKey) -> grpc.aio.Channel:
        creds = grpc.ssl_channel_credentials(
            root_certificates=ca.cert_pem, private_key=client.key_pem, certificate_chain=client.cert_pem
        )
        return grpc.aio.secure_channel(self.st.address, creds, options=[("grpc.ssl_target_name_override", "fabricd")])

    async def lists(self, ca: CertKey, client: CertKey) -> grpc.StatusCode:
        """What a ListNetworks on a new connection as ``client`` (trusting ``ca``) ends with."""
        async with self.channel(ca, client) as ch:
            try:
                await fabric_pb2_grpc.FabricStub(ch).ListNetworks(fabric_pb2.ListNetworksRequest(), timeout=10)
            except grpc.aio.AioRpcError as e:
                return e.code()
        return grpc.StatusCode.OK

    def reloads(self, result: str) -> float:
        return sample(self.st.daemon.metrics.api_tls_reloads, result=result)

    def expiry(self, certificate: str) -> float:
        return sample(self.st.daemon.metrics.api_tls_expiry, certificate=certificate)


def api_settings(tmp: Path, secret: SecretDir, front_end: str) -> Any:
    r = secret.root
    return settings(
        tmp,
        reload_poll="0.1s",
        api=front_api(
            front_end,
            insecure=False,
            listen=["127.0.0.1:0"],
            tls={"cert": str(r / "tls.crt"), "key": str(r / "tls.key"), "client_ca": str(r / "clients-ca.crt")},
            operators=["fabricctl"],
        ),
    )


@dataclasses.dataclass(frozen=True)
class Certs:
    ca: CertKey
    operator: CertKey  # the CA's
    first: CertKey  # a server certificate of the CA, served at start-up
    second: CertKey  # another


def certs() -> Certs:
    ca = create_ca("fabricd API CA")
    server = functools.partial(issue_server_cert, ca, "fabricd")
    return Certs(ca, issue_client_cert(ca, "fabricctl", role="operator"), server(), server())


@contextlib.asynccontextmanager
async def serving(tmp: Path, front_end: str, c: Certs) -> AsyncIterator[Api]:
    """fabricd serving ``c.first`` and ``c.ca`` as its client CA, from a SecretDir."""
    secret = SecretDir(tmp / "tls")
    secret.material(c.first, c.ca)
    async with stack(api_settings(tmp, secret, front_end)) as st:
        yield Api(tmp, st, secret)


@pytest.mark.parametrize("front_end", FRONT_ENDS)
async def test_a_renewed_certificate_serves_new_connections_without_a_restart(tmp_path, front_end):
    c = certs()
    ca, operator, renewed = c.ca, c.operator, c.second
    async with serving(tmp_path, front_end, c) as api:
        assert await api.served(operator) == der(c.first)
        assert api.expiry("serving") == not_after(c.first)
        async with api.channel(ca, operator) as before:  # a connection made before the renewal
            stub = fabric_pb2_grpc.FabricStub(before)
            await stub.ListNetworks(fabric_pb2.ListNetworksRequest(), timeout=10)
            api.secret.material(renewed, ca)

            async def renewed_served() -> bool:
                return await api.served(operator) == der(renewed)

            await eventually(renewed_served, within=30, what="the renewed certificate served")
            await stub.ListNetworks(fabric_pb2.ListNetworksRequest(), timeout=10)  # it still works
        assert await api.lists(ca, operator) == grpc.StatusCode.OK
        assert api.reloads("applied") == 1 and api.reloads("refused") == 0
        assert api.expiry("serving") == not_after(renewed)


@pytest.mark.parametrize("front_end", FRONT_ENDS)
async def test_a_new_client_ca_decides_who_connects(tmp_path, front_end):
    c = certs()
    old_ca, old_operator, new_ca = c.ca, c.operator, create_ca("fabricd API CA 2027")
    new_operator = issue_client_cert(new_ca, "fabricctl", role="operator")
    async with serving(tmp_path, front_end, c) as api:
        assert await api.lists(old_ca, old_operator) == grpc.StatusCode.OK
        assert await api.lists(old_ca, new_operator) == grpc.StatusCode.UNAVAILABLE
        api.secret.material(issue_server_cert(new_ca, "fabricd"), new_ca)
        await eventually(lambda: api.reloads("applied") == 1, within=30, what="the new material applied")
        assert await api.lists(new_ca, new_operator) == grpc.StatusCode.OK
        # a certificate of the old CA no longer opens a connection (the server's is the new CA's too)
        assert await api.lists(new_ca, old_operator) == grpc.StatusCode.UNAVAILABLE
        assert api.expiry("client_ca") == not_after(new_ca)


@pytest.mark.parametrize("front_end", FRONT_ENDS)
async def test_unusable_material_is_refused_and_the_material_in_use_stays(tmp_path, front_end):
    c = certs()
    ca, operator, first, other = c.ca, c.operator, c.first, c.second
    async with serving(tmp_path, front_end, c) as api:
        api.secret.write({"tls.crt": other.cert_pem, "tls.key": first.key_pem, "clients-ca.crt": ca.cert_pem})
        await eventually(lambda: api.reloads("refused") == 1, within=30, what="a key of another pair refused")
        assert await api.served(operator) == der(first)
        # a certificate cut short (written in place, read half-way)
        api.secret.write({"tls.crt": other.cert_pem[:200], "tls.key": other.key_pem, "clients-ca.crt": ca.cert_pem})
        await eventually(lambda: api.reloads("refused") == 2, within=30, what="a cut certificate refused")
        assert await api.served(operator) == der(first)
        assert await api.lists(ca, operator) == grpc.StatusCode.OK
        assert api.expiry("serving") == not_after(first)
        # the rotation finished: taken
        api.secret.material(other, ca)
        await eventually(lambda: api.reloads("applied") == 1, within=30, what="the good material applied")
        assert await api.served(operator) == der(other)


def _files(tmp: Path, cert: bytes, key: bytes, ca: bytes) -> tuple[Path, Path, Path]:
    paths = tmp / "c.pem", tmp / "k.pem", tmp / "ca.pem"
    for p, data in zip(paths, (cert, key, ca), strict=True):
        p.write_bytes(data)
    return paths


def test_each_problem_names_its_file(tmp_path):
    c = certs()
    ca, a, b = c.ca, c.first, c.second
    material, described = load(*_files(tmp_path, a.cert_pem, a.key_pem, ca.cert_pem))
    assert material.cert_chain == a.cert_pem and material.client_ca == ca.cert_pem
    assert described.not_after == not_after(a) and described.client_ca_not_after == not_after(ca)
    cases = [
        ((a.cert_pem, b.key_pem, ca.cert_pem), r"api\.tls\.key .*k\.pem: is not the key of the certificate"),
        ((b"", a.key_pem, ca.cert_pem), r"api\.tls\.cert .*c\.pem: holds no certificate"),
        ((a.cert_pem[:300], a.key_pem, ca.cert_pem), r"api\.tls\.cert .*c\.pem: (not PEM|holds no)"),
        ((a.cert_pem, b"not a key", ca.cert_pem), r"api\.tls\.key .*k\.pem: not an unencrypted PEM private key"),
        ((a.cert_pem, a.key_pem, b"\n"), r"api\.tls\.client_ca .*ca\.pem: holds no certificate"),
        ((a.cert_pem + b"\n" * MAX_FILE, a.key_pem, ca.cert_pem), r"api\.tls\.cert .*c\.pem: larger than"),
    ]
    for (cert, key, client_ca), message in cases:
        with pytest.raises(TlsFilesError, match=message):
            load(*_files(tmp_path, cert, key, client_ca))
    with pytest.raises(TlsFilesError, match=r"api\.tls\.cert .*nope\.pem: cannot be read"):
        load(tmp_path / "nope.pem", tmp_path / "k.pem", tmp_path / "ca.pem")


def test_fabricd_names_the_wrong_file_and_exits_2(tmp_path):
    c = certs()
    cert, key, client_ca = _files(tmp_path, c.first.cert_pem, c.second.key_pem, c.ca.cert_pem)
    run = run_fabricd(
        tmp_path, f"  listen: [127.0.0.1:0]\n  tls: {{cert: {cert}, key: {key}, client_ca: {client_ca}}}\n"
    )
    assert run.returncode == 2, run.stderr
    assert f"fabricd: api.tls.key {key}: is not the key of the certificate in api.tls.cert {cert}" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_inventory_names_the_files_a_reload_watches(tmp_path):
    for name in ("ca.pem", "client.pem", "client.key", "password"):
        (tmp_path / name).write_text("x")
    doc = {
        "switches": {
            "leaf1": {
                "address": "127.0.0.1:57400",
                "platform": "openconfig",
                "role": "leaf",
                "router_id": "10.0.0.1",
                "tls": {"ca_file": "ca.pem", "client_cert_file": "client.pem", "client_key_file": "client.key"},
                "credentials": {"username": "admin", "password_file": "password"},
            },
            "leaf2": {
                "address": "127.0.0.1:57401",
                "platform": "openconfig",
                "role": "leaf",
                "router_id": "10.0.0.2",
                "plaintext": True,
            },
        }
    }
    inventory = parse_inventory(doc, base=tmp_path)
    assert set(inventory.files) == {tmp_path / n for n in ("ca.pem", "client.pem", "client.key", "password")}


async def test_a_front_end_restarted_after_a_renewal_serves_the_renewed_certificate(tmp_path):
    c = certs()
    ca, operator, renewed = c.ca, c.operator, c.second
    async with serving(tmp_path, "go", c) as api:
        front = api.st.daemon.api
        assert isinstance(front, FrontServer) and front._proc is not None
        api.secret.material(renewed, ca)
        await eventually(lambda: api.reloads("applied") == 1, within=30, what="the renewal applied")
        os.kill(front._proc.pid, signal.SIGKILL)
        await eventually(lambda: front.restarts == 1, within=30, what="the front end restarted")

        async def renewed_served() -> bool:
            try:
                return await api.served(operator) == der(renewed)
            except OSError:
                return False  # not listening again yet

        await eventually(renewed_served, within=30, what="the restarted front end serves the renewal")
