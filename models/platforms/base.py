"""The platform seam: what a switch platform renders, as a small interface.

fabricd's desired configuration of a leaf is a set of *owned objects*: gNMI
paths it writes with ``replace`` and removes with ``delete``, grouped by
:class:`ObjectKey` so that one attachment re-renders only what it touches:

* ``BASE``          - per-leaf overlay objects (VTEP endpoint, EVPN address family),
* ``vni_key(V)``    - everything VNI V needs on the leaf (VLAN, VNI map, MAC-VRF),
* ``port_key(P)``   - the VLANs on edge port P.

A platform profile (:mod:`models.platforms.profile`) is the data; a renderer
is the module for what data cannot say. Native platforms (SR Linux native
YANG, EOS augments) implement the same protocol: SR Linux would render a VNI
as a mac-vrf network-instance, a tunnel-interface and a bridged subinterface
per port (so its port objects are per (port, VLAN)); EOS as OpenConfig VLANs
and switched-vlan plus the arista-vxlan and arista-evpn augments.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from typing import Any, Literal, Protocol

from models.ids import Evi, PortName, SwitchName, VlanId, Vni
from models.intent import NetworkKey
from models.oc.path import Path
from models.oc.tree import Tree
from models.platforms.profile import PlatformProfile
from models.settings import FabricSettings

Json = Any
#: owned objects: path -> JSON_IETF value (written with replace)
Objects = Mapping[Path, Json]


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class ObjectKey:
    kind: Literal["base", "vni", "port"]
    vni: int = 0
    port: str = ""

    def __str__(self) -> str:
        return {"base": "base", "vni": f"vni {self.vni}", "port": f"port {self.port}"}[self.kind]


BASE = ObjectKey("base")


def vni_key(vni: int) -> ObjectKey:
    return ObjectKey("vni", vni=vni)


def port_key(port: str) -> ObjectKey:
    return ObjectKey("port", port=port)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LeafInfo:
    """What rendering needs to know of a leaf (from the inventory; day-0)."""

    name: SwitchName
    platform: str
    router_id: str
    asn: int = 0
    #: OpenConfig name of the VTEP source loopback; "" = the profile's default
    vtep_interface: str = ""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    """One VNI on one leaf."""

    vni: Vni
    vlan: VlanId
    evi: Evi
    network: NetworkKey


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FabricVlans:
    """VLANs that are fabricd's on a leaf: allocated (active or releasing)
    plus fabricd-named VLANs found on the device. A view: no copy per render."""

    allocated: Collection[int]
    device: Collection[int] = frozenset()

    def __contains__(self, vlan: object) -> bool:
        return vlan in self.allocated or vlan in self.device

    def foreign(self, vlans: Iterable[int]) -> list[int]:
        """Of ``vlans``, those that are not fabricd's, sorted (set operations in C)."""
        rest = set(vlans).difference(self.allocated)
        return sorted(rest.difference(self.device) if self.device else rest)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PortInput:
    port: PortName
    #: fabricd's VLANs for the port
    vlans: frozenset[VlanId]
    #: the port's objects on the device, owned or not
    current: Objects
    #: every VLAN that is fabricd's on this leaf (allocated, or a
    #: fabricd-named VLAN on the device); the port's other VLANs are left alone
    fabric_vlans: FabricVlans


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PortRender:
    objects: dict[Path, Json]
    #: non-empty when the port cannot take fabricd's VLANs (configured by
    #: someone else); objects then leave the port as it is
    conflict: str = ""


class Renderer(Protocol):
    profile: PlatformProfile

    def base(self, leaf: LeafInfo, settings: FabricSettings) -> dict[Path, Json]: ...

    def segment(self, leaf: LeafInfo, seg: Segment, settings: FabricSettings) -> dict[Path, Json]: ...

    def port(self, leaf: LeafInfo, inp: PortInput, settings: FabricSettings) -> PortRender: ...

    def read_paths(self) -> tuple[Path, ...]:
        """Subtrees to read (Get) to see every owned object and port."""
        ...

    def extract(self, tree: Tree, settings: FabricSettings) -> dict[ObjectKey, dict[Path, Json]]:
        """The device's objects, grouped by key: everything fabricd owns, and
        every port's switched-vlan (owned or not; see ``port``)."""
        ...

    def watch_paths(self) -> tuple[Path, ...]:
        """Subtrees to subscribe to (ON_CHANGE) for drift detection."""
        ...

    def watches(self, path: Path) -> bool:
        """Whether a change at ``path`` can touch owned objects or ports."""
        ...

    def normalize(self, path: Path, value: Json) -> Any:
        """The form two values of ``path`` are compared in."""
        ...

    def vlans_on_device(self, tree: Tree) -> dict[int, int]:
        """fabricd-named VLANs on the device: VLAN id -> VNI."""
        ...
