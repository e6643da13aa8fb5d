"""SR Linux objects as fabricd writes, reads and compares them: paths, the
JSON_IETF values fabricd renders, how to recognise fabricd's own, and the
form two values are compared in (:mod:`models.platforms.srlinux` decides
which objects a leaf needs)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from models.oc.path import Elem, Path, parse
from models.oc.tree import KeyedList, canonical
from models.platforms.base import LeafInfo, Segment, vni_name
from models.platforms.profile import SRLINUX
from models.settings import FabricSettings

#: the description that marks fabricd's subinterfaces
DESCRIPTION = "fabricd"
#: the bgp-evpn and bgp-vpn instance of a mac-vrf
INSTANCE = 1
TUNNEL = SRLINUX.tunnel_interface
BRIDGED = "srl_nokia-interfaces:bridged"
MAC_VRF = "srl_nokia-network-instance:mac-vrf"
_VLANS = "srl_nokia-interfaces-vlans"

INTERFACES = parse("/interface")
NETWORK_INSTANCES = parse("/network-instance")
VXLAN_INTERFACES = parse(f"/tunnel-interface[name={TUNNEL}]/vxlan-interface")


def interface_path(port: str) -> Path:
    return Path((Elem.of("interface", {"name": port}),))


def tagging_path(port: str) -> Path:
    return interface_path(port) / Elem("vlan-tagging")


def subif_path(port: str, index: int) -> Path:
    return interface_path(port) / Elem.of("subinterface", {"index": index})


def vxlan_path(vni: int) -> Path:
    return VXLAN_INTERFACES.parent / Elem.of("vxlan-interface", {"index": vni})


def macvrf_path(vni: int) -> Path:
    return Path((Elem.of("network-instance", {"name": vni_name(vni)}),))


def vxlan_name(vni: int) -> str:
    return f"{TUNNEL}.{vni}"


# ------------------------------------------------------------------ values


def _bridged(index: int, encap: dict[str, Any]) -> dict[str, Any]:
    """One of fabricd's bridged subinterfaces."""
    return {
        "index": index,
        "type": BRIDGED,
        "admin-state": "enable",
        "description": DESCRIPTION,
        f"{_VLANS}:vlan": {"encap": encap},
    }


def subif_value(vlan: int) -> dict[str, Any]:
    """VLAN ``vlan`` (single-tagged) at index ``vlan``."""
    return _bridged(vlan, {"single-tagged": {"vlan-id": vlan}})


def parked_value(index: int) -> dict[str, Any]:
    """A parked port: untagged frames land here, in no network-instance."""
    return _bridged(index, {"untagged": {}})


def vxlan_value(vni: int) -> dict[str, Any]:
    return {"index": vni, "type": BRIDGED, "ingress": {"vni": vni}}


def macvrf_value(leaf: LeafInfo, seg: Segment, members: Iterable[str], settings: FabricSettings) -> dict[str, Any]:
    rt = f"target:{settings.evpn.asn}:{seg.vni}"
    vpn: dict[str, Any] = {"id": INSTANCE, "route-target": {"export-rt": rt, "import-rt": rt}}
    if settings.evpn.route_distinguisher == "explicit":
        vpn["route-distinguisher"] = {"rd": f"{leaf.router_id}:{seg.evi}"}
    vx = vxlan_name(seg.vni)
    return {
        "name": vni_name(seg.vni),
        "type": MAC_VRF,
        "admin-state": "enable",
        "description": f"fabricd network {seg.network}",
        "interface": [{"name": m} for m in members],
        "vxlan-interface": [{"name": vx}],
        "protocols": {
            "bgp-evpn": {
                "srl_nokia-bgp-evpn:bgp-instance": [
                    {"id": INSTANCE, "admin-state": "enable", "vxlan-interface": vx, "evi": seg.evi}
                ]
            },
            "srl_nokia-bgp-vpn:bgp-vpn": {"bgp-instance": [vpn]},
        },
    }


