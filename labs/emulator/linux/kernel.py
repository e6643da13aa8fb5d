"""The overlay in the switch's kernel: FRR's traditional-bridge EVPN model.

Per VNI ``V`` (VLAN ``L``) a bridge ``br<V>`` and a VXLAN device ``vx<V>``
(``vxlan id V local VTEP dstport 4789 nolearning``, a port of the bridge
with learning off: FRR fills its fdb from EVPN); every trunk port carrying
``L`` delivers VLAN ``L`` into the bridge through the VLAN backend
(``ensure(port, L)`` gives an untagged interface in the switch namespace,
which joins ``br<V>``); an ACCESS port joins the bridge itself. The names
``br<digits>`` and ``vx<digits>`` are the dataplane's: whatever of them the
config does not ask for is removed.

:func:`plan` is pure: from the desired :class:`Bridge` set, the links the
kernel has (:func:`parse_links` of ``ip -d -j link show``) and the VLAN
interfaces made so far, the :data:`Step` list making the kernel match. It
is empty when nothing differs, so a reconcile costs one ``ip`` call then.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping

VXLAN_PORT = 4789
VXLAN_MTU = 9000  # the underlay's veths have 9500: room for the 50 bytes of VXLAN
_OWNED = re.compile(r"^(br|vx)([0-9]+)$")


def bridge_name(vni: int) -> str:
    return f"br{vni}"


def vxlan_name(vni: int) -> str:
    return f"vx{vni}"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    name: str
    kind: str  # "" for plain devices (veth shows "veth")
    master: str | None
    up: bool  # administratively
    vni: int | None = None  # vxlan
    local: str | None = None  # vxlan
    port: int | None = None  # vxlan dstport
    learning: bool | None = None  # as a bridge port


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    """A bridge member: VLAN ``vlan`` of ``port`` (tagged trunk), or ``port``
    itself (``vlan`` None: an ACCESS port). Linux port names."""

    port: str
    vlan: int | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Bridge:
    vni: int
    vtep: str
    members: frozenset[Member]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Ip:
    """``ip -n NS <args>``, on behalf of VNI ``vni`` (None: a port's own state)."""

    args: tuple[str, ...]
    vni: int | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class EnsureVlan:
    """Get VLAN ``vlan`` of ``port`` from the backend; make it a port of ``bridge``."""

    port: str
    vlan: int
    bridge: str
    vni: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseVlan:
    port: str
    vlan: int
    vni: int | None = None


Step = Ip | EnsureVlan | ReleaseVlan


def parse_links(text: str) -> dict[str, Link]:
    """``ip -d -j link show`` -> name -> Link."""
    out = {}
    for d in json.loads(text or "[]"):
        info = d.get("linkinfo") or {}
        data = info.get("info_data") or {}
        slave = info.get("info_slave_data") or {}
        kind = str(info.get("info_kind") or "")
        name = str(d.get("ifname"))
        out[name] = Link(
            name=name,
            kind=kind,
            master=d.get("master"),
            up="UP" in (d.get("flags") or ()),
            vni=data.get("id") if kind == "vxlan" else None,
            local=data.get("local") if kind == "vxlan" else None,
            port=data.get("port") if kind == "vxlan" else None,
            learning=slave.get("learning") if info.get("info_slave_kind") == "bridge" else None,
        )
    return out


def desired_bridges(
    vnis: Mapping[int, tuple[int, str]], trunks: Mapping[str, Iterable[int]], access: Mapping[str, int]
) -> dict[int, Bridge]:
    """VNI -> Bridge from ``vnis`` (VNI -> (VLAN, VTEP)), trunk ports' VLANs
    and access ports' VLAN (Linux port names)."""
    vni_of = {vlan: vni for vni, (vlan, _) in vnis.items()}
    members: dict[int, set[Member]] = {vni: set() for vni in vnis}
    for port, vlans in trunks.items():
        for vlan in vlans:
            if vlan in vni_of:
                members[vni_of[vlan]].add(Member(port=port, vlan=vlan))
    for port, vlan in access.items():
        if vlan in vni_of:
            members[vni_of[vlan]].add(Member(port=port))
    return {vni: Bridge(vni=vni, vtep=vtep, members=frozenset(members[vni])) for vni, (_, vtep) in vnis.items()}


def plan(
    want: Mapping[int, Bridge],
    links: Mapping[str, Link],
    vlan_ifs: Mapping[tuple[str, int], str],
    *,
    ports_down: Iterable[str] = (),
    ports: Iterable[str] = (),
) -> list[Step]:
    """The steps making the kernel hold ``want``; ``vlan_ifs``: (port, VLAN)
    -> interface of the VLAN interfaces made so far; ``ports``: the lab
    ports (Linux names), down when in ``ports_down``, else up."""
    steps: list[Step] = []
    wanted_vlans = {(m.port, m.vlan): b.vni for b in want.values() for m in b.members if m.vlan is not None}
    for (port, vlan), _ in sorted(vlan_ifs.items()):
        if (port, vlan) not in wanted_vlans:
            steps.append(ReleaseVlan(port=port, vlan=vlan))
    for name, link in sorted(links.items()):
        m = _OWNED.match(name)
        if m is None:
            continue
        vni = int(m.group(2))
        stale = m.group(1) == "vx" and link.kind == "vxlan" and vni in want and not _vxlan_fits(link, want[vni])
        if vni not in want or stale:
            steps.append(Ip(args=("link", "del", name), vni=vni))
    for _, bridge in sorted(want.items()):
        steps += _bridge_steps(bridge, links, vlan_ifs)
    down = set(ports_down)
    for port in ports:
        have = links.get(port)
        if have is not None and have.up == (port in down):
            steps.append(Ip(args=("link", "set", port, "down" if port in down else "up")))
    return steps


def _vxlan_fits(link: Link, bridge: Bridge) -> bool:
    return link.vni == bridge.vni and link.local == bridge.vtep and link.port == VXLAN_PORT


def _bridge_steps(b: Bridge, links: Mapping[str, Link], vlan_ifs: Mapping[tuple[str, int], str]) -> list[Step]:
    br, vx, vni = bridge_name(b.vni), vxlan_name(b.vni), b.vni
    out: list[Step] = []
    have_br = links.get(br)
    if have_br is None or have_br.kind != "bridge":
        if have_br is not None:
            out.append(Ip(args=("link", "del", br), vni=vni))
        out.append(Ip(args=("link", "add", br, "type", "bridge"), vni=vni))
        have_br = None
    have_vx = links.get(vx)
    if have_vx is None or have_vx.kind != "vxlan" or not _vxlan_fits(have_vx, b):
        if have_vx is not None and have_vx.kind != "vxlan":
            out.append(Ip(args=("link", "del", vx), vni=vni))
        out += [
            Ip(
                args=(
                    *("link", "add", vx, "type", "vxlan", "id", str(vni), "local", b.vtep),
                    *("dstport", str(VXLAN_PORT), "nolearning"),
                ),
                vni=vni,
            ),
            Ip(args=("link", "set", vx, "mtu", str(VXLAN_MTU)), vni=vni),
        ]
        have_vx = None
    if have_vx is None or have_vx.master != br:
        out.append(Ip(args=("link", "set", vx, "master", br), vni=vni))
    if have_vx is None or have_vx.master != br or have_vx.learning is not False:
        out.append(Ip(args=("link", "set", vx, "type", "bridge_slave", "learning", "off"), vni=vni))
    if have_vx is None or not have_vx.up:
        out.append(Ip(args=("link", "set", vx, "up"), vni=vni))
    if have_br is None or not have_br.up:
        out.append(Ip(args=("link", "set", br, "up"), vni=vni))
    wanted_names = set()
    for m in sorted(b.members, key=lambda m: (m.port, m.vlan or 0)):
        if m.vlan is None:
            wanted_names.add(m.port)
            port = links.get(m.port)
            if port is None or port.master != br:
                out.append(Ip(args=("link", "set", m.port, "master", br), vni=vni))
            continue
        ifname = vlan_ifs.get((m.port, m.vlan))
        if ifname is not None:
            wanted_names.add(ifname)
        have = links.get(ifname) if ifname else None
        if have is None or have.master != br or not have.up:
            out.append(EnsureVlan(port=m.port, vlan=m.vlan, bridge=br, vni=vni))
    for name, link in sorted(links.items()):
        if link.master == br and name != vx and name not in wanted_names and name not in vlan_ifs.values():
            out.append(Ip(args=("link", "set", name, "nomaster"), vni=vni))
    return out


def describe(steps: Iterable[Step]) -> list[str]:
    out = []
    for s in steps:
        if isinstance(s, Ip):
            out.append("ip " + " ".join(s.args))
        elif isinstance(s, EnsureVlan):
            out.append(f"ensure VLAN {s.vlan} of {s.port} in {s.bridge}")
        else:
            out.append(f"release VLAN {s.vlan} of {s.port}")
    return out
