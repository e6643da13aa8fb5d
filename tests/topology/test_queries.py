"""The queries the renderer and the daemon ask, and the NotFound messages."""

from __future__ import annotations

import pytest

from models.ids import NicName, NodeName, SwitchName
from tests.topology.seed import PORT_MAP, SW1, SW2, SWITCHES, ref, seed_records
from topology import NotFound, TopologyError
from topology.conflicts import Mode, Prefer, SourcePolicy
from topology.errors import NotFoundReason
from topology.graph import build_topology
from topology.portmap import parse_port_map

MERGED = SourcePolicy(mode=Mode.MERGED, prefer=Prefer.STATIC)
SNAP = build_topology(SWITCHES, lldp=seed_records(), static=parse_port_map(PORT_MAP, SWITCHES), policy=MERGED)


def test_leaf_port_answers_switch_and_port():
    p = SNAP.leaf_port(NodeName("server3"), NicName("eth2"))
    assert (p.switch, p.port) == ("sw2", "ethernet-1/3")


@pytest.mark.parametrize(
    ("node", "nic", "reason", "message"),
    [
        (
            "server9",
            "eth1",
            NotFoundReason.UNKNOWN_NODE,
            "unknown node 'server9': no static port map entry or LLDP record names it",
        ),
        (
            "server1",
            "eth7",
            NotFoundReason.UNKNOWN_NIC,
            "node server1 has no NIC 'eth7' in the topology (known NICs: eth1, eth2)",
        ),
    ],
    ids=["unknown-node", "unknown-nic"],
)
def test_not_found_names_what_is_missing(node, nic, reason, message):
    with pytest.raises(NotFound) as err:
        SNAP.leaf_port(NodeName(node), NicName(nic))
    assert isinstance(err.value, TopologyError)
    assert (err.value.reason, str(err.value), err.value.node, err.value.nic) == (reason, message, node, nic)


def test_leaves_for_the_nics_of_a_vni():
    assert SNAP.leaves_for([ref("server1", "eth1"), ref("server2", "eth1")]) == {SW1}
    assert SNAP.leaves_for([(NodeName("server1"), NicName("eth1")), ref("server3", "eth2")]) == {SW1, SW2}
    assert SNAP.leaves_for([ref("server9", "eth1")]) == set()
    assert SNAP.leaves_for([]) == set()


def test_switch_queries_refuse_an_unknown_switch():
    with pytest.raises(NotFound) as err:
        SNAP.fabric_neighbours(SwitchName("sw9"))
    assert err.value.reason is NotFoundReason.UNKNOWN_SWITCH
    assert str(err.value) == "unknown switch 'sw9' (known: spine1, sw1, sw2)"
    with pytest.raises(NotFound):
        SNAP.edge_ports(SwitchName("sw9"))


def test_nics_of_an_unknown_node_is_empty():
    assert SNAP.nics_of(NodeName("server9")) == ()
