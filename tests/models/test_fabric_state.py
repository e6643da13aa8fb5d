"""The incremental intent index: attach/detach semantics, all-or-nothing."""

from __future__ import annotations

import pytest

from models.errors import AlreadyExistsError, NotFoundError, PoolExhaustedError, PreconditionError
from models.fabric_state import FabricState
from models.ids import NicName, NodeName, PortName, SwitchName, VlanId, Vni
from models.intent import Attachment, AttachmentId, Network, Placement
from models.platforms.base import port_key, port_vni_key, vni_key
from models.settings import FabricSettings, VlanPool, VlanRange

SW1, SW2 = SwitchName("sw1"), SwitchName("sw2")
P1, P2 = PortName("ethernet-1/1"), PortName("ethernet-1/2")
BLUE = Network(namespace="default", name="blue", vni=Vni(1111))
GREEN = Network(namespace="default", name="green", vni=Vni(2222))


def att(pod="p", net=BLUE, container="c1", node="server1", nic="eth1", ifname="net1"):
    return Attachment(
        id=AttachmentId(pod_namespace="default", pod_name=pod, pod_uid=f"{pod}-uid", network=net.key, interface=ifname),
        container_id=container,
        node=NodeName(node),
        nic=NicName(nic),
    )


@pytest.fixture
def state():
    s = FabricState(FabricSettings())
    s.create_network(BLUE)
    s.create_network(GREEN)
    return s


def test_create_network_idempotent_and_conflicts(state):
    assert state.create_network(BLUE)[2] is False
    with pytest.raises(AlreadyExistsError, match="exists with other settings"):
        state.create_network(Network(namespace="default", name="blue", vni=Vni(9)))
    with pytest.raises(AlreadyExistsError, match=r"network.vni: 1111 is taken by network default/blue"):
        state.create_network(Network(namespace="other", name="x", vni=Vni(1111)))


def test_attach_allocates_and_marks_one_leaf_dirty(state):
    r = state.attach(att(), Placement(SW1, P1))
    assert r.placed.vlan == 100
    assert r.dirty == {SW1: {vni_key(1111), port_key(P1), port_vni_key(P1, 1111)}}
    assert not r.replay


def test_replay_and_container_replacement(state):
    state.attach(att(), Placement(SW1, P1))
    again = state.attach(att(), Placement(SW1, P1))
    assert again.replay and again.dirty == {} and again.placed.vlan == 100
    newer = state.attach(att(container="c2"), Placement(SW1, P1))
    assert not newer.replay and newer.dirty == {}
    assert state.attachments[att().id].attachment.container_id == "c2"
    assert state.leaves[SW1].vni_refs == {1111: 1}


def test_stale_container_detach_is_a_noop(state):
    state.attach(att(container="new"), Placement(SW1, P1))
    r = state.detach(att().id, "old")
    assert r.removed is None and r.dirty == {}
    assert att().id in state.attachments


def test_only_keys_whose_rendering_changes_are_dirty(state):
    def on(port):  # the VNI on a port: the port, the (port, VNI), the VNI (an SR Linux mac-vrf lists its ports)
        return {port_key(port), port_vni_key(port, 1111), vni_key(1111)}

    assert state.attach(att(pod="a"), Placement(SW1, P1)).dirty == {SW1: on(P1)}
    assert state.attach(att(pod="b"), Placement(SW1, P1)).dirty == {}  # same VNI, same port: nothing to render
    assert state.attach(att(pod="c"), Placement(SW1, P2)).dirty == {SW1: on(P2)}
    assert state.segment(SW1, Vni(1111)).ports == {P1, P2}
    assert state.detach(att(pod="b").id).dirty == {}
    assert state.detach(att(pod="c").id).dirty == {SW1: on(P2)}
    assert state.segment(SW1, Vni(1111)).ports == {P1}
    assert state.detach(att(pod="a").id).dirty == {SW1: on(P1)}


def test_last_detach_releases_the_vlan_until_confirmed(state):
    state.attach(att(pod="a"), Placement(SW1, P1))
    state.attach(att(pod="b"), Placement(SW1, P2))
    state.detach(att(pod="a").id)
    assert state.segment(SW1, Vni(1111)) is not None
    r = state.detach(att(pod="b").id)
    assert r.dirty == {SW1: {vni_key(1111), port_key(P2), port_vni_key(P2, 1111)}}
    assert state.segment(SW1, Vni(1111)) is None
    assert state.leaves[SW1].vlans.is_releasing(Vni(1111))
    state.attach(att(pod="c", net=GREEN), Placement(SW1, P1))
    assert state.attachments[att(pod="c", net=GREEN).id].vlan == 101  # 100 is still held
    assert state.confirm_removed(SW1, [Vni(1111)]) == [(1111, 100)]


def test_attach_to_unknown_network(state):
    with pytest.raises(NotFoundError, match="network default/nope does not exist"):
        state.attach(att(net=Network(namespace="default", name="nope", vni=Vni(5))), Placement(SW1, P1))


def test_exhaustion_changes_nothing():
    s = FabricState(FabricSettings(vlan_pool=VlanPool(ranges=(VlanRange(100, 100),))))
    s.create_network(BLUE)
    s.create_network(GREEN)
    s.attach(att(), Placement(SW1, P1))
    before = (dict(s.attachments), s.leaves[SW1].vlans.allocations())
    with pytest.raises(PoolExhaustedError):
        s.attach(att(pod="q", net=GREEN), Placement(SW1, P1))
    assert (dict(s.attachments), s.leaves[SW1].vlans.allocations()) == before


def test_delete_network_with_attachments_fails(state):
    state.attach(att(), Placement(SW1, P1))
    with pytest.raises(PreconditionError, match="has 1 attachment"):
        state.delete_network(BLUE.key)
    state.detach(att().id)
    assert state.delete_network(BLUE.key) == BLUE
    assert state.delete_network(BLUE.key) is None


def test_nic_move_keeps_vlan_or_conflicts(state):
    state.attach(att(), Placement(SW1, P1))
    moved, dirty = state.move_nic(NodeName("server1"), NicName("eth1"), Placement(SW1, P2))
    assert moved[0].placement == Placement(SW1, P2) and moved[0].vlan == 100
    # the VNI stays on the leaf: its ports change (and so its port list)
    assert dirty == {SW1: {port_key(P1), port_key(P2), port_vni_key(P1, 1111), port_vni_key(P2, 1111), vni_key(1111)}}
    # sw2 already uses VLAN 100 for green: blue cannot follow the NIC there
    state.attach(att(pod="g", net=GREEN, node="server2"), Placement(SW2, P1))
    moved, _ = state.move_nic(NodeName("server1"), NicName("eth1"), Placement(SW2, P2))
    assert moved[0].placement is None
    assert "VLAN 100 on sw2 carries VNI 2222" in moved[0].conflict


def test_restore_round_trip(state):
    state.attach(att(pod="a"), Placement(SW1, P1))
    state.attach(att(pod="b", net=GREEN), Placement(SW1, P2))
    state.detach(att(pod="a").id)
    nets = [(n, state.evis.evi_of(n.vni)) for n in state.networks.values()]
    allocs = [a for leaf in state.leaves.values() for a in leaf.vlans.allocations()]
    back = FabricState.restore(
        state.settings, networks=nets, allocations=allocs, attachments=state.attachments.values()
    )
    assert back.attachments == state.attachments
    assert back.leaves[SW1].vlans.allocations() == allocs
    assert back.leaves[SW1].port_vlans(P2) == {VlanId(101)}
    assert back.leaves[SW1].vlans.is_releasing(Vni(1111))
