"""Graph from records: golden JSON/DOT/table, structure, versions, order independence."""

from __future__ import annotations

import json

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.ids import NodeName
from tests.topology.golden import assert_golden
from tests.topology.seed import PORT_MAP, SW1, SWITCHES, rec, seed_records
from topology.conflicts import Mode, Prefer, SourcePolicy
from topology.errors import FactsError
from topology.export import to_dict, to_dot, to_json, to_table
from topology.facts import PortIdType
from topology.graph import build_topology
from topology.identity import IdentityMap
from topology.portmap import parse_port_map

STATIC = parse_port_map(PORT_MAP, SWITCHES)
NODES = IdentityMap(nodes=frozenset(NodeName(f"server{i}") for i in (1, 2, 3, 4)))

MERGED = SourcePolicy(mode=Mode.MERGED, prefer=Prefer.STATIC)


def mixed_records():
    """The seed, with: server3/eth2 on sw2 ethernet-1/7 (the map says ethernet-1/3),
    a foreign router, a one-sided uplink, an unmapped MAC port id, a stale NIC."""
    records = [
        r
        for r in seed_records()
        if (r.switch, r.local_port) not in {("sw2", "ethernet-1/3"), ("spine1", "ethernet-1/2")}
    ]
    return [
        *records,
        rec("sw2", "ethernet-1/7", "server3", "eth2"),
        rec("sw1", "ethernet-1/48", "mgmt-router", "Gi0/1", chassis="00:11:22:33:44:55"),
        rec("sw2", "ethernet-1/10", "server2", "52:54:00:00:02:09", kind=PortIdType.MAC_ADDRESS),
        rec("sw1", "ethernet-1/4", "server4", "eth1", seen=40.0, stale=True),
    ]


CASES = {
    "seed-lldp": lambda: build_topology(SWITCHES, lldp=seed_records(), policy=SourcePolicy(mode=Mode.LLDP)),
    "seed-static": lambda: build_topology(SWITCHES, static=STATIC, policy=SourcePolicy(mode=Mode.STATIC)),
    "seed-merged": lambda: build_topology(SWITCHES, lldp=seed_records(), static=STATIC, policy=MERGED),
    "mixed": lambda: build_topology(SWITCHES, lldp=mixed_records(), static=STATIC, identity=NODES, policy=MERGED),
}


@pytest.mark.parametrize("case", list(CASES))
def test_golden_json(case):
    assert_golden(f"{case}/topology.json", to_json(CASES[case]()))


def test_golden_dot_and_table():
    snap = CASES["mixed"]()
    assert_golden("mixed/topology.dot", to_dot(snap))
    assert_golden("mixed/table.txt", to_table(snap))


def test_seed_graph_structure():
    g = CASES["seed-merged"]().graph
    assert nx.is_frozen(g)
    assert g.number_of_nodes() == 6
    assert g.number_of_edges() == 8
    assert g.nodes[("switch", "spine1")] == {"kind": "switch", "role": "spine", "platform": "openconfig"}
    (data,) = g.get_edge_data(("switch", "sw1"), ("node", "server1")).values()
    assert (data["port"], data["nic"], data["source"], data["stale"]) == (
        "ethernet-1/1",
        "eth1",
        "lldp+static",
        False,
    )
    with pytest.raises(nx.NetworkXError):
        g.add_edge(("switch", "sw1"), ("switch", "sw2"))


def test_a_link_both_ends_report_is_one_link_and_a_one_sided_one_is_marked():
    snap = CASES["mixed"]()
    by_leaf = {link.b.switch: link for link in snap.fabric_links}
    assert len(snap.fabric_links) == 2
    assert not by_leaf["sw1"].one_sided
    assert by_leaf["sw2"].one_sided


def test_foreign_and_unresolved_neighbours_are_reported_not_in_the_graph():
    snap = CASES["mixed"]()
    assert [(f.switch, f.port, f.system_name) for f in snap.foreign] == [("sw1", "ethernet-1/48", "mgmt-router")]
    assert [u.reason for u in snap.unresolved] == [
        "node server2: MAC port id '52:54:00:00:02:09' is not in the MAC map"
    ]
    assert ("node", "mgmt-router") not in snap.graph


def test_unchanged_content_keeps_the_snapshot_and_a_change_bumps_the_version():
    first = build_topology(SWITCHES, lldp=seed_records(), static=STATIC, policy=MERGED)
    assert first.version == 1
    same = build_topology(SWITCHES, lldp=reversed(seed_records()), static=STATIC, previous=first, policy=MERGED)
    assert same is first
    changed = build_topology(SWITCHES, lldp=seed_records()[1:], static=STATIC, previous=first, policy=MERGED)
    assert (changed.version, changed.fingerprint != first.fingerprint) == (2, True)
    assert build_topology(SWITCHES, lldp=seed_records(), static=STATIC, previous=changed, policy=MERGED).version == 3


def test_the_json_export_is_plain_sorted_data():
    doc = json.loads(to_json(CASES["seed-merged"]()))
    assert doc == json.loads(json.dumps(to_dict(CASES["seed-merged"]())))
    assert list(doc) == sorted(doc)


def test_records_of_unknown_switches_or_ports_are_unresolved():
    snap = build_topology(
        SWITCHES,
        lldp=[rec("sw9", "ethernet-1/1", "server1", "eth1"), rec("sw1", "Gi0/1", "server1", "eth1")],
        policy=MERGED,
    )
    assert [u.reason.split(":")[0] for u in snap.unresolved] == [
        "local port",
        "switch 'sw9' is not in the inventory",
    ]
    assert snap.edge_links == ()


def test_a_switch_twice_in_the_inventory_is_refused():
    with pytest.raises(FactsError, match="sw1 is in the inventory twice"):
        build_topology([*SWITCHES, SWITCHES[0]])


@settings(max_examples=40, deadline=None)
@given(st.permutations(mixed_records()))
def test_the_graph_does_not_depend_on_record_order(records):
    reference = CASES["mixed"]()
    snap = build_topology(SWITCHES, lldp=records, static=STATIC, identity=NODES, policy=MERGED)
    assert snap == reference
    assert to_json(snap) == to_json(reference)


def test_queries_on_the_seed():
    snap = CASES["seed-merged"]()
    (up,) = snap.fabric_neighbours(SW1)
    assert (up.port, up.peer, up.peer_port, up.one_sided) == (
        "ethernet-1/49",
        "spine1",
        "ethernet-1/1",
        False,
    )
    assert [str(a.peer) for a in snap.fabric_neighbours(SWITCHES[2].name)] == ["sw1", "sw2"]
    assert {p: [str(r) for r in refs] for p, refs in snap.edge_ports(SW1).items()} == {
        "ethernet-1/1": ["server1/eth1"],
        "ethernet-1/2": ["server2/eth1"],
        "ethernet-1/3": ["server3/eth1"],
    }
    assert snap.edge_ports(SWITCHES[2].name) == {}
    assert snap.nics_of(NodeName("server2")) == ("eth1", "eth2")
    assert snap.nodes == ("server1", "server2", "server3")
