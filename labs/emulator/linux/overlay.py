"""What a switch's running configuration asks of Linux (pure).

From the OpenConfig of ``docs/openconfig-profile.md``:

* every ``local-endpoint-vni`` (VNI ``V`` <-> VLAN ``L`` = ``bridge-domain``)
  of an enabled VXLAN endpoint of a connection point in the default
  network-instance: a bridge with a VXLAN device for ``V``, sourced from the
  endpoint's ``source-interface`` address (the loopback /32, the VTEP);
* every port in ``switched-vlan`` TRUNK mode carrying ``L`` in
  ``trunk-vlans``: VLAN ``L`` of that port joins ``V``'s bridge; a port in
  ACCESS mode with ``access-vlan L`` joins it itself (untagged);
* every MAC-VRF (an ``L2VSI`` network-instance whose EVPN instance has a
  VXLAN ``vni``): its route distinguisher (``AUTO``: FRR derives one) and
  route targets, for FRR;
* ports whose ``config/enabled`` is false: link down.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from typing import Any

from labs.emulator.types import Identity
from models.oc.path import Elem, Path
from models.oc.tree import KeyedList, Tree
from models.platforms.openconfig import expand_vlans

DEFAULT_NI = "default"
_NI_DEFAULT = Path.parse("/network-instances/network-instance[name=default]")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class VniWant:
    vni: int
    vlan: int
    vtep: str
    #: where the VNI is configured (its state goes beside it): the connection
    #: point and endpoint on openconfig, the tunnel-interface and the
    #: vxlan-interface's index on srlinux
    connection_point: str
    endpoint: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class MacVrf:
    vni: int
    rd: str | None  # None: AUTO
    imports: tuple[str, ...]
    exports: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Overlay:
    vnis: Mapping[int, VniWant]
    #: OpenConfig port -> VLANs it carries tagged (TRUNK)
    trunks: Mapping[str, frozenset[int]]
    #: OpenConfig port -> its untagged VLAN (ACCESS)
    access: Mapping[str, int]
    macvrfs: Mapping[int, MacVrf]
    #: OpenConfig ports configured with enabled false
    disabled: frozenset[str]
    #: VNI -> its bridge's members, (port, VLAN) or (port, None) for the port
    #: itself, where the platform names them (srlinux: a mac-vrf's
    #: subinterfaces); None: from ``trunks`` and ``access`` by each VNI's VLAN
    members: Mapping[int, frozenset[tuple[str, int | None]]] | None = None


# The state paths below are made once each and shared: the in-memory fabric
# rewrites flood lists leaf by leaf, and a path it holds already is then the
# same object (a dict lookup by identity, its hash kept), not an equal copy.


@functools.lru_cache(maxsize=1 << 12)
def _endpoint_path(cp: str, ep: str) -> Path:
    return (
        _NI_DEFAULT
        / "connection-points"
        / Elem.of("connection-point", {"connection-point-id": cp})
        / "endpoints"
        / Elem.of("endpoint", {"endpoint-id": ep})
    )


@functools.lru_cache(maxsize=1 << 16)
def vni_state_path(cp: str, ep: str, vni: int) -> Path:
    return _endpoint_path(cp, ep) / "vxlan/endpoint-vnis" / Elem.of("endpoint-vni", {"vni": vni})


@functools.lru_cache(maxsize=1 << 16)
def _peer_path(cp: str, ep: str, vtep: str) -> Path:
    return _endpoint_path(cp, ep) / "vxlan/endpoint-peers" / Elem.of("endpoint-peer", {"peer-address": vtep})


def vni_report(want: VniWant, errors: list[str]) -> tuple[Path, Any]:
    """Where and how the Linux dataplane reports a VNI (OpenConfig: beside
    its endpoint, ``vni-state`` UP or DOWN, the lab's ``dataplane-error``)."""
    state: dict[str, Any] = {
        "vni": want.vni,
        "vni-type": "L2",
        "bridge-domain": want.vlan,
        "vni-state": "DOWN" if errors else "UP",
    }
    if errors:
        state["dataplane-error"] = "; ".join(errors)
    return vni_state_path(want.connection_point, want.endpoint, want.vni), {"vni": want.vni, "state": state}


def flood_report(want: VniWant, vteps: frozenset[str]) -> dict[Path, Any]:
    """Where a VNI's flood list goes (openconfig-vxlan has none per VNI: each
    remote VTEP is an ``endpoint-peer`` of the VNI's endpoint, UP)."""
    return {
        _peer_path(want.connection_point, want.endpoint, v): {
            "peer-address": v,
            "state": {"peer-address": v, "peer-state": "UP"},
        }
        for v in sorted(vteps)
    }


def moves_evpn(path: Path) -> bool:
    """Whether a change at ``path`` may move the VNIs, MAC-VRFs or VTEPs
    :func:`overlay` reads: anything under the network-instances, and under an
    interface its subinterfaces (the VTEP's address), the interface itself and
    above; not a port's VLANs, description or enabled."""
    elems = path.elems
    if not elems or elems[0].name == "network-instances":
        return True
    if elems[0].name == "interfaces":
        return len(elems) <= 2 or elems[2].name == "subinterfaces"
    return False


def _sub(node: Any, *names: str) -> dict[str, Any]:
    for n in names:
        node = node.get(n) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _entries(container: Any, name: str) -> KeyedList:
    lst = container.get(name) if isinstance(container, dict) else None
    return lst if isinstance(lst, KeyedList) else KeyedList()


def _address(root: dict[str, Any], interface: str) -> str | None:
    iface = _entries(_sub(root, "interfaces"), "interface").get((interface,))
    for sub in _entries(_sub(iface, "subinterfaces"), "subinterface").values():
        for (ip,), _ in _entries(_sub(sub, "ipv4", "addresses"), "address").items():
            return ip
    return None


def _route_target(value: Any) -> str:
    text = str(value)
    return text.removeprefix("target:")


def overlay(config: Tree, *, router_id: str) -> Overlay:
    return OverlayReader(router_id).read(config)


@dataclasses.dataclass(frozen=True, slots=True)
class _Port:
    disabled: bool
    trunk: frozenset[int] | None
    access: int | None


_ALL = None  # a section wholly to read again


class OverlayReader:
    """:func:`overlay` kept current commit by commit.

    A switch's overlay is read from three parts of its configuration: the
    default network-instance's connection points (the VNIs, with the address
    of the VTEP's source interface), each interface (its VLANs, enabled) and
    each L2VSI network-instance (its MAC-VRF). :meth:`touch` takes what a
    commit changed, leaf by leaf; :meth:`read` then reads again only the
    interfaces and network-instances named there, and the VNIs when the
    default network-instance or a source interface was among them: one VNI
    added to a switch holding hundreds costs one network-instance, not all."""

    def __init__(self, router_id: str) -> None:
        self.router_id = router_id
        self._vnis: Mapping[int, VniWant] = {}
        self._sources: frozenset[str] = frozenset()  # the interfaces the VNIs' VTEP address comes from
        self._ports: dict[str, _Port] = {}
        self._macvrfs: dict[str, dict[int, MacVrf]] = {}  # network-instance -> its MAC-VRFs
        self._stale_vnis = True
        self._stale_ports: set[str] | None = _ALL
        self._stale_nis: set[str] | None = _ALL

    def touch(self, paths: Iterable[Path] | None) -> None:
        """These (leaf) paths changed; None: anything may have."""
        if paths is None:
            self._stale_vnis, self._stale_ports, self._stale_nis = True, _ALL, _ALL
            return
        for path in paths:
            elems = path.elems
            if len(elems) < 2:
                self.touch(None)
                return
            section, name = elems[0].name, elems[1].key_map.get("name")
            if section == "network-instances":
                if name is None or name == DEFAULT_NI:
                    self._stale_vnis = True
                if name is None:
                    self._stale_nis = _ALL
                elif self._stale_nis is not _ALL:
                    self._stale_nis.add(name)
            elif section == "interfaces":
                if name is None or name in self._sources:
                    self._stale_vnis = True
                if name is None:
                    self._stale_ports = _ALL
                elif self._stale_ports is not _ALL:
                    self._stale_ports.add(name)

    def read(self, config: Tree) -> Overlay:
        root = config.root
        nis = _entries(_sub(root, "network-instances"), "network-instance")
        if self._stale_vnis:
            self._vnis, self._sources = _vnis(root, nis.get((DEFAULT_NI,), {}), self.router_id)
        ports: dict[str, _Port] = {}
        for (name,), iface in _entries(_sub(root, "interfaces"), "interface").items():
            port = self._ports.get(name)
            if port is None or self._stale_ports is _ALL or name in self._stale_ports:
                port = _port(iface)
            ports[name] = port
        by_ni: dict[str, dict[int, MacVrf]] = {}
        macvrfs: dict[int, MacVrf] = {}
        for (name,), ni in nis.items():
            mine = self._macvrfs.get(name)
            if mine is None or self._stale_nis is _ALL or name in self._stale_nis:
                mine = _macvrfs(ni)
            by_ni[name] = mine
            macvrfs.update(mine)  # in order: a VNI two network-instances claim is the later one's
        self._ports, self._macvrfs = ports, by_ni
        self._stale_vnis, self._stale_ports, self._stale_nis = False, set(), set()
        return Overlay(
            vnis=self._vnis,
            trunks={n: p.trunk for n, p in ports.items() if p.trunk is not None},
            access={n: p.access for n, p in ports.items() if p.access is not None},
            macvrfs=macvrfs,
            disabled=frozenset(n for n, p in ports.items() if p.disabled),
        )


def _vnis(root: dict[str, Any], default: Any, router_id: str) -> tuple[Mapping[int, VniWant], frozenset[str]]:
    """The VNIs of the default network-instance's connection points, and the
    interfaces their VTEP addresses come from."""
    vnis: dict[int, VniWant] = {}
    sources: set[str] = set()
    for (cp_id,), cp in _entries(_sub(default, "connection-points"), "connection-point").items():
        for (ep_id,), ep in _entries(_sub(cp, "endpoints"), "endpoint").items():
            vx = _sub(ep, "vxlan")
            if _sub(vx, "config").get("enabled") is False:
                continue
            source = _sub(vx, "config").get("source-interface")
            if source:
                sources.add(source)
            vtep = (_address(root, source) if source else None) or router_id
            for (vni_key,), lv in _entries(_sub(vx, "local-endpoint-vnis"), "local-endpoint-vni").items():
                bd = _sub(lv, "config").get("bridge-domain")
                if bd is None:
                    continue
                vni = int(vni_key)
                vnis.setdefault(vni, VniWant(vni=vni, vlan=int(bd), vtep=vtep, connection_point=cp_id, endpoint=ep_id))
    return vnis, frozenset(sources)


def _port(iface: Any) -> _Port:
    cfg = _sub(iface, "ethernet", "switched-vlan", "config")
    mode = Identity.name(cfg.get("interface-mode"))
    trunk = frozenset(expand_vlans(cfg["trunk-vlans"])) if mode == "TRUNK" and cfg.get("trunk-vlans") else None
    access = cfg["access-vlan"] if mode == "ACCESS" and isinstance(cfg.get("access-vlan"), int) else None
    return _Port(disabled=_sub(iface, "config").get("enabled") is False, trunk=trunk, access=access)


def _macvrfs(ni: Any) -> dict[int, MacVrf]:
    """The MAC-VRFs of one network-instance (an L2VSI's EVPN instances)."""
    out: dict[int, MacVrf] = {}
    if Identity.name(_sub(ni, "config").get("type")) != "L2VSI":
        return out
    for _, ei in _entries(_sub(ni, "evpn", "evpn-instances"), "evpn-instance").items():
        evi_vni = _sub(ei, "vxlan", "config").get("vni")
        if not isinstance(evi_vni, int):
            continue
        rd = _sub(ei, "config").get("route-distinguisher")
        pol = _sub(ei, "import-export-policy", "config")
        out[evi_vni] = MacVrf(
            vni=evi_vni,
            rd=None if rd in (None, "AUTO") else str(rd),
            imports=tuple(sorted({_route_target(v) for v in pol.get("import-route-target") or ()})),
            exports=tuple(sorted({_route_target(v) for v in pol.get("export-route-target") or ()})),
        )
    return out
