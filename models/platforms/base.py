"""The platform seam: what a switch platform renders, as a small interface.

fabricd's desired configuration of a leaf is a set of *owned objects*: gNMI
paths it writes with ``replace`` and removes with ``delete``, grouped by
:class:`ObjectKey` so that one attachment re-renders only what it touches:

* ``BASE``                 - per-leaf overlay objects (VTEP endpoint, EVPN address family),
* ``vni_key(V)``           - everything VNI V needs on the leaf (VLAN, VNI map, MAC-VRF),
* ``port_key(P)``          - edge port P's own objects (its VLANs, its mode),
* ``port_vni_key(P, V)``   - VNI V's objects on port P, for platforms whose
  profile says ``vlan_objects`` (an SR Linux subinterface per VLAN).

A platform profile (:mod:`models.platforms.profile`) is the data; a renderer
is the module for what data cannot say (docs/platforms.md). ``openconfig``
renders VLANs, a VNI map and an L2VSI per VNI, and a trunk per port. SR Linux
(``srlinux``) renders a port's VLAN tagging, one bridged subinterface per
(port, VNI), and per VNI a vxlan-interface and a mac-vrf that *lists its
ports' subinterfaces*: a VNI's objects depend on its ports, so its profile
says ``vni_lists_ports`` and :func:`models.render.render_keys` hands
``segment`` the renders of the VNI's (port, VNI) keys. A (port, VNI) the port
cannot take (someone else's subinterface holds its index or VLAN) reports a
conflict under its own key; the port's other VNIs are unaffected.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Mapping
from types import MappingProxyType
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

#: every platform names fabricd's per-VNI objects ``fabricd-vni-<VNI>``
VNI_PREFIX = "fabricd-vni-"
_VNI_NAME = re.compile(rf"{VNI_PREFIX}([1-9][0-9]*)")


def vni_name(vni: int) -> str:
    """The name of VNI ``vni``'s objects (a network-instance, a VLAN)."""
    return f"{VNI_PREFIX}{vni}"


def vni_of_name(name: object) -> int | None:
    """The VNI a fabricd name carries, or None for any other name."""
    m = _VNI_NAME.fullmatch(name) if isinstance(name, str) else None
    return int(m.group(1)) if m else None


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class ObjectKey:
    kind: Literal["base", "vni", "port"]
    vni: int = 0
    port: str = ""

    def __str__(self) -> str:
        if self.kind == "port" and self.vni:
            return f"port {self.port} vni {self.vni}"
        return {"base": "base", "vni": f"vni {self.vni}", "port": f"port {self.port}"}[self.kind]


BASE = ObjectKey("base")


def vni_key(vni: int) -> ObjectKey:
    return ObjectKey("vni", vni=vni)


def port_key(port: str) -> ObjectKey:
    return ObjectKey("port", port=port)


def port_vni_key(port: str, vni: int) -> ObjectKey:
    """One VNI on one port (``vlan_objects`` platforms)."""
    return ObjectKey("port", vni=vni, port=port)


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
    #: the leaf's edge ports carrying the VNI
    ports: frozenset[PortName] = frozenset()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FabricVlans:
    """VLANs that are fabricd's on a leaf: allocated (active or releasing)
    plus fabricd-named VLANs found on the device. A view: no copy per render."""

    allocated: Collection[int]
    device: Collection[int] = frozenset()

    def __contains__(self, vlan: object) -> bool:
        return vlan in self.allocated or vlan in self.device

    def not_ours(self, vlans: set[int]) -> set[int]:
        """Of ``vlans``, those that are not fabricd's (set operations in C)."""
        rest = vlans.difference(self.allocated)
        return rest.difference(self.device) if self.device else rest


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
class VlanInput:
    """One VNI on one port (``vlan_objects`` platforms)."""

    port: PortName
    #: the VNI's VLAN on the leaf (0: none allocated)
    vlan: int
    #: the intent puts the VNI on the port
    wanted: bool
    #: this (port, VNI)'s objects on the device
    current: Objects
    #: the port's own objects on the device, owned or not (see ``port``)
    port_current: Objects


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PortRender:
    """A port's (or a (port, VNI)'s) objects."""

    objects: dict[Path, Json]
    #: non-empty when the port (the (port, VNI)) cannot take fabricd's VLANs
    #: (configured by someone else); objects then leave it as it is
    conflict: str = ""


NO_PORTS: Mapping[PortName, PortRender] = MappingProxyType({})


class Renderer(Protocol):
    profile: PlatformProfile

    def base(self, leaf: LeafInfo, settings: FabricSettings) -> dict[Path, Json]: ...

    def segment(
        self, leaf: LeafInfo, seg: Segment, settings: FabricSettings, ports: Mapping[PortName, PortRender] = NO_PORTS
    ) -> dict[Path, Json]:
        """The VNI's objects; ``ports`` holds the renders of the VNI's
        (port, VNI) keys on ``seg.ports`` when the profile says
        ``vni_lists_ports``."""
        ...

    def port(self, leaf: LeafInfo, inp: PortInput, settings: FabricSettings) -> PortRender: ...

    def port_vlan(self, leaf: LeafInfo, inp: VlanInput, settings: FabricSettings) -> PortRender:
        """One VNI's objects on one port; called only when the profile says
        ``vlan_objects``."""
        ...

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
