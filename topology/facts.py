"""Typed facts the topology is built from: switches, LLDP neighbour records,
static links, placements.

Every name that comes from outside (inventory, LLDP, a port map) is
normalised through :func:`models.platforms.profile` before it becomes a fact:
switch ports are stored by their OpenConfig name, node NICs by their Linux
name. Facts are validated on construction and raise :class:`FactsError`.
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
from typing import Self

from models.ids import NicName, NodeName, PortName, SwitchName
from models.intent import Placement
from models.platforms import PlatformProfile, PortNameError, UnknownPlatformError, profile
from topology.errors import FactsError

#: the platform of Kubernetes nodes (servers): Linux interface names
NODE_PLATFORM = "linux"
ASN_MAX = 4_294_967_295


class Role(enum.StrEnum):
    LEAF = "leaf"
    SPINE = "spine"


class _Subtype(enum.StrEnum):
    @classmethod
    def parse(cls, text: str) -> Self:
        """Accept the OpenConfig enum name with or without a module prefix
        (``openconfig-lldp-types:MAC_ADDRESS``) and lldpd's short names."""
        name = text.rsplit(":", 1)[-1].strip()
        name = _LLDPD_ALIASES.get(name.lower(), name.upper())
        try:
            return cls(name)
        except ValueError:
            known = ", ".join(m.value for m in cls)
            raise FactsError(f"unknown LLDP {cls.__doc__} {text!r} (known: {known})") from None


_LLDPD_ALIASES = {
    "ifname": "INTERFACE_NAME",
    "mac": "MAC_ADDRESS",
    "local": "LOCAL",
    "ifalias": "INTERFACE_ALIAS",
}


class PortIdType(_Subtype):
    """port-id-type"""

    INTERFACE_ALIAS = "INTERFACE_ALIAS"
    PORT_COMPONENT = "PORT_COMPONENT"
    MAC_ADDRESS = "MAC_ADDRESS"
    NETWORK_ADDRESS = "NETWORK_ADDRESS"
    INTERFACE_NAME = "INTERFACE_NAME"
    AGENT_CIRCUIT_ID = "AGENT_CIRCUIT_ID"
    LOCAL = "LOCAL"


class ChassisIdType(_Subtype):
    """chassis-id-type"""

    CHASSIS_COMPONENT = "CHASSIS_COMPONENT"
    INTERFACE_ALIAS = "INTERFACE_ALIAS"
    PORT_COMPONENT = "PORT_COMPONENT"
    MAC_ADDRESS = "MAC_ADDRESS"
    NETWORK_ADDRESS = "NETWORK_ADDRESS"
    INTERFACE_NAME = "INTERFACE_NAME"
    LOCAL = "LOCAL"


def platform_profile(platform: str) -> PlatformProfile:
    try:
        return profile(platform)
    except UnknownPlatformError as e:
        raise FactsError(str(e)) from None


def switch_port(platform: str, name: str) -> PortName:
    """The OpenConfig name of a switch port given in any of its platform's forms."""
    try:
        return PortName(platform_profile(platform).port_names(name).oc)
    except PortNameError as e:
        raise FactsError(str(e)) from None


def node_nic(name: str) -> NicName:
    """The Linux name of a node NIC given in any form the node platform knows."""
    try:
        return NicName(profile(NODE_PLATFORM).port_names(name).linux)
    except PortNameError as e:
        raise FactsError(str(e)) from None


def _check_ip(what: str, value: str) -> None:
    if value:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise FactsError(f"{what} {value!r} is not an IP address") from None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SwitchFacts:
    """A switch of the inventory (day-0 underlay facts fabricd reads, never writes)."""

    name: SwitchName
    role: Role
    platform: str
    router_id: str = ""  # BGP router id ("" when the inventory does not say)
    vtep_address: str = ""  # VXLAN source address (loopback), "" when unknown
    asn: int | None = None  # underlay BGP ASN

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name or self.name != self.name.strip():
            raise FactsError(f"switch name {self.name!r}: must be non-empty, without '/' or spaces around")
        if not isinstance(self.role, Role):
            raise FactsError(f"switch {self.name}: role {self.role!r} is not one of leaf, spine")
        platform_profile(self.platform)
        _check_ip(f"switch {self.name}: router_id", self.router_id)
        _check_ip(f"switch {self.name}: vtep_address", self.vtep_address)
        if self.asn is not None and not 1 <= self.asn <= ASN_MAX:
            raise FactsError(f"switch {self.name}: asn {self.asn} is not in 1..{ASN_MAX}")

    def port(self, name: str) -> PortName:
        """This switch's OpenConfig name of a port given in any form."""
        return switch_port(self.platform, name)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, order=True)
class NodeNicRef:
    """A NIC of a Kubernetes node."""

    node: NodeName
    nic: NicName

    def __str__(self) -> str:
        return f"{self.node}/{self.nic}"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, order=True)
class LldpRecord:
    """One LLDP neighbour a switch reports on one of its ports.

    ``neighbor_id`` is the key of the OpenConfig neighbour list (vendor
    specific: a chassis MAC, an index, on SONiC the local interface name).
    ``stale``: the switch's session was lost longer ago than the hold time
    (see :mod:`topology.lldp_state`).
    """

    switch: SwitchName
    local_port: PortName  # OpenConfig name of the switch's port
    neighbor_id: str
    system_name: str
    port_id: str
    port_id_type: PortIdType = PortIdType.INTERFACE_NAME
    chassis_id: str = ""
    chassis_id_type: ChassisIdType = ChassisIdType.MAC_ADDRESS
    port_description: str = ""
    system_description: str = ""
    last_seen: float = 0.0  # seconds, the caller's clock
    stale: bool = False


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, order=True)
class StaticLink:
    """One entry of a static port map: this node NIC is cabled to that switch port."""

    node: NodeName
    nic: NicName
    switch: SwitchName
    port: PortName  # OpenConfig name
    line: int = 0  # where it was written (0: built in code)

    @property
    def ref(self) -> NodeNicRef:
        return NodeNicRef(node=self.node, nic=self.nic)

    @property
    def placement(self) -> Placement:
        return Placement(switch=self.switch, port=self.port)
