"""Renderer of platform ``openconfig`` (docs/openconfig-profile.md).

Owned objects, all written with replace at exactly these paths:

* base: the ``fabricd-vxlan`` connection point's config, its ``vtep``
  endpoint's config and VXLAN config (source interface), and the BGP
  ``L2VPN_EVPN`` afi-safi config;
* per VNI: the VLAN (named ``fabricd-vni-<VNI>``) in the default instance, the
  ``local-endpoint-vni`` VLAN <-> VNI map, and the MAC-VRF network-instance
  ``fabricd-vni-<VNI>`` (L2VSI with its EVPN instance: EVI, RD, RTs, VNI);
* per edge port: ``switched-vlan`` TRUNK with fabricd's VLANs (plus VLANs on
  the port that are not fabricd's). A port left without fabricd VLANs loses
  its switched-vlan (an empty trunk list would mean *all* VLANs) or is parked.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from models.ids import PortName
from models.oc.path import Elem, Path, parse
from models.oc.schema import canonical_identity, strip_module
from models.oc.tree import KeyedList, Tree, canonical, to_json
from models.platforms.base import (
    BASE,
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
    vni_key,
    vni_name,
    vni_of_name,
)
from models.platforms.profile import OPENCONFIG, PlatformProfile
from models.settings import FabricSettings

PREFIX = VNI_PREFIX
CONNECTION_POINT = "fabricd-vxlan"
ENDPOINT = "vtep"

NI = parse("/network-instances")
DEFAULT = parse("/network-instances/network-instance[name=default]")
CP = DEFAULT / Elem.of("connection-points") / Elem.of("connection-point", {"connection-point-id": CONNECTION_POINT})
EP = CP / Elem("endpoints") / Elem.of("endpoint", {"endpoint-id": ENDPOINT})
LEVNIS = EP / Elem("vxlan") / Elem("local-endpoint-vnis")
BGP = DEFAULT / "protocols/protocol[identifier=BGP][name=BGP]/bgp"
EVPN_AF = BGP / "global/afi-safis/afi-safi[afi-safi-name=L2VPN_EVPN]/config"
INTERFACES = parse("/interfaces")


def switched_vlan(port: str) -> Path:
    return INTERFACES / Elem.of("interface", {"name": port}) / Elem("ethernet") / Elem("switched-vlan")


def vlan_path(vlan: int) -> Path:
    return DEFAULT / Elem("vlans") / Elem.of("vlan", {"vlan-id": vlan})


def levni_path(vni: int) -> Path:
    return LEVNIS / Elem.of("local-endpoint-vni", {"vni": vni})


def macvrf_path(vni: int) -> Path:
    return NI / Elem.of("network-instance", {"name": vni_name(vni)})


def vlan_set(values: Collection[object]) -> set[int]:
    """trunk-vlans entries (ids or ``a..b`` ranges) -> the set of ids."""
    if set(map(type, values)) <= {int}:  # the usual case, checked in C
        return set(values)  # type: ignore[arg-type]
    out: set[int] = set()
    for v in values:
        if isinstance(v, int):
            out.add(v)
        elif isinstance(v, str) and ".." in v:
            a, _, b = v.partition("..")
            if a.isdigit() and b.isdigit():
                out.update(range(int(a), int(b) + 1))
        elif isinstance(v, str) and v.isdigit():
            out.add(int(v))
    return out


def expand_vlans(values: Collection[object]) -> list[int]:
    """trunk-vlans entries (ids or ``a..b`` ranges) -> sorted ids."""
    return sorted(vlan_set(values))


class OpenConfigRenderer:
    profile: PlatformProfile = OPENCONFIG

    # -- desired

    def base(self, leaf: LeafInfo, settings: FabricSettings) -> dict[Path, Json]:
        source = leaf.vtep_interface or self.profile.vtep_interface
        return {
            CP / Elem("config"): {"connection-point-id": CONNECTION_POINT},
            EP / Elem("config"): {"endpoint-id": ENDPOINT},
            EP / Elem("vxlan") / Elem("config"): {"enabled": True, "source-interface": source},
            EVPN_AF: {"afi-safi-name": "openconfig-bgp-types:L2VPN_EVPN", "enabled": True},
        }

    def segment(
        self, leaf: LeafInfo, seg: Segment, settings: FabricSettings, ports: Mapping[PortName, PortRender] = NO_PORTS
    ) -> dict[Path, Json]:
        del ports  # VLANs are leaf-wide: a VNI's objects name no port
        rt = f"{settings.evpn.asn}:{seg.vni}"
        rd = f"{leaf.router_id}:{seg.evi}" if settings.evpn.route_distinguisher == "explicit" else "AUTO"
        evi = str(seg.evi)
        name = vni_name(seg.vni)
        return {
            vlan_path(seg.vlan): {
                "vlan-id": seg.vlan,
                "config": {"vlan-id": seg.vlan, "name": name, "status": "ACTIVE"},
            },
            levni_path(seg.vni): {
                "vni": seg.vni,
                "config": {"vni": seg.vni, "vni-type": "L2", "bridge-domain": seg.vlan},
            },
            macvrf_path(seg.vni): {
                "name": name,
                "config": {
                    "name": name,
                    "type": "openconfig-network-instance-types:L2VSI",
                    "description": f"fabricd network {seg.network}",
                },
                "evpn": {
                    "evpn-instances": {
                        "evpn-instance": [
                            {
                                "evi": evi,
                                "config": {
                                    "evi": evi,
                                    "encapsulation-type": "openconfig-network-instance-types:VXLAN",
                                    "service-type": "openconfig-evpn-types:VLAN_BASED",
                                    "route-distinguisher": rd,
                                },
                                "import-export-policy": {
                                    "config": {"import-route-target": [rt], "export-route-target": [rt]}
                                },
                                "vxlan": {
                                    "config": {
                                        "vni": seg.vni,
                                        "overlay-endpoint-network-instance": "default",
                                        "overlay-endpoint": ENDPOINT,
                                    }
                                },
                            }
                        ]
                    }
                },
            },
        }

    def port(self, leaf: LeafInfo, inp: PortInput, settings: FabricSettings) -> PortRender:
        port = inp.port
        path = switched_vlan(port)
        cur = inp.current.get(path)
        cfg: dict[str, Any] = dict((cur or {}).get("config") or {})
        mode = cfg.get("interface-mode")
        mode = mode.rpartition(":")[2] if isinstance(mode, str) else mode
        ours = inp.vlans
        park = settings.ports.park_vlan if settings.ports.when_empty == "park" else 0
        parked = bool(park) and mode == "ACCESS" and cfg.get("access-vlan") == park
        keep = {path: cur} if cur is not None else {}
        if cur is None or parked:
            if ours:
                return PortRender(objects={path: _trunk(sorted(ours), {})})
            return PortRender(objects=keep)
        if mode != "TRUNK":
            if ours:
                return PortRender(
                    objects=keep,
                    conflict=f"port {port} on {leaf.name} is an access port configured outside fabricd",
                )
            return PortRender(objects=keep)
        # set operations only: a trunk can carry thousands of VLANs, re-read on every change of the port
        trunk = vlan_set(cfg.get("trunk-vlans") or [])
        if not trunk:
            if ours:
                why = f"port {port} on {leaf.name} is a trunk for all VLANs configured outside fabricd"
                return PortRender(objects=keep, conflict=why)
            return PortRender(objects=keep)
        theirs = inp.fabric_vlans.not_ours(trunk)
        had_ours = len(theirs) != len(trunk)
        if not ours and not had_ours:
            return PortRender(objects=keep)
        if ours or theirs:
            return PortRender(objects={path: _trunk(sorted(theirs.union(ours)), cfg)})
        if park:
            return PortRender(objects={path: {"config": {"interface-mode": "ACCESS", "access-vlan": park}}})
        return PortRender(objects={})

    def port_vlan(self, leaf: LeafInfo, inp: VlanInput, settings: FabricSettings) -> PortRender:
        del leaf, inp, settings  # a port's VLANs are one trunk list: no per-VLAN objects
        return PortRender(objects={})

    # -- reading the device

    def read_paths(self) -> tuple[Path, ...]:
        return (NI, INTERFACES)

    def watch_paths(self) -> tuple[Path, ...]:
        # the profile's data: only the subtrees owned objects live in
        return tuple(parse(p) for p in self.profile.drift_paths)

    def vlans_on_device(self, tree: Tree) -> dict[int, int]:
        out: dict[int, int] = {}
        vlans = tree.get(DEFAULT / Elem("vlans"))
        for entry in (vlans or {}).get("vlan", KeyedList()).values():
            vni = vni_of_name((entry.get("config") or {}).get("name"))
            vid = entry.get("vlan-id")
            if vni is not None and isinstance(vid, int):
                out[vid] = vni
        return out

    def extract(self, tree: Tree, settings: FabricSettings) -> dict[ObjectKey, dict[Path, Json]]:
        out: dict[ObjectKey, dict[Path, Json]] = {}

        def put(key: ObjectKey, path: Path, node: Any) -> None:
            if node is not None:
                out.setdefault(key, {})[path] = to_json(node, path.schema, qualify=False)

        for path in (CP / Elem("config"), EP / Elem("config"), EP / Elem("vxlan") / Elem("config"), EVPN_AF):
            put(BASE, path, tree.get(path))
        for vid, vni in self.vlans_on_device(tree).items():
            put(vni_key(vni), vlan_path(vid), tree.get(vlan_path(vid)))
        levnis = tree.get(LEVNIS)
        for entry in (levnis or {}).get("local-endpoint-vni", KeyedList()).values():
            vni = entry.get("vni")
            if isinstance(vni, int):
                put(vni_key(vni), levni_path(vni), entry)
        nis = tree.get(NI)
        for entry in (nis or {}).get("network-instance", KeyedList()).values():
            ni_vni = vni_of_name(entry.get("name"))
            if ni_vni is not None:
                put(vni_key(ni_vni), macvrf_path(ni_vni), entry)
        ifaces = tree.get(INTERFACES)
        for entry in (ifaces or {}).get("interface", KeyedList()).values():
            sv = (entry.get("ethernet") or {}).get("switched-vlan")
            name = entry.get("name")
            if sv is not None and isinstance(name, str):
                put(port_key(name), switched_vlan(name), {"config": sv.get("config") or {}})
        return out

    def watches(self, path: Path) -> bool:
        """Whether a change at ``path`` can touch what fabricd owns or reads
        (drift detection filters telemetry with it): a path above or below an
        owned object or a port's switched-vlan."""
        schema = path.schema
        if not schema or schema[0] == "interfaces":
            under = ("interfaces", "interface", "ethernet", "switched-vlan")
            return schema[: len(under)] == under[: len(schema)]
        if schema[0] != "network-instances" or "endpoint-peers" in schema or "endpoint-vnis" in schema:
            return False  # the VTEP's operational state (read by the oper watch, never drift)
        if len(path.elems) < 2:
            return True
        name = path.elems[1].key_map.get("name", "")
        if name.startswith(PREFIX) or len(schema) == 2:
            return True
        return name == "default" and (
            schema[2] in ("vlans", "connection-points")
            or "afi-safis" in schema
            or (len(schema) == 3 and schema[2] == "protocols")
        )

    def normalize(self, path: Path, value: Json) -> Any:
        if path.elems and path.elems[-1].name == "switched-vlan" and isinstance(value, dict):
            # the port object, often with long VLAN lists: normalised directly
            cfg = {strip_module(k): v for k, v in (value.get("config") or {}).items()}
            if "trunk-vlans" in cfg:  # a set of ids: order, duplicates and ranges do not matter
                cfg["trunk-vlans"] = vlan_set(cfg["trunk-vlans"])
            if isinstance(cfg.get("interface-mode"), str):
                cfg["interface-mode"] = canonical_identity(cfg["interface-mode"])
            return {"config": cfg}
        return canonical(value)


def _trunk(vlans: Collection[int], old: dict[str, Any]) -> dict[str, Any]:
    cfg: dict[str, Any] = {"interface-mode": "TRUNK", "trunk-vlans": list(vlans)}
    if "native-vlan" in old:
        cfg["native-vlan"] = old["native-vlan"]
    return {"config": cfg}


RENDERER = OpenConfigRenderer()
