"""Waiting for a Linux lab's underlay: every BGP session of every switch
Established (one per fabric link end) and every LLDP neighbour of every
switch port seen by its lldpd, as the links say. Read straight from FRR and
lldpd; the emulator serves the same LLDP state over gNMI.
"""

from __future__ import annotations

import dataclasses
import time

from labs.dataplane import frr, lldpd
from labs.errors import LabCommandError, LabRunError
from labs.files.lab import Lab
from labs.run.statefile import LabState


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Underlay:
    sessions: int  # BGP sessions Established (counted at both ends)
    sessions_wanted: int
    neighbours: int  # LLDP neighbours seen on switch ports
    neighbours_wanted: int
    missing: tuple[str, ...] = ()

    @property
    def converged(self) -> bool:
        return not self.missing


def expected_lldp(lab: Lab, switch: str) -> set[tuple[str, str, str]]:
    """(local Linux port, neighbour system name, neighbour port id)."""
    out = set()
    for port in lab.ports(switch):
        peer = lab.peer(port)
        if peer is not None:
            out.add((port.names.linux, peer.node, peer.names.lldp))
    return out


def underlay(lab: Lab, state: LabState) -> Underlay:
    sessions = wanted_s = seen = wanted_n = 0
    missing: list[str] = []
    for sw in lab.switches():
        n = state.node(sw.name)
        if n is None or n.frr_dir is None:
            missing.append(f"{sw.name}: no namespace")
            continue
        ports = set(frr.fabric_ports(lab, sw.name))
        try:
            up = frr.established(frr.bgp_summary(n.frr_dir)) & ports
        except LabCommandError:
            up = set()
        sessions += len(up)
        wanted_s += len(ports)
        missing += [f"{sw.name}: BGP on {p}" for p in sorted(ports - up)]
        want = expected_lldp(lab, sw.name)
        try:
            have = lldpd.neighbour_pairs(lldpd.neighbours(n.lldp_socket)) & want
        except (LabCommandError, ValueError):
            have = set()
        seen += len(have)
        wanted_n += len(want)
        missing += [f"{sw.name}: LLDP on {p} ({s}:{pid})" for p, s, pid in sorted(want - have)]
    return Underlay(
        sessions=sessions,
        sessions_wanted=wanted_s,
        neighbours=seen,
        neighbours_wanted=wanted_n,
        missing=tuple(missing),
    )


def wait_underlay(lab: Lab, state: LabState, timeout: float, *, interval: float = 0.2) -> Underlay:
    """The converged underlay; LabRunError naming what is missing after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        u = underlay(lab, state)
        if u.converged:
            return u
        if time.monotonic() > deadline:
            shown = ", ".join(u.missing[:8]) + (" ..." if len(u.missing) > 8 else "")
            raise LabRunError(f"lab {lab.name}: the underlay did not converge within {timeout:.0f} s: {shown}")
        time.sleep(interval)
