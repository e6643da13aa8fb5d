"""fabric-cni's messages (cni.plugin.api on cni.wire.pb) against protobuf's
generated code for proto/fabric/v1 and grpc.health.v1, both ways: what the
plugin writes, protobuf parses to the same values; what protobuf writes
(fabricd's side), the plugin reads the same. A field number or type that
drifts from the proto fails here. And the parser, facing a hostile or
broken fabricd, fails only with DecodeError."""

from __future__ import annotations

import contextlib

import pytest
from grpc_health.v1 import health_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from cni.plugin import api
from cni.plugin.config import NetRef
from cni.plugin.controller import AttachmentRef
from cni.wire import pb
from proto.fabric.v1 import fabric_pb2

text = st.text(max_size=40)
u32 = st.integers(min_value=0, max_value=2**32 - 1)
nets = st.one_of(
    st.builds(NetRef, namespace=text, name=text, vni=st.just(0)),
    st.builds(NetRef, namespace=st.just(""), name=st.just(""), vni=st.integers(min_value=1, max_value=2**24 - 1)),
)
refs = st.builds(AttachmentRef, pod_namespace=text, pod_name=text, pod_uid=text, network=nets, ifname=text)


def _net_pb(net: NetRef) -> fabric_pb2.NetworkRef:
    if net.by_vni:
        return fabric_pb2.NetworkRef(vni=net.vni)
    return fabric_pb2.NetworkRef(namespace=net.namespace, name=net.name)


def _id_pb(ref: AttachmentRef) -> fabric_pb2.AttachmentId:
    return fabric_pb2.AttachmentId(
        pod_namespace=ref.pod_namespace, pod_name=ref.pod_name, pod_uid=ref.pod_uid,
        network=_net_pb(ref.network), interface=ref.ifname,
    )  # fmt: skip


@given(refs, text, text, text, text)
def test_an_attach_request_is_what_protobuf_reads(ref, container_id, node, nic, cni_network):
    data = api.attach_request(ref, container_id=container_id, node=node, nic=nic, cni_network=cni_network)
    want = fabric_pb2.AttachRequest(
        id=_id_pb(ref), container_id=container_id, node=node, nic=nic, cni_network=cni_network
    )
    got = fabric_pb2.AttachRequest.FromString(data)
    assert got == want
    assert got.id.HasField("network")  # present even when all its fields are defaults
    assert data == want.SerializeToString()  # the same bytes, field order included


@given(refs, text)
def test_detach_and_check_requests(ref, container_id):
    detach = fabric_pb2.DetachRequest.FromString(api.detach_request(ref, container_id=container_id))
    assert detach == fabric_pb2.DetachRequest(id=_id_pb(ref), container_id=container_id)
    check = fabric_pb2.CheckRequest.FromString(api.check_request(ref, container_id=container_id))
    assert check == fabric_pb2.CheckRequest(id=_id_pb(ref), container_id=container_id)


@given(text, nets, text, st.lists(st.tuples(text, text), max_size=5))
def test_a_garbage_collect_request(node, network, cni_network, valid):
    data = api.garbage_collect_request(node=node, network=network, cni_network=cni_network, valid=valid)
    want = fabric_pb2.GarbageCollectRequest(
        node=node, network=_net_pb(network), cni_network=cni_network,
        valid=[fabric_pb2.ValidAttachment(container_id=c, interface=i) for c, i in valid],
    )  # fmt: skip
    assert fabric_pb2.GarbageCollectRequest.FromString(data) == want


@given(refs, u32, text, text, u32, st.sampled_from(list(fabric_pb2.AttachmentState.values())), text, text, text, text)
def test_an_attachment_as_fabricd_writes_it(ref, vlan, switch, port, vni, state, reason, container_id, node, nic):
    msg = fabric_pb2.Attachment(
        id=_id_pb(ref), vlan=vlan, switch=switch, port=port, vni=vni, state=state, reason=reason,
        container_id=container_id, node=node, nic=nic,
    )  # fmt: skip
    msg.create_time.GetCurrentTime()  # a field the plugin does not read: skipped
    got = api.attachment(msg.SerializeToString())
    net = ref.network
    assert got == api.Attached(
        vlan=vlan, switch=switch, port=port, vni=vni,
        network=NetRef(namespace="" if net.by_vni else net.namespace, name="" if net.by_vni else net.name),
    )  # fmt: skip


@given(st.booleans(), st.lists(refs, max_size=5))
def test_detach_and_garbage_collect_responses(removed, ids):
    assert api.detach_response(fabric_pb2.DetachResponse(removed=removed).SerializeToString()) is removed
    data = fabric_pb2.GarbageCollectResponse(removed=[_id_pb(r) for r in ids]).SerializeToString()
    assert api.garbage_collect_response(data) == [f"{r.pod_namespace}/{r.pod_name}:{r.ifname}" for r in ids]


def test_health():
    assert health_pb2.HealthCheckRequest.FromString(api.health_check_request("fabric.v1.Fabric")).service == (
        "fabric.v1.Fabric"
    )
    for status, name in health_pb2.HealthCheckResponse.ServingStatus.items():
        assert api.health_status(health_pb2.HealthCheckResponse(status=name).SerializeToString()) == status
    assert api.health_status(pb.uint(1, 9)) == "9"


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_varints_as_protobuf_writes_them(n):
    msg = fabric_pb2.NetworkRef(vni=n & 0xFFFFFFFF)
    assert pb.uint(3, n & 0xFFFFFFFF) == msg.SerializeToString()
    assert pb.parse(pb.uint(7, n)).uint(7) == n


@settings(max_examples=500)
@given(st.binary(max_size=200))
def test_hostile_bytes_fail_only_as_decode_errors(data):
    """What a broken or hostile fabricd may answer: read, or DecodeError."""
    for read in (api.attachment, api.detach_response, api.garbage_collect_response, api.health_status):
        with contextlib.suppress(pb.DecodeError):
            read(data)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\x08", "truncated varint"),
        (b"\x08" + b"\xff" * 10 + b"\x01", "longer than 10 bytes"),
        (b"\x32\x05ab", "5 bytes announced"),
        (b"\x30\x01", "wire type 0, expected 2"),  # field 6 (switch, a string) as a varint
        (b"\x0b", "groups"),
        (b"\x00\x00", "field number 0"),
        (b"\x32\x02\xff\xfe", "not UTF-8"),
    ],
)
def test_malformed_answers_are_named(data, why):
    with pytest.raises(pb.DecodeError, match=why):
        f = pb.parse(data)
        f.uint(5), f.str(6), f.msg(1)
