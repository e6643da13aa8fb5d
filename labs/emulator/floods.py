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
import functools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from labs.emulator.linux.overlay import Overlay, VniWant
from labs.emulator.txn import Change, Op
from models.oc.path import Path
from models.oc.tree import Tree

if TYPE_CHECKING:
    from labs.emulator.dataplane import StateSink
    from labs.emulator.platform import EmulatedPlatform, IncrementalOverlay


class FloodReport:
    """What one switch reported last: writes only the difference.

    Kept per VNI, with the VNIs holding each path (OpenConfig reports a peer
    once for all its VNIs), so a change of a few VNIs costs a few VNIs, not
    the switch's whole report."""

    def __init__(self) -> None:
        self._by_vni: dict[int, dict[Path, Any]] = {}
        self._holders: dict[Path, dict[int, Any]] = {}  # path -> VNI -> the value that VNI reports
        self._reported: dict[Path, Any] = {}
        #: VNI -> what its entries were made from (its want, its remote VTEPs)
        self._inputs: dict[int, tuple[VniWant, frozenset[str]]] = {}

    def ops(
        self,
        platform: EmulatedPlatform,
        want: Overlay,
        floods: Mapping[int, frozenset[str]],
        *,
        rewrite: bool = False,
        vnis: Iterable[int] | None = None,
    ) -> list[Op]:
        """Deletes for what went, replaces for what is new or changed (every
        entry with ``rewrite``: after a parent of theirs was replaced); only
        the VNIs in ``vnis`` are looked at when given (the others did not change).
        A VNI whose want is as before reports only the VTEPs that came or went
        (a VTEP joining a VNI shared by many leaves costs one entry on each)."""
        check = (want.vnis.keys() | self._by_vni.keys()) if vnis is None else set(vnis)
        touched: set[Path] = set()
        for vni in check:
            w = want.vnis.get(vni)
            vteps = floods.get(vni, frozenset()) if w is not None else frozenset()
            seen = self._inputs.pop(vni, None)
            if w is not None:
                self._inputs[vni] = (w, vteps)
            if seen is not None and seen[0] == w:
                if seen[1] == vteps:
                    continue
                entries = self._by_vni.pop(vni, {})
                went = platform.flood_report(w, seen[1] - vteps)
                came = platform.flood_report(w, vteps - seen[1])
            else:  # everything new: what it reported goes, what it reports now comes
                went, entries = self._by_vni.pop(vni, {}), {}
                came = platform.flood_report(w, vteps) if w is not None else {}
            for p in went:
                entries.pop(p, None)
                holders = self._holders[p]
                holders.pop(vni, None)
                if not holders:
                    del self._holders[p]
                touched.add(p)
            for p, v in came.items():
                entries[p] = v
                self._holders.setdefault(p, {})[vni] = v
                touched.add(p)
            if entries:
                self._by_vni[vni] = entries
        if rewrite:
            touched |= self._reported.keys()
        deletes: list[Op] = []
        replaces: list[Op] = []
        for p in sorted(touched, key=_text):  # a stable order, without comparing paths element by element
            held = self._holders.get(p)
            if not held:
                if p in self._reported:
                    del self._reported[p]
                    deletes.append(Op(kind="delete", path=p))
                continue
            v = held[max(held)]  # the highest VNI's value, as when reported in VNI order
            if rewrite or self._reported.get(p) != v:
                replaces.append(Op(kind="replace", path=p, value=v))
            self._reported[p] = v
        return deletes + replaces

    def forget(self) -> None:
        self._by_vni = {}
        self._holders = {}
        self._reported = {}
        self._inputs = {}


class _Rereader:
    """A platform without an incremental reading: the whole configuration at every change."""

    def __init__(self, platform: EmulatedPlatform, router_id: str) -> None:
        self._platform, self._router_id = platform, router_id

    def touch(self, paths: Iterable[Path] | None) -> None:
        pass

    def read(self, config: Tree) -> Overlay:
        return self._platform.overlay(config, self._router_id)


def _reader(platform: EmulatedPlatform, router_id: str) -> IncrementalOverlay:
    make = platform.overlay_reader
    return make(router_id) if make is not None else _Rereader(platform, router_id)


@dataclasses.dataclass(slots=True)
class _Member:
    platform: EmulatedPlatform
    sink: StateSink
    config: Tree
    router_id: str
    reader: IncrementalOverlay
    want: Overlay
    evpn: bool = True
    report: FloodReport = dataclasses.field(default_factory=FloodReport)
    reported_vnis: dict[int, Path] = dataclasses.field(default_factory=dict)

    def evpn_vnis(self) -> dict[int, str]:
        """VNI -> this leaf's VTEP, for the VNIs it takes part in EVPN with."""
        if not self.evpn:
            return {}
        return {v: w.vtep for v, w in self.want.vnis.items() if v in self.want.macvrfs}


