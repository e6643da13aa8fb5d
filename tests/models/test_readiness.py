"""The pure side of readiness ``forwarding`` and the audit: the comparison,
each platform's reading of its operational state, the kernel's flood list."""

from __future__ import annotations

import json

from labs.emulator.linux.fdb import parse as parse_fdb
from models.audit import forwarding_findings, key_findings
from models.diff import SetOps
from models.ids import SwitchName
from models.oc.path import Path, parse
from models.platforms.base import port_key, vni_key
from models.platforms.oper import oper_paths, parse_oper
from models.readiness import LeafView, VniOper, describe, forwarding_gaps

S1, S2, S3 = SwitchName("sw1"), SwitchName("sw2"), SwitchName("sw3")


def view(name, vtep, vnis, oper, healthy=True):
    return LeafView(name=name, vtep=vtep, vnis=frozenset(vnis), healthy=healthy, oper=oper)


def fabric(sw1_floods, sw2_floods, *, sw3_healthy=True):
    return {
        S1: view(S1, "10.0.0.11", [7], {7: VniOper(up=True, floods=frozenset(sw1_floods))}),
        S2: view(S2, "10.0.0.12", [7], {7: VniOper(up=True, floods=frozenset(sw2_floods))}),
        S3: view(S3, "10.0.0.13", [7], None, healthy=sw3_healthy),
    }


def test_forwarding_needs_routes_both_ways_with_every_healthy_leaf():
    leaves = fabric({"10.0.0.12"}, {"10.0.0.11"}, sw3_healthy=False)
    assert forwarding_gaps(S1, 7, leaves) == []  # sw3 is not healthy: it never blocks
    leaves = fabric(set(), {"10.0.0.11"}, sw3_healthy=False)
    assert describe(forwarding_gaps(S1, 7, leaves)) == "sw1 has VNI 7 committed but no EVPN route from 10.0.0.12 (sw2)"
    leaves = fabric({"10.0.0.12"}, set(), sw3_healthy=False)
    gaps = forwarding_gaps(S1, 7, leaves)
    assert [(g.switch, g.peer) for g in gaps] == [("sw2", "sw1")]
    assert gaps[0].text == "sw2 has VNI 7 committed but no EVPN route from 10.0.0.11 (sw1)"
    # a healthy leaf whose state is not known yet blocks, and says so
    assert "sw3 has not reported" in describe(forwarding_gaps(S1, 7, fabric({"10.0.0.12"}, {"10.0.0.11"})))


def test_a_vni_that_is_not_up_says_why():
    leaves = {S1: view(S1, "10.0.0.11", [7], {7: VniOper(up=False, reason="cannot add vx7")})}
    assert describe(forwarding_gaps(S1, 7, leaves)) == "sw1 has VNI 7 committed but it is not up (cannot add vx7)"
    leaves = {S1: view(S1, "10.0.0.11", [7], None)}
    assert describe(forwarding_gaps(S1, 7, leaves)) == "sw1 has not reported its operational state yet"


def test_the_audit_names_each_missing_route_once():
    leaves = fabric(set(), set(), sw3_healthy=False)
    found = [(f.kind, f.switch, f.vni, f.peer) for f in forwarding_findings(leaves)]
    assert found == [("not-forwarding", "sw1", 7, "sw2"), ("not-forwarding", "sw2", 7, "sw1")]


def test_configuration_findings_by_kind():
    p = parse("/a")
    planned = {vni_key(1): SetOps(replaces=((p, 1),)), vni_key(2): SetOps(deletes=(p,)), port_key("e1"): SetOps()}
    current = {vni_key(2): {p: 1}, port_key("e1"): {p: 1}}
    desired = {vni_key(1): {p: 1}, vni_key(2): {}, port_key("e1"): {p: 2}}
    got = [(f.kind, f.vni, f.port) for f in key_findings("sw1", planned, current, desired)]
    assert sorted(got) == [("dangling", 2, ""), ("misconfigured", 0, "e1"), ("missing", 1, "")]


def test_openconfig_operational_state():
    ep = (
        "/network-instances/network-instance[name=default]/connection-points/connection-point[connection-point-id=vxlan]"
        "/endpoints/endpoint[endpoint-id=vtep]/vxlan"
    )
    leaves = {
        parse(f"{ep}/endpoint-vnis/endpoint-vni[vni=7]/state/vni-state"): "UP",
        parse(f"{ep}/endpoint-vnis/endpoint-vni[vni=8]/state/vni-state"): "DOWN",
        parse(f"{ep}/endpoint-vnis/endpoint-vni[vni=8]/state/dataplane-error"): "no VTEP",
        parse(f"{ep}/endpoint-peers/endpoint-peer[peer-address=10.0.0.12]/state/peer-state"): "UP",
        parse(f"{ep}/endpoint-peers/endpoint-peer[peer-address=10.0.0.13]/state/peer-state"): "DOWN",
    }
    assert parse_oper("openconfig", leaves) == {
        7: VniOper(up=True, floods=frozenset({"10.0.0.12"})),
        8: VniOper(up=False, floods=frozenset({"10.0.0.12"}), reason="no VTEP"),
    }
    assert all("state" in str(p) for p in oper_paths("openconfig"))


def test_srlinux_operational_state():
    vx = "/tunnel-interface[name=vxlan1]/vxlan-interface[index=7]"
    leaves: dict[Path, object] = {
        parse(f"{vx}/ingress/vni"): 7,
        parse(f"{vx}/oper-state"): "up",
        parse(f"{vx}/bridge-table/multicast-destinations/destination[vtep=10.0.0.12][vni=7]/vtep"): "10.0.0.12",
        parse("/tunnel-interface[name=vxlan1]/vxlan-interface[index=8]/ingress/vni"): 8,
    }
    assert parse_oper("srlinux", leaves) == {
        7: VniOper(up=True, floods=frozenset({"10.0.0.12"})),
        8: VniOper(up=False),
    }
    # narrow: never a whole vxlan-interface (its statistics move)
    assert all(str(p).rsplit("/", 1)[-1] in ("vni", "oper-state", "vtep") for p in oper_paths("srlinux"))


def test_the_kernel_flood_list_is_the_all_zero_mac_entries():
    fdb = [
        {"mac": "00:00:00:00:00:00", "ifname": "vx1111", "dst": "10.0.0.12", "flags": ["self"], "state": "permanent"},
        {"mac": "00:00:00:00:00:00", "ifname": "vx1111", "dst": "10.0.0.13", "flags": ["self"], "state": "permanent"},
        {"mac": "7a:f6:db:01:38:ba", "ifname": "vx1111", "dst": "10.0.0.12", "flags": ["self", "extern_learn"]},
        {"mac": "02:e2:9b:f2:3d:dd", "ifname": "vx2222", "master": "br2222", "state": "permanent"},
        {"mac": "00:00:00:00:00:00", "ifname": "eth1", "dst": "10.0.0.12"},
    ]
    assert parse_fdb(json.dumps(fdb)) == {1111: frozenset({"10.0.0.12", "10.0.0.13"})}
    assert parse_fdb("") == {} and parse_fdb("not json") == {}
