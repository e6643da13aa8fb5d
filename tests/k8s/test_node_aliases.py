"""What LLDP may call a Kubernetes node: its Hostname addresses and its
``kubernetes.io/hostname`` label, which the node itself sets (NodeRestriction
lets a kubelet). A name that is another node's, or that two nodes claim, is
nobody's alias: server1 labelled ``server2`` took server2's LLDP records and
NICs in the topology (found by review, against a real API server)."""

from __future__ import annotations

import pytest

from controller.kube.objects import NodeView, node_aliases
from tests.controller.fabric import eventually
from tests.k8s.fabric import kube_fabric


def node(name: str, *hostnames: str) -> NodeView:
    return NodeView(name=name, uid=f"{name}-uid", out_of_service=False, hostnames=tuple(hostnames))


def test_a_hostname_of_its_own_maps_to_the_node():
    aliases, refused = node_aliases([node("server1", "server1", "srv-01.dc1"), node("server2", "server2")])
    assert (aliases, refused) == ({"srv-01.dc1": "server1"}, [])


def test_a_node_calling_itself_another_node_is_refused_and_said():
    aliases, refused = node_aliases([node("server1", "server2", "srv-01"), node("server2", "server2")])
    assert aliases == {"srv-01": "server1"}  # its own alias stays; the other node's name is never one
    assert refused == ["server1 call(s) itself 'server2', the name of another node"]


def test_a_name_two_nodes_claim_is_neither_nodes():
    aliases, refused = node_aliases([node("server1", "shared"), node("server2", "shared"), node("server3", "s3")])
    assert aliases == {"s3": "server3"}
    assert refused == ["server1, server2 all call themselves 'shared'"]


@pytest.mark.slow
async def test_a_node_labelled_with_another_nodes_name_takes_nothing(tmp_path, kube, namespaces):
    async with kube_fabric(tmp_path, kube, namespaces) as fab:
        daemon = fab.stack.daemon
        kube.kubectl("label", "node", "server1", "kubernetes.io/hostname=srv-01.dc1", "--overwrite")
        try:
            await eventually(lambda: daemon.node_hostnames.get("srv-01.dc1") == "server1", what="its own alias")
            kube.kubectl("label", "node", "server1", "kubernetes.io/hostname=server2", "--overwrite")
            await eventually(lambda: "srv-01.dc1" not in daemon.node_hostnames, what="the label moved")
            assert "server2" not in daemon.node_hostnames  # server2's LLDP records stay server2's
        finally:
            kube.kubectl("label", "node", "server1", "kubernetes.io/hostname-")
