"""Fabric settings: the overlay policy fabricd applies (parsed once, frozen).

fabricd owns the overlay only (per-VNI objects and the EVPN address family);
the underlay (ASNs, VTEP addresses, BGP sessions) is day-0 configuration
fabricd reads from the inventory and never rewrites.

Mapping form (the ``fabric:`` section of the daemon's settings file)::

    evpn:
      asn: 65000                 # fabric-wide EVPN ASN, 2-byte: RTs are ASN:VNI
      route_distinguisher: auto  # auto | explicit (<router-id>:<EVI>)
    vlan_pool:
      ranges: ["100-3999"]       # VLAN ids fabricd may allocate on a leaf
      reserved: ["1000-1099"]    # never allocated
    switch_pools:                # per-leaf override of vlan_pool
      sw1: {ranges: ["200-299"]}
    ports:
      when_empty: remove         # remove | park: what a port becomes without fabricd VLANs
      park_vlan: 4000            # with park: the access VLAN (outside the pool)
    default_mtu: 1500
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, Literal

from models.errors import Problem, raise_if
from models.ids import VLAN_MAX, VLAN_MIN, SwitchName
from models.validation import MTU_MAX, MTU_MIN

RdMode = Literal["auto", "explicit"]
EmptyPort = Literal["remove", "park"]


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class VlanRange:
    first: int
    last: int

    def __str__(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"

    def __contains__(self, vlan: object) -> bool:
        return isinstance(vlan, int) and self.first <= vlan <= self.last


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class VlanPool:
    ranges: tuple[VlanRange, ...] = (VlanRange(100, 3999),)
    reserved: tuple[VlanRange, ...] = ()

    def __contains__(self, vlan: object) -> bool:
        return any(vlan in r for r in self.ranges) and not any(vlan in r for r in self.reserved)

    def __iter__(self) -> Iterator[int]:
        """The pool's VLANs in ascending order."""
        seen: set[int] = set()
        for r in sorted(self.ranges):
            for v in range(r.first, r.last + 1):
                if v not in seen and v in self:
                    seen.add(v)
                    yield v

    def __str__(self) -> str:
        text = ",".join(str(r) for r in self.ranges)
        if self.reserved:
            text += " without " + ",".join(str(r) for r in self.reserved)
        return text

    @property
    def size(self) -> int:
        return len(pool_values(self))


@functools.lru_cache(maxsize=64)
def pool_values(pool: VlanPool) -> tuple[int, ...]:
    """The pool's VLANs in ascending order (cached: pools are immutable)."""
    return tuple(pool)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class EvpnSettings:
    asn: int = 65000
    route_distinguisher: RdMode = "auto"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PortSettings:
    when_empty: EmptyPort = "remove"
    park_vlan: int = 0


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FabricSettings:
    evpn: EvpnSettings = EvpnSettings()
    vlan_pool: VlanPool = VlanPool()
    switch_pools: Mapping[SwitchName, VlanPool] = dataclasses.field(default_factory=lambda: MappingProxyType({}))
    ports: PortSettings = PortSettings()
    default_mtu: int = 1500

    def pool_for(self, switch: SwitchName) -> VlanPool:
        return self.switch_pools.get(switch, self.vlan_pool)


# ----------------------------------------------------------------- parsing


def parse_fabric_settings(raw: Mapping[str, Any] | None, *, prefix: str = "fabric") -> FabricSettings:
    """Parse the mapping form; raises ValidationError listing every problem."""
    raw = raw or {}
    out: list[Problem] = []
    _unknown(raw, {"evpn", "vlan_pool", "switch_pools", "ports", "default_mtu"}, prefix, out)
    evpn = _evpn(raw.get("evpn") or {}, f"{prefix}.evpn", out)
    pool = _pool(raw.get("vlan_pool"), f"{prefix}.vlan_pool", out) or VlanPool()
    switch_pools: dict[SwitchName, VlanPool] = {}
    for name, sp in _mapping(raw.get("switch_pools") or {}, f"{prefix}.switch_pools", out).items():
        parsed = _pool(sp, f"{prefix}.switch_pools.{name}", out)
        if parsed:
            switch_pools[SwitchName(str(name))] = parsed
    ports = _ports(raw.get("ports") or {}, f"{prefix}.ports", out)
    mtu = raw.get("default_mtu", 1500)
    if not isinstance(mtu, int) or isinstance(mtu, bool) or not MTU_MIN <= mtu <= MTU_MAX:
        out.append(Problem(f"{prefix}.default_mtu", mtu, f"is not an MTU in {MTU_MIN}..{MTU_MAX}"))
    if ports.when_empty == "park":
        for where, p in [("vlan_pool", pool), *((f"switch_pools.{k}", v) for k, v in switch_pools.items())]:
            if ports.park_vlan in p:
                out.append(
                    Problem(
                        f"{prefix}.ports.park_vlan",
                        ports.park_vlan,
                        f"is inside {where} ({p}): it would be allocated",
                    )
                )
    raise_if(out)
    return FabricSettings(
        evpn=evpn,
        vlan_pool=pool,
        switch_pools=MappingProxyType(switch_pools),
        ports=ports,
        default_mtu=mtu,
    )


