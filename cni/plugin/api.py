"""fabric.v1's messages that fabric-cni sends and reads, in protobuf's wire
format (:mod:`cni.wire.pb`), and the methods it calls.

The field numbers are proto/fabric/v1/fabric.proto's and
grpc/health/v1/health.proto's; ``tests/cni/test_api_codec.py`` holds them
to the generated code both ways (what we write, protobuf parses to the same
values; what protobuf writes, we read the same), so a change of the proto
that this module misses fails there. A malformed answer raises
:class:`cni.wire.pb.DecodeError`.
"""

# No `from __future__ import annotations` here: typing.NamedTuple would compile each field's string
# annotation at every plugin start (cni/README.md, Start-up).
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from cni.plugin.config import NetRef
from cni.wire import pb

if TYPE_CHECKING:
    from cni.plugin.controller import AttachmentRef

ATTACH = "/fabric.v1.Fabric/Attach"
DETACH = "/fabric.v1.Fabric/Detach"
CHECK = "/fabric.v1.Fabric/Check"
GARBAGE_COLLECT = "/fabric.v1.Fabric/GarbageCollect"
HEALTH_CHECK = "/grpc.health.v1.Health/Check"
#: grpc.health.v1.HealthCheckResponse.ServingStatus
SERVING_STATUS = ("UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN")


class Attached(NamedTuple):
    """What fabricd answered an Attach or a Check with (fabric.v1.Attachment's fields the plugin uses)."""

    vlan: int
    switch: str
    port: str
    vni: int
    network: NetRef  # as fabricd resolved it (NAMESPACE/NAME, also for a VNI reference); empty if not said


def network_ref(net: NetRef) -> bytes:
    if net.by_vni:
        return pb.uint(3, net.vni)
    return pb.string(1, net.namespace) + pb.string(2, net.name)


def attachment_id(ref: "AttachmentRef") -> bytes:
    return b"".join((
        pb.string(1, ref.pod_namespace),
        pb.string(2, ref.pod_name),
        pb.string(3, ref.pod_uid),
        pb.length_delimited(4, network_ref(ref.network)),
        pb.string(5, ref.ifname),
    ))  # fmt: skip


def attach_request(ref: "AttachmentRef", *, container_id: str, node: str, nic: str, cni_network: str) -> bytes:
    return b"".join((
        pb.length_delimited(1, attachment_id(ref)),
        pb.string(2, container_id),
        pb.string(3, node),
        pb.string(4, nic),
        pb.string(5, cni_network),
    ))  # fmt: skip


def detach_request(ref: "AttachmentRef", *, container_id: str) -> bytes:
    """A DetachRequest; a CheckRequest has the same fields."""
    return pb.length_delimited(1, attachment_id(ref)) + pb.string(2, container_id)


check_request = detach_request


def garbage_collect_request(*, node: str, network: NetRef, cni_network: str, valid: Iterable[tuple[str, str]]) -> bytes:
    entries = b"".join(pb.length_delimited(3, pb.string(1, c) + pb.string(2, i)) for c, i in valid)
    return pb.string(1, node) + pb.length_delimited(2, network_ref(network)) + entries + pb.string(4, cni_network)


def health_check_request(service: str) -> bytes:
    return pb.string(1, service)


def attachment(data: bytes) -> Attached:
    f = pb.parse(data)
    net = f.msg(1).msg(4)
    return Attached(
        vlan=f.uint(5),
        switch=f.str(6),
        port=f.str(7),
        vni=f.uint(8),
        network=NetRef(namespace=net.str(1), name=net.str(2)),
    )


def detach_response(data: bytes) -> bool:
    return pb.parse(data).bool(1)


def garbage_collect_response(data: bytes) -> list[str]:
    """The removed attachments as ``namespace/name:interface``."""
    return [f"{r.str(1)}/{r.str(2)}:{r.str(5)}" for r in pb.parse(data).msgs(1)]


def health_status(data: bytes) -> str:
    status = pb.parse(data).uint(1)
    return SERVING_STATUS[status] if status < len(SERVING_STATUS) else str(status)
