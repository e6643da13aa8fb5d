"""Security: the authorization matrix over mutual TLS, with nodes proving
themselves by certificate or by their ServiceAccount token (TokenReview on a
real API server), and TLS refusals on the API and towards switches (wrong
CA, missing client certificate, expired certificate), each with a clear
error."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import itertools
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
import yaml

from controller.api import paging
from labs.files.spec import ServerTls
from labs.run.certs import CertKey, create_ca, issue_client_cert, issue_server_cert
from labs.run.material import load_ca
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import attach_req, eventually, lab_fabric
from tests.front import FRONT_ENDS, front_api
from tests.k8s.kube import NAD_CRD, NODES, node_doc
from tests.k8s.nodetokens import NodeAgents, node_agents
from tests.servers.apiserver import kube_apiserver

pytestmark = pytest.mark.slow
NOW = datetime.datetime.now(datetime.UTC)
EXPIRED = (NOW - datetime.timedelta(days=10), NOW - datetime.timedelta(days=1))


@dataclasses.dataclass
class Pki:
    ca: CertKey
    other_ca: CertKey
    clients: dict[str, CertKey]


def write(tmp, name: str, ck: CertKey) -> tuple[str, str]:
    (tmp / f"{name}.pem").write_bytes(ck.cert_pem)
    (tmp / f"{name}.key").write_bytes(ck.key_pem)
    return str(tmp / f"{name}.pem"), str(tmp / f"{name}.key")


@pytest.fixture(scope="module")
def pki() -> Pki:
    ca = create_ca("fabricd API CA")
    clients = {n: issue_client_cert(ca, n, role="node") for n in ("server1", "server2")}
    clients["fabricctl"] = issue_client_cert(ca, "fabricctl", role="operator")
    clients["expired"] = issue_client_cert(ca, "server1", role="node", valid=EXPIRED)
    # a node named like an operator is still a node; an operator not listed is nobody
    clients["node-named-fabricctl"] = issue_client_cert(ca, "fabricctl", role="node")
    clients["unlisted-operator"] = issue_client_cert(ca, "mallory", role="operator")
    clients["no-role"] = issue_client_cert(ca, "server1", role="switch-client")
    other_ca = create_ca("someone else")
    # an operator's certificate, but from a CA fabricd does not trust
    clients["foreign-operator"] = issue_client_cert(other_ca, "fabricctl", role="operator")
    return Pki(ca=ca, other_ca=other_ca, clients=clients)


@pytest.fixture(scope="module")
def agents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeAgents]:
    """A real API server with the node agents of server1 and server2 and their pod-bound tokens."""
    with kube_apiserver(tmp_path_factory.mktemp("kube-apiserver")) as api:
        api.apply(NAD_CRD, *(node_doc(n) for n in NODES))
        yield node_agents(api, ("server1", "server2"))


@contextlib.asynccontextmanager
async def tls_fabric(tmp_path, pki: Pki, agents: NodeAgents | None = None, front_end: str = "go", **kube: Any):
    """fabricd with mutual TLS; with ``agents`` also a token listener (``bound[-1]``) for node tokens. TLS is
    served by fabricd-front (as deployed), or by grpc.aio with ``front_end="python"``."""
    server = issue_server_cert(pki.ca, "fabricd")
    cert, key = write(tmp_path, "api-server", server)
    (tmp_path / "clients-ca.pem").write_bytes(pki.ca.cert_pem)
    api = front_api(
        front_end,
        insecure=False,
        listen=["127.0.0.1:0"],
        tls={"cert": cert, "key": key, "client_ca": str(tmp_path / "clients-ca.pem")},
        operators=["fabricctl"],
    )
    raw: dict[str, Any] = {}
    if agents is not None:
        api["token_listen"] = ["127.0.0.1:0"]
        raw["kubernetes"] = agents.settings(**kube)
    async with lab_fabric(tmp_path, api=api, **raw) as fab, fab.controller() as st:
        await eventually(lambda: all(s.known for s in st.service.fleet.statuses()), what="connected")
        yield fab, st


def _channel(
    st, pki: Pki, who: str | None, *, ca: CertKey | None = None, agents: NodeAgents | None = None
) -> grpc.aio.Channel:
    """``who``'s channel: its client certificate on the mTLS listener; with ``agents``, a node's is its
    token on the token listener (TLS, no client certificate)."""
    if agents is not None and who in agents.tokens:
        return token_channel(st, pki, agents.tokens[who])
    client = pki.clients.get(who) if who else None
    creds = grpc.ssl_channel_credentials(
        root_certificates=(ca or pki.ca).cert_pem,
        private_key=client.key_pem if client else None,
        certificate_chain=client.cert_pem if client else None,
    )
    return grpc.aio.secure_channel(st.api.bound[0].grpc, creds, options=[("grpc.ssl_target_name_override", "fabricd")])


channel = _channel


def token_channel(st, pki: Pki, token: str | None) -> grpc.aio.Channel:
    creds = grpc.ssl_channel_credentials(root_certificates=pki.ca.cert_pem)
    if token is not None:
        creds = grpc.composite_channel_credentials(creds, grpc.access_token_call_credentials(token))
    return grpc.aio.secure_channel(st.api.bound[-1].grpc, creds, options=[("grpc.ssl_target_name_override", "fabricd")])


@pytest.mark.parametrize("nodes_by", ["certificate", "token"])
async def test_the_authorization_matrix(tmp_path, pki, request, nodes_by):
    agents = request.getfixturevalue("agents") if nodes_by == "token" else None
    channel = functools.partial(_channel, agents=agents)
    async with tls_fabric(tmp_path, pki, agents) as (_fab, st):
        async with channel(st, pki, "fabricctl") as ch:
            op = fabric_pb2_grpc.FabricStub(ch)
            for name, ns, vni, shared in (
                ("blue", "default", 1111, False),
                ("common", "infra", 2222, True),
                ("private", "other", 3333, False),
            ):
                await op.CreateNetwork(
                    fabric_pb2.CreateNetworkRequest(
                        network=fabric_pb2.Network(name=name, namespace=ns, vni=vni, shared=shared)
                    ),
                    timeout=10,
                )
        networks = {("default", "blue"): False, ("infra", "common"): True, ("other", "private"): False}
        allowed = denied = 0
        for i, (caller, (net_ns, net), pod_ns) in enumerate(
            itertools.product(("server1", "server2", "fabricctl"), networks, ("default", "other", "third"))
        ):
            may = (caller in ("server1", "fabricctl")) and (networks[(net_ns, net)] or pod_ns == net_ns)
            req = attach_req(f"p{i}", net, namespace=pod_ns, net_namespace=net_ns, node="server1", nic="eth1")
            async with channel(st, pki, caller) as ch:
                stub = fabric_pb2_grpc.FabricStub(ch)
                if may:
                    att = await stub.Attach(req, timeout=30)
                    assert att.state == fabric_pb2.ATTACHMENT_STATE_READY
                    allowed += 1
                else:
                    with pytest.raises(grpc.aio.AioRpcError) as err:
                        await stub.Attach(req, timeout=30)
                    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED, err.value.details()
                    denied += 1
        stored = {
            (p.attachment.id.pod_namespace, str(p.attachment.id.network)) for p in st.service.state.attachments.values()
        }
        assert len(st.service.state.attachments) == allowed
        for pod_ns, net in stored:  # 0 cross-tenant attaches
            assert pod_ns == net.split("/")[0] or net == "infra/common"
        counted = sum(
            s.value for m in st.service.metrics.authz_denied.collect() for s in m.samples if s.name.endswith("_total")
        )
        assert counted == denied
        # a node cannot act for another node, nor manage networks or read views
        async with channel(st, pki, "server2") as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            for call in (
                stub.CreateNetwork(
                    fabric_pb2.CreateNetworkRequest(network=fabric_pb2.Network(name="x", namespace="default", vni=9)),
                    timeout=10,
                ),
                stub.ListSwitches(fabric_pb2.ListSwitchesRequest(), timeout=10),
                stub.GarbageCollect(
                    fabric_pb2.GarbageCollectRequest(
                        node="server1", network=fabric_pb2.NetworkRef(namespace="default", name="blue")
                    ),
                    timeout=10,
                ),
            ):
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await call
                assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize("front_end", FRONT_ENDS)
@pytest.mark.parametrize("case", ["wrong-ca", "no-client-cert", "expired-client-cert", "foreign-client-cert"])
async def test_api_tls_refusals(tmp_path, pki, case, front_end):
    async with tls_fabric(tmp_path, pki, front_end=front_end) as (_fab, st):
        if case == "wrong-ca":
            ch = channel(st, pki, "fabricctl", ca=pki.other_ca)
        elif case == "no-client-cert":
            ch = channel(st, pki, None)
        elif case == "foreign-client-cert":
            ch = channel(st, pki, "foreign-operator")
        else:
            ch = channel(st, pki, "expired")
        async with ch:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await fabric_pb2_grpc.FabricStub(ch).ListNetworks(fabric_pb2.ListNetworksRequest(), timeout=5)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE  # the handshake fails: nothing reaches fabricd
        async with channel(st, pki, "fabricctl") as ok:  # and fabricd is unaffected
            await fabric_pb2_grpc.FabricStub(ok).ListNetworks(fabric_pb2.ListNetworksRequest(), timeout=10)


@pytest.mark.parametrize("front_end", FRONT_ENDS)
async def test_a_certificate_offered_on_the_token_listener_names_no_one(tmp_path, pki, agents, front_end):
    """The token listener asks for no client certificate: an operator's, offered anyway, is not taken as the
    caller's identity (without a token the call is UNAUTHENTICATED), while on the mTLS listener it is."""
    async with tls_fabric(tmp_path, pki, agents, front_end=front_end) as (_fab, st):
        op = pki.clients["fabricctl"]
        creds = grpc.ssl_channel_credentials(pki.ca.cert_pem, private_key=op.key_pem, certificate_chain=op.cert_pem)
        options = [("grpc.ssl_target_name_override", "fabricd")]
        async with grpc.aio.secure_channel(st.api.bound[-1].grpc, creds, options=options) as ch:
            got, details = await refused(
                fabric_pb2_grpc.FabricStub(ch).ListSwitches(fabric_pb2.ListSwitchesRequest(), timeout=10)
            )
        assert got == grpc.StatusCode.UNAUTHENTICATED, details
        async with channel(st, pki, "fabricctl") as ch:  # the same certificate where it is asked for
            await fabric_pb2_grpc.FabricStub(ch).ListSwitches(fabric_pb2.ListSwitchesRequest(), timeout=10)


