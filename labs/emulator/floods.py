"""Each VNI's flood list (remote VTEPs, EVPN type-3) in the state tree.

Two sources, one report:

* ``dataplane: linux``: the kernel's VXLAN FDB, the all-zero MAC entries of
  ``bridge fdb show dev vx-V`` that FRR installs for every EVPN type-3 (IMET)
  route it learned (:mod:`labs.emulator.linux.fdb`): true in the lab.
* ``dataplane: none`` (:class:`MemoryFabric`): the emulators of one process
  (one :class:`labs.emulator.host.EmulatorHost`) play one EVPN fabric with a
  stated rule: a leaf's VNI ``V`` floods to the VTEP of every *other* emulator
  of the process whose configuration has ``V`` with an EVPN instance, unless
  either side's EVPN is down (the fault :meth:`MemoryFabric.set_evpn`, as if
  its BGP session were shut). Every configured VNI is reported up.

The report goes where the platform says (``EmulatedPlatform.flood_report``):
OpenConfig endpoint-peers, SR Linux bridge-table multicast destinations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from labs.emulator.linux.overlay import Overlay
from labs.emulator.txn import Op
from models.oc.path import Path
from models.oc.tree import Tree

if TYPE_CHECKING:
    from labs.emulator.dataplane import StateSink
    from labs.emulator.platform import EmulatedPlatform


class FloodReport:
    """What one switch reported last: writes only the difference."""

    def __init__(self) -> None:
        self._reported: dict[Path, Any] = {}

    def ops(
        self, platform: EmulatedPlatform, want: Overlay, floods: Mapping[int, frozenset[str]], *, rewrite: bool = False
    ) -> list[Op]:
        """Deletes for what went, replaces for what is new or changed (every
        entry with ``rewrite``: after a parent of theirs was replaced)."""
        now: dict[Path, Any] = {}
        for vni, w in sorted(want.vnis.items()):
            now.update(platform.flood_report(w, floods.get(vni, frozenset())))
        ops = [Op(kind="delete", path=p) for p in self._reported if p not in now]
        ops += [Op(kind="replace", path=p, value=v) for p, v in now.items() if rewrite or self._reported.get(p) != v]
        self._reported = now
        return ops

    def forget(self) -> None:
        self._reported = {}


@dataclasses.dataclass(slots=True)
class _Member:
    platform: EmulatedPlatform
    sink: StateSink
    config: Tree
    router_id: str
    evpn: bool = True
    report: FloodReport = dataclasses.field(default_factory=FloodReport)
    reported_vnis: dict[int, Path] = dataclasses.field(default_factory=dict)


class MemoryFabric:
    """The in-process EVPN fabric of ``dataplane: none`` emulators."""

    def __init__(self) -> None:
        self._members: dict[str, _Member] = {}

    def join(self, name: str, platform: EmulatedPlatform, config: Tree, sink: StateSink, router_id: str = "") -> None:
        m = self._members.get(name)
        if m is None:
            self._members[name] = _Member(platform=platform, sink=sink, config=config, router_id=router_id)
        else:
            m.config, m.sink = config, sink
            m.report.forget()
            m.reported_vnis = {}
        self.update()

    def changed(self, name: str, config: Tree) -> None:
        m = self._members.get(name)
        if m is not None:
            m.config = config
            self.update()

    def leave(self, name: str) -> None:
        if self._members.pop(name, None) is not None:
            self.update()

    def set_evpn(self, name: str, up: bool) -> None:
        """Fault: the switch's EVPN (its BGP session) goes down or comes back."""
        m = self._members[name]
        m.evpn = up
        self.update()

    def update(self) -> None:
        wants = {n: m.platform.overlay(m.config, m.router_id) for n, m in self._members.items()}
        for name, m in self._members.items():
            want = wants[name]
            floods: dict[int, frozenset[str]] = {}
            for vni in want.vnis:
                if not m.evpn or vni not in want.macvrfs:
                    continue
                floods[vni] = frozenset(
                    wants[o].vnis[vni].vtep
                    for o, other in self._members.items()
                    if o != name and other.evpn and vni in wants[o].vnis and vni in wants[o].macvrfs
                )
            ops = self._vni_ops(m, want) + m.report.ops(m.platform, want, floods)
            if ops:
                m.sink.write_state(ops)

    @staticmethod
    def _vni_ops(m: _Member, want: Overlay) -> list[Op]:
        ops: list[Op] = []
        now: dict[int, Path] = {}
        for vni, w in sorted(want.vnis.items()):
            path, value = m.platform.vni_report(w, [])
            now[vni] = path
            if m.reported_vnis.get(vni) != path:
                ops.append(Op(kind="replace", path=path, value=value))
        ops += [Op(kind="delete", path=p) for v, p in m.reported_vnis.items() if now.get(v) != p]
        m.reported_vnis = now
        return ops
