"""The incremental operational-state reader agrees with a whole read of the
same leaves, after any sequence of updates and deletes (a property test), on
both platforms; the whole read here is written out plainly, as the rules say."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from models.oc.path import Path, parse
from models.platforms.oper import OperReader
from models.readiness import VniOper

OC = (
    "/network-instances/network-instance[name=default]/connection-points/connection-point[connection-point-id=vxlan]"
    "/endpoints/endpoint[endpoint-id={ep}]/vxlan"
)
SRL = "/tunnel-interface[name={t}]/vxlan-interface[index={i}]"
VNIS = st.sampled_from([7, 8, 9])
VTEPS = st.sampled_from(["10.0.0.11", "10.0.0.12", "10.0.0.13"])


def whole_openconfig(leaves: dict[Path, Any]) -> dict[int, VniOper]:
    vni_units: dict[tuple[str, int], tuple[bool, str]] = {}
    peers: dict[str, set[str]] = {}
    for path, value in leaves.items():
        keys = {e.name: e.key_map for e in path.elems}
        ep, leaf = keys["endpoint"]["endpoint-id"], path.elems[-1].name
        if "endpoint-vni" in keys:
            unit = (ep, int(keys["endpoint-vni"]["vni"]))
            up, reason = vni_units.get(unit, (False, ""))
            if leaf == "vni-state":
                up = str(value).upper() == "UP"
            elif leaf == "dataplane-error":
                reason = str(value)
            vni_units[unit] = (up, reason)
        elif "endpoint-peer" in keys and leaf == "peer-state" and str(value).upper() == "UP":
            peers.setdefault(ep, set()).add(keys["endpoint-peer"]["peer-address"])
    out: dict[int, VniOper] = {}
    for ep, vni in sorted(vni_units, reverse=True):  # the smallest endpoint claiming a VNI is the VNI's
        up, reason = vni_units[(ep, vni)]
        out[vni] = VniOper(up=up, floods=frozenset(peers.get(ep, ())), reason=reason)
    return out


def whole_srlinux(leaves: dict[Path, Any]) -> dict[int, VniOper]:
    units: dict[tuple[str, str], dict[str, Any]] = {}
    for path, value in leaves.items():
        e = path.elems
        u = units.setdefault((e[0].key_map["name"], e[1].key_map["index"]), {"floods": set()})
        if e[-1].name == "vni":
            u["vni"] = int(value)
        elif e[-1].name == "oper-state":
            u["up"] = value == "up"
        elif e[-1].name == "vtep":
            u["floods"].add(value)
    out: dict[int, VniOper] = {}
    for key in sorted(units, reverse=True):  # the smallest vxlan-interface claiming a VNI is the VNI's
        u = units[key]
        if "vni" in u:
            out[u["vni"]] = VniOper(up=u.get("up", False), floods=frozenset(u["floods"]))
    return out


def _up(path: str, value: Any) -> tuple[str, Path, Any]:
    return ("update", parse(path), value)


def _del(path: str) -> tuple[str, Path, Any]:
    return ("delete", parse(path), None)


def oc_ops() -> st.SearchStrategy[tuple[str, Path, Any]]:
    ep = st.sampled_from(["a", "b"]).map(lambda e: OC.format(ep=e))
    vni_leaf = st.builds(
        lambda e, v, leaf, val: _up(f"{e}/endpoint-vnis/endpoint-vni[vni={v}]/state/{leaf}", val),
        ep,
        VNIS,
        st.sampled_from(["vni-state", "dataplane-error"]),
        st.sampled_from(["UP", "DOWN", "no route"]),
    )
    peer_leaf = st.builds(
        lambda e, p, val: _up(f"{e}/endpoint-peers/endpoint-peer[peer-address={p}]/state/peer-state", val),
        ep,
        VTEPS,
        st.sampled_from(["UP", "DOWN"]),
    )
    tails = [
        "",
        "/endpoint-vnis/endpoint-vni[vni=7]",
        "/endpoint-peers",
        "/endpoint-peers/endpoint-peer[peer-address=10.0.0.12]",
    ]
    delete = st.builds(lambda e, tail: _del(f"{e}{tail}"), ep, st.sampled_from(tails))
    return st.one_of(vni_leaf, vni_leaf, peer_leaf, delete)


def srl_ops() -> st.SearchStrategy[tuple[str, Path, Any]]:
    vx = st.builds(lambda t, i: SRL.format(t=t, i=i), st.sampled_from(["vxlan1", "vxlan2"]), st.sampled_from("123"))
    vni = st.builds(lambda x, v: _up(f"{x}/ingress/vni", v), vx, VNIS)
    state = st.builds(lambda x, v: _up(f"{x}/oper-state", v), vx, st.sampled_from(["up", "down"]))
    dest = st.builds(
        lambda x, p, v: _up(f"{x}/bridge-table/multicast-destinations/destination[vtep={p}][vni={v}]/vtep", p),
        vx,
        VTEPS,
        VNIS,
    )
    delete = st.one_of(
        st.builds(_del, vx),
        st.builds(lambda x: _del(f"{x}/bridge-table"), vx),
        st.just(_del("/tunnel-interface[name=vxlan1]")),
    )
    return st.one_of(vni, state, dest, dest, delete)


def run(platform: str, steps: list[tuple[tuple[str, Path, Any], bool]]) -> None:
    reader, leaves = OperReader(platform), {}
    whole = whole_srlinux if platform == "srlinux" else whole_openconfig
    for (kind, path, value), refresh in steps:
        if kind == "delete":
            reader.delete(path)
            leaves = {p: v for p, v in leaves.items() if not p.startswith(path)}
        else:
            assert reader.update(path, value)
            leaves[path] = value
        assert reader.size == len(leaves)
        if refresh:
            before = dict(reader.vnis)
            changed = reader.refresh()
            assert reader.vnis == whole(leaves)
            assert changed == (reader.vnis != before)
    reader.refresh()
    assert reader.vnis == whole(leaves)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(oc_ops(), st.booleans()), max_size=40))
def test_openconfig_incremental_equals_whole(steps):
    run("openconfig", steps)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(srl_ops(), st.booleans()), max_size=40))
def test_srlinux_incremental_equals_whole(steps):
    run("srlinux", steps)


def test_leaves_of_no_unit_are_not_kept():
    reader = OperReader("srlinux")
    assert not reader.update(parse("/interface[name=ethernet-1/1]/oper-state"), "up")
    assert reader.size == 0 and not reader.refresh() and reader.vnis == {}


def test_a_switch_reporting_nonsense_names_no_vni():
    """Hostile or broken state (a non-numeric VNI, an unkeyed VNI entry) is left out, never an exception."""
    srl = OperReader("srlinux")
    assert srl.update(parse(f"{SRL.format(t='vxlan1', i='1')}/ingress/vni"), "seven")
    assert srl.update(parse(f"{SRL.format(t='vxlan1', i='2')}/ingress/vni"), 8)
    srl.refresh()
    assert srl.vnis == {8: VniOper(up=False)}
    oc = OperReader("openconfig")
    assert not oc.update(parse(f"{OC.format(ep='a')}/endpoint-vnis/endpoint-vni[vni=x]/state/vni-state"), "UP")
    oc.refresh()
    assert oc.vnis == {}
