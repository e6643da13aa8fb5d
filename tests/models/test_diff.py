"""Minimal diffs: golden op sequences and properties."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.diff import SetOps, apply_objects, diff
from models.fabric_state import FabricState
from models.ids import NicName, NodeName, PortName, SwitchName, Vni
from models.intent import Attachment, AttachmentId, Network, Placement
from models.oc.path import parse
from models.platforms.base import LeafInfo, port_key
from models.platforms.openconfig import RENDERER, switched_vlan, vlan_set
from models.settings import parse_fabric_settings
from tests.golden_util import GOLDEN, check_text
from tests.models.sim import Fabric

SW1 = SwitchName("sw1")
LEAF = LeafInfo(name=SW1, platform="openconfig", router_id="10.0.0.11", asn=65001)
P1 = PortName("ethernet-1/1")
NETS = [Network(namespace="default", name=n, vni=Vni(v)) for n, v in (("blue", 1111), ("green", 2222), ("red", 3333))]


def att(pod: str, net: Network, nic="eth1") -> Attachment:
    return Attachment(
        id=AttachmentId(pod_namespace="default", pod_name=pod, pod_uid=pod, network=net.key, interface="net1"),
        container_id=f"c-{pod}",
        node=NodeName("server1"),
        nic=NicName(nic),
    )


def fabric(settings=None) -> Fabric:
    state = FabricState(parse_fabric_settings(settings))
    for n in NETS:
        state.create_network(n)
    f = Fabric(state, [LEAF])
    f.full(SW1)
    return f


def show(steps: list[tuple[str, SetOps]]) -> str:
    out = []
    for title, ops in steps:
        out.append(f"## {title}")
        out += [f"delete  {p}" for p in ops.deletes] + [f"replace {p}" for p, _ in ops.replaces]
        for path, value in ops.replaces:
            if path.elems[-1].name == "switched-vlan":
                out.append(f"  {path.elems[1].key_map['name']} = {json.dumps(value, sort_keys=True)}")
    return "\n".join(out) + "\n"


def test_last_vlan_removed_deletes_switched_vlan():
    f = fabric()
    steps = [("attach blue", f.sync(f.state.attach(att("a", NETS[0]), Placement(SW1, P1)).dirty)[SW1])]
    steps.append(("detach blue", f.sync(f.state.detach(att("a", NETS[0]).id).dirty)[SW1]))
    check_text(GOLDEN / "ops" / "last-vlan-removed.txt", show(steps))
    assert switched_vlan(P1) in steps[-1][1].deletes
    assert f.current[SW1].get(port_key(P1)) is None
    assert f.state.leaves[SW1].vlans.allocations() == []  # confirmed, freed


def test_last_vlan_parks_the_port_when_asked():
    f = fabric({"ports": {"when_empty": "park", "park_vlan": 4000}})
    steps = [("attach blue", f.sync(f.state.attach(att("a", NETS[0]), Placement(SW1, P1)).dirty)[SW1])]
    steps.append(("detach blue", f.sync(f.state.detach(att("a", NETS[0]).id).dirty)[SW1]))
    steps.append(("attach green", f.sync(f.state.attach(att("b", NETS[1]), Placement(SW1, P1)).dirty)[SW1]))
    check_text(GOLDEN / "ops" / "last-vlan-parked.txt", show(steps))
    assert f.current[SW1][port_key(P1)][switched_vlan(P1)] == {
        "config": {"interface-mode": "TRUNK", "trunk-vlans": [100]}
    }


def test_foreign_vlans_on_a_port_are_kept():
    f = fabric()
    f.current[SW1][port_key(P1)] = {
        switched_vlan(P1): {"config": {"interface-mode": "TRUNK", "trunk-vlans": [5, "7..8"], "native-vlan": 5}}
    }
    steps = [("attach blue", f.sync(f.state.attach(att("a", NETS[0]), Placement(SW1, P1)).dirty)[SW1])]
    steps.append(("detach blue", f.sync(f.state.detach(att("a", NETS[0]).id).dirty)[SW1]))
    check_text(GOLDEN / "ops" / "foreign-vlans-kept.txt", show(steps))
    assert f.current[SW1][port_key(P1)][switched_vlan(P1)]["config"]["trunk-vlans"] == [5, 7, 8]


@pytest.mark.parametrize(
    ("config", "why"),
    [
        ({"interface-mode": "ACCESS", "access-vlan": 5}, "access port configured outside fabricd"),
        ({"interface-mode": "TRUNK"}, "trunk for all VLANs configured outside fabricd"),
    ],
)
def test_foreign_port_config_is_a_conflict_not_overwritten(config, why):
    f = fabric()
    f.current[SW1][port_key(P1)] = {switched_vlan(P1): {"config": config}}
    ops = f.sync(f.state.attach(att("a", NETS[0]), Placement(SW1, P1)).dirty)[SW1]
    assert switched_vlan(P1) not in [p for p, _ in ops.replaces] + list(ops.deletes)
    assert why in f.conflicts[SW1][port_key(P1)]


def test_unchanged_objects_produce_nothing():
    f = fabric()
    f.sync(f.state.attach(att("a", NETS[0]), Placement(SW1, P1)).dirty)
    assert not f.full(SW1)


def test_resync_removes_objects_fabricd_no_longer_wants():
    """A VNI on the device that the intent does not have (e.g. after the
    intent was lost) is removed on a full pass; the port keeps others' VLANs."""
    f = fabric()
    f.sync(f.state.attach(att("a", NETS[0]), Placement(SW1, P1)).dirty)
    fresh = FabricState(f.state.settings)
    g = Fabric(fresh, [LEAF])
    g.current = f.current
    ops = g.full(SW1)
    assert parse("/network-instances/network-instance[name=fabricd-vni-1111]") in ops.deletes
    assert switched_vlan(P1) in ops.deletes


