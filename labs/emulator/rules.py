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

from labs.emulator.rules_index import Levni, RuleIndex, key, levni_node
from labs.emulator.types import Identity
from models.oc.path import Elem, Path
from models.oc.schema import key_string
from models.oc.tree import KeyedList

Node = dict[str, Any]

_NIS = Path((Elem("network-instances"),))
_IFACES = Path((Elem("interfaces"),))


def check_rules(
    root: Node, touched: Iterable[Path] | None = None, deleted: Iterable[Path] = (), *, index: RuleIndex | None = None
) -> list[str]:
    """Problems in the configuration. Without ``touched`` the whole of it.
    With a Set's anchors (and the leaves it deleted) only what the Set can
    have broken, the configuration before it having been valid: the
    network-instances and interfaces it touched, and the instances whose
    overlay-endpoint names an instance or endpoint it removed; with the
    committed configuration's ``index`` also, inside an instance, only the
    VNI-to-VLAN entries it changed (and those of VLANs it removed), checked
    against the others through the index. Every way answers the same
    (tests/labs/emulator/test_rules_incremental.py)."""
    nis = _entries(root.get("network-instances"), "network-instance")
    ifaces = _entries(root.get("interfaces"), "interface")
    scope = None if touched is None else _scope(touched, deleted, nis)
    out: list[str] = []
    endpoints: dict[str, set[str]] = {}  # per instance, computed when first needed
    if scope is None or scope.nis is None:
        for (name,), ni in nis.items():
            _evpn(ni, name, nis, endpoints, out)
            _vni_map(ni, name, out)
    else:
        found: list[tuple[tuple[str, ...], list[str]]] = []
        for kt in _referrers(nis, scope.removed, index) | set(scope.nis):
            entry = nis.get(kt)
            if entry is None:
                continue
            problems: list[str] = []
            _evpn(entry, kt[0], nis, endpoints, problems)
            part = scope.nis.get(kt)
            # an instance only named by what the Set removed: its own map is as it was
            if part is not None and (index is None or part.whole or _vni_map_suspect(nis, kt[0], entry, part, index)):
                _vni_map(entry, kt[0], problems)
            if problems:
                found.append((kt, problems))
        out += _in_order(nis, found)
    if scope is None or scope.ifaces is None:
        for (name,), iface in ifaces.items():
            _switched_vlan(iface, name, out)
    else:
        found = []
        for kt in scope.ifaces:
            if_entry = ifaces.get(kt)
            if if_entry is not None:
                problems = []
                _switched_vlan(if_entry, kt[0], problems)
                if problems:
                    found.append((kt, problems))
        out += _in_order(ifaces, found)
    return out


class _Part:
    """What a Set touched inside one network-instance, for its VNI map."""

    def __init__(self) -> None:
        self.whole = False  # above the entries: the whole map is rechecked
        self.levnis: set[Levni] = set()
        self.vlans: set[str] = set()


class _Scope:
    """What a Set can have broken: network-instances (None: all of them)
    and interfaces (None: all) by key, and the names of instances whose
    endpoints (or themselves) it removed."""

    def __init__(self) -> None:
        self.nis: dict[tuple[str, ...], _Part] | None = {}
        self.ifaces: set[tuple[str, ...]] | None = set()
        self.removed: set[str] = set()


def _scope(touched: Iterable[Path], deleted: Iterable[Path], nis: KeyedList) -> _Scope:
    scope = _Scope()
    for a in touched:
        e = a.elems
        top = e[0].name if e else ""
        if top in ("", "network-instances"):
            if len(e) < 2 or not e[1].keys:
                scope.nis = None
            elif scope.nis is not None:
                kt = _key(e[1])
                part = scope.nis.get(kt)
                if part is None:
                    part = scope.nis[kt] = _Part()
                _touch_part(part, kt[0], e)
        if top in ("", "interfaces"):
            if len(e) < 2 or not e[1].keys:
                scope.ifaces = None
            elif scope.ifaces is not None:
                scope.ifaces.add(_key(e[1]))
    if scope.nis is None:
        return scope
    for kt in scope.nis:
        if kt not in nis:  # a network-instance the Set removed
            scope.removed.add(kt[0])
    for p in deleted:  # an endpoint the Set removed (each of its leaves is a deleted leaf)
        e = p.elems
        if len(e) > 6 and e[0].name == "network-instances" and e[2].name == "connection-points":
            ni = nis.get(_key(e[1]))
            eps = _sub(ni, "connection-points")
            cp = _entries(eps, "connection-point").get(_key(e[3]))
            if _key(e[5]) not in _entries(_sub(cp, "endpoints"), "endpoint"):
                scope.removed.add(_key(e[1])[0])
    return scope


