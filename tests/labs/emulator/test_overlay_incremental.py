"""The in-memory fabric's reading of a switch's overlay, kept current commit
by commit (labs.emulator.linux.overlay.OverlayReader), equals a fresh
reading of the whole configuration after any sequence of commits: VNIs and
MAC-VRFs that come, go or change in place (also two network-instances
claiming one VNI),
port VLANs and enabled flags, the VTEP's source interface and its address,
whole network-instances deleted, changes elsewhere; read after every commit
or only after some (a commit that cannot move the EVPN overlay is noted,
not read) (hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labs.emulator.linux.overlay import OverlayReader, overlay
from labs.emulator.txn import Op, apply_all
from models.oc.path import parse
from models.oc.tree import Tree
from tests.labs.emulator.ocdocs import EP, NI, base_objects, day0, mac_vrf, port, trunk, vni_objects

VNIS = [1001, 1002, 1003]
ROUTER_ID = "10.0.0.11"


def _replace(p: str, v: Any) -> Op:
    return Op(kind="replace", path=parse(p), value=v)


def _ops(kind: str, arg: Any) -> list[Op]:
    if kind == "add":
        return [_replace(p, v) for p, v in vni_objects(arg, vlan=arg - 900, evi=arg - 1000)]
    if kind == "remove":
        return [Op(kind="delete", path=parse(p)) for p, _ in vni_objects(arg, vlan=arg - 900, evi=arg - 1000)]
    if kind == "twin":  # a second MAC-VRF claiming the VNI, after or before the first in the list
        vrf = mac_vrf(arg, 7)
        name = f"a-twin-{arg}" if arg % 2 else f"z-twin-{arg}"
        vrf["name"] = vrf["config"]["name"] = name
        vrf["evpn"]["evpn-instances"]["evpn-instance"][0]["config"]["route-distinguisher"] = f"1.1.1.1:{arg}"
        return [_replace(f"{NI}[name={name}]", vrf)]
    if kind == "rd":  # a MAC-VRF changed in place
        vni, rd = arg
        ei = f"{NI}[name=fabricd-vni-{vni}]/evpn/evpn-instances/evpn-instance[evi={vni - 1000}]"
        return [_replace(f"{ei}/config/route-distinguisher", rd)]
    if kind == "trunk":
        n, vlans = arg
        return [_replace(*trunk(port(n), vlans))]
    if kind == "access":
        n, vlan = arg
        return [_replace(f"/interfaces/interface[name={port(n)}]/ethernet/switched-vlan",
                         {"config": {"interface-mode": "ACCESS", "access-vlan": vlan}})]  # fmt: skip
    if kind == "enabled":
        n, up = arg
        return [_replace(f"/interfaces/interface[name={port(n)}]/config/enabled", up)]
    if kind == "address":  # the VTEP's source interface gets another address
        sub = "/interfaces/interface[name=loopback0]/subinterfaces/subinterface[index=0]"
        return [
            _replace(f"{sub}/ipv4/addresses", {"address": [{"ip": arg, "config": {"ip": arg, "prefix-length": 32}}]})
        ]
    if kind == "source":  # the VTEP sourced from another interface (it may have no address: the router id)
        return [_replace(f"{EP}/vxlan/config/source-interface", arg)]
    if kind == "vxlan-off":
        return [_replace(f"{EP}/vxlan/config/enabled", arg)]
    if kind == "drop-ni":
        return [Op(kind="delete", path=parse(f"{NI}[name=fabricd-vni-{arg}]"))]
    return [_replace("/system/config/hostname", f"leaf-{arg}")]  # elsewhere: moves nothing


commit = st.one_of(
    st.tuples(st.sampled_from(["add", "remove", "twin", "drop-ni"]), st.sampled_from(VNIS)),
    st.tuples(st.just("rd"), st.tuples(st.sampled_from(VNIS), st.sampled_from(["AUTO", "1.1.1.1:7", "2.2.2.2:7"]))),
    st.tuples(st.just("trunk"), st.tuples(st.integers(1, 4), st.lists(st.integers(1, 200), min_size=1, max_size=3))),
    st.tuples(st.just("access"), st.tuples(st.integers(1, 4), st.integers(1, 200))),
    st.tuples(st.just("enabled"), st.tuples(st.integers(1, 4), st.booleans())),
    st.tuples(st.just("address"), st.sampled_from(["10.9.9.9", "10.8.8.8"])),
    st.tuples(st.just("source"), st.sampled_from(["loopback0", port(1), "lo-missing"])),
    st.tuples(st.just("vxlan-off"), st.booleans()),
    st.tuples(st.just("other"), st.integers(0, 9)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(commit, st.booleans()), max_size=20))
def test_the_incremental_reading_equals_a_fresh_one(commits):
    tree = Tree.from_json(day0(router_id=ROUTER_ID))
    apply_all(tree, [_replace(p, v) for p, v in base_objects()])
    apply_all(tree, _ops("add", VNIS[0]))
    reader = OverlayReader(ROUTER_ID)
    assert reader.read(tree) == overlay(tree, router_id=ROUTER_ID)
    for (kind, arg), read_now in commits:
        try:
            change = apply_all(tree, _ops(kind, arg)).change(0)
        except Exception:
            continue
        reader.touch([*(p for p, _ in change.updates), *change.deletes])
        if read_now:
            assert reader.read(tree) == overlay(tree, router_id=ROUTER_ID), (kind, arg)
    assert reader.read(tree) == overlay(tree, router_id=ROUTER_ID)


def test_a_reading_after_a_vni_commit_reads_only_that_network_instance():
    """The point of it: a VNI added reads its network-instance, not every other one's."""
    tree = Tree.from_json(day0(router_id=ROUTER_ID))
    apply_all(tree, [_replace(p, v) for p, v in base_objects()])
    for v in VNIS:
        apply_all(tree, _ops("add", v))
    reader = OverlayReader(ROUTER_ID)
    first = reader.read(tree)
    change = apply_all(tree, _ops("add", 1010)).change(0)
    reader.touch([*(p for p, _ in change.updates), *change.deletes])
    after = reader.read(tree)
    assert after == overlay(tree, router_id=ROUTER_ID)
    assert set(after.macvrfs) == set(first.macvrfs) | {1010}
    # the untouched network-instances' MAC-VRFs are the very objects read before
    assert all(after.macvrfs[v] is first.macvrfs[v] for v in VNIS)
