"""The ``srlinux`` renderer: what fabricd owns on an SR Linux leaf (and
recognises by name), what it leaves alone, conflicts, removal, drift."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.fabric_state import FabricState
from models.ids import NicName, NodeName, PortName, SwitchName, Vni
from models.intent import Attachment, AttachmentId, Network, Placement
from models.oc.path import parse
from models.oc.tree import Tree
from models.platforms.base import LeafInfo, port_key, port_vni_key, vni_key
from models.platforms.profile import SRLINUX
from models.platforms.registry import renderer
from models.platforms.srlinux import RENDERER
from models.platforms.srlinux_objects import (
    TUNNEL,
    is_ours,
    macvrf_path,
    subif_path,
    subif_value,
    tagging_path,
    vxlan_path,
)
from models.settings import parse_fabric_settings
from tests.models.device_sim import Device

SW1 = SwitchName("leaf1")
LEAF = LeafInfo(name=SW1, platform="srlinux", router_id="10.0.0.11", asn=65001)
P1, P2, P3 = (PortName(f"ethernet-1/{i}") for i in (1, 2, 3))
NETS = [Network(namespace="default", name=n, vni=Vni(v)) for n, v in (("blue", 1111), ("green", 2222), ("red", 3333))]
IF, NI, TI = (
    "srl_nokia-interfaces:interface",
    "srl_nokia-network-instance:network-instance",
    "srl_nokia-tunnel-interfaces:tunnel-interface",
)


def att(pod: str, net: Network, nic: str = "eth1") -> Attachment:
    return Attachment(
        id=AttachmentId(pod_namespace="default", pod_name=pod, pod_uid=pod, network=net.key, interface="net1"),
        container_id=f"c-{pod}",
        node=NodeName("server1"),
        nic=NicName(nic),
    )


def day0(*ports: str, extra: dict | None = None, vxlan: list | None = None) -> dict:
    doc = {
        IF: [{"name": p, "admin-state": "enable"} for p in ports or (P1, P2, P3)],
        TI: [{"name": TUNNEL, **({"vxlan-interface": vxlan} if vxlan else {})}],
    }
    for key, entries in (extra or {}).items():
        doc[key] = [*doc.get(key, []), *entries]
    return doc


def fabric(config: dict | None = None, fabric_settings: dict | None = None) -> tuple[FabricState, Device]:
    state = FabricState(parse_fabric_settings(fabric_settings))
    for n in NETS:
        state.create_network(n)
    device = Device(LEAF, config or day0())
    device.sync(state)
    return state, device


def attach(state: FabricState, device: Device, pod: str, net: Network, port: PortName):
    ops = device.sync(state, state.attach(att(pod, net), Placement(SW1, port)).dirty.get(SW1, set()))
    assert not device.sync(state), "a full pass after an attach found more to do"
    return ops


def detach(state: FabricState, device: Device, pod: str, net: Network):
    ops = device.sync(state, state.detach(att(pod, net).id).dirty.get(SW1, set()))
    assert not device.sync(state), "a full pass after a detach found more to do"
    return ops


def node(device: Device, path: str):
    return device.tree.get(parse(path))


def test_the_platform_is_registered_with_its_data():
    assert renderer("srlinux") is RENDERER
    assert SRLINUX.gnmi_port == 57400
    assert SRLINUX.lldp is not None and SRLINUX.lldp.subscribe == "/system/lldp/interface[name=*]/neighbor[id=*]"
    assert SRLINUX.port_names("e1-1").oc == "ethernet-1/1"
    assert RENDERER.base(LEAF, parse_fabric_settings(None)) == {}  # day-0 is not fabricd's


def test_the_drift_watch_subscribes_to_leaves_below_lists_never_to_whole_subtrees():
    for path in RENDERER.watch_paths():
        assert len(path.elems) >= 2, path
        assert path.elems[-1].name not in ("interface", "subinterface", "network-instance", "statistics"), path
        assert not any(e.name in ("statistics", "oper-state", "bridge-table", "mac-table") for e in path.elems)


def test_one_vni_on_one_port():
    state, device = fabric()
    attach(state, device, "a", NETS[0], P1)
    assert node(device, "/interface[name=ethernet-1/1]/vlan-tagging") is True
    sub = node(device, "/interface[name=ethernet-1/1]/subinterface[index=100]")
    assert sub["description"] == "fabricd" and sub["vlan"] == {"encap": {"single-tagged": {"vlan-id": 100}}}
    ni = node(device, "/network-instance[name=fabricd-vni-1111]")
    assert [e["name"] for e in ni["interface"].values()] == ["ethernet-1/1.100"]
    assert [e["name"] for e in ni["vxlan-interface"].values()] == ["vxlan1.1111"]
    vpn = ni["protocols"]["bgp-vpn"]["bgp-instance"][("1",)]
    assert vpn["route-target"] == {"export-rt": "target:65000:1111", "import-rt": "target:65000:1111"}
    assert "route-distinguisher" not in vpn  # automatic
    assert node(device, "/tunnel-interface[name=vxlan1]/vxlan-interface[index=1111]/ingress") == {"vni": 1111}


def test_explicit_route_distinguisher():
    state, device = fabric(fabric_settings={"evpn": {"route_distinguisher": "explicit"}})
    attach(state, device, "a", NETS[0], P1)
    rd = node(device, "/network-instance[name=fabricd-vni-1111]/protocols/bgp-vpn/bgp-instance[id=1]")
    assert rd["route-distinguisher"] == {"rd": "10.0.0.11:1"}


def test_a_vni_lists_exactly_its_ports_and_removal_is_the_inverse():
    state, device = fabric()
    start = copy.deepcopy(device.config())
    attach(state, device, "a", NETS[0], P1)
    attach(state, device, "b", NETS[0], P2)
    members = node(device, "/network-instance[name=fabricd-vni-1111]/interface")
    assert sorted(e["name"] for e in members.values()) == ["ethernet-1/1.100", "ethernet-1/2.100"]
    ops = detach(state, device, "a", NETS[0])
    assert set(ops.deletes) == {subif_path(P1, 100), tagging_path(P1)}
    assert [p for p, _ in ops.replaces] == [macvrf_path(1111)]  # the mac-vrf without ethernet-1/1.100
    ops = detach(state, device, "b", NETS[0])
    assert set(ops.deletes) == {subif_path(P2, 100), tagging_path(P2), macvrf_path(1111), vxlan_path(1111)}
    assert not ops.replaces
    assert Tree.from_json(device.config()).to_json() == Tree.from_json(start).to_json()
    assert state.leaves[SW1].vlans.allocations() == []  # confirmed removed: the VLAN is free


def test_others_objects_are_not_fabricds():
    user = {
        IF: [
            {
                "name": "ethernet-1/5",
                "srl_nokia-interfaces-vlans:vlan-tagging": True,
                "subinterface": [
                    {"index": 100, "type": "srl_nokia-interfaces:bridged", "description": "theirs"},
                ],
            }
        ],
        NI: [
            {"name": "red", "type": "srl_nokia-network-instance:mac-vrf", "vxlan-interface": [{"name": "vxlan1.2222"}]},
            {"name": "fabricd-vni-3333", "type": "srl_nokia-network-instance:mac-vrf"},
        ],
    }
    state = FabricState(parse_fabric_settings(None))
    device = Device(LEAF, day0(extra=user, vxlan=[{"index": 2222, "type": "srl_nokia-interfaces:bridged"}]))
    current = device.current(state)
    # the user's vxlan1.2222 (listed by their mac-vrf) is not fabricd's; a fabricd-named mac-vrf is;
    # every port with tagging or subinterfaces is read (someone else's may block a VLAN)
    assert set(current) == {port_key("ethernet-1/5"), vni_key(3333)}
    assert set(current[vni_key(3333)]) == {macvrf_path(3333)}
    assert not is_ours(current[port_key("ethernet-1/5")][subif_path("ethernet-1/5", 100)])
    device.sync(state)  # connect: the fabricd-named mac-vrf nobody wants goes, nothing else
    assert node(device, "/network-instance[name=fabricd-vni-3333]") is None
    assert node(device, "/network-instance[name=red]") is not None
    assert node(device, "/tunnel-interface[name=vxlan1]/vxlan-interface[index=2222]") is not None
    assert node(device, "/interface[name=ethernet-1/5]/subinterface[index=100]") is not None


@pytest.mark.parametrize(
    ("theirs", "why"),
    [
        (
            {"index": 100, "srl_nokia-interfaces-vlans:vlan": {"encap": {"single-tagged": {"vlan-id": 7}}}},
            "subinterface ethernet-1/1.100 is configured outside fabricd",
        ),
        (
            {"index": 7, "srl_nokia-interfaces-vlans:vlan": {"encap": {"single-tagged": {"vlan-id": 100}}}},
            "subinterface ethernet-1/1.7, configured outside fabricd, carries it",
        ),
        (
            {
                "index": 7,
                "srl_nokia-interfaces-vlans:vlan": {
                    "encap": {"single-tagged-range": {"low-vlan-id": [{"range-low-vlan-id": 90, "high-vlan-id": 100}]}}
                },
            },
            "subinterface ethernet-1/1.7, configured outside fabricd, carries it",
        ),
    ],
)
def test_a_colliding_subinterface_blocks_that_vlan_only(theirs, why):
    port = {
        "name": P1,
        "srl_nokia-interfaces-vlans:vlan-tagging": True,
        "subinterface": [{"type": "srl_nokia-interfaces:bridged", **theirs}],
    }
    config = day0(P2, P3, extra={IF: [port]})
    state, device = fabric(config)
    before = copy.deepcopy(node(device, f"/interface[name={P1}]"))
    attach(state, device, "a", NETS[0], P1)  # VLAN 100: blocked on ethernet-1/1
    assert why in device.conflicts[port_vni_key(P1, 1111)]
    assert node(device, f"/interface[name={P1}]") == before  # never overwritten
    assert node(device, "/network-instance[name=fabricd-vni-1111]") is None  # no empty mac-vrf
    attach(state, device, "b", NETS[0], P2)  # the same VNI behind a free port works
    members = node(device, "/network-instance[name=fabricd-vni-1111]/interface")
    assert [e["name"] for e in members.values()] == ["ethernet-1/2.100"]
    attach(state, device, "c", NETS[1], P1)  # VLAN 101 is free on ethernet-1/1
    assert is_ours(node(device, f"/interface[name={P1}]/subinterface[index=101]"))
    assert port_vni_key(P1, 2222) not in device.conflicts
    detach(state, device, "c", NETS[1])
    assert node(device, f"/interface[name={P1}]") == before  # vlan-tagging stays: theirs needs it


def test_an_untagged_port_with_others_subinterfaces_blocks_every_vlan():
    port = {"name": P1, "subinterface": [{"index": 0, "ipv4": {"admin-state": "enable"}}]}
    state, device = fabric(day0(P2, P3, extra={IF: [port]}))
    attach(state, device, "a", NETS[0], P1)
    assert "vlan-tagging off" in device.conflicts[port_vni_key(P1, 1111)]
    assert node(device, f"/interface[name={P1}]/vlan-tagging") is None


def test_the_conflict_clears_when_the_other_subinterface_goes():
    port = {"name": P1, "srl_nokia-interfaces-vlans:vlan-tagging": True, "subinterface": [{"index": 100}]}
    state, device = fabric(day0(P2, P3, extra={IF: [port]}))
    attach(state, device, "a", NETS[0], P1)
    assert port_vni_key(P1, 1111) in device.conflicts
    device.tree.delete(subif_path(P1, 100))  # the operator removes theirs
    device.sync(state)  # the drift watch's verification pass
    assert not device.conflicts
    assert is_ours(node(device, f"/interface[name={P1}]/subinterface[index=100]"))
    assert node(device, "/network-instance[name=fabricd-vni-1111]") is not None


def test_park_and_unpark():
    state, device = fabric(fabric_settings={"ports": {"when_empty": "park", "park_vlan": 4000}})
    attach(state, device, "a", NETS[0], P1)
    detach(state, device, "a", NETS[0])
    parked = node(device, f"/interface[name={P1}]/subinterface[index=4000]")
    assert parked["vlan"] == {"encap": {"untagged": {}}} and is_ours(parked)
    assert node(device, f"/interface[name={P1}]/vlan-tagging") is True
    assert node(device, f"/interface[name={P2}]/subinterface[index=4000]") is None  # never fabricd's: untouched
    attach(state, device, "b", NETS[1], P1)
    assert node(device, f"/interface[name={P1}]/subinterface[index=4000]") is None
    assert is_ours(node(device, f"/interface[name={P1}]/subinterface[index=100]"))


def test_drift_is_repaired_by_a_full_pass():
    state, device = fabric()
    attach(state, device, "a", NETS[0], P1)
    device.tree.delete(macvrf_path(1111))  # out of band; vxlan1.1111 is now listed by nothing
    device.tree.replace(parse(f"/interface[name={P1}]/subinterface[index=100]/admin-state"), "disable")
    ops = device.sync(state)
    assert {p for p, _ in ops.replaces} == {macvrf_path(1111), vxlan_path(1111), subif_path(P1, 100)}
    assert not device.sync(state)


def test_device_values_compare_by_the_leaves_fabricd_writes():
    """Defaults left out, identities without their module, extra defaults the
    box reports: the same object."""
    mine = subif_value(100)
    theirs = {
        "index": 100,
        "type": "bridged",
        "description": "fabricd",
        "vlan": {"encap": {"single-tagged": {"vlan-id": 100}}},
    }
    path = subif_path(P1, 100)
    assert RENDERER.normalize(path, mine) == RENDERER.normalize(path, theirs)
    vx = {
        "index": 1,
        "type": "srl_nokia-interfaces:bridged",
        "ingress": {"vni": 1},
        "egress": {"source-ip": "use-system-ipv4-address"},
    }
    assert RENDERER.normalize(vxlan_path(1), vx) == RENDERER.normalize(
        vxlan_path(1), {"type": "bridged", "ingress": {"vni": 1}}
    )
    assert RENDERER.normalize(tagging_path(P1), "true") == RENDERER.normalize(tagging_path(P1), True)


# -------------------------------------------------------------- property

ops_strategy = st.lists(
    st.tuples(st.sampled_from(["attach", "detach"]), st.integers(0, 5), st.integers(0, 2), st.integers(0, 2)),
    max_size=25,
)


def invariants(device: Device) -> None:
    """Every fabricd mac-vrf lists one existing vxlan-interface and only
    existing fabricd subinterfaces; no fabricd vxlan-interface is orphaned."""
    tree = device.tree
    listed = set()
    for ni in (tree.root.get("network-instance") or {}).values():
        if not ni["name"].startswith("fabricd-vni-"):
            continue
        members = [e["name"] for e in (ni.get("interface") or {}).values()]
        assert members, f"{ni['name']} is an empty mac-vrf"
        for m in members:
            port, _, index = m.rpartition(".")
            assert is_ours(tree.get(subif_path(port, int(index)))), f"{ni['name']} lists {m}"
        (vx,) = [e["name"] for e in ni["vxlan-interface"].values()]
        assert tree.get(vxlan_path(int(vx.rpartition(".")[2]))) is not None
        listed.add(vx)
    for vx in (tree.get(parse("/tunnel-interface[name=vxlan1]/vxlan-interface")) or {}).values():
        assert f"vxlan1.{vx['index']}" in listed, f"orphan vxlan1.{vx['index']}"


@settings(deadline=None, max_examples=40)
@given(ops_strategy)
def test_random_attach_detach_sequences_converge(seq):
    theirs = {
        "name": "ethernet-1/3",
        "srl_nokia-interfaces-vlans:vlan-tagging": True,
        "subinterface": [{"index": 101, "description": "theirs"}],
    }
    state, device = fabric(day0(P1, P2, extra={IF: [theirs]}))
    for op, pod, net, port in seq:
        a = att(f"p{pod}", NETS[net], nic=f"eth{port}")
        if op == "attach":
            r = state.attach(a, Placement(SW1, PortName(f"ethernet-1/{port + 1}")))
        else:
            r = state.detach(a.id)
        device.sync(state, r.dirty.get(SW1, set()))
        assert not device.sync(state), "a full pass after an incremental one must find nothing to do"
        invariants(device)
        assert node(device, "/interface[name=ethernet-1/3]/subinterface[index=101]") == {
            "index": 101,
            "description": "theirs",
        }
    for a in list(state.attachments):
        device.sync(state, state.detach(a).dirty.get(SW1, set()))
    assert not [k for k in device.current(state) if k.kind == "vni"]
    assert not any(is_ours(v) for objs in device.current(state).values() for v in objs.values() if isinstance(v, dict))
