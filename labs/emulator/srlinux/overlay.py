"""What an SR Linux configuration asks of the lab's Linux dataplane (pure):
the same per-VNI bridges, VXLAN devices and FRR EVPN as for ``openconfig``
(:mod:`labs.emulator.linux.overlay`), read from the native objects:

* every mac-vrf (``admin-state`` enable) with a vxlan-interface ``vxlanN.I``
  that exists: a bridge and a VXLAN device for that vxlan-interface's
  ``ingress/vni``, sourced from ``system0.0``'s IPv4 address (the VTEP; the
  router-id when it has none);
* each subinterface the mac-vrf lists: single-tagged VLAN ``L`` of port
  ``P`` joins the VNI's bridge through the VLAN backend, an untagged one
  joins the port itself (a VLAN range is not carried by the lab);
* the mac-vrf's bgp-vpn RD (automatic when unset) and route targets, for FRR;
* ports with ``admin-state disable``: link down.

A VNI's state is reported on its vxlan-interface:
``/tunnel-interface[name]/vxlan-interface[index]/{oper-state, oper-down-reason}``
and, on a failure, the lab's ``dataplane-error``.
"""

from __future__ import annotations

import functools
from typing import Any

from labs.emulator.linux.overlay import MacVrf, Overlay, VniWant
from labs.emulator.types import Identity
from models.oc.path import Elem, Path
from models.oc.tree import KeyedList, Tree


def _entries(node: Any, name: str) -> KeyedList:
    lst = node.get(name) if isinstance(node, dict) else None
    return lst if isinstance(lst, KeyedList) else KeyedList()


def _sub(node: Any, *names: str) -> dict[str, Any]:
    for n in names:
        node = node.get(n) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _vtep(root: dict[str, Any], router_id: str) -> str:
    system = _entries(root, "interface").get(("system0",))
    sub = _entries(system, "subinterface").get(("0",))
    for (prefix,) in _entries(_sub(sub, "ipv4"), "address"):
        return str(prefix).split("/")[0]
    return router_id


def _member(root: dict[str, Any], name: str) -> tuple[str, int | None] | None:
    port, dot, index = name.rpartition(".")
    if not dot:
        return None
    sub = _entries(_entries(root, "interface").get((port,)), "subinterface").get((index,))
    if sub is None:
        return None
    encap = _sub(sub, "vlan", "encap")
    vid = _sub(encap, "single-tagged").get("vlan-id")
    if isinstance(vid, int):
        return port, vid
    if "untagged" in encap or not encap:
        return port, None
    return None


def _target(value: Any) -> tuple[str, ...]:
    return (str(value).removeprefix("target:"),) if value else ()


def overlay(config: Tree, router_id: str) -> Overlay:
    root = config.root
    vtep = _vtep(root, router_id)
    vxlans: dict[str, tuple[str, int, int]] = {}  # vxlanN.I -> (tunnel, index, VNI)
    for (tunnel,), t in _entries(root, "tunnel-interface").items():
        for (index,), vx in _entries(t, "vxlan-interface").items():
            vni = _sub(vx, "ingress").get("vni")
            if isinstance(vni, int):
                vxlans[f"{tunnel}.{index}"] = (tunnel, int(index), vni)
    vnis: dict[int, VniWant] = {}
    members: dict[int, frozenset[tuple[str, int | None]]] = {}
    macvrfs: dict[int, MacVrf] = {}
    for _, ni in _entries(root, "network-instance").items():
        if Identity.name(ni.get("type")) != "mac-vrf" or ni.get("admin-state") == "disable":
            continue
        refs = [vxlans[r] for (r,) in _entries(ni, "vxlan-interface") if r in vxlans]
        if not refs:
            continue
        tunnel_name, vx_index, vni = refs[0]
        found = [_member(root, m) for (m,) in _entries(ni, "interface")]
        mine = frozenset(m for m in found if m is not None)
        vlans = sorted(v for _, v in mine if v is not None)
        vnis[vni] = VniWant(
            vni=vni, vlan=vlans[0] if vlans else 0, vtep=vtep, connection_point=tunnel_name, endpoint=str(vx_index)
        )
        members[vni] = mine
        for inst in _entries(_sub(ni, "protocols", "bgp-vpn"), "bgp-instance").values():
            rts = _sub(inst, "route-target")
            rd = _sub(inst, "route-distinguisher").get("rd")
            macvrfs[vni] = MacVrf(
                vni=vni,
                rd=str(rd) if rd else None,
                imports=_target(rts.get("import-rt")),
                exports=_target(rts.get("export-rt")),
            )
            break
    disabled = frozenset(n for (n,), i in _entries(root, "interface").items() if i.get("admin-state") == "disable")
    return Overlay(vnis=vnis, trunks={}, access={}, macvrfs=macvrfs, disabled=disabled, members=members)


@functools.lru_cache(maxsize=1 << 12)
def _vxlan_interface(tunnel: str, index: str) -> Path:
    """Made once each and shared (see labs.emulator.linux.overlay)."""
    return Path((Elem.of("tunnel-interface", {"name": tunnel}), Elem.of("vxlan-interface", {"index": index})))


@functools.lru_cache(maxsize=1 << 16)
def _destination(tunnel: str, index: str, vtep: str, vni: int) -> Path:
    return (
        _vxlan_interface(tunnel, index)
        / "bridge-table/multicast-destinations"
        / Elem.of("destination", {"vtep": vtep, "vni": vni})
    )


def vni_report(want: VniWant, errors: list[str]) -> tuple[Path, Any]:
    """A VNI's dataplane state on its vxlan-interface."""
    path = _vxlan_interface(want.connection_point, want.endpoint)
    value: dict[str, Any] = {"index": int(want.endpoint), "oper-state": "down" if errors else "up"}
    if errors:
        value["oper-down-reason"] = "other"
        value["dataplane-error"] = "; ".join(errors)
    return path, value


def flood_report(want: VniWant, vteps: frozenset[str]) -> dict[Path, Any]:
    """A VNI's flood list: one bridge-table multicast destination per remote VTEP."""
    return {
        _destination(want.connection_point, want.endpoint, v, want.vni): {
            "vtep": v,
            "vni": want.vni,
            "multicast-forwarding": "BUM",
        }
        for v in sorted(vteps)
    }
