"""Reading a leaf's VXLAN operational state, per platform (pure).

The controller subscribes to :func:`oper_paths` of a leaf's platform and
keeps the leaves it receives (path -> scalar); :func:`parse_oper` turns them
into :class:`models.readiness.VniOper` per VNI.

``openconfig`` (openconfig-vxlan, beside each VTEP endpoint)::

    .../endpoints/endpoint[endpoint-id]/vxlan/endpoint-vnis/endpoint-vni[vni]/state/vni-state   UP | DOWN
    .../endpoints/endpoint[endpoint-id]/vxlan/endpoint-peers/endpoint-peer[peer-address]/state/peer-state   UP | DOWN

openconfig-vxlan has no per-VNI flood list: a peer UP on an endpoint counts
as flooded to by every VNI of that endpoint (a route target wrong on one VNI
only is invisible here; docs/readiness.md).

``srlinux`` (native, srl_nokia-tunnel-interfaces and its bridge-table
augments)::

    /tunnel-interface[name]/vxlan-interface[index]/ingress/vni           the VNI (config)
    /tunnel-interface[name]/vxlan-interface[index]/oper-state            up | down
    /tunnel-interface[name]/vxlan-interface[index]/bridge-table/multicast-destinations/destination[vtep][vni]

each destination being one remote VTEP the VNI floods to (an EVPN IMET route).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.oc.path import Path, parse
from models.readiness import VniOper

Json = Any
_OC_EP = (
    "/network-instances/network-instance[name=default]/connection-points/connection-point[connection-point-id=*]"
    "/endpoints/endpoint[endpoint-id=*]/vxlan"
)
_SRL_VX = "/tunnel-interface[name=*]/vxlan-interface[index=*]"

OPER_PATHS: Mapping[str, tuple[Path, ...]] = {
    "openconfig": (
        parse(f"{_OC_EP}/endpoint-vnis/endpoint-vni[vni=*]/state"),
        parse(f"{_OC_EP}/endpoint-peers/endpoint-peer[peer-address=*]/state"),
    ),
    "srlinux": (
        parse(f"{_SRL_VX}/ingress/vni"),
        parse(f"{_SRL_VX}/oper-state"),
        parse(f"{_SRL_VX}/bridge-table/multicast-destinations/destination[vtep=*][vni=*]/vtep"),
    ),
}


def oper_paths(platform: str) -> tuple[Path, ...]:
    """What to subscribe to for a leaf's VXLAN operational state (nothing else:
    no counters)."""
    return OPER_PATHS.get(platform, ())


def parse_oper(platform: str, leaves: Mapping[Path, Json]) -> dict[int, VniOper]:
    """VNI -> its operational state, from the subscribed leaves (the whole
    read: :class:`OperReader` fed every leaf)."""
    reader = OperReader(platform)
    for path, value in leaves.items():
        reader.update(path, value)
    reader.refresh()
    return dict(reader.vnis)


#: a unit of leaves read together: openconfig ("vni", cp, ep, vni) or ("peers", cp, ep); srlinux (name, index)
Unit = tuple[Any, ...]


class OperReader:
    """A leaf's operational state kept incrementally: leaves in (update,
    delete), VNI -> :class:`VniOper` out. Leaves are held by *unit* (an
    openconfig endpoint's VNI or its peers, an SR Linux vxlan-interface);
    :meth:`refresh` reads again only the units changed since the last one
    and rebuilds only their VNIs, so a notification costs what it touches,
    not the size of the switch. When two units claim one VNI (two endpoints,
    two vxlan-interfaces), the smallest unit's state is the VNI's."""

    def __init__(self, platform: str) -> None:
        self._srl = platform == "srlinux"
        self._units: dict[Unit, dict[Path, Json]] = {}
        self._dirty: set[Unit] = set()
        #: unit -> what it says: srlinux (vni | None, up, reason, floods); openconfig vni (up, reason), peers frozenset
        self._read: dict[Unit, Any] = {}
        self._claims: dict[int, set[Unit]] = {}  # VNI -> the units that carry it
        self._of_endpoint: dict[tuple[str, str], set[int]] = {}  # openconfig: endpoint -> its VNIs
        self.vnis: dict[int, VniOper] = {}
        self.size = 0

    def update(self, path: Path, value: Json) -> bool:
        """Keep one leaf; False if it is none of ours."""
        unit = self._unit(path)
        if unit is None:
            return False
        leaves = self._units.setdefault(unit, {})
        self.size += path not in leaves
        leaves[path] = value
        self._dirty.add(unit)
        return True

    def delete(self, path: Path) -> None:
        """Drop the leaves at or under ``path``."""
        unit = self._unit(path)
        for u in [unit] if unit is not None else list(self._units):
            leaves = self._units.get(u)
            if not leaves:
                continue
            gone = [p for p in leaves if p.startswith(path)]
            for p in gone:
                del leaves[p]
            if gone:
                self.size -= len(gone)
                self._dirty.add(u)

    def holds(self, path: Path) -> bool:
        unit = self._unit(path)
        return unit is not None and path in self._units.get(unit, {})

    def refresh(self) -> bool:
        """Read the changed units again; True if any VNI's state changed."""
        if not self._dirty:
            return False
        touched: set[int] = set()
        for unit in self._dirty:
            leaves = self._units.get(unit)
            if not leaves:
                self._units.pop(unit, None)
            old = self._read.pop(unit, None)
            new = self._summary(unit, leaves) if leaves else None
            if new is not None:
                self._read[unit] = new
            touched |= self._reclaim(unit, old, new)
        self._dirty.clear()
        changed = False
        for vni in touched:
            now = self._vni(vni)
            if now != self.vnis.get(vni):
                changed = True
                if now is None:
                    del self.vnis[vni]
                else:
                    self.vnis[vni] = now
        return changed

    # -- per platform

    def _unit(self, path: Path) -> Unit | None:
        e = path.elems
        if self._srl:
            if len(e) >= 2 and e[0].name == "tunnel-interface" and e[1].name == "vxlan-interface":
                return (e[0].key_map.get("name", ""), e[1].key_map.get("index", ""))
            return None
        cp = ep = None
        for el in e:
            if el.name == "connection-point":
                cp = el.key_map.get("connection-point-id", "")
            elif el.name == "endpoint":
                ep = el.key_map.get("endpoint-id", "")
            elif el.name == "endpoint-vni" and cp is not None and ep is not None:
                vni = el.key_map.get("vni", "")
                return ("vni", cp, ep, int(vni)) if vni.isdigit() else None
            elif el.name == "endpoint-peer" and cp is not None and ep is not None:
                return ("peers", cp, ep)
        return None

    def _summary(self, unit: Unit, leaves: Mapping[Path, Json]) -> Any:
        if self._srl:
            vni, up, reason, floods = None, False, "", set()
            for path, value in leaves.items():
                e = path.elems
                leaf = e[-1].name
                if leaf == "vni" and e[-2].name == "ingress":
                    vni = int(value) if str(value).isdigit() else None  # a switch's nonsense names no VNI
                elif len(e) == 3 and leaf == "oper-state":
                    up = str(value) == "up"
                elif len(e) == 3 and leaf == "dataplane-error":
                    reason = str(value)
                elif leaf == "vtep" and e[-2].name == "destination":
                    floods.add(str(value))
            return (vni, up, reason, frozenset(floods))
        if unit[0] == "peers":
            return frozenset(_key(path, "endpoint-peer", "peer-address") for path, value in leaves.items()
                             if path.elems[-1].name == "peer-state" and str(value).upper() == "UP")  # fmt: skip
        up, reason = False, ""
        for path, value in leaves.items():
            leaf = path.elems[-1].name
            if leaf == "vni-state":
                up = str(value).upper() == "UP"
            elif leaf == "dataplane-error":
                reason = str(value)
        return (up, reason)

    def _reclaim(self, unit: Unit, old: Any, new: Any) -> set[int]:
        """Move the unit's claims; the VNIs whose state may have changed."""
        if self._srl:
            was = {old[0]} if old is not None and old[0] is not None else set()
            now = {new[0]} if new is not None and new[0] is not None else set()
        elif unit[0] == "peers":
            return set(self._of_endpoint.get((unit[1], unit[2]), ())) if old != new else set()
        else:
            was = {unit[3]} if old is not None else set()
            now = {unit[3]} if new is not None else set()
            ep = self._of_endpoint.setdefault((unit[1], unit[2]), set())
            if now:
                ep.add(unit[3])
            elif was:
                ep.discard(unit[3])
        for vni in was - now:
            claims = self._claims.get(vni, set())
            claims.discard(unit)
            if not claims:
                self._claims.pop(vni, None)
        for vni in now:
            self._claims.setdefault(vni, set()).add(unit)
        return was | now

    def _vni(self, vni: int) -> VniOper | None:
        claims = self._claims.get(vni)
        if not claims:
            return None
        unit = min(claims)
        got = self._read[unit]
        if self._srl:
            return VniOper(up=got[1], floods=got[3], reason=got[2])
        peers = self._read.get(("peers", unit[1], unit[2]), frozenset())
        return VniOper(up=got[0], floods=peers, reason=got[1])


def _key(path: Path, elem: str, key: str) -> str:
    """Key ``key`` of the first element named ``elem`` in ``path``."""
    return next((e.key_map.get(key, "") for e in path.elems if e.name == elem), "")
