"""fabricd managing an SR Linux leaf end to end, against the switch
emulator's srlinux profile in process (TLS, password, module-qualified
paths, one commit per Set checked by the box's rules, Nokia's YANG on every
commit when the models are present, counters that never stop moving): LLDP
discovery from the native state paths, attach, restart with no Set, drift
reverted, a drift watch that hears nothing of the counters, conflicts with
the user's subinterfaces, a refused commit reported per key, and detach
leaving nothing fabricd owns."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml

from labs.emulator import Emulator, EmulatorHost
from labs.emulator.srlinux.state import FRAMES_PER_TICK
from labs.emulator.txn import Op
from labs.files.spec import Credentials, LldpNeighborSpec, ServerTls, SwitchSpec
from labs.run.certs import create_ca, issue_server_cert
from models.oc.path import Path as GnmiPath
from models.oc.tree import Tree
from models.platforms.srlinux_objects import is_ours
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import FAST, attach_req, create_networks, eventually
from tests.models import srl_yang
from tests.stack import Stack, settings, stack
from tests.thirdparty import SRL_YANG

pytestmark = pytest.mark.slow

USER, PASSWORD = "admin", "NokiaSrl1!"
IF, NI, TI = (
    "srl_nokia-interfaces:interface",
    "srl_nokia-network-instance:network-instance",
    "srl_nokia-tunnel-interfaces:tunnel-interface",
)
#: day-0 of leaf1 with the user's own service on ethernet-1/2 (subinterface .5
#: in their mac-vrf user-red) and a routed uplink
DAY0 = {
    IF: [
        {"name": "ethernet-1/1", "admin-state": "enable"},
        {
            "name": "ethernet-1/2",
            "admin-state": "enable",
            "srl_nokia-interfaces-vlans:vlan-tagging": True,
            "subinterface": [
                {
                    "index": 5,
                    "type": "srl_nokia-interfaces:bridged",
                    "srl_nokia-interfaces-vlans:vlan": {"encap": {"single-tagged": {"vlan-id": 5}}},
                },
                {
                    "index": 100,
                    "type": "srl_nokia-interfaces:bridged",
                    "srl_nokia-interfaces-vlans:vlan": {"encap": {"single-tagged": {"vlan-id": 300}}},
                },
            ],
        },
        {"name": "ethernet-1/3", "admin-state": "enable"},
        {
            "name": "ethernet-1/49",
            "admin-state": "enable",
            "subinterface": [
                {"index": 0, "ipv4": {"admin-state": "enable", "address": [{"ip-prefix": "10.1.1.1/31"}]}}
            ],
        },
    ],
    TI: [{"name": "vxlan1"}],
    NI: [
        {
            "name": "user-red",
            "type": "srl_nokia-network-instance:mac-vrf",
            "interface": [{"name": "ethernet-1/2.5"}, {"name": "ethernet-1/2.100"}],
        }
    ],
}
NEIGHBOURS = {
    "ethernet-1/1": ("00:00:00:00:01:01", "server1", "eth1"),
    "ethernet-1/2": ("00:00:00:00:02:01", "server2", "eth1"),
    "ethernet-1/3": ("00:00:00:00:03:01", "server3", "eth1"),
}


def canonical(config: Any) -> Any:
    return Tree.from_json(config).to_json()


def owned(config: Any) -> list[str]:
    """fabricd's objects in a whole configuration (by its naming scheme)."""
    tree = Tree.from_json(config)
    found = [f"mac-vrf {n['name']}" for n in (tree.root.get("network-instance") or {}).values()]
    found = [f for f in found if "fabricd-vni-" in f]
    for t in (tree.root.get("tunnel-interface") or {}).values():
        found += [f"vxlan-interface {t['name']}.{v['index']}" for v in (t.get("vxlan-interface") or {}).values()]
    for i in (tree.root.get("interface") or {}).values():
        found += [
            f"subinterface {i['name']}.{s['index']}" for s in (i.get("subinterface") or {}).values() if is_ours(s)
        ]
    return found


def config(emu: Emulator, path: str) -> Any:
    return emu.datastore.config.get(GnmiPath.parse(path))


