"""Who uses what in a committed OpenConfig configuration, kept from the
leaf-level changes of each commit, so that a Set's rules look only at what
it can have broken (:func:`labs.emulator.rules.check_rules`):

* which network-instances an instance's evpn-instances name as their
  ``overlay-endpoint-network-instance`` (to recheck them when that instance
  or one of its endpoints goes);
* per network-instance, the local-endpoint-vni entries by VNI and by
  bridge-domain (to recheck a VNI-to-VLAN mapping against the others, and
  the entries of a VLAN that goes).

It describes the committed configuration only: a Set being checked is read
from the tree itself. Rebuilt from scratch with :meth:`RuleIndex.build`
(start, reboot); :meth:`committed` updates only what a commit's leaves name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from models.oc.path import Elem, Path
from models.oc.schema import key_string
from models.oc.tree import KeyedList

Node = dict[str, Any]
#: (network-instance, connection-point, endpoint, vni): one local-endpoint-vni entry
Levni = tuple[str, str, str, str]


class RuleIndex:
    def __init__(self) -> None:
        self.refs: dict[str, set[str]] = {}  # instance -> instances naming it as overlay-endpoint-network-instance
        self._refs_of: dict[str, set[str]] = {}
        self.by_vni: dict[tuple[str, str], set[Levni]] = {}  # (instance, vni) -> entries
        self.by_bd: dict[tuple[str, str], set[Levni]] = {}  # (instance, bridge-domain text) -> entries
        self._bd_of: dict[Levni, str] = {}

    @classmethod
    def build(cls, root: Node) -> RuleIndex:
        index = cls()
        for (name,), ni in entries(root.get("network-instances"), "network-instance").items():
            index._ni_refs(name, ni)
            for (cp,), cpn in entries(sub(ni, "connection-points"), "connection-point").items():
                for (ep,), epn in entries(sub(cpn, "endpoints"), "endpoint").items():
                    for (vni,), lv in entries(sub(epn, "vxlan", "local-endpoint-vnis"), "local-endpoint-vni").items():
                        index._levni((name, cp, ep, vni), lv)
        return index

    def committed(self, root: Node, changed: Iterable[Path]) -> None:
        """The configuration is now ``root``, these leaves having changed."""
        nis: set[str] = set()
        levnis: set[Levni] = set()
        for p in changed:
            e = p.elems
            if len(e) < 3 or e[0].name != "network-instances" or not e[1].keys:
                continue
            name = key(e[1])
            if e[2].name == "evpn":
                nis.add(name)
            elif len(e) > 8 and e[2].name == "connection-points" and e[8].keys:
                levnis.add((name, key(e[3]), key(e[5]), key(e[8])))
        all_nis = entries(root.get("network-instances"), "network-instance")
        for name in nis:
            self._ni_refs(name, all_nis.get((name,)))
        for lid in levnis:
            self._levni(lid, levni_node(all_nis, lid))

    # -- one entry at a time

    def _ni_refs(self, name: str, ni: Node | None) -> None:
        for old in self._refs_of.pop(name, ()):
            users = self.refs.get(old)
            if users is not None:
                users.discard(name)
                if not users:
                    del self.refs[old]
        named = set()
        for ei in entries(sub(ni, "evpn", "evpn-instances"), "evpn-instance").values():
            oni = sub(ei, "vxlan", "config").get("overlay-endpoint-network-instance")
            if isinstance(oni, str):
                named.add(oni)
        if named:
            self._refs_of[name] = named
            for oni in named:
                self.refs.setdefault(oni, set()).add(name)

    def _levni(self, lid: Levni, lv: Node | None) -> None:
        ni, _, _, vni = lid
        old = self._bd_of.pop(lid, None)
        if old is not None:
            _drop(self.by_bd, (ni, old), lid)
            _drop(self.by_vni, (ni, vni), lid)
        bd = sub(lv, "config").get("bridge-domain")
        if lv is not None and bd is not None:
            self._bd_of[lid] = str(bd)
            self.by_bd.setdefault((ni, str(bd)), set()).add(lid)
            self.by_vni.setdefault((ni, vni), set()).add(lid)


def _drop(index: dict[tuple[str, str], set[Levni]], at: tuple[str, str], lid: Levni) -> None:
    users = index.get(at)
    if users is not None:
        users.discard(lid)
        if not users:
            del index[at]


def levni_node(nis: KeyedList, lid: Levni) -> Node | None:
    """A local-endpoint-vni entry of the tree, or None."""
    ni, cp, ep, vni = lid
    cpn = entries(sub(nis.get((ni,)), "connection-points"), "connection-point").get((cp,))
    epn = entries(sub(cpn, "endpoints"), "endpoint").get((ep,))
    return entries(sub(epn, "vxlan", "local-endpoint-vnis"), "local-endpoint-vni").get((vni,))


def key(elem: Elem) -> str:
    """A one-key list element's key as its KeyedList key text."""
    return key_string(elem.keys[0][1]) if len(elem.keys) == 1 else "\0".join(key_string(v) for _, v in elem.keys)


def entries(container: Any, name: str) -> KeyedList:
    lst = container.get(name) if isinstance(container, dict) else None
    return lst if isinstance(lst, KeyedList) else KeyedList()


def sub(node: Any, *names: str) -> Node:
    for n in names:
        node = node.get(n) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}