def _touch_part(part: _Part, ni: str, e: tuple[Elem, ...]) -> None:
    where = e[2].name if len(e) > 2 else ""
    if where == "connection-points":
        if len(e) > 8 and e[8].keys and e[8].name == "local-endpoint-vni":
            part.levnis.add((ni, key(e[3]), key(e[5]), key(e[8])))
        else:
            part.whole = True
    elif where == "vlans":
        if len(e) > 3 and e[3].keys:
            part.vlans.add(key(e[3]))
        else:
            part.whole = True
    elif where == "":
        part.whole = True


def _vni_map_suspect(nis: KeyedList, name: str, ni: Node, part: _Part, index: RuleIndex) -> bool:
    """Whether the Set's changes to the instance's VNI map may break it: a
    changed entry whose VLAN is missing or that disagrees with another entry
    of its VNI or VLAN, or a removed VLAN still in use. False means the
    whole-map check finds nothing; True asks for it (it names the problems)."""
    vlans = _entries(_sub(ni, "vlans"), "vlan")
    changed: dict[Levni, Any] = {}
    by_vni: dict[str, list[Levni]] = {}
    by_bd: dict[str, list[Levni]] = {}
    for lid in part.levnis:
        bd = _sub(levni_node(nis, lid), "config").get("bridge-domain")
        if bd is not None:
            changed[lid] = bd
            by_vni.setdefault(lid[3], []).append(lid)
            by_bd.setdefault(str(bd), []).append(lid)
    for lid, bd in changed.items():
        vni, bds = lid[3], str(bd)
        if (bds,) not in vlans:
            return True
        for other in (*index.by_vni.get((name, vni), ()), *index.by_bd.get((name, bds), ()), *by_vni[vni], *by_bd[bds]):
            if other == lid:
                continue
            obd = changed[other] if other in changed else _sub(levni_node(nis, other), "config").get("bridge-domain")
            if obd is not None and ((other[3] == vni and obd != bd) or (str(obd) == bds and other[3] != vni)):
                return True
    for vlan in part.vlans:
        if (vlan,) in vlans:
            continue
        for other in index.by_bd.get((name, vlan), ()):
            obd = _sub(levni_node(nis, other), "config").get("bridge-domain")
            if obd is not None and str(obd) == vlan:
                return True
    return False


def _key(elem: Elem) -> tuple[str, ...]:
    """A one-key list element's key as its KeyedList key."""
    return tuple(key_string(v) for _, v in elem.keys)


def _in_order(entries: KeyedList, found: list[tuple[tuple[str, ...], list[str]]]) -> list[str]:
    """Problems of some entries in the list's order, as the whole-configuration
    check gives them (the list is walked only when several have problems)."""
    if len(found) > 1:
        position = {kt: i for i, kt in enumerate(entries)}
        found = sorted(found, key=lambda item: position[item[0]])
    return [p for _, problems in found for p in problems]


def _referrers(nis: KeyedList, removed: set[str], index: RuleIndex | None) -> set[tuple[str, ...]]:
    """Instances with an evpn-instance whose overlay-endpoint-network-instance
    is one of ``removed`` (from the index, else a scan; only when the Set
    removed an instance or an endpoint)."""
    if not removed:
        return set()
    if index is not None:
        return {(user,) for name in removed for user in index.refs.get(name, ())}
    out = set()
    for kt, ni in nis.items():
        for ei in _entries(_sub(ni, "evpn", "evpn-instances"), "evpn-instance").values():
            if _sub(ei, "vxlan", "config").get("overlay-endpoint-network-instance") in removed:
                out.add(kt)
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


def _evpn(ni: Node, ni_name: str, by_name: KeyedList, endpoints: dict[str, set[str]], out: list[str]) -> None:
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
        if oni is not None and (oni,) not in by_name:
            out.append(f"{at('vxlan/config/overlay-endpoint-network-instance')}: no network-instance {oni!r}")
        if oe is None:
            continue
        if oni is None:
            out.append(f"{at('vxlan/config/overlay-endpoint')}: {oe!r} needs overlay-endpoint-network-instance")
        elif (oni,) in by_name:
            if oni not in endpoints:
                endpoints[oni] = _endpoints(by_name[(oni,)])
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
