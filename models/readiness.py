"""Ready means forwarding: the pure comparison of what leaves report.

A network's ``readiness`` says when an attachment is READY:

* ``committed``: its leaf committed the configuration (the worker's answer);
* ``forwarding``: also, the leaf reports the VNI up and floods to, and is
  flooded to by, every *healthy* leaf (connected, in sync) that carries the
  same VNI: each one's VTEP is in the other's flood list (EVPN type-3 routes
  learned). A leaf that is not healthy never blocks; the audit names it.

What a leaf reports (:class:`VniOper`, per VNI) is read from its operational
state over gNMI Subscribe by the controller; this module only compares. It
does no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Literal

from models.ids import SwitchName, Vni

Readiness = Literal["committed", "forwarding"]
READINESS_LEVELS: tuple[Readiness, ...] = ("committed", "forwarding")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class VniOper:
    """One VNI's operational state on one leaf."""

    up: bool
    #: remote VTEP addresses the VNI floods BUM traffic to (EVPN type-3 routes)
    floods: frozenset[str] = frozenset()
    #: why it is down, when the switch says
    reason: str = ""


#: VNI -> its operational state, as one leaf reports it
Oper = Mapping[int, VniOper]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LeafView:
    """One leaf as the readiness check sees it, at one moment."""

    name: SwitchName
    #: its VTEP address (the router id)
    vtep: str
    #: VNIs the intent puts on the leaf
    vnis: frozenset[int]
    #: connected and in sync: only healthy leaves are waited for
    healthy: bool
    #: what it reports; None until its operational state has been read
    oper: Oper | None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Gap:
    """Something that keeps one VNI from forwarding between two leaves (or on one)."""

    #: the leaf whose state lacks something
    switch: str
    vni: int
    #: the leaf it has no route from ("" when the VNI itself is not up or not known)
    peer: str
    text: str


def forwarding_gaps(switch: SwitchName, vni: Vni | int, leaves: Mapping[SwitchName, LeafView]) -> list[Gap]:
    """What keeps ``vni`` on ``switch`` from forwarding to every healthy leaf
    carrying it (empty: it forwards). ``leaves`` holds every managed leaf."""
    me = leaves.get(switch)
    if me is None:
        return [Gap(switch=switch, vni=vni, peer="", text=f"{switch} is not a managed leaf")]
    if me.oper is None:
        return [Gap(switch=switch, vni=vni, peer="", text=f"{switch} has not reported its operational state yet")]
    mine = me.oper.get(vni)
    if mine is None or not mine.up:
        why = f" ({mine.reason})" if mine is not None and mine.reason else ""
        state = "not up" if mine is not None else "not reported"
        return [Gap(switch=switch, vni=vni, peer="", text=f"{switch} has VNI {vni} committed but it is {state}{why}")]
    gaps: list[Gap] = []
    for name in sorted(leaves):
        peer = leaves[name]
        if name == switch or not peer.healthy or vni not in peer.vnis:
            continue
        if peer.vtep not in mine.floods:
            gaps.append(
                Gap(
                    switch=switch,
                    vni=vni,
                    peer=name,
                    text=f"{switch} has VNI {vni} committed but no EVPN route from {peer.vtep} ({name})",
                )
            )
        theirs = peer.oper.get(vni) if peer.oper is not None else None
        if peer.oper is None:
            gaps.append(Gap(switch=name, vni=vni, peer="", text=f"{name} has not reported its operational state yet"))
        elif theirs is None or me.vtep not in theirs.floods:
            gaps.append(
                Gap(
                    switch=name,
                    vni=vni,
                    peer=switch,
                    text=f"{name} has VNI {vni} committed but no EVPN route from {me.vtep} ({switch})",
                )
            )
    return gaps


def describe(gaps: list[Gap]) -> str:
    return "; ".join(g.text for g in gaps)
