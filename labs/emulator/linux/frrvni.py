"""The MAC-VRFs' route distinguishers and route targets in FRR.

Each MAC-VRF with VXLAN VNI ``V`` becomes, in bgpd::

    router bgp ASN
     address-family l2vpn evpn
      vni V
       rd RD                              (omitted for AUTO: FRR derives one)
       route-target import RT ...
       route-target export RT ...

Day-0 has no ``vni`` block, so every one is the emulator's: those the config
no longer asks for are removed (``no vni V``). :func:`parse` reads them from
``show running-config``; :func:`plan` gives the vtysh commands that make
FRR match (none when nothing differs).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FrrVni:
    vni: int
    rd: str | None = None
    imports: frozenset[str] = frozenset()
    exports: frozenset[str] = frozenset()


@dataclasses.dataclass(slots=True)
class _Block:
    vni: int
    rd: str | None = None
    imports: set[str] = dataclasses.field(default_factory=set)
    exports: set[str] = dataclasses.field(default_factory=set)

    def done(self) -> FrrVni:
        return FrrVni(vni=self.vni, rd=self.rd, imports=frozenset(self.imports), exports=frozenset(self.exports))


def parse(running_config: str) -> dict[int, FrrVni]:
    """The ``vni`` blocks of ``address-family l2vpn evpn`` in a running config."""
    out: dict[int, FrrVni] = {}
    in_evpn = False
    block: _Block | None = None
    for raw in running_config.splitlines():
        line = raw.strip()
        words = line.split()
        if line.startswith("address-family l2vpn evpn"):
            in_evpn = True
            continue
        if line in ("exit-vni", "exit-address-family") and block is not None:
            out[block.vni] = block.done()
            block = None
        if line == "exit-address-family":
            in_evpn = False
        elif in_evpn and len(words) == 2 and words[0] == "vni" and words[1].isdigit():
            if block is not None:
                out[block.vni] = block.done()
            block = _Block(vni=int(words[1]))
        elif block is not None and len(words) >= 2 and words[0] == "rd":
            block.rd = words[1]
        elif block is not None and len(words) >= 3 and words[0] == "route-target":
            if words[1] in ("import", "both"):
                block.imports.add(words[2])
            if words[1] in ("export", "both"):
                block.exports.add(words[2])
    if block is not None:
        out[block.vni] = block.done()
    return out


def plan(want: Mapping[int, FrrVni], have: Mapping[int, FrrVni]) -> list[str]:
    """vtysh commands below ``address-family l2vpn evpn`` making ``have`` ``want``."""
    cmds: list[str] = []
    for vni in sorted(set(have) - set(want)):
        cmds.append(f"no vni {vni}")
    for vni, w in sorted(want.items()):
        h = have.get(vni, FrrVni(vni=vni))
        body: list[str] = []
        if h.rd is not None and h.rd != w.rd:
            body.append(f"no rd {h.rd}")
        if w.rd is not None and h.rd != w.rd:
            body.append(f"rd {w.rd}")
        for kind, wset, hset in (("import", w.imports, h.imports), ("export", w.exports, h.exports)):
            body += [f"no route-target {kind} {rt}" for rt in sorted(hset - wset)]
            body += [f"route-target {kind} {rt}" for rt in sorted(wset - hset)]
        if body or vni not in have:
            cmds += [f"vni {vni}", *body, "exit-vni"]
    return cmds


def commands(asn: int, body: list[str]) -> list[str]:
    """The whole vtysh session for ``body`` (empty if there is nothing to do)."""
    if not body:
        return []
    return ["configure terminal", f"router bgp {asn}", "address-family l2vpn evpn", *body, "end"]
