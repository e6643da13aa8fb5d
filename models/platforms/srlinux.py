"""Renderer of platform ``srlinux``: Nokia SR Linux 25.3 in its native YANG
(docs/platforms.md walks through it; the objects' shapes are in
:mod:`models.platforms.srlinux_objects`).

What fabricd owns on an SR Linux leaf, recognised by these names and nothing
else (everything else on the switch is someone else's and kept as found):

* per VNI V (``vni V``): the mac-vrf network-instance ``fabricd-vni-V`` and the
  vxlan-interface ``vxlan1.V`` (index = VNI) under the day-0 tunnel-interface
  ``vxlan1``; a vxlan-interface is fabricd's only while that mac-vrf lists it.
  The mac-vrf holds the VNI's subinterfaces, exactly one vxlan-interface,
  ``bgp-evpn`` (that vxlan-interface, the network's EVI) and ``bgp-vpn`` route
  targets ``target:<fabric ASN>:<VNI>``; the RD is automatic unless
  ``fabric.evpn.route_distinguisher: explicit`` (``<router-id>:<EVI>``). A
  VNI none of whose subinterfaces can exist renders nothing: never an empty
  mac-vrf.
* per VNI V on edge port P (``port P vni V``): the bridged subinterface
  ``P.L`` (index = the VNI's VLAN L on the leaf, single-tagged L) with the
  description ``fabricd``, listed by V's mac-vrf.
* per edge port P (``port P``): its ``vlan-tagging`` while fabricd has VLANs
  there (kept while someone else's subinterfaces remain), and with
  ``ports.when_empty: park`` the untagged subinterface ``P.<park VLAN>``
  (isolated: in no network-instance) once fabricd's last VLAN left it. A
  fabricd subinterface no mac-vrf of fabricd's lists is a leftover, removed.

A subinterface described otherwise is someone else's. When one of those holds
index L or carries VLAN L on P (single-tagged or in a range), fabricd does not
create ``P.L``: that (port, VNI) is a conflict; the port's other VNIs are
unaffected. A port whose ``vlan-tagging`` is off while it has someone else's
subinterfaces takes no VLAN at all (turning it on would change how those
match frames). A port without subinterfaces is left alone, a bare
``vlan-tagging`` included.

Day-0, never written: the tunnel-interface ``vxlan1``, the ``system0`` VTEP
source and BGP's EVPN address family. Values are JSON_IETF with module names
where the module changes; paths carry no origin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.ids import PortName
from models.oc.path import Path, parse
from models.oc.tree import Tree, to_json
from models.platforms.base import (
    NO_PORTS,
    VNI_PREFIX,
    Json,
    LeafInfo,
    ObjectKey,
    PortInput,
    PortRender,
    Segment,
    VlanInput,
    port_key,
    port_vni_key,
    vni_key,
    vni_of_name,
)
from models.platforms.profile import SRLINUX, PlatformProfile
from models.platforms.srlinux_objects import (
    INTERFACES,
    NETWORK_INSTANCES,
    VXLAN_INTERFACES,
    compared,
    encap,
    entries,
    is_ours,
    macvrf_path,
    macvrf_value,
    parked_value,
    subif_path,
    subif_value,
    tagging_path,
    vxlan_name,
    vxlan_path,
    vxlan_value,
)
from models.settings import FabricSettings

DRIFT_PATHS = tuple(parse(p) for p in SRLINUX.drift_paths)


class SrlinuxRenderer:
    profile: PlatformProfile = SRLINUX

    # -- desired

    def base(self, leaf: LeafInfo, settings: FabricSettings) -> dict[Path, Json]:
        del leaf, settings  # the tunnel-interface, system0 and BGP EVPN are day-0
        return {}

    def segment(
        self, leaf: LeafInfo, seg: Segment, settings: FabricSettings, ports: Mapping[PortName, PortRender] = NO_PORTS
    ) -> dict[Path, Json]:
        members = [f"{p}.{seg.vlan}" for p in sorted(seg.ports) if _carries(ports.get(p), p, seg.vlan)]
        if not members:
            return {}  # no subinterface can exist: no (empty) mac-vrf
        return {
            vxlan_path(seg.vni): vxlan_value(seg.vni),
            macvrf_path(seg.vni): macvrf_value(leaf, seg, members, settings),
        }

    def port_vlan(self, leaf: LeafInfo, inp: VlanInput, settings: FabricSettings) -> PortRender:
        del settings
        if not inp.wanted or not inp.vlan:
            return PortRender(objects={})
        foreign, tagged = _foreign(inp.port_current, tagging_path(inp.port))
        why = _blocked(leaf, inp.port, inp.vlan, foreign, tagged)
        if why:  # someone else's subinterface is in the way: nothing of ours changes
            return PortRender(objects=dict(inp.current), conflict=why)
        return PortRender(objects={subif_path(inp.port, inp.vlan): subif_value(inp.vlan)})

    def port(self, leaf: LeafInfo, inp: PortInput, settings: FabricSettings) -> PortRender:
        del leaf
        tag = tagging_path(inp.port)
        foreign, tagged = _foreign(inp.current, tag)
        keep = {path: value for path, value in inp.current.items() if path != tag and not is_ours(value)}
        active = inp.vlans
        if foreign:  # what someone else's subinterfaces leave (nothing on an untagged port)
            active = active.difference(_taken(foreign)) if tagged is True else frozenset()
        if active:
            return PortRender(objects={**keep, tag: True})
        if foreign:  # fabricd has no VLAN here: others' subinterfaces may need the tagging
            return PortRender(objects={**keep, tag: tagged} if tagged is not None else keep)
        # the port had only fabricd's subinterfaces (the only way it is rendered
        # without VLANs and without others' subinterfaces): remove or park it
        park = settings.ports.park_vlan if settings.ports.when_empty == "park" else 0
        if park:
            return PortRender(objects={tag: True, subif_path(inp.port, park): parked_value(park)})
        return PortRender(objects={})

    # -- reading the device

    def read_paths(self) -> tuple[Path, ...]:
        # exactly the configuration leaves fabricd compares (a Get of CONFIG)
        return DRIFT_PATHS

    def watch_paths(self) -> tuple[Path, ...]:
        return DRIFT_PATHS

    def vlans_on_device(self, tree: Tree) -> dict[int, int]:
        """VLAN -> VNI of the subinterfaces fabricd's mac-vrfs list."""
        out: dict[int, int] = {}
        for ni in entries(tree.get(NETWORK_INSTANCES)):
            vni = vni_of_name(ni.get("name"))
            if vni is None:
                continue
            for sub in entries(ni.get("interface")):
                _, dot, index = str(sub.get("name", "")).rpartition(".")
                if dot and index.isdigit():
                    out[int(index)] = vni
        return out

    def extract(self, tree: Tree, settings: FabricSettings) -> dict[ObjectKey, dict[Path, Json]]:
        """fabricd's mac-vrfs and the vxlan-interfaces they list (by VNI), its
        subinterfaces they list (by port and VNI), and each port that has
        subinterfaces: its vlan-tagging, others' subinterfaces and fabricd's
        unlisted ones (by port: ``port`` tells them apart)."""
        out: dict[ObjectKey, dict[Path, Json]] = {}
        listed: dict[str, int] = {}  # subinterface name -> the VNI whose mac-vrf lists it
        vxlans: set[int] = set()
        for ni in entries(tree.get(NETWORK_INSTANCES)):
            vni = vni_of_name(ni.get("name"))
            if vni is None:
                continue
            path = macvrf_path(vni)
            out[vni_key(vni)] = {path: to_json(ni, path.schema)}
            listed.update((str(m.get("name")), vni) for m in entries(ni.get("interface")))
            if vxlan_name(vni) in {v.get("name") for v in entries(ni.get("vxlan-interface"))}:
                vxlans.add(vni)
        for vx in entries(tree.get(VXLAN_INTERFACES)):
            index = vx.get("index")
            if isinstance(index, int) and index in vxlans:
                path = vxlan_path(index)
                out[vni_key(index)][path] = to_json(vx, path.schema)
        for iface in entries(tree.get(INTERFACES)):
            name, subs = iface.get("name"), list(entries(iface.get("subinterface")))
            if not isinstance(name, str) or not subs:
                continue
            own: dict[Path, Json] = {}
            if "vlan-tagging" in iface:
                own[tagging_path(name)] = iface["vlan-tagging"]
            for sub in subs:
                index = sub.get("index")
                if not isinstance(index, int):
                    continue
                path = subif_path(name, index)
                value = to_json(sub, path.schema)
                vni = listed.get(f"{name}.{index}")
                if vni is not None and is_ours(value):
                    out.setdefault(port_vni_key(name, vni), {})[path] = value
                else:
                    own[path] = value
            if own:
                out[port_key(name)] = own
        return out

    def watches(self, path: Path) -> bool:
        """Whether a change at ``path`` can touch what fabricd owns or decides
        by: any port's tagging and subinterfaces (someone else's may block a
        VLAN), the vxlan-interfaces, fabricd's mac-vrfs."""
        if not path.elems:
            return True
        head = path.elems[0]
        if head.name in ("interface", "tunnel-interface"):
            return True
        if head.name != "network-instance":
            return False
        name = head.key_map.get("name", "*")
        return name == "*" or name.startswith(VNI_PREFIX)

    def normalize(self, path: Path, value: Json) -> Any:
        return compared(path, value)


