"""NetworkAttachmentDefinitions are the API, against a real kube-apiserver:
a NAD creates a network inside its namespace's grant (owned by it, so
fabricctl cannot delete it), shows its state in an annotation, is kept
Terminating by a finalizer while pods use it (new attaches refused), and
goes, network and all, with its last attachment."""

from __future__ import annotations

import grpc
import pytest

from controller.kube.objects import FINALIZER
from controller.service.authz import Caller
from models.errors import PreconditionError
from models.ids import Vni
from models.intent import OWNER_API, Network, NetworkKey
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import eventually
from tests.k8s.fabric import attach_as_node, attachment, kube_fabric
from tests.k8s.kube import fabric_nad, nad, pod_doc, reasons, status

pytestmark = pytest.mark.slow


async def test_a_nad_creates_its_network_keeps_it_while_used_and_takes_it_along(tmp_path, kube, namespaces):
    ns, _ = namespaces
    async with kube_fabric(tmp_path, kube, namespaces) as fab:
        svc = fab.service
        key = NetworkKey(ns, "blue")
        kube.apply(fabric_nad(ns, "blue", VNI="5001"))  # the founding notes' form: only the VNI

        await eventually(lambda: status(kube, ns, "blue").get("state") == "Ready", what="NAD blue ready")
        net = svc.state.networks[key]
        assert net.vni == 5001 and net.owner == f"kubernetes:{ns}/blue"
        doc = status(kube, ns, "blue")
        assert doc["network"] == str(key) and doc["vni"] == 5001 and doc["evi"] > 0 and doc["attachments"] == 0
        assert FINALIZER in nad(kube, ns, "blue")["metadata"]["finalizers"]
        await eventually(lambda: "NetworkCreated" in reasons(kube, ns, "blue"), what="Event NetworkCreated")

        # fabricctl (the API) shows the owner and cannot delete the NAD's network
        async with fab.channel() as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            got = await stub.GetNetwork(fabric_pb2.GetNetworkRequest(network=fabric_pb2.NetworkRef(
                namespace=ns, name="blue")), timeout=10)  # fmt: skip
            assert got.owner == f"kubernetes:{ns}/blue"
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.DeleteNetwork(
                    fabric_pb2.DeleteNetworkRequest(network=fabric_pb2.NetworkRef(namespace=ns, name="blue")),
                    timeout=10,
                )
            assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert "delete its NetworkAttachmentDefinition" in err.value.details()

        # a pod uses it
        kube.apply(pod_doc(ns, "p1", "server1", "blue"), pod_doc(ns, "p2", "server2", "blue"))
        await attach_as_node(svc, attachment(kube, ns, "p1", key, node="server1"))
        await eventually(lambda: status(kube, ns, "blue").get("attachments") == 1, what="status counts it")

        # deleting the NAD does not cut p1 off: Terminating, an Event, no new attaches through it
        kube.kubectl("delete", "net-attach-def", "blue", "-n", ns, "--wait=false")
        await eventually(lambda: status(kube, ns, "blue").get("state") == "Terminating", what="NAD Terminating")
        assert nad(kube, ns, "blue")["metadata"].get("deletionTimestamp")
        await eventually(lambda: "InUse" in reasons(kube, ns, "blue"), what="Event InUse")
        assert key in svc.state.networks
        with pytest.raises(PreconditionError, match="being deleted"):
            await attach_as_node(svc, attachment(kube, ns, "p2", key, node="server2"))

        # the last attachment goes (the pod is deleted; no CNI DEL): the NAD goes, and its network
        kube.kubectl("delete", "pod", "p1", "-n", ns, "--grace-period=0", "--force")
        await eventually(lambda: nad(kube, ns, "blue") is None, within=60, what="NAD gone")
        await eventually(lambda: key not in svc.state.networks, what="network gone with its NAD")
        assert not svc.state.attachments


async def test_a_nad_binds_to_an_operators_network_which_the_nad_never_deletes(tmp_path, kube, namespaces):
    ns, _ = namespaces
    async with kube_fabric(tmp_path, kube, namespaces) as fab:
        svc = fab.service
        key = NetworkKey(ns, "green")
        await svc.networks.create(Network(namespace=ns, name="green", vni=Vni(2222)), Caller.trusted())
        kube.apply(fabric_nad(ns, "green-net", network=f"{ns}/green"))
        await eventually(lambda: status(kube, ns, "green-net").get("state") == "Ready", what="bound")
        assert status(kube, ns, "green-net")["owner"] == OWNER_API
        await eventually(lambda: "NetworkBound" in reasons(kube, ns, "green-net"), what="Event NetworkBound")
        with pytest.raises(PreconditionError, match="owned by 'api'"):
            await svc.networks.delete(key, Caller.trusted(), owner=f"kubernetes:{ns}/green-net")

        kube.kubectl("delete", "net-attach-def", "green-net", "-n", ns, "--wait=false")
        await eventually(lambda: nad(kube, ns, "green-net") is None, what="NAD released")
        assert svc.state.networks[key].vni == 2222  # the operator's network stays
