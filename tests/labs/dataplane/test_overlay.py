"""What the running config asks of Linux, and the kernel plan that gets
there (pure: no namespaces needed)."""

from __future__ import annotations

from labs.emulator.datastore import Datastore
from labs.emulator.linux import kernel
from labs.emulator.linux.kernel import Bridge, EnsureVlan, Ip, Link, Member, ReleaseVlan
from labs.emulator.linux.overlay import MacVrf, overlay
from labs.emulator.speccheck import load_config
from labs.emulator.txn import Op
from models.oc.path import Path
from tests.labs.emulator import ocdocs


def config(*replaces, deletes=()):
    ds = Datastore(load_config(ocdocs.day0(router_id="10.0.0.11"), name="sw1"))
    ops = [Op(kind="replace", path=Path.parse(p), value=v) for p, v in replaces]
    ops += [Op(kind="delete", path=Path.parse(p)) for p in deletes]
    ds.set(ops)
    return ds.config


def test_day0_asks_for_nothing():
    ov = overlay(config(), router_id="10.0.0.11")
    assert (dict(ov.vnis), dict(ov.trunks), dict(ov.access), dict(ov.macvrfs)) == ({}, {}, {}, {})


def test_the_profile_document_becomes_vni_members_and_macvrf():
    ov = overlay(
        config(*ocdocs.leaf_document(1111, 10, "ethernet-1/1"), ocdocs.trunk("ethernet-1/2", [10, 20, "30..32"])),
        router_id="192.0.2.1",
    )
    v = ov.vnis[1111]
    assert (v.vni, v.vlan, v.vtep, v.connection_point, v.endpoint) == (1111, 10, "10.0.0.11", "fabricd-vxlan", "vtep")
    assert ov.trunks == {"ethernet-1/1": frozenset({10}), "ethernet-1/2": frozenset({10, 20, 30, 31, 32})}
    assert ov.macvrfs == {1111: MacVrf(vni=1111, rd=None, imports=("65000:1111",), exports=("65000:1111",))}


def test_access_ports_disabled_ports_and_a_disabled_endpoint():
    access = (
        "/interfaces/interface[name=ethernet-1/3]/ethernet/switched-vlan",
        {"config": {"interface-mode": "ACCESS", "access-vlan": 10}},
    )
    down = ("/interfaces/interface[name=ethernet-1/4]/config/enabled", False)
    off = (f"{ocdocs.EP}/vxlan/config", {"enabled": False, "source-interface": "loopback0"})
    ov = overlay(config(*ocdocs.leaf_document(1111, 10), access, down), router_id="x")
    assert ov.access == {"ethernet-1/3": 10} and ov.disabled == {"ethernet-1/4"}
    assert overlay(config(*ocdocs.leaf_document(1111, 10), off), router_id="x").vnis == {}


def vx(vni, local="10.0.0.11", master=None, up=True, learning=False):
    return Link(name=f"vx{vni}", kind="vxlan", master=master, up=up, vni=vni, local=local, port=4789, learning=learning)


def br(vni, up=True):
    return Link(name=f"br{vni}", kind="bridge", master=None, up=up)


def port(name, master=None, up=True):
    return Link(name=name, kind="veth", master=master, up=up)


WANT = {
    1111: Bridge(vni=1111, vtep="10.0.0.11", members=frozenset({Member(port="e1-1", vlan=10), Member(port="e1-3")}))
}
PORTS = ("e1-1", "e1-3")


def test_plan_from_nothing_builds_bridge_vxlan_and_members():
    steps = kernel.plan(WANT, {"e1-1": port("e1-1"), "e1-3": port("e1-3")}, {}, ports=PORTS)
    assert kernel.describe(steps) == [
        "ip link add br1111 type bridge",
        "ip link add vx1111 type vxlan id 1111 local 10.0.0.11 dstport 4789 nolearning",
        "ip link set vx1111 mtu 9000",
        "ip link set vx1111 master br1111",
        "ip link set vx1111 type bridge_slave learning off",
        "ip link set vx1111 up",
        "ip link set br1111 up",
        "ensure VLAN 10 of e1-1 in br1111",
        "ip link set e1-3 master br1111",
    ]


def test_plan_is_empty_when_the_kernel_already_matches():
    links = {
        "br1111": br(1111),
        "vx1111": vx(1111, master="br1111"),
        "e1-1v10": port("e1-1v10", master="br1111"),
        "e1-1": port("e1-1"),
        "e1-3": port("e1-3", master="br1111"),
    }
    assert kernel.plan(WANT, links, {("e1-1", 10): "e1-1v10"}, ports=PORTS) == []


def test_plan_removes_what_the_config_no_longer_asks_for():
    links = {
        "br1111": br(1111),
        "vx1111": vx(1111, master="br1111"),
        "e1-1v10": port("e1-1v10", master="br1111"),
        "e1-3": port("e1-3", master="br1111"),
        "br7": br(7),
        "eth0": port("eth0"),
    }
    steps = kernel.plan({}, links, {("e1-1", 10): "e1-1v10"}, ports=PORTS)
    assert steps == [
        ReleaseVlan(port="e1-1", vlan=10),
        Ip(args=("link", "del", "br1111"), vni=1111),
        Ip(args=("link", "del", "br7"), vni=7),
        Ip(args=("link", "del", "vx1111"), vni=1111),
    ]


def test_plan_recreates_a_vxlan_device_with_the_wrong_source_and_fixes_port_state():
    links = {
        "br1111": br(1111, up=False),
        "vx1111": vx(1111, local="10.9.9.9", master="br1111"),
        "e1-1": port("e1-1", up=False),
        "e1-3": port("e1-3", master="br1111"),
        "e1-9": port("e1-9", master="br1111"),
    }
    steps = kernel.plan(WANT, links, {}, ports_down=["e1-3"], ports=PORTS)
    desc = kernel.describe(steps)
    assert desc[0] == "ip link del vx1111" and "ip link add vx1111 type vxlan id 1111 local 10.0.0.11" in desc[1]
    assert "ip link set br1111 up" in desc and "ip link set e1-9 nomaster" in desc
    assert EnsureVlan(port="e1-1", vlan=10, bridge="br1111", vni=1111) in steps
    assert desc[-2:] == ["ip link set e1-1 up", "ip link set e1-3 down"]


def test_desired_bridges_join_trunk_vlans_to_their_vni():
    got = kernel.desired_bridges(
        {1111: (10, "10.0.0.11"), 2222: (20, "10.0.0.11")}, {"e1-1": [10, 20, 30], "e1-2": [20]}, {"e1-4": 10}
    )
    assert got[1111].members == {Member(port="e1-1", vlan=10), Member(port="e1-4")}
    assert got[2222].members == {Member(port="e1-1", vlan=20), Member(port="e1-2", vlan=20)}


def test_parse_links_reads_ip_json():
    text = """[{"ifindex":5,"ifname":"vx1111","flags":["BROADCAST","UP"],"master":"br1111",
      "linkinfo":{"info_kind":"vxlan","info_data":{"id":1111,"local":"10.0.0.11","port":4789},
                  "info_slave_kind":"bridge","info_slave_data":{"learning":false}}},
      {"ifindex":6,"ifname":"e1-1","flags":["BROADCAST"],"linkinfo":{"info_kind":"veth"}}]"""
    links = kernel.parse_links(text)
    assert links["vx1111"] == vx(1111, master="br1111")
    assert links["e1-1"] == Link(name="e1-1", kind="veth", master=None, up=False)
