"""The seam between the emulator's datastore and a dataplane.

The emulator calls :meth:`Dataplane.start` once its config is loaded (and
again after a reboot), :meth:`Dataplane.applied` for every committed Set, in
commit order and after the Set was answered (as a switch programs its
hardware after the commit: the operational state follows), and
:meth:`Dataplane.stop` on shutdown. A dataplane reports operational state
(LLDP neighbours, interface status) through the :class:`StateSink` it is
given. ``dataplane: none`` is :class:`MemoryDataplane`: state derived from the
spec and the config, nothing outside the process. ``dataplane: linux`` is
:class:`labs.emulator.linux.dataplane.LinuxDataplane`: the switch's network
namespace, lldpd and FRR, set up by the runner (:mod:`labs.dataplane`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from labs.emulator.errors import SpecError
from labs.emulator.floods import MemoryFabric
from labs.emulator.opstate import OPENCONFIG_STATE, spec_leaves
from labs.emulator.platform import StateModel
from labs.emulator.txn import Change, Op
from labs.files.spec import SwitchSpec
from models.oc.tree import Tree


class StateSink(Protocol):
    def write_state(self, ops: Sequence[Op]) -> Change: ...


class Dataplane(Protocol):
    async def start(self, config: Tree, sink: StateSink) -> None: ...

    async def applied(self, change: Change, config: Tree, sink: StateSink) -> None: ...

    async def stop(self) -> None: ...

    def restore_lldp(self, port: str | None, sink: StateSink) -> int:
        """Write the LLDP neighbours the dataplane knows (on ``port``, or all)
        into state again, after a fault removed them; how many."""
        ...


class MemoryDataplane:
    """``dataplane: none``: LLDP neighbours from the spec, interface state
    from the config, in the platform's state model."""

    def __init__(
        self, spec: SwitchSpec, state: StateModel = OPENCONFIG_STATE, fabric: MemoryFabric | None = None
    ) -> None:
        self._spec = spec
        self._state = state
        #: VNI state and flood lists (labs.emulator.floods), shared by the process's emulators
        self._fabric = fabric if fabric is not None else MemoryFabric()

    async def start(self, config: Tree, sink: StateSink) -> None:
        ops = self._state.start_ops(self._spec.ports, config)
        ops += [op for n in self._spec.lldp for op in self._state.neighbor_ops(n.local_port, spec_leaves(n))]
        sink.write_state(ops)
        if self._spec.role == "leaf":
            from labs.emulator.platform import platform

            self._fabric.join(self._spec.name, platform(self._spec.platform), config, sink)

    async def applied(self, change: Change, config: Tree, sink: StateSink) -> None:
        touched = self._state.touched_interfaces([p for p, _ in change.updates] + list(change.deletes))
        if touched:
            sink.write_state(self._state.interface_ops(config, touched))
        self._fabric.changed(self._spec.name, config, change)

    async def stop(self) -> None:
        self._fabric.leave(self._spec.name)

    def set_evpn(self, up: bool) -> None:
        self._fabric.set_evpn(self._spec.name, up)

    def restore_lldp(self, port: str | None, sink: StateSink) -> int:
        ns = [n for n in self._spec.lldp if port is None or n.local_port == port]
        if ns:
            sink.write_state([op for n in ns for op in self._state.neighbor_ops(n.local_port, spec_leaves(n))])
        return len(ns)


def make_dataplane(
    spec: SwitchSpec, state: StateModel = OPENCONFIG_STATE, fabric: MemoryFabric | None = None
) -> Dataplane:
    if spec.dataplane == "none":
        return MemoryDataplane(spec, state, fabric)
    if spec.dataplane == "linux":
        from labs.emulator.linux.dataplane import LinuxDataplane

        return LinuxDataplane(spec, state=state)
    raise SpecError(f"{spec.name}: dataplane {spec.dataplane!r} is not one of none, linux")