class MemoryFabric:
    """The in-process EVPN fabric of ``dataplane: none`` emulators.

    A change of one leaf re-reads only that leaf's configuration and rewrites
    the state of only the leaves sharing a VNI whose membership changed (a
    process may hold hundreds of emulators)."""

    def __init__(self) -> None:
        self._members: dict[str, _Member] = {}
        #: VNI -> leaf -> its VTEP, for the leaves taking part in EVPN with the VNI
        self._index: dict[int, dict[str, str]] = {}
        #: leaf -> its entries in the index
        self._entries: dict[str, dict[int, str]] = {}

    def join(self, name: str, platform: EmulatedPlatform, config: Tree, sink: StateSink, router_id: str = "") -> None:
        reader = _reader(platform, router_id)
        want = reader.read(config)
        self._members[name] = _Member(
            platform=platform, sink=sink, config=config, router_id=router_id, reader=reader, want=want
        )
        self._update(name, full=True)

    def changed(self, name: str, config: Tree, change: Change | None = None) -> None:
        """``name``'s configuration is now ``config``; ``change`` (when given)
        says what moved: a change the platform says cannot move the EVPN
        overlay (a port's VLANs) re-reads nothing."""
        m = self._members.get(name)
        if m is None:
            return
        m.config = config
        # what changed is noted even when it cannot move the overlay: the next reading reads it again
        m.reader.touch(None if change is None else (*(p for p, _ in change.updates), *change.deletes))
        if change is not None and not _moves_evpn(m.platform, change):
            return
        was = m.want
        m.want = m.reader.read(config)
        self._update(name, full=True, wants=_moved_wants(was, m.want))

    def leave(self, name: str) -> None:
        if self._members.pop(name, None) is not None:
            self._update(name, full=False)

    def set_evpn(self, name: str, up: bool) -> None:
        """Fault: the switch's EVPN (its BGP session) goes down or comes back."""
        self._members[name].evpn = up
        self._update(name, full=False)

    def _update(self, name: str, *, full: bool, wants: set[int] | None = None) -> None:
        """``name`` changed: its own state (VNI reports only with ``full``: its
        configuration changed; of the VNIs in ``wants`` when given, else all)
        and the flood lists of every leaf sharing a VNI whose membership changed."""
        me = self._members.get(name)
        before = self._entries.pop(name, {})
        after = me.evpn_vnis() if me is not None else {}
        if me is not None:
            self._entries[name] = after
        moved = {v for v in before.keys() | after.keys() if before.get(v) != after.get(v)}
        for vni in moved:
            leaves = self._index.setdefault(vni, {})
            leaves.pop(name, None)
            if vni in after:
                leaves[name] = after[vni]
            if not leaves:
                del self._index[vni]
        affected = {n for v in moved for n in self._index.get(v, {})} | ({name} if me is not None else set())
        for n in sorted(affected):
            m = self._members[n]
            mine = self._entries.get(n, {})
            # the leaf that changed: the VNIs its configuration changed (all without ``wants``) and those that
            # moved; the others: the VNIs that moved
            mine_or_wanted = mine.keys() | m.want.vnis.keys()
            if n != name:
                check: set[int] | None = moved & mine_or_wanted
            else:
                check = None if wants is None else wants | moved
            floods = {
                vni: frozenset(vtep for o, vtep in self._index.get(vni, {}).items() if o != n)
                for vni in (mine_or_wanted if check is None else check)
                if vni in mine
            }
            ops = self._vni_ops(m, m.want, wants) if n == name and full else []
            ops += m.report.ops(m.platform, m.want, floods, vnis=check)
            if ops:
                m.sink.write_state(ops)

    @staticmethod
    def _vni_ops(m: _Member, want: Overlay, vnis: set[int] | None) -> list[Op]:
        """Each VNI's own report (up, where it is configured): of ``vnis``, or all."""
        check = sorted(want.vnis.keys() | m.reported_vnis.keys() if vnis is None else vnis)
        replaces: list[Op] = []
        deletes: list[Op] = []
        for vni in check:
            old = m.reported_vnis.pop(vni, None)
            w = want.vnis.get(vni)
            if w is None:
                if old is not None:
                    deletes.append(Op(kind="delete", path=old))
                continue
            path, value = m.platform.vni_report(w, [])
            m.reported_vnis[vni] = path
            if old != path:
                replaces.append(Op(kind="replace", path=path, value=value))
                if old is not None:
                    deletes.append(Op(kind="delete", path=old))
        kept = {op.path for op in replaces}
        return [op for op in deletes if op.path not in kept] + replaces  # a path another VNI took stays


def _moves_evpn(platform: EmulatedPlatform, change: Change) -> bool:
    moves = platform.moves_evpn
    return any(moves(p) for p, _ in change.updates) or any(moves(p) for p in change.deletes)


@functools.lru_cache(maxsize=1 << 16)
def _text(path: Path) -> str:
    return str(path)


def _moved_wants(was: Overlay, now: Overlay) -> set[int]:
    """The VNIs whose own configuration (VLAN, VTEP, where it is configured)
    differs between two overlays; a MAC-VRF that comes or goes moves its VNI's
    EVPN membership, which :meth:`MemoryFabric._update` follows itself."""
    return {v for v in was.vnis.keys() | now.vnis.keys() if was.vnis.get(v) != now.vnis.get(v)}
