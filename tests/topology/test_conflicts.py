"""The conflict table: named cases of the static map and LLDP disagreeing, under each policy."""

from __future__ import annotations

import dataclasses

import pytest

from tests.topology.seed import PORT_MAP, SWITCHES, rec, ref, seed_records
from topology.conflicts import ConflictKind, LinkSource, Mode, Prefer, SourcePolicy
from topology.errors import NotFound, NotFoundReason
from topology.facts import LldpRecord
from topology.graph import build_topology
from topology.portmap import parse_port_map

K = ConflictKind
MERGED_STATIC = SourcePolicy(mode=Mode.MERGED, prefer=Prefer.STATIC)
MERGED_LLDP = SourcePolicy(mode=Mode.MERGED, prefer=Prefer.LLDP)
STATIC = SourcePolicy(mode=Mode.STATIC)
LLDP = SourcePolicy(mode=Mode.LLDP)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Case:
    policy: SourcePolicy = MERGED_STATIC
    static: str | None = PORT_MAP
    drop: tuple[tuple[str, str], ...] = ()  # LLDP records (switch, local port) removed from the seed
    add: tuple[LldpRecord, ...] = ()
    discovery: bool = True
    conflicts: tuple[tuple[ConflictKind, str, str | None], ...] = ()  # kind, subject, winner
    nic: tuple[str, str] = ("server1", "eth1")
    expect: str | NotFoundReason = "sw1/ethernet-1/1"  # leaf_port(nic), or the NotFound reason
    source: LinkSource | None = None  # the placement's source


S1_MOVED = (("sw1", "ethernet-1/1"),)
S1_ON_SW2 = (rec("sw2", "ethernet-1/4", "server1", "eth1"),)

CASES = {
    "sources-agree": Case(source=LinkSource.BOTH),
    "static-only-no-discovery": Case(policy=STATIC, discovery=False, source=LinkSource.STATIC),
    "lldp-only-no-map": Case(policy=LLDP, static=None, source=LinkSource.LLDP),
    "mismatch-merged-prefer-static": Case(
        drop=S1_MOVED,
        add=S1_ON_SW2,
        conflicts=((K.MISMATCH, "server1/eth1", "sw1/ethernet-1/1"),),
        source=LinkSource.STATIC,
    ),
    "mismatch-merged-prefer-lldp": Case(
        policy=MERGED_LLDP,
        drop=S1_MOVED,
        add=S1_ON_SW2,
        conflicts=((K.MISMATCH, "server1/eth1", "sw2/ethernet-1/4"),),
        expect="sw2/ethernet-1/4",
        source=LinkSource.LLDP,
    ),
    "mismatch-static-mode": Case(
        policy=STATIC,
        drop=S1_MOVED,
        add=S1_ON_SW2,
        conflicts=((K.MISMATCH, "server1/eth1", "sw1/ethernet-1/1"),),
    ),
    "mismatch-lldp-mode": Case(
        policy=LLDP,
        drop=S1_MOVED,
        add=S1_ON_SW2,
        conflicts=((K.MISMATCH, "server1/eth1", "sw2/ethernet-1/4"),),
        expect="sw2/ethernet-1/4",
    ),
    "two-switches-claim-one-nic": Case(
        policy=LLDP,
        static=None,
        add=S1_ON_SW2,
        conflicts=((K.NIC_CLAIMED_TWICE, "server1/eth1", None),),
        expect=NotFoundReason.CONFLICT,
    ),
    "two-ports-claim-one-nic-static-decides": Case(
        add=(rec("sw1", "ethernet-1/8", "server1", "eth1"),),
        conflicts=((K.NIC_CLAIMED_TWICE, "server1/eth1", "sw1/ethernet-1/1"),),
        source=LinkSource.BOTH,
    ),
    "two-ports-claim-one-nic-prefer-lldp": Case(
        policy=MERGED_LLDP,
        add=(rec("sw1", "ethernet-1/8", "server1", "eth1"),),
        conflicts=((K.NIC_CLAIMED_TWICE, "server1/eth1", None),),
        expect=NotFoundReason.CONFLICT,
    ),
    "mapped-nic-seen-nowhere": Case(
        drop=S1_MOVED,
        conflicts=((K.STATIC_NOT_SEEN, "server1/eth1", "sw1/ethernet-1/1"),),
        source=LinkSource.STATIC,
    ),
    "mapped-nic-seen-nowhere-lldp-mode": Case(
        policy=LLDP,
        drop=S1_MOVED,
        conflicts=((K.STATIC_NOT_SEEN, "server1/eth1", None),),
        expect=NotFoundReason.CONFLICT,
    ),
    "lldp-nic-not-mapped-static-mode": Case(
        policy=STATIC,
        add=(rec("sw1", "ethernet-1/4", "server4", "eth1"),),
        conflicts=((K.LLDP_NOT_MAPPED, "server4/eth1", None),),
        nic=("server4", "eth1"),
        expect=NotFoundReason.CONFLICT,
    ),
    "lldp-nic-not-mapped-merged": Case(
        add=(rec("sw1", "ethernet-1/4", "server4", "eth1"),),
        nic=("server4", "eth1"),
        expect="sw1/ethernet-1/4",
        source=LinkSource.LLDP,
    ),
    "two-nics-one-port": Case(
        add=(rec("sw1", "ethernet-1/1", "server4", "eth1"),),
        conflicts=((K.PORT_CLAIMED_TWICE, "sw1/ethernet-1/1", "sw1/ethernet-1/1"),),
        nic=("server4", "eth1"),
        expect="sw1/ethernet-1/1",
    ),
    "fabric-port-two-peers": Case(
        drop=(("spine1", "ethernet-1/1"),),
        add=(rec("spine1", "ethernet-1/1", "sw2", "ethernet-1/49"),),
        conflicts=(
            (K.FABRIC_PORT_CLAIMED_TWICE, "spine1/ethernet-1/1", None),
            (K.FABRIC_PORT_CLAIMED_TWICE, "sw2/ethernet-1/49", None),
        ),
    ),
    "fresh-beats-stale": Case(
        policy=LLDP,
        static=None,
        drop=S1_MOVED,
        add=(rec("sw1", "ethernet-1/1", "server1", "eth1", stale=True), *S1_ON_SW2),
        expect="sw2/ethernet-1/4",
    ),
    "stale-only": Case(
        policy=LLDP,
        static=None,
        drop=S1_MOVED,
        add=(rec("sw1", "ethernet-1/1", "server1", "eth1", stale=True),),
        expect=NotFoundReason.STALE,
    ),
    "stale-lldp-mode-static-agrees": Case(
        policy=LLDP,
        drop=S1_MOVED,
        add=(rec("sw1", "ethernet-1/1", "server1", "eth1", stale=True),),
        expect=NotFoundReason.STALE,
    ),
    "stale-but-mapped-statically": Case(
        drop=S1_MOVED,
        add=(rec("sw1", "ethernet-1/1", "server1", "eth1", stale=True),),
        source=LinkSource.BOTH,
    ),
}