@contextlib.asynccontextmanager
async def srl_fabric(tmp: Path, *, tls: str = "ca", **raw: Any) -> AsyncIterator[tuple[Emulator, Any]]:
    ca = create_ca("srl test CA")
    cert = issue_server_cert(ca, "leaf1")
    spec = SwitchSpec(
        name="leaf1",
        platform="srlinux",
        role="leaf",
        ports=("ethernet-1/1", "ethernet-1/2", "ethernet-1/3", "ethernet-1/49"),
        day0=DAY0,
        lldp=tuple(
            LldpNeighborSpec(local_port=port, system_name=system, port_id=port_id, chassis_id=chassis)
            for port, (chassis, system, port_id) in NEIGHBOURS.items()
        ),
        tls=ServerTls(cert_pem=cert.cert_pem, key_pem=cert.key_pem),
        credentials=Credentials(username=USER, password=PASSWORD),
        # Nokia's YANG on every commit where the models are: as strict as it gets
        validate="full" if SRL_YANG.path().exists() else "fast",
    )
    async with EmulatorHost.start([spec]) as host:
        t = host["leaf1"]
        (tmp / "ca.pem").write_bytes(ca.cert_pem)
        (tmp / "password").write_text(PASSWORD)
        entry: dict[str, Any] = {
            "address": t.address,
            "platform": "srlinux",
            "role": "leaf",
            "asn": 65001,
            "router_id": "10.0.0.11",
            "credentials": {"username": USER, "password_file": "password"},
            "tls": {"ca_file": "ca.pem", "server_name": "leaf1"} if tls == "ca" else {"skip_verify": True},
        }
        (tmp / "inventory.yml").write_text(yaml.safe_dump({"version": 1, "switches": {"leaf1": entry}}))
        doc = {
            **FAST,
            "inventory": str(tmp / "inventory.yml"),
            "port_map": None,
            "topology": {"mode": "lldp", "hold_time": "60s"},
            **raw,
        }
        yield t, settings(tmp, **doc)


def worker(st: Stack):
    return st.service.fleet.get("leaf1")


#: what a tick of the emulator's counters adds to a port's in-octets
MOVE = FRAMES_PER_TICK * 1500


def _drift(st: Stack) -> float:
    return float(st.service.metrics.drift_events.labels("leaf1")._value.get())


def _octets(emu: Emulator) -> int:
    return int(emu.datastore.state.get(GnmiPath.parse("/interface[name=ethernet-1/1]/statistics/in-octets")) or 0)


