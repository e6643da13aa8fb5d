"""Platform profiles (data) and the one place that owns port naming.

A port has four names and :meth:`PlatformProfile.port_names` maps between
them; everything else in fabricd calls it:

* ``clab``  - the interface in a containerlab endpoint (``sw1:e1-1``),
* ``linux`` - the Linux interface in the node's network namespace (lab),
* ``oc``    - the OpenConfig ``/interfaces/interface[name]`` (gNMI),
* ``lldp``  - the LLDP port id the port advertises (ifname subtype).

Platforms ``openconfig`` (the switches this project emulates) and ``srlinux``
(Nokia SR Linux, native YANG) name port N of slot S ``e{S}-{N}`` in
containerlab and Linux and ``ethernet-{S}/{N}`` on the switch (``oc``: the
name in gNMI paths, OpenConfig or native) and in LLDP. Platform ``linux``
(servers) uses the Linux name everywhere (``eth1``).

Besides naming, a profile holds what else is data: where the platform serves
LLDP neighbour state (:class:`LldpPaths`), the configuration leaves its drift
watch subscribes to, its gNMI port, its day-0 names and capabilities
(docs/platforms.md).
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
    #: name -> its names, as computed: a topology rebuild asks again for every
    #: port of every switch (a 512-switch fabric: ~5,500 a rebuild); bounded
    _seen: dict[str, PortNames | None] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def names(self, name: str) -> PortNames | None:
        try:
            return self._seen[name]
        except KeyError:
            pass
        got = self._names(name)
        if len(self._seen) >= _SEEN_MAX:
            self._seen.clear()
        self._seen[name] = got
        return got

    def _names(self, name: str) -> PortNames | None:
        for form in ("clab", "linux", "oc", "lldp"):
            m = re.fullmatch(self.forms[form], name)
            if m:
                fields = m.groupdict()
                return PortNames(**{f: self.formats[f].format(**fields) for f in ("clab", "linux", "oc", "lldp")})
        return None


_SEEN_MAX = 1 << 16


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LldpPaths:
    """Where a platform serves LLDP neighbour state: discovery subscribes to
    ``subscribe`` and finds, in every notified path below ``root``, the local
    port (list element ``port``, its key) and the neighbour (``neighbor``)."""

    #: the subscription (STREAM, ON_CHANGE)
    subscribe: str
    #: the schema names the per-port table hangs under
    root: tuple[str, ...]
    #: the list element of the local port and its key
    port: tuple[str, str] = ("interface", "name")
    #: the list element of one neighbour and its key
    neighbor: tuple[str, str] = ("neighbor", "id")
    #: platform leaf name -> the record's leaf name, where they differ
    leaves: MappingProxyType[str, str] = dataclasses.field(default_factory=lambda: MappingProxyType({}))


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PlatformProfile:
    name: str
    description: str
    naming: PortNaming
    #: examples of a port name in each form, for error messages
    example: PortNames
    #: LLDP neighbour state (None: discovery does not read this platform)
    lldp: LldpPaths | None = None
    #: the configuration leaves the drift watch subscribes to (ON_CHANGE):
    #: never whole subtrees that hold counters or other churning state
    drift_paths: tuple[str, ...] = ()
    #: the gNMI port of an inventory address that names none (0: it must)
    gnmi_port: int = 0
    #: a port's objects are per VNI too (an SR Linux subinterface per VLAN):
    #: rendered per (port, VNI) key, so one attach costs the same on a port with
    #: one VLAN or four thousand
    vlan_objects: bool = False
    #: the VNI's objects name the ports carrying it (a native mac-vrf lists its
    #: subinterfaces): rendering hands each VNI its (port, VNI) renders
    vni_lists_ports: bool = False
    #: day-0: the tunnel interface holding the VXLAN interfaces ("" = none)
    tunnel_interface: str = ""
    #: the network-instance holding VLANs, connection points and BGP
    default_instance: str = "default"
    #: BGP protocol instance: /protocols/protocol[identifier=BGP][name=...]
    bgp_instance: str = "BGP"
    #: the switch's name of the loopback the VTEP is sourced from (day-0)
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

#: ``e1-1`` in containerlab and Linux, ``ethernet-1/1`` on the switch and in LLDP
_ETHERNET = PortNaming(
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
)
_ETHERNET_EXAMPLE = PortNames(clab="e1-1", linux="e1-1", oc="ethernet-1/1", lldp="ethernet-1/1")

_NIS = "/network-instances/network-instance[name=*]"
_EPS = f"{_NIS}/connection-points/connection-point[connection-point-id=*]/endpoints/endpoint[endpoint-id=*]"
#: the subtrees owned objects live in, as close to their configuration as the
#: model allows: a whole /network-instances would stream the switch's state
#: with them (each VNI's flood list as remote VTEPs come and go, on a real
#: switch the BGP RIB, forwarding tables and MAC tables), and interface
#: counters and oper-status are not owned either
_OC_DRIFT = (
    f"{_NIS}/config",  # a MAC-VRF's name and type
    f"{_NIS}/evpn",  # a MAC-VRF's EVPN instance
    f"{_NIS}/vlans",
    f"{_NIS}/connection-points/connection-point[connection-point-id=*]/config",
    f"{_EPS}/config",
    f"{_EPS}/vxlan/config",
    f"{_EPS}/vxlan/local-endpoint-vnis",
    f"{_NIS}/protocols/protocol[identifier=*][name=*]/bgp/global/afi-safis/afi-safi[afi-safi-name=*]/config",
    "/interfaces/interface/ethernet/switched-vlan",
)

OPENCONFIG = PlatformProfile(
    name="openconfig",
    description="a switch configured with OpenConfig as fabricd defines it (the lab's emulated switches)",
    naming=_ETHERNET,
    example=_ETHERNET_EXAMPLE,
    lldp=LldpPaths(subscribe="/lldp/interfaces/interface/neighbors/neighbor/state", root=("lldp", "interfaces")),
    drift_paths=_OC_DRIFT,
)

#: SR Linux configuration leaves fabricd reads and watches (config only: a
#: whole /interface or /network-instance would stream counters, MAC tables...)
_SRL_LEAVES = (
    "/interface[name=*]/vlan-tagging",
    # the key leaf too: every subinterface, even one with none of the others set
    *(
        f"/interface[name=*]/subinterface[index=*]/{leaf}"
        for leaf in ("index", "type", "description", "admin-state", "vlan")
    ),
    "/tunnel-interface[name=*]/vxlan-interface[index=*]/type",
    "/tunnel-interface[name=*]/vxlan-interface[index=*]/ingress/vni",
    *(f"/network-instance[name=*]/{leaf}" for leaf in ("type", "admin-state", "description")),
    "/network-instance[name=*]/interface[name=*]/name",
    "/network-instance[name=*]/vxlan-interface[name=*]/name",
    *(
        f"/network-instance[name=*]/protocols/bgp-evpn/bgp-instance[id=*]/{leaf}"
        for leaf in ("admin-state", "vxlan-interface", "evi")
    ),
    *(
        f"/network-instance[name=*]/protocols/bgp-vpn/bgp-instance[id=*]/{leaf}"
        for leaf in ("route-target/export-rt", "route-target/import-rt", "route-distinguisher/rd")
    ),
)

SRLINUX = PlatformProfile(
    name="srlinux",
    description="Nokia SR Linux 25.3 configured in its native YANG (gNMI on 57400, json_ietf, no origin)",
    naming=_ETHERNET,
    example=_ETHERNET_EXAMPLE,
    lldp=LldpPaths(subscribe="/system/lldp/interface[name=*]/neighbor[id=*]", root=("system", "lldp")),
    drift_paths=_SRL_LEAVES,
    gnmi_port=57400,
    vlan_objects=True,
    vni_lists_ports=True,
    tunnel_interface="vxlan1",
    vtep_interface="system0",
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

PROFILES: MappingProxyType[str, PlatformProfile] = MappingProxyType({p.name: p for p in (OPENCONFIG, SRLINUX, LINUX)})


def profile(name: str) -> PlatformProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownPlatformError(f"unknown platform {name!r} (known: {', '.join(sorted(PROFILES))})") from None
