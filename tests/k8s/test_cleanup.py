"""Pods and Nodes are the truth for cleanup, against a real kube-apiserver,
with no CNI DEL or GC ever: a deleted pod, a finished pod, a Node tainted
out-of-service and a deleted Node each take their attachments off the
leaves; an expired watch relists and detaches nothing; the attach of a node
is checked against the API."""

from __future__ import annotations

import pytest

from controller.kube import cleanup
from controller.service.authz import Caller
from models.errors import PermissionDeniedError, PreconditionError
from models.ids import NicName, NodeName, Vni
from models.intent import Attachment, AttachmentId, Network, NetworkKey
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import eventually
from tests.k8s.fabric import attach_as_node, attachment, kube_fabric
from tests.k8s.kube import fabric_nad, pod_doc, reasons, set_phase, status

pytestmark = pytest.mark.slow


async def _network(fab, kube, ns: str) -> NetworkKey:
    kube.apply(fabric_nad(ns, "blue", VNI="5001"))
    await eventually(lambda: status(kube, ns, "blue").get("state") == "Ready", what="NAD blue ready")
    return NetworkKey(ns, "blue")


async def test_pods_and_nodes_take_their_attachments_along(tmp_path, kube, namespaces, monkeypatch):
    monkeypatch.setattr(cleanup, "SYNC_CHUNK", 2)  # a sync looks at 2 attachments per loop step: every path
    ns, _ = namespaces
    async with kube_fabric(tmp_path, kube, namespaces) as fab:
        svc = fab.service
        key = await _network(fab, kube, ns)
        where = {"gone": "server1", "done": "server1", "oos": "server2", "nodeless": "server3", "stays": "server2"}
        kube.apply(*(pod_doc(ns, pod, node, "blue") for pod, node in where.items()))
        atts = {pod: attachment(kube, ns, pod, key, node=node) for pod, node in where.items()}
        for att in atts.values():
            await attach_as_node(svc, att)
        # an operator's attachment of a namespace fabricd does not watch is never its business
        other = Network(namespace="elsewhere", name="x", vni=Vni(4444), shared=True)
        await svc.networks.create(other, Caller.trusted())
        foreign = Attachment(
            id=AttachmentId(pod_namespace="elsewhere", pod_name="p", pod_uid="u-1", network=other.key, interface="n1"),
            container_id="c1", node=NodeName("server3"), nic=NicName("eth1"),
        )  # fmt: skip
        await svc.attachments.attach(foreign, Caller.trusted(), leaf_wait=20)

        def held(pod: str) -> bool:
            return atts[pod].id in svc.state.attachments

        # the phase shows in ListAttachments (fabricctl attachment list)
        set_phase(kube, ns, "stays", "Running")
        async with fab.channel() as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)

            async def phases():
                resp = await stub.ListAttachments(fabric_pb2.ListAttachmentsRequest(), timeout=10)
                return {a.id.pod_name: a.pod_phase for a in resp.attachments}

            await eventually(phases, what="phases")
            await eventually(
                lambda: _is(phases(), {"stays": "Running", "gone": "Pending", "p": ""}), what="phases known"
            )

        kube.kubectl("delete", "pod", "gone", "-n", ns, "--grace-period=0", "--force")
        set_phase(kube, ns, "done", "Succeeded")
        kube.kubectl("taint", "node", "server2", "node.kubernetes.io/out-of-service=nodeshutdown:NoExecute")
        await eventually(lambda: not held("gone") and not held("done"), what="deleted and finished pods")
        await eventually(lambda: not held("oos") and not held("stays"), what="out-of-service node's")
        assert held("nodeless")
        kube.kubectl("delete", "node", "server3")
        await eventually(lambda: not held("nodeless"), what="deleted node's")
        assert foreign.id in svc.state.attachments
        m = fab.stack.daemon.kube_metrics.cleanups
        counted = {"pod-gone": 1, "pod-finished": 1, "node-out-of-service": 2, "node-deleted": 1}
        await eventually(
            lambda: all(m.labels(k)._value.get() == v for k, v in counted.items()), what="cleanups counted by reason"
        )
        # the leaves carry the network no more (only the foreign attachment's VNI on server3's leaf)
        await eventually(lambda: _vni_gone(fab, 5001), what="VNI 5001 off every leaf")


async def _is(phases, want):
    got = await phases
    return all(got.get(k) == v for k, v in want.items())


def _vni_gone(fab, vni: int) -> bool:
    return all(f'"vni": {vni}' not in str(fab.config(sw)) for sw in ("sw1", "sw2"))


async def test_the_api_checks_what_a_node_claims(tmp_path, kube, namespaces):
    ns, _ = namespaces
    async with kube_fabric(tmp_path, kube, namespaces) as fab:
        svc = fab.service
        key = await _network(fab, kube, ns)
        kube.apply(pod_doc(ns, "p1", "server1", "blue"), pod_doc(ns, "p2", "server1", "other-nad"))
        good = attachment(kube, ns, "p1", key, node="server1")

        with pytest.raises(PermissionDeniedError, match="runs on node 'server1', not on 'server2'"):
            await attach_as_node(svc, attachment(kube, ns, "p1", key, node="server2"))
        with pytest.raises(PermissionDeniedError, match="no pod"):
            await attach_as_node(svc, attachment(kube, ns, "p1", key, node="server1", uid="not-the-uid"))
        with pytest.raises(PermissionDeniedError, match="no pod"):
            await attach_as_node(svc, attachment(kube, ns, "ghost", key, node="server1", uid="ghost-uid"))
        with pytest.raises(PreconditionError, match="selects no NetworkAttachmentDefinition bound to network"):
            await attach_as_node(svc, attachment(kube, ns, "p2", key, node="server1"))
        assert not svc.state.attachments
        await eventually(lambda: "FabricAttachRefused" in reasons(kube, ns, "p1"), what="Event on the pod")

        view = await attach_as_node(svc, good)
        assert view.placed.vlan
        checks = fab.stack.daemon.kube_metrics.attach_checks
        assert checks.labels("allowed")._value.get() == 1 and checks.labels("refused")._value.get() == 4
