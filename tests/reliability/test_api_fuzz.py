"""Bad input over every API method (hypothesis): only documented status codes,
no crash, no partial state, messages and log lines bounded.

Each method runs as an operator over a plaintext unix socket (insecure) and
as a node identity over mutual TLS. CI runs a small profile (deadline=None,
fewer examples for the methods that reach switches); `pytest --soak` runs many
more."""

from __future__ import annotations

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.reliability.background import BackgroundFabric

pytestmark = pytest.mark.slow

C = grpc.StatusCode
#: besides these, every method may answer INVALID_ARGUMENT (a field over its
#: bound, docs/api.md) and, for a node identity, PERMISSION_DENIED
DOCUMENTED = {
    "CreateNetwork": {C.ALREADY_EXISTS, C.RESOURCE_EXHAUSTED},
    "GetNetwork": {C.NOT_FOUND},
    "DeleteNetwork": {C.FAILED_PRECONDITION},
    "RenderNAD": {C.NOT_FOUND},
    "Attach": {C.NOT_FOUND, C.FAILED_PRECONDITION, C.RESOURCE_EXHAUSTED, C.UNAVAILABLE},
    "Detach": {C.FAILED_PRECONDITION},  # a VNI no network of the pod's namespace has
    "GetAttachment": {C.NOT_FOUND, C.FAILED_PRECONDITION},
    "Check": {C.NOT_FOUND, C.FAILED_PRECONDITION},
    "GarbageCollect": {C.FAILED_PRECONDITION},
    "ListNetworks": set(),
    "ListAttachments": set(),
}
#: the longest message an answer may carry (values are cut, never echoed whole)
MESSAGE_MAX = 4096

text = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        ["", "default", "blue", "server1", "eth1", "x" * 300, "a/b", "../..", "\x00", "é", "blue\n", "eth1\t"]
    ),
    st.sampled_from(["p" * 10_000, "\n" * 5000]),  # hostile sizes: refused at once, never echoed whole
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc"]), min_size=1, max_size=5),
)
small = st.one_of(st.integers(0, 20), st.sampled_from([1111, 2222, 16777215, 16777216, 2**32 - 1]))
net_ref = st.one_of(
    st.builds(fabric_pb2.NetworkRef, namespace=text, name=text),
    st.builds(fabric_pb2.NetworkRef, vni=small),
)
att_id = st.builds(
    fabric_pb2.AttachmentId, pod_namespace=text, pod_name=text, pod_uid=text, network=net_ref, interface=text
)
requests = {
    "CreateNetwork": st.builds(
        fabric_pb2.CreateNetworkRequest,
        network=st.builds(
            fabric_pb2.Network, name=text, namespace=text, vni=small, shared=st.booleans(), mtu=small, description=text
        ),
    ),
    "GetNetwork": st.builds(fabric_pb2.GetNetworkRequest, network=net_ref),
    "DeleteNetwork": st.builds(fabric_pb2.DeleteNetworkRequest, network=net_ref),
    "RenderNAD": st.builds(fabric_pb2.RenderNADRequest, network=net_ref, uplink=text, ipam_json=text),
    "Attach": st.builds(fabric_pb2.AttachRequest, id=att_id, container_id=text, node=text, nic=text, cni_network=text),
    "Detach": st.builds(fabric_pb2.DetachRequest, id=att_id, container_id=text),
    "GetAttachment": st.builds(fabric_pb2.GetAttachmentRequest, id=att_id),
    "Check": st.builds(fabric_pb2.CheckRequest, id=att_id, container_id=text),
    "GarbageCollect": st.builds(
        fabric_pb2.GarbageCollectRequest,
        node=text,
        network=net_ref,
        valid=st.lists(st.builds(fabric_pb2.ValidAttachment, container_id=text, interface=text), max_size=3),
        cni_network=text,
    ),
    "ListNetworks": st.builds(fabric_pb2.ListNetworksRequest, namespace=text),
    "ListAttachments": st.builds(fabric_pb2.ListAttachmentsRequest, node=text, network=net_ref, pod_namespace=text),
}


