"""Applying a stream of LLDP updates/deletes and session events (named cases of the discovery issue)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.ids import NicName, NodeName, PortName, SwitchName
from models.intent import Placement
from tests.topology.seed import SW1, SW2, SWITCHES, ref, seed_records
from topology.changes import ChangeKind, PlacementChange, placement_changes
from topology.conflicts import Mode, SourcePolicy
from topology.errors import FactsError, NotFound, NotFoundReason
from topology.facts import LldpRecord
from topology.graph import build_topology
from topology.identity import IdentityMap
from topology.lldp_state import (
    Forget,
    LldpState,
    NeighborDelete,
    NeighborUpdate,
    SessionDown,
    SessionUp,
    SyncDone,
)

HOLD = 30.0
LLDP = SourcePolicy(mode=Mode.LLDP)
NODES = IdentityMap(nodes=frozenset(NodeName(f"server{i}") for i in (1, 2, 3)))


def update(r: LldpRecord, at: float = 0.0, *, port: str | None = None, **changes: str) -> NeighborUpdate:
    values = {
        "state/system-name": r.system_name,
        "openconfig-lldp:port-id": r.port_id,
        "port-id-type": r.port_id_type.value,
        "chassis-id": r.chassis_id,
        "chassis-id-type": "MAC_ADDRESS",
        **changes,
    }
    return NeighborUpdate(
        switch=r.switch,
        local_port=PortName(port or r.local_port),
        neighbor_id=r.neighbor_id,
        values=values,
        at=at,
    )


def started(at: float = 0.0) -> LldpState:
    state = LldpState(hold_time=HOLD)
    for sw in SWITCHES:
        state = state.apply(SessionUp(switch=sw.name, at=at))
    state = state.apply_all(update(r, at) for r in seed_records())
    return state.apply_all(SyncDone(switch=sw.name, at=at) for sw in SWITCHES)


def snap(state: LldpState, now: float, previous=None):
    return build_topology(SWITCHES, lldp=state.records(now), policy=LLDP, identity=NODES, previous=previous)


def s1e1(snapshot):
    return snapshot.leaf_port(NodeName("server1"), NicName("eth1"))


def test_initial_sync_gives_the_seed_graph():
    state = started()
    assert state.records(1.0) == tuple(sorted(seed_records(seen=0.0)))
    assert str(s1e1(snap(state, 1.0))) == "sw1/ethernet-1/1"


def test_flap_within_the_hold_time():
    state = started().apply(SessionDown(switch=SW1, at=10.0))
    before = snap(started(), 10.0)
    during = snap(state, 10.0 + HOLD - 0.001, previous=before)
    assert during is before  # nothing changed: the flap is ridden out
    state = state.apply(SessionUp(switch=SW1, at=20.0))
    state = state.apply_all(update(r, 20.0) for r in seed_records() if r.switch == SW1)
    state = state.apply(SyncDone(switch=SW1, at=20.0))
    after = snap(state, 100.0, previous=during)
    assert not any(r.stale for r in state.records(100.0))
    assert placement_changes(during, after) == ()
    assert str(s1e1(after)) == "sw1/ethernet-1/1"


def test_stale_after_the_hold_time():
    state = started().apply(SessionDown(switch=SW1, at=10.0))
    assert state.next_deadline(10.0) == 10.0 + HOLD
    fresh = snap(state, 10.0 + HOLD - 1)
    stale = snap(state, 10.0 + HOLD, previous=fresh)
    assert {r.switch for r in state.records(10.0 + HOLD) if r.stale} == {SW1}
    assert stale.version == fresh.version + 1
    assert [link.stale for link in stale.edge_links if link.switch == SW1] == [True, True, True]
    with pytest.raises(NotFound) as err:
        s1e1(stale)
    assert err.value.reason is NotFoundReason.STALE
    assert str(err.value) == (
        "NIC server1/eth1 is seen only on a stale link, sw1/ethernet-1/1 "
        "(switch sw1 lost its session for longer than the hold time)"
    )
    assert stale.leaves_for([(NodeName("server1"), NicName("eth1")), ref("server1", "eth2")]) == {SW2}
    changes = placement_changes(fresh, stale)
    assert {c.kind for c in changes} == {ChangeKind.STALE} and len(changes) == 3
    # stale links are marked, not dropped; a resync that re-sends them makes them fresh again
    back = state.apply(SessionUp(switch=SW1, at=500.0)).apply_all(
        update(r, 500.0) for r in seed_records() if r.switch == SW1
    )
    back = back.apply(SyncDone(switch=SW1, at=500.0))
    again = snap(back, 501.0, previous=stale)
    assert {c.kind for c in placement_changes(stale, again)} == {ChangeKind.FRESH}


def test_a_resync_drops_what_the_switch_no_longer_sends():
    state = started().apply(SessionDown(switch=SW1, at=10.0)).apply(SessionUp(switch=SW1, at=15.0))
    state = state.apply_all(update(r, 15.0) for r in seed_records() if r.switch == SW1 and r.system_name != "server2")
    assert any(r.system_name == "server2" and r.switch == SW1 for r in state.records(16.0))  # until the sync
    state = state.apply(SyncDone(switch=SW1, at=16.0))
    assert not any(r.system_name == "server2" and r.switch == SW1 for r in state.records(16.0))


def test_a_nic_moving():
    before = snap(started(), 1.0)
    old = next(r for r in seed_records() if r.switch == SW1 and r.system_name == "server1")
    state = started().apply(NeighborDelete(switch=SW1, local_port=old.local_port, neighbor_id=old.neighbor_id, at=5.0))
    state = state.apply(update(old, 5.0, port="ethernet-1/7"))
    after = snap(state, 6.0, previous=before)
    assert placement_changes(before, after) == (
        PlacementChange(
            ref=ref("server1", "eth1"),
            kind=ChangeKind.MOVED,
            old=Placement(switch=SW1, port=PortName("ethernet-1/1")),
            new=Placement(switch=SW1, port=PortName("ethernet-1/7")),
        ),
    )


def test_a_nic_moving_to_another_switch_through_a_conflict():
    """The new switch reports the NIC before the old one ages it out."""
    first = snap(started(), 1.0)
    old = next(r for r in seed_records() if r.switch == SW1 and r.system_name == "server1")
    both = started().apply(_on(SW2, old))
    middle = snap(both, 6.0, previous=first)
    (mid,) = placement_changes(first, middle)
    assert (mid.kind, str(mid.old), mid.new) == (ChangeKind.UNPLACED, "sw1/ethernet-1/1", None)
    with pytest.raises(NotFound, match="in conflict: LLDP sees server1/eth1 on sw1/ethernet-1/1, sw2/ethernet-1/9"):
        s1e1(middle)
    gone = both.apply(NeighborDelete(switch=SW1, local_port=old.local_port, at=7.0))
    last = snap(gone, 8.0, previous=middle)
    (move,) = placement_changes(middle, last)
    assert (move.kind, str(move.old), str(move.new)) == (
        ChangeKind.MOVED,
        "sw1/ethernet-1/1",
        "sw2/ethernet-1/9",
    )


def _on(switch: SwitchName, r: LldpRecord) -> NeighborUpdate:
    return NeighborUpdate(
        switch=switch,
        local_port=PortName("ethernet-1/9"),
        neighbor_id=r.neighbor_id,
        values={"system-name": r.system_name, "port-id": r.port_id, "port-id-type": "INTERFACE_NAME"},
        at=5.0,
    )


def test_a_foreign_neighbour_is_ignored():
    before = snap(started(), 1.0)
    router = NeighborUpdate(
        switch=SW1,
        local_port=PortName("ethernet-1/48"),
        neighbor_id="aa:bb:cc:dd:ee:ff",
        values={
            "system-name": "core-router.example",
            "port-id": "xe-0/0/1",
            "port-id-type": "INTERFACE_NAME",
        },
        at=3.0,
    )
    after = snap(started().apply(router), 4.0, previous=before)
    assert [f.system_name for f in after.foreign] == ["core-router.example"]
    assert after.edge_links == before.edge_links and after.fabric_links == before.fabric_links
    assert placement_changes(before, after) == ()


@pytest.mark.parametrize(
    ("delete", "left_on_sw1"),
    [
        (
            NeighborDelete(switch=SW1, local_port=PortName("ethernet-1/2"), neighbor_id="server2:eth1", at=5.0),
            3,
        ),
        (NeighborDelete(switch=SW1, local_port=PortName("ethernet-1/2"), at=5.0), 3),
        (NeighborDelete(switch=SW1, at=5.0), 0),
        (NeighborDelete(switch=SW1, local_port=PortName("ethernet-1/2"), neighbor_id="other", at=5.0), 4),
    ],
    ids=["one-neighbour", "a-port", "a-switch", "unknown-id-is-a-no-op"],
)
def test_delete_of_a_neighbour(delete, left_on_sw1):
    before = snap(started(), 1.0)
    state = started().apply(delete)
    assert sum(r.switch == SW1 for r in state.records(6.0)) == left_on_sw1
    after = snap(state, 6.0, previous=before)
    removed = [c for c in placement_changes(before, after) if c.kind is ChangeKind.REMOVED]
    if delete.neighbor_id != "other" and delete.local_port is not None:
        assert [(str(c.ref), str(c.old)) for c in removed] == [("server2/eth1", "sw1/ethernet-1/2")]
        with pytest.raises(NotFound) as err:
            after.leaf_port(NodeName("server2"), NicName("eth1"))
        assert err.value.reason is NotFoundReason.UNKNOWN_NIC


def test_partial_updates_make_a_record_only_once_complete_and_counters_do_not_churn():
    key = {"switch": SW1, "local_port": PortName("ethernet-1/5"), "neighbor_id": "n5"}
    state = LldpState().apply(NeighborUpdate(**key, values={"system-name": "server9", "port-id": "eth3"}, at=1.0))
    assert state.records(2.0) == ()
    assert state.problems(2.0) == ("sw1/ethernet-1/5 neighbour 'n5': no port-id-type yet",)
    state = state.apply(NeighborUpdate(**key, values={"port-id-type": "openconfig-lldp-types:INTERFACE_NAME"}, at=2.0))
    (r,) = state.records(3.0)
    assert (r.system_name, r.port_id, r.last_seen) == ("server9", "eth3", 2.0)
    ticked = state.apply(NeighborUpdate(**key, values={"age": "17", "state/ttl": "120"}, at=2.0))
    assert ticked == state
    bad = state.apply(NeighborUpdate(**key, values={"port-id-type": "BOGUS"}, at=3.0))
    assert bad.records(4.0) == ()
    assert "unknown LLDP port-id-type 'BOGUS'" in bad.problems(4.0)[0]


def test_forget_drops_a_switch_and_its_session():
    state = started().apply(SessionDown(switch=SW2, at=1.0)).apply(Forget(switch=SW2))
    assert SW2 not in state.sessions and all(r.switch != SW2 for r in state.records(100.0))
    assert state.next_deadline(1.0) is None


def test_a_negative_hold_time_is_refused():
    with pytest.raises(FactsError, match="negative"):
        LldpState(hold_time=-1)


_NEW = st.builds(
    NeighborUpdate,
    switch=st.sampled_from([SW1, SW2]),
    local_port=st.sampled_from([PortName(f"ethernet-1/{n}") for n in (20, 21, 22)]),
    neighbor_id=st.text(alphabet="abc123:", min_size=1, max_size=6),
    values=st.fixed_dictionaries(
        {
            "system-name": st.sampled_from(["server1", "server2", "spine1", "router9", ""]),
            "port-id": st.sampled_from(["eth1", "eth5", "ethernet-1/3", "52:54:00:00:00:01"]),
            "port-id-type": st.sampled_from(["INTERFACE_NAME", "MAC_ADDRESS", "LOCAL"]),
        }
    ),
    at=st.floats(min_value=0, max_value=1e6),
)


@settings(max_examples=60, deadline=None)
@given(_NEW)
def test_an_update_then_its_delete_returns_to_the_previous_snapshot(upd):
    base = started()
    before = snap(base, 1.0)
    state = base.apply(upd).apply(
        NeighborDelete(switch=upd.switch, local_port=upd.local_port, neighbor_id=upd.neighbor_id, at=upd.at)
    )
    assert state == base
    assert snap(state, 1.0, previous=before) is before


def test_a_flood_of_unique_neighbours_is_bounded_and_every_event_costs_the_same():
    """A hostile switch streaming 50,000 unique neighbours: the table stays
    within its bounds, what is dropped is counted, and the work of one event
    (neighbour entries touched) is the same at 5,000 as at 50,000."""
    from topology.lldp_state import MAX_PER_PORT, MAX_PORTS

    state = LldpState()
    values = {"system-name": "evil", "port-id": "eth1", "port-id-type": "INTERFACE_NAME", "chassis-id": "x"}
    work = []
    for i in range(50_000):
        before = state.work
        state.apply(
            NeighborUpdate(
                switch=SW1, local_port=PortName(f"ethernet-1/{i % 2000 + 1}"), neighbor_id=str(i), values=values, at=1.0
            )
        )
        work.append(state.work - before)
    assert max(work[:5000]) == max(work[45_000:]) == 1
    held = sum(len(port) for port in state.neighbors[SW1].values())
    assert held == MAX_PORTS * MAX_PER_PORT
    drops = state.take_drops()
    assert set(drops) == {(SW1, "too-many-ports"), (SW1, "too-many-neighbours")}
    assert sum(drops.values()) == 50_000 - held
    assert len(state.records(2.0)) == held


def test_oversized_values_are_dropped_and_counted():
    state = LldpState()
    key = {"switch": SW1, "local_port": PortName("ethernet-1/1"), "neighbor_id": "1"}
    state.apply(NeighborUpdate(**key, values={"system-name": "x" * 10_000, "port-id": "eth1"}, at=1.0))
    state.apply(NeighborUpdate(**{**key, "neighbor_id": "n" * 1000}, values={"port-id": "eth1"}, at=1.0))
    assert SW1 not in state.neighbors
    assert state.take_drops() == {(SW1, "value-too-long"): 1, (SW1, "key-too-long"): 1}


_EVENT = st.one_of(
    _NEW,
    _NEW.map(lambda u: NeighborDelete(switch=u.switch, local_port=u.local_port, neighbor_id=u.neighbor_id, at=u.at)),
    st.builds(SessionDown, switch=st.sampled_from([SW1, SW2]), at=st.floats(min_value=0, max_value=100)),
    st.builds(SessionUp, switch=st.sampled_from([SW1, SW2]), at=st.floats(min_value=0, max_value=100)),
    st.builds(SyncDone, switch=st.sampled_from([SW1, SW2]), at=st.floats(min_value=0, max_value=100)),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(_EVENT, st.floats(min_value=0, max_value=200)), max_size=25))
def test_records_read_after_each_event_are_those_of_a_state_never_read(steps):
    """Records are remembered per neighbour between reads: a neighbour
    updated, deleted, gone stale or fresh again is read again."""
    state = started()
    for event, now in steps:
        state.apply(event)
        assert state.records(now) == state.copy().records(now)
        assert state.problems(now) == state.copy().problems(now)
