"""TLS from SwitchSpec.tls (server-only and mutual) and username/password
metadata on every RPC, with the plain pygnmi client."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from pygnmi.client import gNMIException
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from labs.emulator import EmulatorHost, SpecError
from labs.emulator.emulator import Emulator
from labs.files.spec import Credentials, ServerTls
from models.oc.path import Path as OcPath
from tests.labs.emulator import ocdocs as d
from tests.labs.emulator import pki
from tests.labs.emulator.conftest import client, in_thread

CREDS = Credentials(username="admin", password="s3cret-Pa55")


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp: Path = tmp_path_factory.mktemp("pki")
    ca, ca_key = pki.ca()
    other, _ = pki.ca("some other CA")
    server = pki.issue(ca, ca_key, "sw1", server=True)
    user = pki.issue(ca, ca_key, "fabricd", server=False)
    return {
        "ca": ca,
        "server": server,
        "ca_file": pki.write(tmp, "ca.pem", ca.cert),
        "other_ca_file": pki.write(tmp, "other.pem", other.cert),
        "client_cert": pki.write(tmp, "client.pem", user.cert),
        "client_key": pki.write(tmp, "client.key", user.key),
    }


@pytest.fixture
async def tls_host(material) -> AsyncIterator[EmulatorHost]:
    ca, server = material["ca"], material["server"]
    specs = [
        d.spec("tls", tls=ServerTls(cert_pem=server.cert, key_pem=server.key)),
        d.spec("mtls", tls=ServerTls(cert_pem=server.cert, key_pem=server.key, client_ca_pem=ca.cert)),
        d.spec("auth", credentials=CREDS),
    ]
    async with EmulatorHost.start(specs) as host:
        yield host


def capabilities(emu: Emulator, **kw) -> dict:
    with client(emu, **kw) as gc:
        return gc.capabilities()


async def refused(emu: Emulator, **kw) -> grpc.RpcError:
    with pytest.raises(gNMIException) as err:
        await in_thread(capabilities, emu, gnmi_timeout=0, **kw)
    return err.value.orig_exc


async def test_tls_with_the_right_ca(tls_host, material):
    caps = await in_thread(capabilities, tls_host["tls"], path_cert=material["ca_file"])
    assert caps["gnmi_version"] == "0.8.0"


async def test_tls_refused_with_a_wrong_ca(tls_host, material):
    err = await refused(tls_host["tls"], path_cert=material["other_ca_file"])
    assert err.code() == grpc.StatusCode.UNAVAILABLE


async def test_plaintext_refused_by_a_tls_target(tls_host):
    err = await refused(tls_host["tls"], insecure=True)
    assert err.code() == grpc.StatusCode.UNAVAILABLE


# pygnmi reads the client key and certificate with open().read() and never
# closes them: its ResourceWarning is not ours.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_mutual_tls_needs_a_client_certificate(tls_host, material):
    emu = tls_host["mtls"]
    caps = await in_thread(
        capabilities,
        emu,
        path_cert=material["client_cert"],
        path_key=material["client_key"],
        path_root=material["ca_file"],
    )
    assert caps["gnmi_version"] == "0.8.0"
    err = await refused(emu, path_cert=material["ca_file"])
    assert err.code() == grpc.StatusCode.UNAVAILABLE
    gc.collect()  # pygnmi's leaked files warn here, under this test's filter


async def test_right_credentials_pass(tls_host):
    assert (await in_thread(capabilities, tls_host["auth"]))["gnmi_version"] == "0.8.0"


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("admin", "wrong", "wrong password for user 'admin'"),
        ("root", CREDS.password, "unknown user 'root'"),
        ("", "", "no username in the request metadata (send username and password metadata)"),
    ],
)
async def test_wrong_credentials_are_unauthenticated(tls_host, username, password, message):
    err = await refused(tls_host["auth"], username=username, password=password)
    assert (err.code(), err.details()) == (grpc.StatusCode.UNAUTHENTICATED, message)
    assert CREDS.password not in err.details()


async def test_every_rpc_is_authenticated(tls_host):
    emu = tls_host["auth"]
    bad = (("username", "admin"), ("password", "nope"))
    path = gnmi_pb2.Path(elem=[gnmi_pb2.PathElem(name="interfaces")])
    async with grpc.aio.insecure_channel(emu.address) as ch:
        stub = gnmi_pb2_grpc.gNMIStub(ch)
        calls = [
            stub.Get(gnmi_pb2.GetRequest(path=[path]), metadata=bad, timeout=10),
            stub.Set(gnmi_pb2.SetRequest(delete=[path]), metadata=bad, timeout=10),
        ]
        for call in calls:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call
            assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        sub = gnmi_pb2.SubscribeRequest(subscribe=gnmi_pb2.SubscriptionList(subscription=[{"path": path}]))
        stream = stub.Subscribe(iter([sub]), metadata=bad, timeout=10)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            async for _ in stream:
                pass
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert emu.datastore.config.get(OcPath.parse("/interfaces")) is not None  # the Set did nothing
    assert (emu.counters().get, emu.counters().set, emu.counters().subscribe) == (1, 1, 1)


def test_bad_tls_material_is_a_spec_error():
    with pytest.raises(SpecError, match=r"^sw1: TLS material does not load"):
        Emulator(d.spec(tls=ServerTls(cert_pem=b"not a cert", key_pem=b"nor a key")))