@pytest.mark.parametrize(
    ("case", "needle"),
    [
        ("wrong-ca", "not signed by the inventory's tls.ca_file"),
        ("expired-switch-cert", "certificate has expired"),
        ("switch-wants-client-cert", "client certificate"),
    ],
)
async def test_switch_tls_refusals(tmp_path, case, needle):
    """fabricd refuses a switch it cannot verify (and a switch refuses
    fabricd without a client certificate); the session error says why."""

    def hook(specs, material):
        if case == "wrong-ca":
            return specs
        ca = load_ca(tmp_path)
        out = []
        for spec in specs:
            if spec.name != "sw1":
                out.append(spec)
                continue
            if case == "expired-switch-cert":
                expired = issue_server_cert(ca, "sw1", valid=EXPIRED)
                tls = ServerTls(cert_pem=expired.cert_pem, key_pem=expired.key_pem)
            else:
                tls = dataclasses.replace(spec.tls, client_ca_pem=ca.cert_pem)
            out.append(dataclasses.replace(spec, tls=tls))
        return out

    async with lab_fabric(tmp_path, specs_hook=hook) as fab:
        if case == "wrong-ca":
            inv = yaml.safe_load((tmp_path / "inventory.yml").read_text())
            (tmp_path / "other-ca.pem").write_bytes(create_ca("not the lab CA").cert_pem)
            inv["switches"]["sw1"]["tls"]["ca_file"] = str(tmp_path / "other-ca.pem")
            (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inv))
        async with fab.controller() as st, fab.channel() as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)

            async def refused():
                resp = await stub.ListSwitches(fabric_pb2.ListSwitchesRequest(), timeout=10)
                sws = {s.name: s for s in resp.switches}
                s1 = sws["sw1"]
                ok = s1.state == fabric_pb2.SESSION_STATE_DISCONNECTED and s1.last_error
                return sws if ok and sws["sw2"].state == fabric_pb2.SESSION_STATE_CONNECTED else None

            sws = await eventually(refused, what="sw1 refused, sw2 fine")
            assert needle.lower() in sws["sw1"].last_error.lower(), sws["sw1"].last_error
            assert not st.service.fleet.get("sw1").status().known


