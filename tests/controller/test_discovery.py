"""Discovery against in-process emulators: the graph equals the lab's links,
LLDP changes update it, dropped streams come back, moved NICs take their
attachments along."""

from __future__ import annotations

import dataclasses
import time

import grpc
import pytest
from prometheus_client import CollectorRegistry

from controller.discovery.build import build
from controller.discovery.lldp import Discovery
from controller.gnmi.session import GnmiSession
from controller.metrics import Metrics
from controller.settings.inventory import load_inventory
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


def edges(service):
    return {(e.switch, e.port, e.node, e.nic) for e in service.topology.edge_links if not e.stale}


async def test_graph_equals_the_lab_links(tmp_path):
    async with lab_fabric(tmp_path, **LLDP) as fab, fab.controller() as st:
        want = expected_edges(fab.lab)
        await eventually(lambda: edges(st.service) == want, what="every edge link discovered")
        fabric = {(f.a.switch, f.a.port, f.b.switch, f.b.port) for f in st.service.topology.fabric_links}
        assert {(a, b) for a, _, b, _ in fabric} | {(b, a) for a, _, b, _ in fabric} >= {("sw1", "spine1")}
        assert len(fabric) == 2 and not any(f.one_sided for f in st.service.topology.fabric_links)


async def test_neighbour_removed_and_added_through_the_fault_hook(tmp_path):
    async with lab_fabric(tmp_path, **LLDP) as fab, fab.controller() as st:
        want = expected_edges(fab.lab)
        await eventually(lambda: edges(st.service) == want, what="discovered")
        fab.host["sw1"].faults.remove_lldp_neighbor("ethernet-1/2")
        await eventually(lambda: ("sw1", "ethernet-1/2", "server2", "eth1") not in edges(st.service), what="removed")
        fab.host["sw1"].faults.restore_lldp_neighbors("ethernet-1/2")
        await eventually(lambda: edges(st.service) == want, what="added back")


async def test_a_dropped_stream_is_re_established(tmp_path):
    async with lab_fabric(tmp_path, **LLDP) as fab, fab.controller() as st:
        await eventually(lambda: edges(st.service) == expected_edges(fab.lab), what="discovered")
        discovery = st.daemon.discovery
        before = discovery.state.sessions["sw1"].since
        t0 = time.time()
        assert fab.host["sw1"].faults.drop_streams() >= 1
        await eventually(
            lambda: discovery.state.sessions["sw1"].up and discovery.state.sessions["sw1"].since > max(before, t0 - 1),
            what="LLDP stream back up",
        )
        fab.host["sw1"].faults.remove_lldp_neighbor("ethernet-1/3")  # and it still streams changes
        await eventually(lambda: ("sw1", "ethernet-1/3", "server3", "eth1") not in edges(st.service), what="streaming")


async def test_a_moved_nic_takes_its_attachment_and_vlan_along(tmp_path):
    async with lab_fabric(tmp_path, **LLDP) as fab, fab.controller() as st, fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await eventually(lambda: edges(st.service) == expected_edges(fab.lab), what="discovered")
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
        placed = st.service.state.attachments
        await eventually(lambda: next(iter(placed.values())).placement.port == "ethernet-1/3", what="re-placed")
        assert next(iter(placed.values())).vlan == 100
        await eventually(
            lambda: (
                (trunk(fab.config("sw1"), "ethernet-1/3") or {}).get("trunk-vlans") == [100]
                and trunk(fab.config("sw1"), "ethernet-1/1") is None
            ),
            what="the switch follows",
        )


def fqdn_servers(specs, material):
    """Every server announces its FQDN as LLDP system name (as lldpd does on
    a host whose hostname is fully qualified)."""
    out = []
    for spec in specs:
        lldp = tuple(
            dataclasses.replace(n, system_name=f"{n.system_name}.lab.example")
            if n.system_name.startswith("server")
            else n
            for n in spec.lldp
        )
        out.append(dataclasses.replace(spec, lldp=lldp))
    return out


@pytest.mark.parametrize("strip", [True, False], ids=["identity-map", "no-map"])
async def test_servers_announcing_fqdns_place_pods_through_the_identity_map(tmp_path, strip):
    topo = {"mode": "lldp", "hold_time": "60s", "identity": {"strip_domain": strip}}
    async with (
        lab_fabric(tmp_path, specs_hook=fqdn_servers, topology=topo, port_map=None) as fab,
        fab.controller() as st,
        fab.channel() as ch,
    ):
        stub = fabric_pb2_grpc.FabricStub(ch)
        await eventually(lambda: len(edges(st.service)) == len(expected_edges(fab.lab)), what="discovered")
        await create_networks(stub, ("blue", 1111))
        if strip:
            assert edges(st.service) == expected_edges(fab.lab)  # node names, not FQDNs
            att = await stub.Attach(attach_req(node="server1"), timeout=30)
            assert (att.switch, att.port) == ("sw1", "ethernet-1/1")
        else:
            assert {node for _, _, node, _ in edges(st.service)} >= {"server1.lab.example"}
            with pytest.raises(grpc.aio.AioRpcError) as e:
                await stub.Attach(attach_req(node="server1"), timeout=30)
            assert e.value.code() == grpc.StatusCode.NOT_FOUND


class _BrokenStream:
    """A session whose stream fails with a bug (not a gNMI error) once."""

    def __init__(self, cfg, settings) -> None:
        del cfg, settings

    async def subscribe(self, paths, **kwargs):
        del paths, kwargs
        raise RuntimeError("a bug while reading the stream")
        yield  # an async generator, as the real one

    async def close(self) -> None:
        pass


async def test_a_bug_in_one_switch_stream_is_logged_counted_and_restarted(tmp_path):
    async with lab_fabric(tmp_path, **LLDP) as fab:
        inventory = load_inventory(tmp_path / "inventory.yml")
        metrics = Metrics(CollectorRegistry())
        broken: list[str] = []

        def sessions(cfg, settings):
            if cfg.name == "sw1" and not broken:
                broken.append(cfg.name)
                return _BrokenStream(cfg, settings)
            return GnmiSession(cfg, settings)

        snapshots = []
        discovery = Discovery(
            fab.settings,
            inventory,
            metrics,
            rebuild=lambda state, now: build(fab.settings, inventory, static=None, lldp=state.records(now)),
            publish=snapshots.append,
            session_factory=sessions,
        )
        discovery.start()
        try:
            await eventually(lambda: {"sw1", "sw2"} <= discovery.synced, what="both streams up, sw1 after its crash")
            assert broken == ["sw1"]
            assert metrics.task_crashes.labels("lldp")._value.get() == 1
            await eventually(lambda: snapshots and len(snapshots[-1].edge_links) > 0, what="a topology published")
        finally:
            await discovery.stop()
