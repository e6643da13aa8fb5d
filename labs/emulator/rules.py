"""The semantic rules of ``docs/openconfig-profile.md`` ("What the emulator
checks"), over the whole resulting configuration so that a Set is accepted or
rejected as one transaction:

* ``evpn-instance/vxlan/config/vni`` needs ``config/service-type`` VLAN_BASED
  or VLAN_BUNDLE (the model's ``when``);
* ``evpn`` only in a network-instance of type L2VSI or L3VRF (``when``);
* ``overlay-endpoint-network-instance`` names a network-instance and
  ``overlay-endpoint`` an endpoint of one of its connection points;
* ``local-endpoint-vni/config/bridge-domain`` names a VLAN of that
  network-instance; a VNI maps to one VLAN and a VLAN to one VNI;
* ``access-vlan`` only with ACCESS, ``trunk-vlans``/``native-vlan`` only with
  TRUNK;
* an interface with ``switched-vlan`` is declared in /interfaces (has config).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from labs.emulator.types import Identity
from models.oc.path import Elem, Path
from models.oc.tree import KeyedList

Node = dict[str, Any]

_NIS = Path((Elem("network-instances"),))
_IFACES = Path((Elem("interfaces"),))


def check_rules(root: Node, touched: Iterable[Path] | None = None) -> list[str]:
    """Problems in the whole configuration; with ``touched`` (a Set's
    anchors) only the top-level members they are under are looked at: no
    rule reads across /interfaces and /network-instances."""
    tops = None if touched is None else {a.elems[0].name if a.elems else "" for a in touched}
    out: list[str] = []
    if tops is None or tops & {"", "network-instances"}:
        nis = _entries(root.get("network-instances"), "network-instance")
        by_name = {kt[0]: ni for kt, ni in nis.items()}
        endpoints: dict[str, set[str]] = {}  # per instance, computed when first needed
        for (name,), ni in nis.items():
            _evpn(ni, name, by_name, endpoints, out)
            _vni_map(ni, name, out)
    if tops is None or tops & {"", "interfaces"}:
        for (name,), iface in _entries(root.get("interfaces"), "interface").items():
            _switched_vlan(iface, name, out)
    return out


# Paths are built only for a problem: the rules run on every Set over the
# whole configuration and must stay cheap when all is well.


def _ni_at(name: str) -> Path:
    return _NIS / Elem.of("network-instance", {"name": name})


def _entries(container: Any, name: str) -> KeyedList:
    lst = container.get(name) if isinstance(container, dict) else None
    return lst if isinstance(lst, KeyedList) else KeyedList()


def _sub(node: Any, *names: str) -> Node:
    for n in names:
        node = node.get(n) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _endpoints(ni: Node) -> set[str]:
    out: set[str] = set()
    for cp in _entries(_sub(ni, "connection-points"), "connection-point").values():
        out.update(kt[0] for kt in _entries(_sub(cp, "endpoints"), "endpoint"))
    return out


def _evpn(ni: Node, ni_name: str, by_name: dict[str, Node], endpoints: dict[str, set[str]], out: list[str]) -> None:
    evpn = _sub(ni, "evpn")
    if not evpn:
        return
    ni_type = Identity.name(_sub(ni, "config").get("type"))
    if ni_type not in ("L2VSI", "L3VRF"):
        got = ni_type or "not set"
        out.append(f"{_ni_at(ni_name)}/evpn: evpn needs config/type L2VSI or L3VRF, the type is {got}")
    for (evi,), ei in _entries(_sub(evpn, "evpn-instances"), "evpn-instance").items():

        def at(leaf: str, evi: str = evi) -> str:
            ei_at = _ni_at(ni_name) / "evpn/evpn-instances" / Elem.of("evpn-instance", {"evi": evi})
            return f"{ei_at}/{leaf}"

        vx = _sub(ei, "vxlan", "config")
        vni = vx.get("vni")
        service = Identity.name(_sub(ei, "config").get("service-type"))
        if vni is not None and service not in ("VLAN_BASED", "VLAN_BUNDLE"):
            out.append(
                f"{at('vxlan/config/vni')}: vni {vni} needs config/service-type VLAN_BASED or "
                f"VLAN_BUNDLE, the service-type is {service or 'not set'}"
            )
        oni, oe = vx.get("overlay-endpoint-network-instance"), vx.get("overlay-endpoint")
        if oni is not None and oni not in by_name:
            out.append(f"{at('vxlan/config/overlay-endpoint-network-instance')}: no network-instance {oni!r}")
        if oe is None:
            continue
        if oni is None:
            out.append(f"{at('vxlan/config/overlay-endpoint')}: {oe!r} needs overlay-endpoint-network-instance")
        elif oni in by_name:
            if oni not in endpoints:
                endpoints[oni] = _endpoints(by_name[oni])
            if oe not in endpoints[oni]:
                out.append(
                    f"{at('vxlan/config/overlay-endpoint')}: no endpoint {oe!r} in the connection points "
                    f"of network-instance {oni!r}"
                )


def _vni_map(ni: Node, ni_name: str, out: list[str]) -> None:
    cps = _entries(_sub(ni, "connection-points"), "connection-point")
    if not cps:
        return
    vlans = {kt[0] for kt in _entries(_sub(ni, "vlans"), "vlan")}
    vlan_of: dict[str, Any] = {}
    vni_of: dict[str, Any] = {}
    for (cp_id,), cp in cps.items():
        for (ep_id,), ep in _entries(_sub(cp, "endpoints"), "endpoint").items():
            levnis = _entries(_sub(ep, "vxlan", "local-endpoint-vnis"), "local-endpoint-vni")
            for (vni,), lv in levnis.items():
                bd = _sub(lv, "config").get("bridge-domain")
                if bd is None:
                    continue

                def at(cp_id: str = cp_id, ep_id: str = ep_id, vni: str = vni) -> Path:
                    return (
                        _ni_at(ni_name)
                        / "connection-points"
                        / Elem.of("connection-point", {"connection-point-id": cp_id})
                        / "endpoints"
                        / Elem.of("endpoint", {"endpoint-id": ep_id})
                        / "vxlan/local-endpoint-vnis"
                        / Elem.of("local-endpoint-vni", {"vni": vni})
                        / "config/bridge-domain"
                    )

                bds = str(bd)
                if bds not in vlans:
                    out.append(f"{at()}: {bd} is not a VLAN of network-instance {ni_name!r}")
                if vni in vlan_of and vlan_of[vni] != bd:
                    out.append(f"{at()}: VNI {vni} already maps to VLAN {vlan_of[vni]}")
                elif bds in vni_of and vni_of[bds] != vni:
                    out.append(f"{at()}: VLAN {bd} already maps to VNI {vni_of[bds]}")
                vlan_of.setdefault(vni, bd)
                vni_of.setdefault(bds, vni)


def _switched_vlan(iface: Node, name: str, out: list[str]) -> None:
    sv = _sub(iface, "ethernet", "switched-vlan")
    if not sv:
        return
    sv_at = _IFACES / Elem.of("interface", {"name": name}) / "ethernet/switched-vlan"
    if "name" not in _sub(iface, "config"):
        out.append(f"{sv_at}: interface {name!r} does not exist in /interfaces (it has no config)")
    cfg = _sub(sv, "config")
    mode = cfg.get("interface-mode")
    for leaf, need in (("access-vlan", "ACCESS"), ("trunk-vlans", "TRUNK"), ("native-vlan", "TRUNK")):
        if leaf in cfg and mode != need:
            out.append(
                f"{sv_at}/config/{leaf}: {cfg[leaf]!r} needs interface-mode {need}, "
                f"the interface-mode is {mode or 'not set'}"
            )
