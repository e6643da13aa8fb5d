"""Platform profiles (data) and the one place that owns port naming.

A port has four names and :meth:`PlatformProfile.port_names` maps between
them; everything else in fabricd calls it:

* ``clab``  - the interface in a containerlab endpoint (``sw1:e1-1``),
* ``linux`` - the Linux interface in the node's network namespace (lab),
* ``oc``    - the OpenConfig ``/interfaces/interface[name]`` (gNMI),
* ``lldp``  - the LLDP port id the port advertises (ifname subtype).

Platform ``openconfig`` (the switches this project emulates) names port N of
slot S ``e{S}-{N}`` in containerlab and Linux and ``ethernet-{S}/{N}`` in
OpenConfig and LLDP (SR Linux style). Platform ``linux`` (servers) uses the
Linux name everywhere (``eth1``).
"""

from __future__ import annotations

import dataclasses
import re
from types import MappingProxyType

from models.errors import PortNameError, UnknownPlatformError


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PortNames:
    clab: str
    linux: str
    oc: str
    lldp: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PortNaming:
    """Each form is a format string over the fields of ``pattern`` (a regex
    with named groups) that every form of a name must match."""

    forms: MappingProxyType[str, str]  # form -> regex with named groups
    formats: MappingProxyType[str, str]  # form -> str.format template

    def names(self, name: str) -> PortNames | None:
        for form in ("clab", "linux", "oc", "lldp"):
            m = re.fullmatch(self.forms[form], name)
            if m:
                fields = m.groupdict()
                return PortNames(**{f: self.formats[f].format(**fields) for f in ("clab", "linux", "oc", "lldp")})
        return None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PlatformProfile:
    name: str
    description: str
    naming: PortNaming
    #: examples of a port name in each form, for error messages
    example: PortNames
    #: the network-instance holding VLANs, connection points and BGP
    default_instance: str = "default"
    #: BGP protocol instance: /protocols/protocol[identifier=BGP][name=...]
    bgp_instance: str = "BGP"
    #: OpenConfig name of the loopback the VTEP is sourced from
    vtep_interface: str = "loopback0"
    #: Linux name of that loopback in the lab
    vtep_interface_linux: str = "lo"
    #: longest Linux interface name (IFNAMSIZ - 1)
    max_ifname: int = 15

    def port_names(self, name: str) -> PortNames:
        """All four names of a port given any one of them."""
        names = self.naming.names(name)
        if names is None or len(names.linux) > self.max_ifname:
            ex = self.example
            raise PortNameError(
                f"{name!r} is not a port name of platform {self.name} "
                f"(e.g. {ex.clab!r} in containerlab, {ex.oc!r} in OpenConfig)"
            )
        return names


def _ro(d: dict[str, str]) -> MappingProxyType[str, str]:
    return MappingProxyType(d)


_SLOT_PORT = r"(?P<slot>[1-9][0-9]?)"
_PORT = r"(?P<port>[1-9][0-9]{0,2})"

OPENCONFIG = PlatformProfile(
    name="openconfig",
    description="a switch configured with OpenConfig as fabricd defines it (the lab's emulated switches)",
    naming=PortNaming(
        forms=_ro(
            {
                "clab": rf"e{_SLOT_PORT}-{_PORT}",
                "linux": rf"e{_SLOT_PORT}-{_PORT}",
                "oc": rf"ethernet-{_SLOT_PORT}/{_PORT}",
                "lldp": rf"ethernet-{_SLOT_PORT}/{_PORT}",
            }
        ),
        formats=_ro(
            {
                "clab": "e{slot}-{port}",
                "linux": "e{slot}-{port}",
                "oc": "ethernet-{slot}/{port}",
                "lldp": "ethernet-{slot}/{port}",
            }
        ),
    ),
    example=PortNames(clab="e1-1", linux="e1-1", oc="ethernet-1/1", lldp="ethernet-1/1"),
)

_IFNAME = r"(?P<ifname>[A-Za-z][A-Za-z0-9_.-]{0,14})"

LINUX = PlatformProfile(
    name="linux",
    description="a server (Kubernetes node): Linux interface names everywhere",
    naming=PortNaming(
        forms=_ro({f: _IFNAME for f in ("clab", "linux", "oc", "lldp")}),
        formats=_ro({f: "{ifname}" for f in ("clab", "linux", "oc", "lldp")}),
    ),
    example=PortNames(clab="eth1", linux="eth1", oc="eth1", lldp="eth1"),
    vtep_interface="lo",
)

PROFILES: MappingProxyType[str, PlatformProfile] = MappingProxyType({p.name: p for p in (OPENCONFIG, LINUX)})


def profile(name: str) -> PlatformProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownPlatformError(f"unknown platform {name!r} (known: {', '.join(sorted(PROFILES))})") from None
