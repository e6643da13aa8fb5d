"""Allocators: the VLAN of each VNI on a leaf, the fabric-wide EVI of a network.

VLANs are per (leaf, VNI): the lowest free VLAN of the leaf's pool, stable for
as long as the VNI is on the leaf, and given back only after the leaf has
confirmed that the VNI's configuration is gone (``release`` then
``confirm_removed``): until then the VLAN cannot carry another VNI, so two
VNIs are never bridged by a reused VLAN.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
from collections.abc import Iterable

from models.errors import PlacementConflict, PoolExhaustedError
from models.ids import EVI_MAX, EVI_MIN, Evi, SwitchName, VlanId, Vni
from models.settings import VlanPool, pool_values


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, order=True)
class VlanAllocation:
    switch: SwitchName
    vni: Vni
    vlan: VlanId
    #: the VNI left the leaf; the VLAN is held until the leaf confirms removal
    releasing: bool = False


class LeafVlans:
    """VLAN allocations of one leaf (mutable, pure)."""

    __slots__ = ("_by_vlan", "_by_vni", "_free", "_in_pool", "_releasing", "pool", "switch")

    def __init__(self, switch: SwitchName, pool: VlanPool, allocations: Iterable[VlanAllocation] = ()) -> None:
        self.switch = switch
        self.pool = pool
        self._by_vni: dict[Vni, VlanId] = {}
        self._by_vlan: dict[VlanId, Vni] = {}
        self._releasing: set[Vni] = set()
        self._in_pool = 0  # VLANs in use inside the pool (a stored one may lie outside a changed pool)
        for a in allocations:
            self._take(a.vni, a.vlan)
            if a.releasing:
                self._releasing.add(a.vni)
        # a min-heap of candidate VLANs; entries taken meanwhile are skipped
        self._free: list[int] = [v for v in pool_values(pool) if v not in self._by_vlan]

    def _take(self, vni: Vni, vlan: VlanId) -> None:
        self._by_vni[vni] = vlan
        if vlan not in self._by_vlan and vlan in self.pool:
            self._in_pool += 1
        self._by_vlan[vlan] = vni

    def vlan_of(self, vni: Vni) -> VlanId | None:
        return self._by_vni.get(vni)

    def vni_of(self, vlan: VlanId) -> Vni | None:
        return self._by_vlan.get(vlan)

    def is_releasing(self, vni: Vni) -> bool:
        return vni in self._releasing

    def allocate(self, vni: Vni, *, prefer: VlanId | None = None) -> VlanId:
        """The VLAN for ``vni`` (existing, or the lowest free). With
        ``prefer`` (a NIC moving with its pods' VLAN) exactly that VLAN or a
        PlacementConflict."""
        current = self._by_vni.get(vni)
        if current is not None:
            if prefer is not None and prefer != current:
                why = f"VNI {vni} uses VLAN {current} on {self.switch}; the NIC's pods use VLAN {prefer}"
                raise PlacementConflict(why)
            self._releasing.discard(vni)
            return current
        if prefer is not None:
            owner = self._by_vlan.get(prefer)
            if owner is not None:
                what = "is being released by" if owner in self._releasing else "carries"
                raise PlacementConflict(f"VLAN {prefer} on {self.switch} {what} VNI {owner}; the NIC's pods need it")
            if prefer not in self.pool:
                raise PlacementConflict(f"VLAN {prefer} is outside the VLAN pool {self.pool} of {self.switch}")
            self._take(vni, prefer)
            return prefer
        while self._free:
            v = heapq.heappop(self._free)
            if v not in self._by_vlan:
                vlan = VlanId(v)
                self._take(vni, vlan)
                return vlan
        raise PoolExhaustedError(
            f"no free VLAN on {self.switch} in pool {self.pool} ({len(self._by_vlan)} in use)",
            switch=self.switch,
            pool=str(self.pool),
        )

    def release(self, vni: Vni) -> None:
        """The last attachment of ``vni`` left: hold its VLAN until confirmed."""
        if vni in self._by_vni:
            self._releasing.add(vni)

    def confirm_removed(self, vni: Vni) -> VlanId | None:
        """The leaf confirmed the VNI's config is gone: free its VLAN."""
        if vni not in self._releasing:
            return None
        self._releasing.discard(vni)
        vlan = self._by_vni.pop(vni)
        del self._by_vlan[vlan]
        if vlan in self.pool:
            self._in_pool -= 1
            heapq.heappush(self._free, vlan)
        return vlan

    def allocations(self) -> list[VlanAllocation]:
        return sorted(
            VlanAllocation(switch=self.switch, vni=vni, vlan=vlan, releasing=vni in self._releasing)
            for vni, vlan in self._by_vni.items()
        )

    def in_use(self) -> dict[VlanId, Vni]:
        """VLAN -> VNI, active and releasing (a read-only view by contract)."""
        return self._by_vlan

    @property
    def used(self) -> int:
        return len(self._by_vlan)

    @property
    def free(self) -> int:
        # counted, not walked: the switch list and every metrics scrape ask it of each leaf
        return self.pool.size - self._in_pool


class EviAllocator:
    """Fabric-wide EVPN instance ids, one per network (VNI), in 1..65535 (a VNI
    is not an EVI: VNI 70000 gets an EVI like any other)."""

    __slots__ = ("_by_evi", "_by_vni", "_next")

    def __init__(self, allocations: Iterable[tuple[Vni, Evi]] = ()) -> None:
        self._by_vni: dict[Vni, Evi] = {}
        self._by_evi: dict[Evi, Vni] = {}
        for vni, evi in allocations:
            self._by_vni[vni] = evi
            self._by_evi[evi] = vni
        # a cursor, so that a freed EVI is not handed to the next network at once
        # (its routes may still be withdrawing); restarts resume after the highest
        self._next = max(self._by_evi, default=0) % EVI_MAX + 1

    def evi_of(self, vni: Vni) -> Evi | None:
        return self._by_vni.get(vni)

    def allocate(self, vni: Vni) -> Evi:
        if vni in self._by_vni:
            return self._by_vni[vni]
        # a chain, not a tuple: building all 65,535 candidates cost 2 ms per network
        for candidate in itertools.chain(range(self._next, EVI_MAX + 1), range(EVI_MIN, self._next)):
            evi = Evi(candidate)
            if evi not in self._by_evi:
                self._by_vni[vni] = evi
                self._by_evi[evi] = vni
                self._next = candidate + 1 if candidate < EVI_MAX else EVI_MIN
                return evi
        raise PoolExhaustedError(f"no free EVI in {EVI_MIN}..{EVI_MAX}", pool=f"evi {EVI_MIN}-{EVI_MAX}")

    def release(self, vni: Vni) -> None:
        evi = self._by_vni.pop(vni, None)
        if evi is not None:
            del self._by_evi[evi]