async def test_an_srlinux_leaf_from_connect_to_detach(tmp_path):
    async with srl_fabric(tmp_path) as (target, s):
        async with stack(s) as st, grpc.aio.insecure_channel(st.address) as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            await eventually(lambda: worker(st).status().known, what="connected and resynced")
            assert target.counters().set == 0  # day-0 and the user's objects: nothing of fabricd's to do
            await eventually(
                lambda: (
                    {(e.port, e.node, e.nic) for e in st.service.topology.edge_links}
                    >= {("ethernet-1/1", "server1", "eth1"), ("ethernet-1/2", "server2", "eth1")}
                ),
                what="LLDP neighbours discovered from /system/lldp",
            )
            await create_networks(stub, ("blue", 1111), ("green", 2222))
            a = await stub.Attach(attach_req("pod-a", node="server1", container="ca"), timeout=30)
            assert (a.switch, a.port, a.vlan) == ("leaf1", "ethernet-1/1", 100)
            assert a.state == fabric_pb2.ATTACHMENT_STATE_READY
            members = config(target, "/network-instance[name=fabricd-vni-1111]/interface")
            assert [m["name"] for m in members.values()] == ["ethernet-1/1.100"]

            # blue's VLAN 100 on ethernet-1/2: the user's subinterface .100 holds that index
            with pytest.raises(grpc.aio.AioRpcError) as e:
                await stub.Attach(attach_req("pod-b", node="server2", container="cb"), timeout=30)
            assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert "subinterface ethernet-1/2.100 is configured outside fabricd" in e.value.details()
            # green's VLAN 101 lands beside the user's subinterfaces
            c = await stub.Attach(attach_req("pod-c", "green", node="server2", container="cc"), timeout=30)
            assert (c.port, c.vlan, c.state) == ("ethernet-1/2", 101, fabric_pb2.ATTACHMENT_STATE_READY)
            if SRL_YANG.path().exists():
                assert srl_yang.validate(target.config_json()).ok

            # the counters move all the time; the drift watch, on configuration leaves, hears none of it
            await eventually(lambda: worker(st).status().in_sync, what="in sync")
            gets, streamed, drift = target.counters().get, target.streamed, _drift(st)
            octets = _octets(target)
            await eventually(lambda: _octets(target) >= octets + 3 * MOVE, what="the counters moving three times")
            assert (target.counters().get, target.streamed, _drift(st)) == (gets, streamed, drift)

            # drift: the operator deletes fabricd's mac-vrf; the drift watch (config leaves) sees it
            target.datastore.set([Op(kind="delete", path=GnmiPath.parse("/network-instance[name=fabricd-vni-2222]"))])
            await eventually(
                lambda: config(target, "/network-instance[name=fabricd-vni-2222]") is not None, what="reverted"
            )
            assert _drift(st) >= 1
            await eventually(lambda: worker(st).status().in_sync, what="in sync")
            sets = target.counters().sets_committed

        async with stack(s) as st, grpc.aio.insecure_channel(st.address) as ch:
            await eventually(lambda: worker(st).status().in_sync, what="resynced after a restart")
            assert target.counters().sets_committed == sets  # a restart on the same store sends no Set
            stub = fabric_pb2_grpc.FabricStub(ch)
            for pod, container, net in (("pod-a", "ca", "blue"), ("pod-b", "cb", "blue"), ("pod-c", "cc", "green")):
                req = fabric_pb2.DetachRequest(id=attach_req(pod, net).id, container_id=container)
                assert (await stub.Detach(req, timeout=10)).removed
            await eventually(lambda: not owned(target.config_json()), what="nothing of fabricd's left")
            assert canonical(target.config_json()) == canonical(DAY0)  # and nothing else touched
            await eventually(lambda: not st.service.state.leaves["leaf1"].vlans.allocations(), what="VLANs freed")
    assert target.counters().sets_rejected == 0  # every commit passed the box's checks (and Nokia's YANG)


async def test_a_refused_commit_is_reported_per_key(tmp_path):
    """A port the box does not have (a port-map typo): the commit is refused
    with its reason; that attachment reports it, others are not held back."""
    (tmp_path / "portmap.yml").write_text("server1/eth1: leaf1/ethernet-1/1\nserver3/eth1: leaf1/ethernet-1/60\n")
    topo = {"mode": "static"}
    fabric = srl_fabric(tmp_path, topology=topo, port_map=str(tmp_path / "portmap.yml"))
    async with fabric as (target, s), stack(s) as st, grpc.aio.insecure_channel(st.address) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await eventually(lambda: worker(st).status().known, what="connected")
        await create_networks(stub, ("blue", 1111), ("green", 2222))
        with pytest.raises(grpc.aio.AioRpcError) as e:
            await stub.Attach(attach_req("pod-x", "green", node="server3", container="cx"), timeout=30)
        assert e.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "leaf1 rejected the configuration" in e.value.details()
        assert "interface ethernet-1/60 does not exist on this platform" in e.value.details()
        a = await stub.Attach(attach_req("pod-a", node="server1", container="ca"), timeout=30)
        assert a.state == fabric_pb2.ATTACHMENT_STATE_READY
        assert config(target, "/interface[name=ethernet-1/60]") is None
        assert worker(st).status().rejected >= 1


async def test_skip_verify_connects_to_a_switch_whose_ca_fabricd_lacks(tmp_path, caplog):
    """Stated in the inventory, and said loudly: the switch's certificate is
    taken as presented."""
    caplog.set_level(logging.WARNING, logger="fabricd")
    async with srl_fabric(tmp_path, tls="skip-verify") as (target, s), stack(s) as st:
        await eventually(lambda: worker(st).status().known, what="connected without the CA")
        assert target.counters().get > 0
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("tls.verify.skipped" in m for m in said) and any("inventory.tls_skip_verify" in m for m in said)
