"""Bad input over every API method (hypothesis): only documented status codes,
no crash, no partial state.

CI runs a small profile (deadline=None, fewer examples for the methods that
reach switches); `pytest --soak` runs many more."""

from __future__ import annotations

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.reliability.background import BackgroundFabric

pytestmark = pytest.mark.slow

DOCUMENTED = {
    "CreateNetwork": {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    },
    "GetNetwork": {grpc.StatusCode.NOT_FOUND},
    "DeleteNetwork": {grpc.StatusCode.FAILED_PRECONDITION},
    "RenderNAD": {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT},
    "Attach": {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.UNAVAILABLE,
    },
    "Detach": set(),
    "GetAttachment": {grpc.StatusCode.NOT_FOUND},
    "Check": {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.INVALID_ARGUMENT},
    "GarbageCollect": set(),
    "ListNetworks": set(),
    "ListAttachments": set(),
}

text = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", "default", "blue", "server1", "eth1", "x" * 300, "a/b", "../..", "\x00", "é"]),
)
small = st.one_of(st.integers(0, 20), st.sampled_from([1111, 2222, 16777215, 16777216, 2**32 - 1]))
net_ref = st.builds(fabric_pb2.NetworkRef, namespace=text, name=text)
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
    "RenderNAD": st.builds(fabric_pb2.RenderNADRequest, network=net_ref, uplink=text, controller=text, ipam_json=text),
    "Attach": st.builds(fabric_pb2.AttachRequest, id=att_id, container_id=text, node=text, nic=text),
    "Detach": st.builds(fabric_pb2.DetachRequest, id=att_id, container_id=text),
    "GetAttachment": st.builds(fabric_pb2.GetAttachmentRequest, id=att_id),
    "Check": st.builds(fabric_pb2.CheckRequest, id=att_id, container_id=text),
    "GarbageCollect": st.builds(
        fabric_pb2.GarbageCollectRequest,
        node=text,
        network=net_ref,
        valid=st.lists(st.builds(fabric_pb2.ValidAttachment, container_id=text, interface=text), max_size=3),
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


@pytest.mark.parametrize("method", sorted(requests))
def test_only_documented_codes(tmp_path, method, request):
    examples = 400 if request.config.getoption("--soak") else (25 if method in ("Attach", "CreateNetwork") else 60)
    with BackgroundFabric(tmp_path, api={"attach_timeout": "2s"}) as bg, grpc.insecure_channel(bg.address) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        stub.CreateNetwork(
            fabric_pb2.CreateNetworkRequest(network=fabric_pb2.Network(name="blue", namespace="default", vni=1111)),
            timeout=10,
        )
        call = getattr(stub, method)

        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(requests[method])
        def one(req):
            try:
                call(req, timeout=30)
            except grpc.RpcError as e:
                assert e.code() in DOCUMENTED[method], f"{method} answered {e.code().name}: {e.details()}"
                assert e.details(), "an error without a message"
                if e.code() == grpc.StatusCode.INVALID_ARGUMENT:
                    assert ":" in e.details(), f"the message names no field: {e.details()}"
            bg.on_loop(lambda: consistent(bg.fab.service))

        one()
        stub.ListNetworks(fabric_pb2.ListNetworksRequest(), timeout=10)  # still serving
