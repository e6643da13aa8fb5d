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
    """VNI -> its operational state, from the subscribed leaves."""
    return _srlinux(leaves) if platform == "srlinux" else _openconfig(leaves)


def _after(path: Path, name: str) -> tuple[dict[str, str], str] | None:
    """The keys of element ``name`` in ``path`` and the leaf's name."""
    for e in path.elems:
        if e.name == name:
            return e.key_map, path.elems[-1].name
    return None


def _openconfig(leaves: Mapping[Path, Json]) -> dict[int, VniOper]:
    vnis: dict[tuple[str, str], dict[int, tuple[bool, str]]] = {}
    peers: dict[tuple[str, str], set[str]] = {}
    for path, value in leaves.items():
        keys = {e.name: e.key_map for e in path.elems}
        ep = (
            keys.get("connection-point", {}).get("connection-point-id", ""),
            keys.get("endpoint", {}).get("endpoint-id", ""),
        )
        leaf = path.elems[-1].name if path.elems else ""
        if "endpoint-vni" in keys and leaf in ("vni-state", "dataplane-error"):
            vni = int(keys["endpoint-vni"].get("vni", "0") or 0)
            up, reason = vnis.setdefault(ep, {}).get(vni, (False, ""))
            if leaf == "vni-state":
                up = str(value).upper() == "UP"
            else:
                reason = str(value)
            vnis[ep][vni] = (up, reason)
        elif "endpoint-peer" in keys and leaf == "peer-state" and str(value).upper() == "UP":
            peers.setdefault(ep, set()).add(keys["endpoint-peer"].get("peer-address", ""))
    out: dict[int, VniOper] = {}
    for ep, per_vni in vnis.items():
        for vni, (up, reason) in per_vni.items():
            out[vni] = VniOper(up=up, floods=frozenset(peers.get(ep, ())), reason=reason)
    return out


def _srlinux(leaves: Mapping[Path, Json]) -> dict[int, VniOper]:
    vni_of: dict[tuple[str, str], int] = {}
    up: dict[tuple[str, str], tuple[bool, str]] = {}
    floods: dict[tuple[str, str], set[str]] = {}
    for path, value in leaves.items():
        e = path.elems
        if len(e) < 3 or e[0].name != "tunnel-interface" or e[1].name != "vxlan-interface":
            continue
        vx = (e[0].key_map.get("name", ""), e[1].key_map.get("index", ""))
        leaf = e[-1].name
        if leaf == "vni" and e[-2].name == "ingress":
            vni_of[vx] = int(value)
        elif len(e) == 3 and leaf in ("oper-state", "dataplane-error"):
            state, reason = up.get(vx, (False, ""))
            if leaf == "oper-state":
                state = str(value) == "up"
            else:
                reason = str(value)
            up[vx] = (state, reason)
        elif leaf == "vtep" and e[-2].name == "destination":
            floods.setdefault(vx, set()).add(str(value))
    out: dict[int, VniOper] = {}
    for vx, vni in vni_of.items():
        state, reason = up.get(vx, (False, ""))
        out[vni] = VniOper(up=state, floods=frozenset(floods.get(vx, ())), reason=reason)
    return out