def _carries(render: PortRender | None, port: str, vlan: int) -> bool:
    """Whether the (port, VNI), as rendered, has fabricd's subinterface for
    ``vlan`` (no render given: the caller does not know; assume it does)."""
    return render is None or is_ours(render.objects.get(subif_path(port, vlan)))


def _foreign(current: Mapping[Path, Json], tag: Path) -> tuple[dict[int, Json], object]:
    """Someone else's subinterfaces of a port (by index) and its vlan-tagging."""
    foreign = {
        int(path.elems[-1].key_map["index"]): value
        for path, value in current.items()
        if path != tag and not is_ours(value)
    }
    return foreign, current.get(tag)


def _taken(foreign: Mapping[int, Json]) -> set[int]:
    """Indexes and VLANs someone else's subinterfaces hold."""
    taken = set(foreign)
    for value in foreign.values():
        taken |= encap(value)[1]
    return taken


def _blocked(leaf: LeafInfo, port: str, vlan: int, foreign: Mapping[int, Json], tagged: object) -> str:
    """Why someone else's subinterfaces keep VLAN ``vlan`` off the port ("": they do not)."""
    if not foreign:
        return ""
    if tagged is not True:
        names = ", ".join(f"{port}.{i}" for i in sorted(foreign))
        return f"port {port} on {leaf.name} has vlan-tagging off and subinterfaces configured outside fabricd ({names})"
    if vlan in foreign:
        return f"VLAN {vlan} on {port} of {leaf.name}: subinterface {port}.{vlan} is configured outside fabricd"
    carrier = next((i for i in sorted(foreign) if vlan in encap(foreign[i])[1]), None)
    if carrier is not None:
        why = f"subinterface {port}.{carrier}, configured outside fabricd, carries it"
        return f"VLAN {vlan} on {port} of {leaf.name}: {why}"
    return ""


RENDERER = SrlinuxRenderer()
