"""Fabric settings: the overlay policy fabricd applies (parsed once, frozen).

fabricd owns the overlay only (per-VNI objects and the EVPN address family);
the underlay (ASNs, VTEP addresses, BGP sessions) is day-0 configuration
fabricd reads from the inventory and never rewrites.

Mapping form (the ``fabric:`` section of the daemon's settings file; every
default is the field's own, see ``docs/settings.md``)::

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
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, PlainSerializer, PlainValidator, Strict, ValidationInfo, WithJsonSchema

from models.configfile import problem, section, validate
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


def _vlan_range(value: object) -> VlanRange:
    if isinstance(value, VlanRange):
        return value
    a, sep, b = str(value).strip().partition("-")
    try:
        first, last = int(a), int(b) if sep else int(a)
    except ValueError:
        raise problem("is not a VLAN or a range FIRST-LAST") from None
    if not (VLAN_MIN <= first <= last <= VLAN_MAX):
        raise problem(f"is not a range inside {VLAN_MIN}..{VLAN_MAX} with FIRST <= LAST")
    return VlanRange(first, last)


#: ``"100-3999"``, ``"4000"`` or ``4000`` in a document
VlanRangeText = Annotated[
    VlanRange,
    PlainValidator(_vlan_range),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": ["string", "integer"], "pattern": r"^\d+(-\d+)?$", "examples": ["100-3999"]}),
]


def _some_ranges(ranges: tuple[VlanRange, ...]) -> tuple[VlanRange, ...]:
    if not ranges:
        raise problem("must name at least one VLAN range")
    return ranges


@section
class VlanPool:
    ranges: Annotated[tuple[VlanRangeText, ...], AfterValidator(_some_ranges)] = (VlanRange(100, 3999),)
    """VLAN ids fabricd may allocate on a leaf (``["100-3999"]``)"""
    reserved: tuple[VlanRangeText, ...] = ()
    """VLAN ids inside ``ranges`` that are never allocated"""

    def __post_init__(self) -> None:
        if self.size == 0:
            raise problem("leaves no VLAN to allocate", value=str(self))

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


def _asn2(value: int) -> int:
    if not 1 <= value <= 65535:
        raise problem("is not a 2-byte ASN 1..65535 (route targets are ASN:VNI, VNI up to 16777215)")
    return value


def _mtu(value: int) -> int:
    if not MTU_MIN <= value <= MTU_MAX:
        raise problem(f"is not an MTU in {MTU_MIN}..{MTU_MAX}")
    return value


@section
class EvpnSettings:
    asn: Annotated[int, Strict(), AfterValidator(_asn2)] = 65000
    """fabric-wide 2-byte EVPN ASN: route targets are ``ASN:VNI``"""
    route_distinguisher: RdMode = "auto"
    """``auto`` (the switch derives it) or ``explicit`` (``<router-id>:<EVI>``)"""


@section
class PortSettings:
    when_empty: EmptyPort = "remove"
    """what a port becomes without fabricd VLANs: ``remove`` its switched-vlan, or ``park`` it"""
    park_vlan: Annotated[int, Strict(), Field(ge=0, le=VLAN_MAX)] = 0
    """with ``park``: the access VLAN of a parked port (outside every pool)"""

    def __post_init__(self) -> None:
        if self.when_empty == "park" and not VLAN_MIN <= self.park_vlan <= VLAN_MAX:
            raise problem(
                f"must be a VLAN {VLAN_MIN}..{VLAN_MAX} with when_empty: park", field="park_vlan", value=self.park_vlan
            )


def _frozen_pools(pools: Mapping[SwitchName, VlanPool]) -> Mapping[SwitchName, VlanPool]:
    return MappingProxyType(dict(pools))


def _park_outside_pools(ports: PortSettings, info: ValidationInfo) -> PortSettings:
    if ports.when_empty != "park":
        return ports
    pools = [("vlan_pool", info.data.get("vlan_pool", VlanPool()))]
    pools += [(f"switch_pools.{k}", v) for k, v in info.data.get("switch_pools", {}).items()]
    for where, pool in pools:
        if ports.park_vlan in pool:
            raise problem(
                f"is inside {where} ({pool}): it would be allocated", field="park_vlan", value=ports.park_vlan
            )
    return ports


@section
class FabricSettings:
    evpn: EvpnSettings = dataclasses.field(default_factory=EvpnSettings)
    """the EVPN policy"""
    vlan_pool: VlanPool = dataclasses.field(default_factory=VlanPool)
    """the VLANs fabricd allocates on every leaf"""
    switch_pools: Annotated[Mapping[SwitchName, VlanPool], AfterValidator(_frozen_pools)] = dataclasses.field(
        default_factory=lambda: MappingProxyType({})
    )
    """per-leaf override of ``vlan_pool`` (``sw1: {ranges: ["200-299"]}``)"""
    ports: Annotated[PortSettings, AfterValidator(_park_outside_pools)] = dataclasses.field(
        default_factory=PortSettings
    )
    """leaf ports without fabricd VLANs"""
    default_mtu: Annotated[int, Strict(), AfterValidator(_mtu)] = 1500
    """the MTU of a network that does not set one"""
    max_attachments_per_node: Annotated[int, Strict(), Field(ge=1, le=1_000_000)] = 1024
    """the most attachments one node may hold (one node must not take every VLAN of a leaf)"""
    readiness: Literal["committed", "forwarding"] = "committed"
    """when an attachment of a network that does not set its own is READY: ``committed`` (its leaf
    committed the configuration) or ``forwarding`` (also, the VNI is up and floods to and from every
    healthy leaf carrying it: docs/readiness.md)"""

    def pool_for(self, switch: SwitchName) -> VlanPool:
        return self.switch_pools.get(switch, self.vlan_pool)


def parse_fabric_settings(raw: Mapping[str, Any] | None, *, prefix: str = "fabric") -> FabricSettings:
    """Parse the mapping form; raises ValidationError listing every problem."""
    return validate(FabricSettings, raw, prefix=prefix)
