"""The datastore through the emulator's Set path: replace/update/delete
semantics, exact rollback, and the leaf-level change feed."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labs.emulator.datastore import Datastore
from labs.emulator.errors import ConfigRejected
from labs.emulator.speccheck import load_config
from labs.emulator.txn import Op, leaf_items
from models.oc.path import ROOT, Path
from tests.labs.emulator import ocdocs as d
from tests.labs.emulator.test_validation import D, R, U

SV = "/interfaces/interface[name=ethernet-1/1]/ethernet/switched-vlan"
V100 = d.DEFAULT + "/vlans/vlan[vlan-id=100]"


def fresh() -> Datastore:
    return Datastore(load_config(d.day0(), name="sw1"))


def leaves_of(ds: Datastore) -> dict[Path, object]:
    return dict(leaf_items(ds.config.root, ROOT))


def test_replace_drops_what_is_not_given_update_merges():
    ds = fresh()
    ds.set([R(SV, {"config": {"interface-mode": "TRUNK", "trunk-vlans": [1, 2], "native-vlan": 9}})])
    ds.set([U(SV, {"config": {"trunk-vlans": [3]}})])  # a leaf-list is replaced by update
    assert ds.config.to_json(Path.parse(SV)) == {
        "config": {"interface-mode": "TRUNK", "trunk-vlans": [3], "native-vlan": 9}
    }
    ds.set([R(SV, {"config": {"interface-mode": "TRUNK", "trunk-vlans": [4]}})])
    assert ds.config.to_json(Path.parse(SV)) == {"config": {"interface-mode": "TRUNK", "trunk-vlans": [4]}}


def test_delete_of_a_missing_path_succeeds_and_changes_nothing():
    ds = fresh()
    before = ds.config.to_json()
    change = ds.set([D(V100), D(d.NI + "[name=fabricd-vni-5]/evpn")])
    assert not change
    assert ds.config.to_json() == before


def test_ops_apply_in_order_delete_replace_update():
    ds = fresh()
    ds.set([R(p, v) for p, v in d.leaf_document()])
    # delete the VLAN then write it back with another name, in one transaction
    ds.set(
        [
            D(V100),
            R(V100, {"config": {"vlan-id": 100, "name": "x"}}),
            U(V100 + "/config", {"status": "ACTIVE"}),
        ]
    )
    assert ds.config.to_json(Path.parse(V100 + "/config")) == {
        "vlan-id": 100,
        "name": "x",
        "status": "ACTIVE",
    }


def test_a_bad_op_among_good_ones_rolls_everything_back_exactly():
    ds = fresh()
    ds.set([R(p, v) for p, v in d.leaf_document()])
    before = copy.deepcopy(ds.config.root)
    ops = [
        D(d.NI + "[name=fabricd-vni-1111]"),  # would make the change...
        R(d.NI + "[name=fabricd-vni-2222]", d.mac_vrf(2222, 8)),  # ...creating parents...
        U(SV + "/config", {"trunk-vlans": [100, 200]}),
        R(d.DEFAULT + "/vlans/vlan[vlan-id=200]", {"config": {"vlan-id": 200, "status": "BROKEN"}}),  # bad
    ]
    try:
        ds.set(ops)
    except ConfigRejected as err:
        assert "'BROKEN' is not one of ACTIVE, SUSPENDED" in str(err)
    else:
        raise AssertionError("the Set was accepted")
    assert ds.config.root == before


def test_change_is_leaf_level_updates_and_deletes():
    ds = fresh()
    ds.set([R(p, v) for p, v in d.leaf_document()])
    change = ds.set([U(V100 + "/config", {"name": "renamed"}), D(SV)])
    assert [(str(p), v) for p, v in change.updates] == [(V100 + "/config/name", "renamed")]
    assert sorted(str(p) for p in change.deletes) == [
        SV + "/config/interface-mode",
        SV + "/config/trunk-vlans",
    ]


def test_feed_gets_committed_changes_only():
    ds = fresh()
    sub = ds.subscribe()
    with pytest.raises(ConfigRejected):
        ds.set([R(V100 + "/config/status", "LATE")])
    ds.set([R(V100, {"config": {"vlan-id": 100, "name": "v"}})])
    assert sub.queue.qsize() == 1
    change = sub.queue.get_nowait()
    assert {str(p) for p, _ in change.updates} == {
        V100 + "/vlan-id",
        V100 + "/config/vlan-id",
        V100 + "/config/name",
    }
    ds.set([R(V100, {"config": {"vlan-id": 100, "name": "v"}})])  # no difference, nothing published
    assert sub.queue.empty()
    ds.unsubscribe(sub)
    ds.set([D(V100)])
    assert sub.queue.empty()


# --------------------------------------------------------------- properties

POOL: list[Op] = [
    *(R(p, v) for p, v in d.leaf_document()),
    D(V100),
    D(d.NI + "[name=fabricd-vni-1111]"),
    D(SV),
    D(d.DEFAULT + "/vlans/vlan[vlan-id=*]"),
    U(SV + "/config", {"trunk-vlans": [100, "200..210"]}),
    R(SV, {"config": {"interface-mode": "ACCESS", "access-vlan": 100}}),
    U(V100 + "/config", {"name": "renamed", "status": "SUSPENDED"}),
    R(d.DEFAULT + "/vlans/vlan[vlan-id=200]", {"config": {"vlan-id": 200}}),
    U(d.EP + "/vxlan/config", {"enabled": False}),
    R("/interfaces/interface[name=ethernet-1/3]/config/description", "uplink"),
    U(d.NI + "[name=fabricd-vni-1111]/config", {"type": "openconfig-network-instance-types:L3VRF"}),
    R(V100 + "/config", {"vlan-id": 100, "status": "WRONG"}),  # always invalid
    U(d.NI + "[name=fabricd-vni-9]/config", {"name": "fabricd-vni-9", "type": "L2P2P"}),
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=6), st.booleans())
def test_any_set_is_all_or_nothing_and_its_change_is_the_leaf_difference(picks, seeded):
    ds = fresh()
    if seeded:
        ds.set([R(p, v) for p, v in d.leaf_document()])
    before_root = copy.deepcopy(ds.config.root)
    before = leaves_of(ds)
    ops = [POOL[i] for i in picks]
    ops.sort(key=lambda op: ("delete", "replace", "update").index(op.kind))
    try:
        change = ds.set(ops)
    except ConfigRejected:
        assert ds.config.root == before_root
        return
    after = leaves_of(ds)
    want_updates = {p: v for p, v in after.items() if p not in before or before[p] != v}
    assert dict(change.updates) == want_updates
    assert set(change.deletes) == set(before) - set(after)