# ------------------------------------------------------------ properties

objects = st.dictionaries(
    st.sampled_from([parse(f"/a/b[k={i}]") for i in range(6)]),
    st.one_of(st.integers(0, 3), st.fixed_dictionaries({"x": st.integers(0, 2)})),
    max_size=6,
)


@given(objects, objects)
def test_applying_the_diff_yields_desired(current, desired):
    cur = dict(current)
    apply_objects(cur, diff(current, desired))
    assert cur == desired


@given(objects)
def test_diff_of_equal_is_empty(x):
    assert not diff(x, x)


ops_strategy = st.lists(
    st.tuples(st.sampled_from(["attach", "detach"]), st.integers(0, 5), st.integers(0, 2), st.integers(0, 3)),
    max_size=25,
)


@settings(deadline=None, max_examples=60)
@given(ops_strategy)
def test_random_attach_detach_sequences_converge(seq):
    leaves = [LeafInfo(name=SwitchName(f"sw{i}"), platform="openconfig", router_id=f"10.0.0.{i}") for i in (1, 2)]
    state = FabricState(parse_fabric_settings(None))
    for n in NETS:
        state.create_network(n)
    f = Fabric(state, leaves)
    for leaf in leaves:
        f.full(leaf.name)
    for op, pod, net, where in seq:
        a = att(f"p{pod}", NETS[net], nic=f"eth{where % 2 + 1}")
        if op == "attach":
            placement = Placement(leaves[where % 2].name, PortName(f"ethernet-1/{where // 2 + 1}"))
            r = state.attach(a, placement)
            assert len(r.dirty) <= 2  # one attach touches its leaf (and the old one when it moved)
        else:
            r = state.detach(a.id)
        f.sync(r.dirty)
        for leaf in leaves:
            assert not f.full(leaf.name), "a full pass after an incremental one must find nothing to do"
            vlans = (
                [a.vlan for a in state.leaves.get(leaf.name, None).vlans.allocations()]
                if leaf.name in state.leaves
                else []
            )
            assert len(vlans) == len(set(vlans)), "a VLAN allocated twice on a leaf"
            for objs in f.current[leaf.name].values():
                for path, value in objs.items():
                    if path.elems[-1].name == "switched-vlan":
                        assert value["config"].get("trunk-vlans"), "a port open to all VLANs"
    for a in list(state.attachments):
        f.sync(state.detach(a).dirty)
    for leaf in leaves:
        assert set(f.current[leaf.name]) <= {k for k in f.current[leaf.name] if k.kind == "base"}


trunk_entries = st.lists(
    st.one_of(
        st.integers(1, 4094),
        st.integers(1, 4094).map(str),
        st.tuples(st.integers(1, 4094), st.integers(0, 20)).map(lambda t: f"{t[0]}..{t[0] + t[1]}"),
        st.sampled_from(["", "x", "..", "5..", None, 2.5, [3]]),  # what a broken device could send: ignored
    ),
    max_size=30,
)


def _ids_one_by_one(values: list) -> set[int]:
    out: set[int] = set()
    for v in values:
        if type(v) is int:
            out.add(v)
        elif isinstance(v, str) and v.isdigit():
            out.add(int(v))
        elif isinstance(v, str) and v.count("..") == 1 and all(x.isdigit() for x in v.split("..")):
            a, b = map(int, v.split(".."))
            out.update(range(a, b + 1))
    return out


@given(trunk_entries, st.randoms(use_true_random=False))
def test_trunk_vlans_are_read_as_a_set_of_ids_in_any_order_and_form(values, rnd):
    """The port's trunk list is read with set operations (it is re-read on
    every change of the port): the same ids as reading entry by entry, and
    two lists that name the same ids are the same object to the diff."""
    assert vlan_set(values) == _ids_one_by_one(values)
    ids = sorted(_ids_one_by_one(values))
    shuffled = [*ids, *ids[: len(ids) // 2]]
    rnd.shuffle(shuffled)
    path = switched_vlan(P1)
    ours = {"config": {"interface-mode": "TRUNK", "trunk-vlans": ids}}
    theirs = {"config": {"openconfig-vlan:interface-mode": "openconfig-vlan-types:TRUNK", "trunk-vlans": values}}
    same = {"config": {"interface-mode": "TRUNK", "trunk-vlans": shuffled}}
    assert RENDERER.normalize(path, ours) == RENDERER.normalize(path, theirs) == RENDERER.normalize(path, same)
    if ids:
        fewer = {"config": {"interface-mode": "TRUNK", "trunk-vlans": ids[1:]}}
        assert RENDERER.normalize(path, fewer) != RENDERER.normalize(path, ours)
