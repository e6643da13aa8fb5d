"""Fault injection on one emulated switch, for tests proving retries (in
process: ``emulator.faults``; from outside: the admin service)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

import grpc

from labs.emulator.faults import Delay, FailRpcs, methods_of
from labs.emulator.opstate import spec_leaves
from labs.emulator.txn import Op
from labs.files.spec import LldpNeighborSpec

if TYPE_CHECKING:
    from labs.emulator.emulator import Emulator

log = logging.getLogger(__name__)


def _which(methods: frozenset[str]) -> str:
    return ",".join(sorted(methods)) or "all RPCs"


def _span(count: int | None, duration: float | None) -> str:
    parts = ([f"{count} calls"] if count else []) + ([f"{duration}s"] if duration else [])
    return " or ".join(parts) or "until cleared"


class FaultControl:
    def __init__(self, emulator: Emulator) -> None:
        self._emu = emulator

    def fail(
        self,
        *,
        methods: Iterable[str] = (),
        code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE,
        message: str = "injected fault",
        count: int | None = None,
        duration: float | None = None,
    ) -> int:
        """Fail matching RPCs (no methods: all four) for ``count`` calls and/or
        ``duration`` seconds (neither: until :meth:`clear`). Returns the rule id."""
        if code == grpc.StatusCode.OK:
            raise ValueError("a failure needs a status code other than OK")
        fault = FailRpcs(methods=methods_of(methods), code=code, message=message, count=count, duration=duration)
        log.info(
            "%s: fault: fail %s with %s for %s",
            self._emu.name,
            _which(fault.methods),
            code.name,
            _span(count, duration),
        )
        return self._emu.rules.add(fault)

    def delay(
        self,
        seconds: float,
        *,
        methods: Iterable[str] = (),
        count: int | None = None,
        duration: float | None = None,
    ) -> int:
        """Hold matching RPCs ``seconds`` before serving them (a very long
        delay is a hung RPC; :meth:`clear` releases it)."""
        return self._emu.rules.add(Delay(seconds=seconds, methods=methods_of(methods), count=count, duration=duration))

    def clear(self) -> int:
        """Remove every fail and delay rule; returns how many there were."""
        return self._emu.rules.clear()

    def drop_streams(
        self, *, code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE, message: str = "stream dropped (fault)"
    ) -> int:
        """End every active Subscribe stream with ``code``; returns how many."""
        n = self._emu.drop_streams(code, message)
        log.info("%s: fault: dropped %d streams with %s", self._emu.name, n, code.name)
        return n

    async def reboot(self, *, down: float = 0.5) -> None:
        """Drop every stream and connection, config back to day-0, state
        rebuilt, the port refusing connections for ``down`` seconds."""
        await self._emu.reboot(down)

    def remove_lldp_neighbor(self, port: str, chassis_id: str | None = None) -> int:
        """Remove the LLDP neighbours seen on a port (all of them, or the one
        with ``chassis_id``); subscribers see deletes. Returns how many."""
        ds = self._emu.datastore
        found = [p for p, _ in ds.state.find(self._emu.state_model.neighbors_at(port, chassis_id))]
        ds.write_state([Op(kind="delete", path=p) for p in found])
        log.info("%s: fault: removed %d LLDP neighbours on %s", self._emu.name, len(found), port)
        return len(found)

    def add_lldp_neighbor(self, neighbor: LldpNeighborSpec) -> None:
        """Add (or replace) an LLDP neighbour; subscribers see updates."""
        state = self._emu.state_model
        self._emu.datastore.write_state(state.neighbor_ops(neighbor.local_port, spec_leaves(neighbor)))

    def restore_lldp_neighbors(self, port: str | None = None) -> int:
        """Re-add the neighbours the dataplane knows (on one port or all): the
        spec's in memory, lldpd's on Linux; returns how many."""
        return self._emu.restore_lldp(port)
