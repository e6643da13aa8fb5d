"""Discovery against in-process emulators: the graph equals the lab's links,
LLDP changes update it, dropped streams come back, moved NICs take their
attachments along."""

from __future__ import annotations

import time

import pytest

from labs.files.spec import LldpNeighborSpec
from proto.fabric.v1 import fabric_pb2_grpc
from tests.controller.fabric import attach_req, create_networks, eventually, lab_fabric, trunk

pytestmark = pytest.mark.slow
LLDP = {"topology": {"mode": "lldp", "hold_time": "60s"}, "port_map": None}


def expected_edges(lab):
    out = set()
    for link in lab.links:
        a, b = link.a, link.b
        for sw, node in ((a, b), (b, a)):
            sw_node = lab.nodes[sw.node]
            if sw_node.role in ("leaf", "spine") and lab.nodes[node.node].role == "node":
                out.add((sw.node, sw.names.oc, node.node, node.names.linux))
    return out


def edges(core):
    return {(e.switch, e.port, e.node, e.nic) for e in core.topology.edge_links if not e.stale}


async def test_graph_equals_the_lab_links(tmp_path):
    async with lab_fabric(tmp_path, **LLDP) as fab, fab.controller() as st:
        want = expected_edges(fab.lab)
        await eventually(lambda: edges(st.core) == want, what="every edge link discovered")
        fabric = {(f.a.switch, f.a.port, f.b.switch, f.b.port) for f in st.core.topology.fabric_links}
        assert {(a, b) for a, _, b, _ in fabric} | {(b, a) for a, _, b, _ in fabric} >= {("sw1", "spine1")}
        assert len(fabric) == 2 and not any(f.one_sided for f in st.core.topology.fabric_links)


async def test_neighbour_removed_and_added_through_the_fault_hook(tmp_path):
    async with lab_fabric(tmp_path, **LLDP) as fab, fab.controller() as st:
        want = expected_edges(fab.lab)
        await eventually(lambda: edges(st.core) == want, what="discovered")
        fab.host["sw1"].faults.remove_lldp_neighbor("ethernet-1/2")
        await eventually(lambda: ("sw1", "ethernet-1/2", "server2", "eth1") not in edges(st.core), what="removed")
        fab.host["sw1"].faults.restore_lldp_neighbors("ethernet-1/2")
        await eventually(lambda: edges(st.core) == want, what="added back")


async def test_a_dropped_stream_is_re_established(tmp_path):
    async with lab_fabric(tmp_path, **LLDP) as fab, fab.controller() as st:
        await eventually(lambda: edges(st.core) == expected_edges(fab.lab), what="discovered")
        discovery = st.daemon.discovery
        before = discovery.state.sessions["sw1"].since
        t0 = time.time()
        assert fab.host["sw1"].faults.drop_streams() >= 1
        await eventually(
            lambda: discovery.state.sessions["sw1"].up and discovery.state.sessions["sw1"].since > max(before, t0 - 1),
            what="LLDP stream back up",
        )
        fab.host["sw1"].faults.remove_lldp_neighbor("ethernet-1/3")  # and it still streams changes
        await eventually(lambda: ("sw1", "ethernet-1/3", "server3", "eth1") not in edges(st.core), what="streaming")


async def test_a_moved_nic_takes_its_attachment_and_vlan_along(tmp_path):
    async with lab_fabric(tmp_path, **LLDP) as fab, fab.controller() as st, fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await eventually(lambda: edges(st.core) == expected_edges(fab.lab), what="discovered")
        await create_networks(stub, ("blue", 1111))
        att = await stub.Attach(attach_req(), timeout=30)
        assert (att.port, att.vlan) == ("ethernet-1/1", 100)
        sw1 = fab.host["sw1"].faults
        sw1.remove_lldp_neighbor("ethernet-1/3")  # server3 unplugged; server1/eth1 re-cabled there
        old = next(n for n in fab.host["sw1"].spec.lldp if n.local_port == "ethernet-1/1")
        sw1.remove_lldp_neighbor("ethernet-1/1")
        sw1.add_lldp_neighbor(
            LldpNeighborSpec(
                local_port="ethernet-1/3",
                system_name=old.system_name,
                port_id=old.port_id,
                chassis_id=old.chassis_id,
            )
        )
        placed = st.core.state.attachments
        await eventually(lambda: next(iter(placed.values())).placement.port == "ethernet-1/3", what="re-placed")
        assert next(iter(placed.values())).vlan == 100
        await eventually(
            lambda: (
                (trunk(fab.config("sw1"), "ethernet-1/3") or {}).get("trunk-vlans") == [100]
                and trunk(fab.config("sw1"), "ethernet-1/1") is None
            ),
            what="the switch follows",
        )