async def refused(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    return err.value.code(), err.value.details() or ""


@pytest.mark.parametrize("nodes_by", ["certificate", "token"])
async def test_every_method_across_two_nodes(tmp_path, pki, request, nodes_by):
    """Pod UIDs are not secrets: a node that knows another node's attachment
    id can neither move, detach, check, read nor collect it, and learns
    nothing from the answers (the same as for an id that does not exist).
    A node's token, stolen, acts for that node only, as its certificate."""
    agents = request.getfixturevalue("agents") if nodes_by == "token" else None
    channel = functools.partial(_channel, agents=agents)
    async with tls_fabric(tmp_path, pki, agents) as (fab, st):
        async with channel(st, pki, "fabricctl") as ch:
            op = fabric_pb2_grpc.FabricStub(ch)
            await op.CreateNetwork(
                fabric_pb2.CreateNetworkRequest(network=fabric_pb2.Network(name="blue", namespace="default", vni=1111)),
                timeout=10,
            )
        a = attach_req("pod-a", container="ca", node="server1", nic="eth1")
        b = attach_req("pod-b", container="cb", node="server2", nic="eth1")
        async with channel(st, pki, "server1") as c1, channel(st, pki, "server2") as c2:
            s1, s2 = fabric_pb2_grpc.FabricStub(c1), fabric_pb2_grpc.FabricStub(c2)
            placed_a = await s1.Attach(a, timeout=30)
            await s2.Attach(b, timeout=30)
            # server2 replays server1's id for its own NIC: refused, server1's VLAN stays on sw1
            hijack = fabric_pb2.AttachRequest(id=a.id, container_id="evil", node="server2", nic="eth1")
            assert (await refused(s2.Attach(hijack, timeout=30)))[0] == grpc.StatusCode.PERMISSION_DENIED
            assert (await refused(s2.Attach(a, timeout=30)))[0] == grpc.StatusCode.PERMISSION_DENIED
            # every other method answers as for an id that does not exist
            ghost = attach_req("ghost", container="cg", node="server2").id
            removed = await s2.Detach(fabric_pb2.DetachRequest(id=a.id, container_id="ca"), timeout=10)
            assert not removed.removed
            code, details = await refused(s2.GetAttachment(fabric_pb2.GetAttachmentRequest(id=a.id), timeout=10))
            ghost_code, ghost_details = await refused(
                s2.GetAttachment(fabric_pb2.GetAttachmentRequest(id=ghost), timeout=10)
            )
            assert code == ghost_code == grpc.StatusCode.NOT_FOUND
            assert details.replace("pod-a", "P") == ghost_details.replace("ghost", "P")  # word for word
            code, _ = await refused(s2.Check(fabric_pb2.CheckRequest(id=a.id, container_id="ca"), timeout=10))
            assert code == grpc.StatusCode.NOT_FOUND
            listed = await s2.ListAttachments(fabric_pb2.ListAttachmentsRequest(node="server1"), timeout=10)
            assert [x.id.pod_name for x in listed.attachments] == ["pod-b"]  # its own only
            # page tokens: one forged for server1's listing is refused; one forged for its own listing,
            # pointing before server1's attachment, still pages through server2's own only
            after = ["default", "pod-a", "", "", "", ""]
            forged = paging.make_token(paging.listing("ListAttachments", "server1", "server1", "", "", ""), after)
            code, details = await refused(
                s2.ListAttachments(fabric_pb2.ListAttachmentsRequest(page_token=forged), timeout=10)
            )
            assert code == grpc.StatusCode.INVALID_ARGUMENT and "another listing" in details
            mine = paging.make_token(paging.listing("ListAttachments", "server2", "server2", "", "", ""), after)
            listed = await s2.ListAttachments(fabric_pb2.ListAttachmentsRequest(page_token=mine), timeout=10)
            assert [x.id.pod_name for x in listed.attachments] == ["pod-b"]
            blue = fabric_pb2.NetworkRef(namespace="default", name="blue")
            gc_other = fabric_pb2.GarbageCollectRequest(node="server1", network=blue)
            assert (await refused(s2.GarbageCollect(gc_other, timeout=10)))[0] == grpc.StatusCode.PERMISSION_DENIED
            gc_own = await s2.GarbageCollect(fabric_pb2.GarbageCollectRequest(node="server2", network=blue), timeout=10)
            assert [x.pod_name for x in gc_own.removed] == ["pod-b"]
            # server1's attachment is untouched, and server1 still owns it
            mine = await s1.GetAttachment(fabric_pb2.GetAttachmentRequest(id=a.id), timeout=10)
            assert (mine.node, mine.switch, mine.port, mine.vlan) == (
                "server1",
                placed_a.switch,
                placed_a.port,
                placed_a.vlan,
            )
            assert (await s1.Check(fabric_pb2.CheckRequest(id=a.id, container_id="ca"), timeout=10)).state == (
                fabric_pb2.ATTACHMENT_STATE_READY
            )
            assert (await s1.Detach(fabric_pb2.DetachRequest(id=a.id, container_id="ca"), timeout=10)).removed
        counted = sum(
            s.value for m in st.service.metrics.authz_denied.collect() for s in m.samples if s.name.endswith("_total")
        )
        assert counted >= 6  # every refusal is counted, the hidden ones too
        del fab


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("node-named-fabricctl", grpc.StatusCode.PERMISSION_DENIED),  # a node, whatever its name
        ("unlisted-operator", grpc.StatusCode.UNAUTHENTICATED),
        ("no-role", grpc.StatusCode.UNAUTHENTICATED),
    ],
)
@pytest.mark.parametrize("front_end", FRONT_ENDS)
async def test_operators_and_nodes_are_told_apart_by_the_certificate(tmp_path, pki, who, code, front_end):
    async with tls_fabric(tmp_path, pki, front_end=front_end) as (_fab, st), channel(st, pki, who) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        net = fabric_pb2.Network(name="x", namespace="default", vni=9)
        got, details = await refused(stub.CreateNetwork(fabric_pb2.CreateNetworkRequest(network=net), timeout=10))
        assert got == code, details
        if code == grpc.StatusCode.UNAUTHENTICATED:
            assert "fabricd:" in details or "api.operators" in details