# ------------------------------------------------------------- recognising


def member(value: Mapping[str, Any] | None, name: str) -> Any:
    """A member of a JSON object, its name with or without a module prefix."""
    if not value:
        return None
    if name in value:
        return value[name]
    suffix = ":" + name
    return next((v for k, v in value.items() if k.endswith(suffix)), None)


def is_ours(value: Mapping[str, Any] | None) -> bool:
    """A subinterface fabricd owns: described ``fabricd``."""
    return bool(member(value, "description") == DESCRIPTION)


def encap(value: Mapping[str, Any] | None) -> tuple[str, frozenset[int]]:
    """How a subinterface matches frames: (``single-tagged`` | ``untagged`` |
    ``single-tagged-range`` | ``none``, the VLAN ids it takes)."""
    enc = member(member(value, "vlan"), "encap") or {}
    single = member(enc, "single-tagged")
    if single is not None:
        vid = as_int(member(single, "vlan-id"))
        return "single-tagged", frozenset({vid} if vid else ())
    if member(enc, "untagged") is not None:
        return "untagged", frozenset()
    ranges = member(enc, "single-tagged-range")
    if ranges is not None:
        vids: set[int] = set()
        for r in entries(member(ranges, "low-vlan-id")):
            low, high = as_int(member(r, "range-low-vlan-id")), as_int(member(r, "high-vlan-id"))
            if low and high:
                vids.update(range(low, high + 1))
        return "single-tagged-range", frozenset(vids)
    return "none", frozenset()


def as_int(value: object) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else 0


def entries(node: Any) -> Iterable[dict[str, Any]]:
    """The entries of a list node: tree form (KeyedList) or JSON (a list)."""
    if isinstance(node, KeyedList):
        return node.values()
    if isinstance(node, list):
        return [e for e in node if isinstance(e, dict)]
    return ()


# -------------------------------------------------------------- comparing


def ident(value: object) -> object:
    """An identity without its module: ``srl_nokia-interfaces:bridged`` -> ``bridged``."""
    return value.rpartition(":")[2] if isinstance(value, str) else value


def compared(path: Path, value: Any) -> Any:
    """The leaves fabricd writes, YANG defaults applied, module prefixes
    dropped: what two values of an owned object are compared by."""
    last = path.elems[-1].name if path.elems else ""
    if last == "vlan-tagging":
        return value is True or value == "true"
    if not isinstance(value, Mapping):
        return canonical(value)
    if last == "subinterface":
        return (
            ident(member(value, "type")),
            member(value, "admin-state") or "enable",
            member(value, "description"),
            canonical(member(value, "vlan")),
        )
    if last == "vxlan-interface":
        return ident(member(value, "type")), as_int(member(member(value, "ingress"), "vni"))
    if last == "network-instance":
        return _macvrf_form(value)
    return canonical(value)


def _names(node: Any) -> tuple[str, ...]:
    return tuple(sorted(str(member(e, "name")) for e in entries(node)))


def _macvrf_form(value: Mapping[str, Any]) -> tuple[object, ...]:
    protocols = member(value, "protocols") or {}
    evpn = sorted(
        (
            as_int(member(i, "id")),
            member(i, "admin-state") or "enable",
            member(i, "vxlan-interface"),
            as_int(member(i, "evi")),
        )
        for i in entries(member(member(protocols, "bgp-evpn"), "bgp-instance"))
    )
    vpn = sorted(
        (
            as_int(member(i, "id")),
            member(member(i, "route-target"), "export-rt"),
            member(member(i, "route-target"), "import-rt"),
            member(member(i, "route-distinguisher"), "rd"),
        )
        for i in entries(member(member(protocols, "bgp-vpn"), "bgp-instance"))
    )
    return (
        ident(member(value, "type") or "default"),
        member(value, "admin-state") or "enable",
        member(value, "description"),
        _names(member(value, "interface")),
        _names(member(value, "vxlan-interface")),
        tuple(evpn),
        tuple(vpn),
    )