def build(case: Case):
    records = [r for r in seed_records() if (r.switch, r.local_port) not in case.drop] + list(case.add)
    return build_topology(
        SWITCHES,
        lldp=records if case.discovery else None,
        static=parse_port_map(case.static, SWITCHES) if case.static is not None else None,
        policy=case.policy,
    )


@pytest.mark.parametrize("name", list(CASES))
def test_conflict_table(name):
    case = CASES[name]
    snap = build(case)
    got = tuple((c.kind, c.subject, str(c.winner) if c.winner else None) for c in snap.conflicts)
    assert got == case.conflicts
    for c in snap.conflicts:
        if c.kind not in (K.PORT_CLAIMED_TWICE, K.FABRIC_PORT_CLAIMED_TWICE):
            assert str(case.policy) in c.reason
    node, nic = ref(*case.nic).node, ref(*case.nic).nic
    if isinstance(case.expect, NotFoundReason):
        with pytest.raises(NotFound) as err:
            snap.leaf_port(node, nic)
        assert err.value.reason is case.expect
        assert str(ref(*case.nic)) in str(err.value)
    else:
        assert str(snap.leaf_port(node, nic)) == case.expect
    if case.source is not None:
        placed = snap.placement(node, nic)
        assert placed is not None and placed.source is case.source


def test_conflicted_edges_are_marked_and_both_kept_in_the_graph():
    snap = build(CASES["mismatch-merged-prefer-static"])
    edges = {(e.switch, e.port): e for e in snap.edge_links if str(e.ref) == "server1/eth1"}
    assert {k: (e.placed, e.conflicted, e.source) for k, e in edges.items()} == {
        ("sw1", "ethernet-1/1"): (True, True, LinkSource.STATIC),
        ("sw2", "ethernet-1/4"): (False, True, LinkSource.LLDP),
    }


def test_conflict_reason_is_for_humans():
    (c,) = build(CASES["mismatch-merged-prefer-static"]).conflicts
    assert c.reason == (
        "static map says sw1/ethernet-1/1, LLDP says sw2/ethernet-1/4; "
        "mode=merged prefer=static: using sw1/ethernet-1/1"
    )
