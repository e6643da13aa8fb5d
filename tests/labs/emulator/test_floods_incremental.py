"""The in-memory EVPN fabric (labs.emulator.floods.MemoryFabric) rewrites
only what a change moves: after any sequence of configuration changes, EVPN
faults, joins and leaves, every leaf's reported state is exactly what a fresh
fabric of the final configurations reports (hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labs.emulator.floods import MemoryFabric
from labs.emulator.platform import platform
from labs.emulator.txn import Change, Op, apply_all
from models.oc.path import parse
from models.oc.tree import Tree, leaves
from tests.labs.emulator.ocdocs import base_objects, day0, trunk, vni_objects

LEAVES = ["sw1", "sw2", "sw3"]
VNIS = [1001, 1002, 1003, 1004]


class Sink:
    """A switch's state tree, written as the emulator's datastore would."""

    def __init__(self) -> None:
        self.state = Tree()

    def write_state(self, ops: list[Op]) -> Change:
        apply_all(self.state, ops)
        return Change(timestamp=0)

    def json(self) -> Any:
        # the leaves, without list keys: a delete may leave an empty entry (its key) behind
        return {p: v for p, v in leaves(self.state.root) if p.elems[-1].name not in dict(p.elems[-2].keys)}


def config(name: str, vnis: frozenset[int]) -> Tree:
    """VNI ``v`` mapped to its VLAN; with its MAC-VRF (EVPN) unless ``-v`` is in ``vnis`` too."""
    tree = Tree.from_json(day0(router_id=f"10.0.0.{LEAVES.index(name) + 11}"))
    objs = base_objects() + [
        o
        for v in sorted(v for v in vnis if v > 0)
        for o in vni_objects(v, vlan=v - 900, evi=v - 1000)[: 2 if -v in vnis else 3]
    ]
    apply_all(tree, [Op(kind="replace", path=parse(p), value=v) for p, v in objs])
    return tree


step = st.one_of(
    st.tuples(st.just("config"), st.sampled_from(LEAVES), st.frozensets(st.sampled_from(VNIS + [-v for v in VNIS]))),
    st.tuples(st.just("evpn"), st.sampled_from(LEAVES), st.booleans()),
    st.tuples(st.just("leave"), st.sampled_from(LEAVES), st.none()),
)


def fabric(start: dict[str, frozenset[int]]) -> tuple[MemoryFabric, dict[str, Sink]]:
    fab, sinks = MemoryFabric(), {}
    for name, vnis in start.items():
        sinks[name] = Sink()
        fab.join(
            name, platform("openconfig"), config(name, vnis), sinks[name], router_id=f"10.0.0.{LEAVES.index(name) + 11}"
        )
    return fab, sinks


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, max_size=14))
def test_incremental_floods_equal_a_fresh_fabric(steps):
    vnis = {n: frozenset(VNIS[:2]) for n in LEAVES}
    evpn = dict.fromkeys(LEAVES, True)
    fab, sinks = fabric(vnis)
    for kind, name, arg in steps:
        if kind == "leave":
            if name in vnis:
                fab.leave(name)
                del vnis[name], sinks[name]
            else:  # back again, fresh
                vnis[name], evpn[name], sinks[name] = frozenset(), True, Sink()
                fab.join(name, platform("openconfig"), config(name, vnis[name]), sinks[name],
                         router_id=f"10.0.0.{LEAVES.index(name) + 11}")  # fmt: skip
        elif name not in vnis:
            continue
        elif kind == "config":
            vnis[name] = arg
            fab.changed(name, config(name, arg))
        else:
            evpn[name] = arg
            fab.set_evpn(name, arg)
    fresh, fresh_sinks = fabric(vnis)
    for name, up in evpn.items():
        if name in vnis and not up:
            fresh.set_evpn(name, False)
    assert {n: s.json() for n, s in sinks.items()} == {n: s.json() for n, s in fresh_sinks.items()}
    # and it is not empty: every VNI a leaf carries is reported
    for name, carried in vnis.items():
        text = " ".join(map(str, sinks[name].json()))
        assert all(f"endpoint-vni[vni={v}]" in text for v in carried if v > 0), (name, carried, text)


# -- changes as a switch commits them: the Change goes with them, and a change that cannot move the
# EVPN overlay (a port's VLANs) is not read again


def _commit(tree: Tree, ops: list[Op]) -> Change:
    return apply_all(tree, ops).change(0)


edit = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(LEAVES), st.sampled_from(VNIS)),
    st.tuples(st.just("remove"), st.sampled_from(LEAVES), st.sampled_from(VNIS)),
    st.tuples(st.just("trunk"), st.sampled_from(LEAVES), st.lists(st.integers(1, 200), min_size=1, max_size=4)),
    st.tuples(st.just("no-evpn"), st.sampled_from(LEAVES), st.sampled_from(VNIS)),
    st.tuples(st.just("evpn"), st.sampled_from(LEAVES), st.booleans()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edit, max_size=16))
def test_commits_with_their_changes_equal_a_fresh_fabric(edits):
    trees = {n: config(n, frozenset(VNIS[:2])) for n in LEAVES}
    evpn = dict.fromkeys(LEAVES, True)
    fab, sinks = MemoryFabric(), {}
    for name, tree in trees.items():
        sinks[name] = Sink()
        fab.join(name, platform("openconfig"), tree, sinks[name], router_id=f"10.0.0.{LEAVES.index(name) + 11}")
    for kind, name, arg in edits:
        tree = trees[name]
        if kind == "evpn":
            evpn[name] = arg
            fab.set_evpn(name, arg)
            continue
        if kind == "trunk":
            p, v = trunk("ethernet-1/2", sorted(set(arg)))
            ops = [Op(kind="replace", path=parse(p), value=v)]
        else:
            objs = vni_objects(arg, vlan=arg - 900, evi=arg - 1000)
            if kind == "add":
                ops = [Op(kind="replace", path=parse(p), value=v) for p, v in objs]
            else:  # the VNI, or only its MAC-VRF (no EVPN)
                gone = objs if kind == "remove" else objs[2:]
                ops = [Op(kind="delete", path=parse(p)) for p, _ in gone if tree.get(parse(p)) is not None]
        fab.changed(name, tree, _commit(tree, ops))
    fresh, fresh_sinks = MemoryFabric(), {}
    for name, tree in trees.items():
        fresh_sinks[name] = Sink()
        fresh.join(name, platform("openconfig"), tree, fresh_sinks[name], router_id=f"10.0.0.{LEAVES.index(name) + 11}")
        if not evpn[name]:
            fresh.set_evpn(name, False)
    assert {n: s.json() for n, s in sinks.items()} == {n: s.json() for n, s in fresh_sinks.items()}


def test_a_port_vlan_change_does_not_move_the_overlay_and_a_vni_does():
    oc = platform("openconfig")
    assert not oc.moves_evpn(parse(trunk("ethernet-1/2", [7])[0] + "/config/trunk-vlans"))
    assert not oc.moves_evpn(parse("/interfaces/interface[name=ethernet-1/2]/config/enabled"))
    assert oc.moves_evpn(parse("/interfaces/interface[name=lo0]"))  # the VTEP's address with it
    assert oc.moves_evpn(parse("/interfaces/interface[name=lo0]/subinterfaces/subinterface[index=0]"))
    assert oc.moves_evpn(parse(vni_objects(1001)[1][0]))
    assert platform("srlinux").moves_evpn(parse("/interface[name=ethernet-1/2]/subinterface[index=7]"))
