from __future__ import annotations

import random

import pytest

from models.alloc import EviAllocator, LeafVlans, VlanAllocation
from models.errors import PlacementConflict, PoolExhaustedError
from models.ids import Evi, SwitchName, VlanId, Vni
from models.settings import VlanPool, VlanRange

SW = SwitchName("sw1")


def pool(first=100, last=103, reserved=()):
    return VlanPool(ranges=(VlanRange(first, last),), reserved=tuple(VlanRange(a, b) for a, b in reserved))


def test_lowest_free_and_stable():
    v = LeafVlans(SW, pool())
    assert v.allocate(Vni(5000)) == 100
    assert v.allocate(Vni(6000)) == 101
    assert v.allocate(Vni(5000)) == 100


def test_reserved_ranges_are_skipped():
    v = LeafVlans(SW, pool(reserved=[(100, 101)]))
    assert v.allocate(Vni(1)) == 102


def test_release_holds_the_vlan_until_confirmed():
    v = LeafVlans(SW, pool(100, 101))
    v.allocate(Vni(1))
    v.allocate(Vni(2))
    v.release(Vni(1))
    with pytest.raises(PoolExhaustedError):
        v.allocate(Vni(3))  # VLAN 100 is not reusable before the leaf confirmed
    assert v.confirm_removed(Vni(1)) == 100
    assert v.allocate(Vni(3)) == 100


def test_reallocating_a_releasing_vni_keeps_its_vlan():
    v = LeafVlans(SW, pool())
    v.allocate(Vni(1))
    v.release(Vni(1))
    assert v.allocate(Vni(1)) == 100
    assert v.confirm_removed(Vni(1)) is None  # active again: not freed


def test_exhaustion_names_leaf_and_pool():
    v = LeafVlans(SW, pool(100, 100))
    v.allocate(Vni(1))
    with pytest.raises(PoolExhaustedError, match=r"no free VLAN on sw1 in pool 100") as e:
        v.allocate(Vni(2))
    assert (e.value.switch, e.value.pool) == ("sw1", "100")


def test_prefer_keeps_a_vlan_or_conflicts():
    v = LeafVlans(SW, pool())
    assert v.allocate(Vni(1), prefer=VlanId(103)) == 103
    with pytest.raises(PlacementConflict, match="VLAN 103 on sw1 carries VNI 1"):
        v.allocate(Vni(2), prefer=VlanId(103))
    with pytest.raises(PlacementConflict, match="VNI 1 uses VLAN 103"):
        v.allocate(Vni(1), prefer=VlanId(100))
    with pytest.raises(PlacementConflict, match="outside the VLAN pool"):
        v.allocate(Vni(3), prefer=VlanId(4000))


def test_restore_from_allocations():
    allocs = [
        VlanAllocation(switch=SW, vni=Vni(7), vlan=VlanId(102)),
        VlanAllocation(switch=SW, vni=Vni(8), vlan=VlanId(100), releasing=True),
    ]
    v = LeafVlans(SW, pool(), allocs)
    assert v.allocations() == sorted(allocs)
    assert v.allocate(Vni(9)) == 101
    assert v.free == 1


def test_free_counts_what_the_pool_has_left():
    """``free`` is kept as a count: after any sequence of allocations,
    releases and confirmed removals (from stored allocations, one of them
    outside a pool that changed since) it equals the VLANs of the pool not in
    use, counted one by one."""
    rng = random.Random(7)
    p = pool(100, 140, reserved=((110, 114),))
    stored = [
        VlanAllocation(switch=SW, vni=Vni(1), vlan=VlanId(100)),
        VlanAllocation(switch=SW, vni=Vni(2), vlan=VlanId(3000), releasing=True),  # outside today's pool
    ]
    v = LeafVlans(SW, p, stored)
    for _ in range(3000):
        vni = Vni(rng.randrange(1, 60))
        action = rng.random()
        try:
            if action < 0.45:
                prefer = VlanId(rng.randrange(95, 145)) if rng.random() < 0.3 else None
                v.allocate(vni, prefer=prefer)
            elif action < 0.75:
                v.release(vni)
            else:
                v.confirm_removed(vni)
        except (PlacementConflict, PoolExhaustedError):
            pass
        assert v.free == sum(1 for x in p if x not in v.in_use())


def test_evis_never_equal_vnis_and_wrap():
    e = EviAllocator()
    assert e.allocate(Vni(70000)) == 1
    assert e.allocate(Vni(16777215)) == 2
    e.release(Vni(70000))
    assert e.allocate(Vni(5)) == 3  # a freed EVI is not reused at once
    restored = EviAllocator([(Vni(1), Evi(65535))])
    assert restored.allocate(Vni(2)) == 1
