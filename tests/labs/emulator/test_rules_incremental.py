"""The emulator checks a Set's rules only where the Set can have broken
something (:func:`labs.emulator.rules.check_rules` with anchors and deleted
leaves): on random Set sequences it answers exactly what the whole-
configuration check answers (hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labs.emulator.rules import check_rules
from labs.emulator.rules_index import RuleIndex
from labs.emulator.txn import Op, apply_all
from models.oc.path import Path, parse
from models.oc.tree import Tree

NIS = ["default", "fabricd-vni-1", "fabricd-vni-2", "blue"]
EPS = ["vtep", "ep2"]
CPS = ["fabricd-vxlan", "cp2"]
VLANS = [10, 20, 30]
BDS = [*VLANS, 40]  # 40 is no VLAN until a Set makes it one
VNIS = [1001, 1002, 1003]
PORTS = ["ethernet-1/1", "ethernet-1/2", "ethernet-1/3"]


def _ni(name: str) -> str:
    return f"/network-instances/network-instance[name={name}]"


def _ep(ni: str, cp: str, ep: str) -> str:
    return (
        f"{_ni(ni)}/connection-points/connection-point[connection-point-id={cp}]/endpoints/endpoint[endpoint-id={ep}]"
    )


names = st.sampled_from(NIS)
#: mostly what a valid configuration holds, so that Sets are accepted and
#: later ones can break what earlier ones built
refs = st.sampled_from(["default", "default", "default", "blue", "fabricd-vni-1", "nowhere"])
ep_refs = st.sampled_from(["vtep", "vtep", "vtep", "ep2"])
services = st.sampled_from(["openconfig-evpn-types:VLAN_BASED", "VLAN_BASED", "VLAN_BUNDLE", "VLAN_AWARE"])
types = st.sampled_from(["L2VSI", "L2VSI", "openconfig-network-instance-types:L3VRF", "DEFAULT_INSTANCE"])


@st.composite
def evpn_instance(draw: Any) -> dict[str, Any]:
    evi = str(draw(st.integers(1, 2)))
    vx: dict[str, Any] = {}
    often = st.integers(0, 4)
    if draw(often):
        vx["vni"] = draw(st.sampled_from(VNIS))
    if draw(often):
        vx["overlay-endpoint-network-instance"] = draw(refs)
    if draw(often):
        vx["overlay-endpoint"] = draw(ep_refs)
    cfg: dict[str, Any] = {"evi": evi}
    if draw(often):
        cfg["service-type"] = draw(services)
    return {"evi": evi, "config": cfg, "vxlan": {"config": vx}}


@st.composite
def network_instance(draw: Any, name: str) -> dict[str, Any]:
    ni: dict[str, Any] = {"name": name, "config": {"name": name}}
    if draw(st.integers(0, 4)):
        ni["config"]["type"] = draw(types)
    if draw(st.booleans()):
        ni["evpn"] = {"evpn-instances": {"evpn-instance": draw(st.lists(evpn_instance(), max_size=2, unique_by=_evi))}}
    if draw(st.booleans()):
        ni["vlans"] = {
            "vlan": [{"vlan-id": v, "config": {"vlan-id": v}} for v in draw(st.sets(st.sampled_from(VLANS)))]
        }
    if draw(st.booleans()):
        ni["connection-points"] = {
            "connection-point": [draw(connection_point(cp)) for cp in draw(st.sets(st.sampled_from(CPS)))]
        }
    return ni


def _evi(x: dict[str, Any]) -> str:
    return str(x["evi"])


@st.composite
def connection_point(draw: Any, cp: str) -> dict[str, Any]:
    eps = []
    for ep in draw(st.sets(st.sampled_from(EPS))):
        levnis = [draw(levni(v)) for v in draw(st.sets(st.sampled_from(VNIS)))]
        eps.append(
            {
                "endpoint-id": ep,
                "config": {"endpoint-id": ep},
                "vxlan": {"local-endpoint-vnis": {"local-endpoint-vni": levnis}},
            }
        )
    return {"connection-point-id": cp, "config": {"connection-point-id": cp}, "endpoints": {"endpoint": eps}}


@st.composite
def levni(draw: Any, vni: int) -> dict[str, Any]:
    return {"vni": vni, "config": {"vni": vni, "bridge-domain": draw(st.sampled_from(BDS))}}


@st.composite
def interface(draw: Any, name: str) -> dict[str, Any]:
    iface: dict[str, Any] = {"name": name}
    if draw(st.booleans()):
        iface["config"] = {"name": name}
    if draw(st.booleans()):
        cfg: dict[str, Any] = {}
        if draw(st.booleans()):
            cfg["interface-mode"] = draw(st.sampled_from(["TRUNK", "ACCESS"]))
        if draw(st.booleans()):
            cfg["trunk-vlans"] = sorted(draw(st.sets(st.sampled_from(VLANS))))
        if draw(st.booleans()):
            cfg["access-vlan"] = draw(st.sampled_from(VLANS))
        iface["ethernet"] = {"switched-vlan": {"config": cfg}}
    return iface


@st.composite
def op(draw: Any) -> Op:
    """One op somewhere a rule looks: an instance, an endpoint, a VNI map
    entry, a VLAN, an interface, or a whole list."""
    kind = draw(st.sampled_from(["replace", "delete", "update"]))
    # mostly where the instances that others name live: the default one and its VTEP
    ni = draw(st.sampled_from(["default", "default", *NIS]))
    cp, ep = draw(st.sampled_from([CPS[0], *CPS])), draw(st.sampled_from([EPS[0], *EPS]))
    vni, vlan, port = draw(st.sampled_from(VNIS)), draw(st.sampled_from(BDS)), draw(st.sampled_from(PORTS))
    where = draw(st.integers(0, 9))
    if where <= 2:
        path, value = _ni(ni), draw(network_instance(ni))
    elif where == 3:
        path, value = (
            f"{_ni(ni)}/connection-points/connection-point[connection-point-id={cp}]",
            draw(connection_point(cp)),
        )
    elif where == 4:
        path = _ep(ni, cp, ep)
        value = {"endpoint-id": ep, "config": {"endpoint-id": ep}}
    elif where == 5:
        path, value = f"{_ep(ni, cp, ep)}/vxlan/local-endpoint-vnis/local-endpoint-vni[vni={vni}]", draw(levni(vni))
    elif where == 6:
        path, value = f"{_ni(ni)}/vlans/vlan[vlan-id={vlan}]", {"vlan-id": vlan, "config": {"vlan-id": vlan}}
    elif where == 7:
        path, value = f"{_ni(ni)}/evpn/evpn-instances/evpn-instance[evi=1]", draw(evpn_instance())
        value = {**value, "evi": "1", "config": {**value["config"], "evi": "1"}}
    elif where == 8:
        path, value = f"/interfaces/interface[name={port}]", draw(interface(port))
    else:
        whole = draw(st.sampled_from(["/network-instances", "/interfaces"]))
        if whole == "/interfaces":
            path, value = whole, {"interface": [draw(interface(p)) for p in draw(st.sets(st.sampled_from(PORTS)))]}
        else:
            nis = draw(st.sets(names))
            path, value = whole, {"network-instance": [draw(network_instance(n)) for n in nis]}
    if kind == "delete":
        return Op(kind="delete", path=parse(path))
    return Op(kind=kind, path=parse(path), value=value)


#: a valid start: the default instance with its VTEP endpoint and VLANs
BASE = [
    Op(kind="replace", path=parse(_ep("default", "fabricd-vxlan", "vtep")), value={"endpoint-id": "vtep"}),
    Op(kind="replace", path=parse(_ep("default", "fabricd-vxlan", "ep2")), value={"endpoint-id": "ep2"}),
    *(Op(kind="replace", path=parse(f"{_ni('default')}/vlans/vlan[vlan-id={v}]"), value={"vlan-id": v}) for v in VLANS),
    *(
        Op(
            kind="replace",
            path=parse(
                f"{_ep('default', 'fabricd-vxlan', ep)}/vxlan/local-endpoint-vnis/local-endpoint-vni[vni={vni}]"
            ),
            value={"vni": vni, "config": {"vni": vni, "bridge-domain": vlan}},
        )
        for ep, vni, vlan in (("vtep", 1001, 10), ("vtep", 1002, 20), ("ep2", 1001, 10))
    ),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(op(), min_size=1, max_size=4), min_size=1, max_size=12))
def test_incremental_rules_agree_with_the_whole_configuration(sets: list[list[Op]]) -> None:
    tree = Tree()
    apply_all(tree, BASE)
    assert check_rules(tree.root) == []
    index = RuleIndex.build(tree.root)
    for ops in sets:
        try:
            applied = apply_all(tree, ops)
        except ValueError:
            continue  # not a valid tree operation: the datastore refuses it before any rule
        whole = check_rules(tree.root)
        anchors, change = applied.anchors, applied.change(0)
        touched = list(applied._anchors)  # the anchors not under another, by definition
        assert anchors == [a for a in touched if not any(Path(a.elems[:i]) in touched for i in range(len(a)))]
        assert sorted(check_rules(tree.root, anchors, change.deletes)) == sorted(whole), [str(o.path) for o in ops]
        assert check_rules(tree.root, anchors, change.deletes, index=index) == whole, [str(o.path) for o in ops]
        if whole:
            applied.rollback()
        else:
            index.committed(tree.root, [*(p for p, _ in change.updates), *change.deletes])
            fresh = RuleIndex.build(tree.root)
            assert (index.refs, index.by_vni, index.by_bd) == (fresh.refs, fresh.by_vni, fresh.by_bd)
        assert check_rules(tree.root) == []  # the configuration stays valid, as the datastore keeps it


def test_a_removed_instance_or_endpoint_is_found_from_the_instances_that_use_it() -> None:
    tree = Tree()
    base = [
        Op(kind="replace", path=parse(_ep("default", "cp2", "vtep")), value={"endpoint-id": "vtep"}),
        Op(
            kind="replace",
            path=parse(_ni("blue")),
            value={
                "name": "blue",
                "config": {"name": "blue", "type": "L2VSI"},
                "evpn": {
                    "evpn-instances": {
                        "evpn-instance": [
                            {
                                "evi": "1",
                                "vxlan": {
                                    "config": {
                                        "overlay-endpoint-network-instance": "default",
                                        "overlay-endpoint": "vtep",
                                    }
                                },
                            }
                        ]
                    }
                },
            },
        ),
    ]
    apply_all(tree, base)
    assert check_rules(tree.root) == []
    for gone in (_ep("default", "cp2", "vtep"), _ni("default")):
        applied = apply_all(tree, [Op(kind="delete", path=parse(gone))])
        problems = check_rules(tree.root, applied.anchors, applied.change(0).deletes)
        assert problems and problems == check_rules(tree.root)
        applied.rollback()
        index = RuleIndex.build(tree.root)
        applied = apply_all(tree, [Op(kind="delete", path=parse(gone))])
        assert check_rules(tree.root, applied.anchors, applied.change(0).deletes, index=index) == problems
        assert all(p.startswith(_ni("blue")) for p in problems)
        applied.rollback()