def consistent(service) -> None:
    """No partial state: the store holds exactly the in-memory intent."""
    snap = service.store.load()
    assert {p.attachment.id for p, _ in snap.attachments} == set(service.state.attachments)
    assert {n.key for n, _, _ in snap.networks} == set(service.state.networks)
    for switch, leaf in service.state.leaves.items():
        vlans = [a.vlan for a in leaf.vlans.allocations()]
        assert len(vlans) == len(set(vlans)), f"{switch}: a VLAN allocated twice"


@pytest.fixture(scope="module")
def node_pki(tmp_path_factory):
    """mTLS material: fabricd's server certificate, the CA, and node server1's."""
    from labs.run.certs import create_ca, issue_client_cert, issue_server_cert, write_pair

    d = tmp_path_factory.mktemp("pki")
    ca = create_ca("fuzz CA")
    files = {"ca": write_pair(d, "ca", ca)[0]}
    files["cert"], files["key"] = write_pair(d, "server", issue_server_cert(ca, "fabricd"))
    node = issue_client_cert(ca, "server1", role="node")
    operator = issue_client_cert(ca, "fabricctl", role="operator")
    return files, ca, node, operator


@pytest.mark.parametrize("identity", ["operator-insecure", "node-mtls"])
@pytest.mark.parametrize("method", sorted(requests))
def test_only_documented_codes(tmp_path, method, identity, node_pki, request):
    examples = 400 if request.config.getoption("--soak") else (25 if method in ("Attach", "CreateNetwork") else 60)
    if identity == "node-mtls":
        examples = max(10, examples // 2)
    files, ca, node, operator = node_pki
    api: dict = {"attach_timeout": "2s"}
    if identity == "node-mtls":
        api |= {
            "insecure": False,
            "listen": ["127.0.0.1:0"],
            "tls": {"cert": str(files["cert"]), "key": str(files["key"]), "client_ca": str(files["ca"])},
        }
    with BackgroundFabric(tmp_path, api=api) as bg:
        if identity == "node-mtls":
            ch = _tls_channel(bg.address, ca, operator)
            with ch:
                fabric_pb2_grpc.FabricStub(ch).CreateNetwork(_create_blue(), timeout=10)
            ch = _tls_channel(bg.address, ca, node)
        else:
            ch = grpc.insecure_channel(bg.address)
            fabric_pb2_grpc.FabricStub(ch).CreateNetwork(_create_blue(), timeout=10)
        with ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            call = getattr(stub, method)
            allowed = (
                DOCUMENTED[method]
                | {C.INVALID_ARGUMENT}
                | ({C.PERMISSION_DENIED} if identity == "node-mtls" else set())
            )

            @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            @given(requests[method])
            def one(req):
                try:
                    call(req, timeout=30)
                except grpc.RpcError as e:
                    assert e.code() in allowed, f"{method} answered {e.code().name}: {e.details()[:200]}"
                    assert e.details(), "an error without a message"
                    assert len(e.details()) <= MESSAGE_MAX, f"a {len(e.details())}-character message"
                    if e.code() == C.INVALID_ARGUMENT:
                        assert ":" in e.details(), f"the message names no field: {e.details()}"
                bg.on_loop(lambda: consistent(bg.fab.service))

            one()
            stub.ListNetworks(fabric_pb2.ListNetworksRequest(), timeout=10)  # still serving


def _tls_channel(address: str, ca, client) -> grpc.Channel:
    creds = grpc.ssl_channel_credentials(ca.cert_pem, client.key_pem, client.cert_pem)
    return grpc.secure_channel(address, creds, options=[("grpc.ssl_target_name_override", "fabricd")])


def _create_blue() -> fabric_pb2.CreateNetworkRequest:
    return fabric_pb2.CreateNetworkRequest(network=fabric_pb2.Network(name="blue", namespace="default", vni=1111))
