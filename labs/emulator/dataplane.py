"""The seam between the emulator's datastore and a dataplane.

The emulator calls :meth:`Dataplane.start` once its config is loaded (and
again after a reboot), :meth:`Dataplane.applied` after every committed Set,
and :meth:`Dataplane.stop` on shutdown. A dataplane reports operational state
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
from labs.emulator.opstate import interface_names, interface_state_op, lldp_interface_op, lldp_ops, neighbor_op
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
    from the config."""

    def __init__(self, spec: SwitchSpec) -> None:
        self._spec = spec

    async def start(self, config: Tree, sink: StateSink) -> None:
        names = list(dict.fromkeys([*self._spec.ports, *interface_names(config)]))
        ops = lldp_ops(self._spec.ports, self._spec.lldp)
        ops.extend(interface_state_op(config, n) for n in names)
        sink.write_state(ops)

    async def applied(self, change: Change, config: Tree, sink: StateSink) -> None:
        touched: dict[str, None] = {}
        for path in [p for p, _ in change.updates] + list(change.deletes):
            e = path.elems
            if len(e) >= 2 and e[0].name == "interfaces" and e[1].name == "interface":
                touched[e[1].key_map.get("name", "")] = None
        if touched:
            sink.write_state([interface_state_op(config, n) for n in touched])

    async def stop(self) -> None:
        return None

    def restore_lldp(self, port: str | None, sink: StateSink) -> int:
        ns = [n for n in self._spec.lldp if port is None or n.local_port == port]
        if ns:
            sink.write_state([op for n in ns for op in (lldp_interface_op(n.local_port), neighbor_op(n))])
        return len(ns)


def make_dataplane(spec: SwitchSpec) -> Dataplane:
    if spec.dataplane == "none":
        return MemoryDataplane(spec)
    if spec.dataplane == "linux":
        from labs.emulator.linux.dataplane import LinuxDataplane

        return LinuxDataplane(spec)
    raise SpecError(f"{spec.name}: dataplane {spec.dataplane!r} is not one of none, linux")