def _unknown(raw: Mapping[str, Any], known: set[str], prefix: str, out: list[Problem]) -> None:
    for key in raw:
        if key not in known:
            out.append(Problem(f"{prefix}.{key}", raw[key], f"is not a setting (known: {', '.join(sorted(known))})"))


def _mapping(raw: object, field: str, out: list[Problem]) -> Mapping[str, Any]:
    if isinstance(raw, Mapping):
        return raw
    out.append(Problem(field, raw, "must be a mapping"))
    return {}


def _evpn(raw: object, prefix: str, out: list[Problem]) -> EvpnSettings:
    d = _mapping(raw, prefix, out)
    _unknown(d, {"asn", "route_distinguisher"}, prefix, out)
    asn = d.get("asn", 65000)
    if not isinstance(asn, int) or isinstance(asn, bool) or not 1 <= asn <= 65535:
        out.append(
            Problem(
                f"{prefix}.asn",
                asn,
                "is not a 2-byte ASN 1..65535 (route targets are ASN:VNI, VNI up to 16777215)",
            )
        )
        asn = 65000
    rd = d.get("route_distinguisher", "auto")
    if rd not in ("auto", "explicit"):
        out.append(Problem(f"{prefix}.route_distinguisher", rd, "is not auto or explicit"))
        rd = "auto"
    return EvpnSettings(asn=asn, route_distinguisher=rd)


def _pool(raw: object, prefix: str, out: list[Problem]) -> VlanPool | None:
    if raw is None:
        return None
    d = _mapping(raw, prefix, out)
    _unknown(d, {"ranges", "reserved"}, prefix, out)
    ranges = tuple(_ranges(d.get("ranges", ["100-3999"]), f"{prefix}.ranges", out))
    reserved = tuple(_ranges(d.get("reserved", []), f"{prefix}.reserved", out))
    if not ranges:
        out.append(Problem(f"{prefix}.ranges", d.get("ranges"), "must name at least one VLAN range"))
        return None
    pool = VlanPool(ranges=ranges, reserved=reserved)
    if pool.size == 0:
        out.append(Problem(prefix, str(pool), "leaves no VLAN to allocate"))
    return pool


def _ranges(raw: object, field: str, out: list[Problem]) -> Iterable[VlanRange]:
    if not isinstance(raw, list):
        out.append(Problem(field, raw, 'must be a list like ["100-3999"]'))
        return
    for i, item in enumerate(raw):
        f = f"{field}[{i}]"
        text = str(item).strip()
        a, sep, b = text.partition("-")
        try:
            first, last = int(a), int(b) if sep else int(a)
        except ValueError:
            out.append(Problem(f, item, "is not a VLAN or a range FIRST-LAST"))
            continue
        if not (VLAN_MIN <= first <= last <= VLAN_MAX):
            out.append(Problem(f, item, f"is not a range inside {VLAN_MIN}..{VLAN_MAX} with FIRST <= LAST"))
            continue
        yield VlanRange(first, last)


def _ports(raw: object, prefix: str, out: list[Problem]) -> PortSettings:
    d = _mapping(raw, prefix, out)
    _unknown(d, {"when_empty", "park_vlan"}, prefix, out)
    when = d.get("when_empty", "remove")
    if when not in ("remove", "park"):
        out.append(Problem(f"{prefix}.when_empty", when, "is not remove or park"))
        when = "remove"
    park = d.get("park_vlan", 0)
    if when == "park" and (not isinstance(park, int) or not VLAN_MIN <= park <= VLAN_MAX):
        out.append(Problem(f"{prefix}.park_vlan", park, f"must be a VLAN {VLAN_MIN}..{VLAN_MAX} with when_empty: park"))
        park = 0
    return PortSettings(when_empty=when, park_vlan=park if isinstance(park, int) else 0)
