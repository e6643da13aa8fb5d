"""What an SR Linux box refuses at commit beyond types, ranges and patterns
(:mod:`labs.emulator.srlinux.schema`), over the whole resulting
configuration, so that a Set is committed or refused as one transaction.

From Nokia's 25.3.1 models (``must``, ``mandatory``, ``max-elements``,
leafrefs), read as the box means them (docs/platforms.md, R1-R17):

* a subinterface with a VLAN encapsulation needs ``vlan-tagging true`` on its
  port (R2-R4); no IPv4/IPv6 on a bridged subinterface (R8, R9);
* a vxlan-interface has a ``type`` (bridged or routed) and ``ingress/vni``;
* a network-instance holds at most one vxlan-interface; bgp-evpn, bgp-vpn and
  vxlan-interfaces are refused in the ``default`` instance (R1);
* a bgp-evpn instance has an ``evi``, its ``vxlan-interface`` is one of its
  own network-instance's;
* BGP in the default instance has an ``autonomous-system`` and a
  ``router-id``; its groups, policies and prefix-sets are referenced by name
  only when they exist.

What the YANG does not catch but a box refuses (or mis-forwards), checked
here as the box's applications would (docs/platforms.md, "What the emulator
enforces"):

* an ``ethernet-S/P`` the platform does not have (7220 IXR-D2L: slot 1,
  ports 1-56, plus the lab's cabled ports);
* a network-instance naming a subinterface or a vxlan-interface that does not
  exist; a routed subinterface in a mac-vrf, a bridged one outside it; a
  bridged vxlan-interface outside a mac-vrf; a subinterface or
  vxlan-interface in two network-instances;
* a bgp-evpn instance whose id matches no bgp-vpn instance of the same
  network-instance (the YANG's leafref accepts any network-instance's);
* two subinterfaces of a port taking the same VLAN; two vxlan-interfaces of a
  tunnel-interface with the same VNI.

Every problem is ``"<path>: <what, with the values>"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from labs.emulator.types import Identity
from models.oc.path import Elem, Path
from models.oc.tree import KeyedList

Node = dict[str, Any]
#: the ports of the emulated platform (7220 IXR-D2L: 48 x 25G and 8 x 100G on slot 1)
PLATFORM_PORTS = frozenset(f"ethernet-1/{n}" for n in range(1, 57))
PLATFORM = "7220 IXR-D2L"
TAGGING = "only configurable if vlan-tagging enabled on parent interface"


def _entries(node: Any, name: str) -> KeyedList:
    lst = node.get(name) if isinstance(node, dict) else None
    return lst if isinstance(lst, KeyedList) else KeyedList()


def _sub(node: Any, *names: str) -> Node:
    for n in names:
        node = node.get(n) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _ident(value: Any) -> Any:
    return Identity.name(value)


def _if_at(name: str) -> Path:
    return Path((Elem.of("interface", {"name": name}),))


def _ni_at(name: str) -> Path:
    return Path((Elem.of("network-instance", {"name": name}),))


def check_rules(
    root: Node, touched: Iterable[Path] | None = None, deleted: Iterable[Path] = (), *, ports: Iterable[str] = ()
) -> list[str]:
    """Problems of the whole configuration (``touched`` and ``deleted`` are
    accepted for the rules' common signature: these rules read across the
    top-level lists)."""
    del touched, deleted
    out: list[str] = []
    subifs = _interfaces(root, PLATFORM_PORTS | frozenset(ports), out)
    vxlans = _tunnels(root, out)
    used: dict[str, str] = {}  # subinterface or vxlan-interface -> the network-instance holding it
    for (name,), ni in _entries(root, "network-instance").items():
        _network_instance(name, ni, (subifs, vxlans, used), out)
    _references(root, out)
    return out


# ------------------------------------------------------------- interfaces


def _interfaces(root: Node, ports: frozenset[str], out: list[str]) -> dict[str, Node]:
    """Every subinterface by name (``P.I``), after checking each interface."""
    subifs: dict[str, Node] = {}
    for (name,), iface in _entries(root, "interface").items():
        at = _if_at(name)
        if name.startswith("ethernet-") and name not in ports:
            out.append(f"{at}: interface {name} does not exist on this platform ({PLATFORM}: ethernet-1/1..1/56)")
        tagged = iface.get("vlan-tagging") is True
        vlans: dict[int, int] = {}
        for (index,), sub in _entries(iface, "subinterface").items():
            subifs[f"{name}.{index}"] = sub
            sat = at / Elem.of("subinterface", {"index": index})
            encap = _sub(sub, "vlan", "encap")
            for kind, leaf in (("single-tagged", "vlan-id"), ("untagged", "untagged"), ("single-tagged-range", "")):
                if kind in encap and not tagged:
                    what = leaf or kind
                    where = f"{sat}/vlan/encap/{kind}" + (f"/{leaf}" if leaf == "vlan-id" else "")
                    out.append(f"{where}: {what} {TAGGING} (interface {name} has vlan-tagging {_tagging(iface)})")
            for vid in _vlan_ids(encap):
                if vid in vlans and vlans[vid] != int(index):
                    out.append(f"{sat}/vlan: VLAN {vid} is already taken by subinterface {name}.{vlans[vid]}")
                vlans.setdefault(vid, int(index))
            if _ident(sub.get("type")) in ("bridged", "local-mirror-dest"):
                for family in ("ipv4", "ipv6"):
                    if _sub(sub, family).get("admin-state") == "enable" or _entries(_sub(sub, family), "address"):
                        out.append(
                            f"{sat}/{family}: {family} configuration not allowed on bridged or local-mirror-dest "
                            "subinterfaces"
                        )
    return subifs


def _tagging(iface: Node) -> str:
    value = iface.get("vlan-tagging")
    return "not set" if value is None else str(value).lower()


def _vlan_ids(encap: Node) -> set[int]:
    single = _sub(encap, "single-tagged").get("vlan-id")
    if isinstance(single, int):
        return {single}
    out: set[int] = set()
    for (low,), r in _entries(_sub(encap, "single-tagged-range"), "low-vlan-id").items():
        high = r.get("high-vlan-id")
        if isinstance(high, int):
            out.update(range(int(low), high + 1))
    return out


def _tunnels(root: Node, out: list[str]) -> dict[str, Node]:
    """Every vxlan-interface by name (``vxlanN.I``), after checking each."""
    vxlans: dict[str, Node] = {}
    for (name,), tunnel in _entries(root, "tunnel-interface").items():
        vnis: dict[int, str] = {}
        for (index,), vx in _entries(tunnel, "vxlan-interface").items():
            ref = f"{name}.{index}"
            vxlans[ref] = vx
            at = Path((Elem.of("tunnel-interface", {"name": name}), Elem.of("vxlan-interface", {"index": index})))
            if "type" not in vx:
                out.append(f"{at}/type: missing: a vxlan-interface needs its type (bridged or routed)")
            elif _ident(vx["type"]) not in ("bridged", "routed"):
                out.append(f"{at}/type: {vx['type']!r}: a vxlan-interface is bridged or routed")
            vni = _sub(vx, "ingress").get("vni")
            if vni is None:
                out.append(f"{at}/ingress/vni: missing: a vxlan-interface needs its VNI")
            elif vni in vnis:
                out.append(f"{at}/ingress/vni: VNI {vni} is already the VNI of {vnis[vni]}")
            else:
                vnis[vni] = ref
    return vxlans


# ------------------------------------------------------ network-instances


def _network_instance(
    name: str, ni: Node, seen: tuple[dict[str, Node], dict[str, Node], dict[str, str]], out: list[str]
) -> None:
    """``seen``: the subinterfaces and vxlan-interfaces by name, and who holds which."""
    subifs, vxlans, used = seen
    at = _ni_at(name)
    kind = _ident(ni.get("type", "default"))
    for (member,), _ in _entries(ni, "interface").items():
        mat = at / Elem.of("interface", {"name": member})
        sub = subifs.get(member)
        if sub is None:
            if not member.startswith("irb"):
                out.append(f"{mat}: subinterface {member} does not exist")
        else:
            bridged = _ident(sub.get("type")) == "bridged"
            if kind == "mac-vrf" and not bridged:
                out.append(f"{mat}: {member} is a routed subinterface (type not bridged): a mac-vrf takes bridged ones")
            elif kind != "mac-vrf" and bridged:
                out.append(f"{mat}: {member} is a bridged subinterface: only a mac-vrf takes it, this is {kind}")
        if member in used:
            out.append(f"{mat}: {member} is already in network-instance {used[member]}")
        used.setdefault(member, name)
    vxs = list(_entries(ni, "vxlan-interface"))
    if vxs and kind == "default":
        out.append(f"{at}/vxlan-interface: not possible on network-instance of type default")
    if len(vxs) > 1:
        out.append(f"{at}/vxlan-interface: Too many vxlan-interface instances ({len(vxs)}; at most 1)")
    for (ref,) in vxs:
        vat = at / Elem.of("vxlan-interface", {"name": ref})
        vx = vxlans.get(ref)
        if vx is None:
            out.append(f"{vat}: vxlan-interface {ref} does not exist")
        elif _ident(vx.get("type")) == "bridged" and kind != "mac-vrf":
            out.append(f"{vat}: {ref} is a bridged vxlan-interface: only a mac-vrf takes it, this is {kind}")
        elif _ident(vx.get("type")) == "routed" and kind == "mac-vrf":
            out.append(f"{vat}: {ref} is a routed vxlan-interface: a mac-vrf takes bridged ones")
        if ref in used:
            out.append(f"{vat}: {ref} is already in network-instance {used[ref]}")
        used.setdefault(ref, name)
    _evpn(name, ni, kind, {r for (r,) in vxs}, out)
    bgp = _sub(ni, "protocols", "bgp")
    if "bgp" in _sub(ni, "protocols"):
        for leaf in ("autonomous-system", "router-id"):
            if leaf not in bgp:
                out.append(f"{at}/protocols/bgp/{leaf}: missing (mandatory)")


def _evpn(name: str, ni: Node, kind: str, own_vxlans: set[str], out: list[str]) -> None:
    at = _ni_at(name) / "protocols"
    protocols = _sub(ni, "protocols")
    evpn, vpn = (
        _entries(_sub(protocols, "bgp-evpn"), "bgp-instance"),
        _entries(_sub(protocols, "bgp-vpn"), "bgp-instance"),
    )
    if kind == "default":
        for what in ("bgp-evpn", "bgp-vpn"):
            if what in protocols:
                out.append(
                    f"{at}/{what}: The {what} configuration is not possible on network-instance of type default."
                )
    vpn_ids = {int(i) for (i,) in vpn}
    for (eid,), inst in evpn.items():
        eat = at / "bgp-evpn" / Elem.of("bgp-instance", {"id": eid})
        if "evi" not in inst:
            out.append(f"{eat}/evi: missing (mandatory)")
        vx = inst.get("vxlan-interface")
        if vx is not None and vx not in own_vxlans:
            mine = ", ".join(sorted(own_vxlans)) or "none"
            out.append(f"{eat}/vxlan-interface: {vx} is not a vxlan-interface of network-instance {name} ({mine})")
        if int(eid) not in vpn_ids:
            out.append(f"{eat}: no bgp-vpn bgp-instance with id {eid} in network-instance {name}")
        ecmp = inst.get("ecmp")
        if isinstance(ecmp, int) and ecmp > 8 and kind != "ip-vrf":
            out.append(f"{eat}/ecmp: {ecmp}: more than 8 only in an ip-vrf")


# -------------------------------------------------------------- references


def _references(root: Node, out: list[str]) -> None:
    """BGP groups, routing policies and prefix-sets named where they are used exist."""
    rp = _sub(root, "routing-policy")
    policies = {n for (n,) in _entries(rp, "policy")}
    prefix_sets = {n for (n,) in _entries(rp, "prefix-set")}
    for (pname,), policy in _entries(rp, "policy").items():
        for (sname,), st in _entries(policy, "statement").items():
            ref = _sub(st, "match", "prefix").get("prefix-set")
            if ref is not None and ref not in prefix_sets:
                pat = Path((Elem("routing-policy"), Elem.of("policy", {"name": pname})))
                out.append(
                    f"{pat / Elem.of('statement', {'name': sname})}/match/prefix/prefix-set: no prefix-set {ref!r}"
                )
    for (ni_name,), ni in _entries(root, "network-instance").items():
        bgp = _sub(ni, "protocols", "bgp")
        if not bgp:
            continue
        at = _ni_at(ni_name) / "protocols/bgp"
        groups = {g for (g,) in _entries(bgp, "group")}
        holders: list[tuple[Path, Node]] = [(at, bgp)]
        holders += [(at / Elem.of("group", {"group-name": g}), v) for (g,), v in _entries(bgp, "group").items()]
        for (addr,), v in _entries(bgp, "neighbor").items():
            nat = at / Elem.of("neighbor", {"peer-address": addr})
            holders.append((nat, v))
            if v.get("peer-group") is not None and v["peer-group"] not in groups:
                out.append(f"{nat}/peer-group: no group {v['peer-group']!r}")
        for (ifname,), v in _entries(_sub(bgp, "dynamic-neighbors"), "interface").items():
            if v.get("peer-group") not in groups:
                dat = at / "dynamic-neighbors" / Elem.of("interface", {"interface-name": ifname})
                out.append(f"{dat}/peer-group: no group {v.get('peer-group')!r}")
        for where, holder in holders:
            for leaf in ("export-policy", "import-policy"):
                for name in holder.get(leaf) or ():
                    if name not in policies:
                        out.append(f"{where}/{leaf}: no routing-policy policy {name!r}")
