"""Writing the intent durably, fail-stop.

A store write failure is fatal: ``fatal`` is set, the daemon stops and
restarts from what is durable, never acknowledging what is not. With the
etcd store only the leader's term ends (controller.ha): the next term loads
what is durable.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from controller.log import get_logger
from controller.metrics import Metrics
from controller.store import Mutation, Store, StoreError
from controller.supervise import Tasks
from models.alloc import VlanAllocation
from models.errors import TemporaryError
from models.fabric_state import Dirty, FabricState
from models.ids import Vni

STORE_FAILED = "the controller's store failed (SQLite: it restarts; etcd: this leader's term ends): retry"


class Durable:
    def __init__(self, store: Store, metrics: Metrics, tasks: Tasks) -> None:
        self.store = store
        self._metrics = metrics
        self._tasks = tasks
        self._log = get_logger("store")
        self.fatal: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

    async def commit(self, mutation: Mutation) -> None:
        """Returns once ``mutation`` is durable; raises TemporaryError (and
        stops the daemon) when the store fails."""
        t0 = time.perf_counter()
        try:
            await self.store.commit(mutation)
        except StoreError as e:
            self._log.error("store.failed", error=str(e))
            if not self.fatal.done():
                self.fatal.set_result(e)
            raise TemporaryError(STORE_FAILED) from None
        self._metrics.store_commit.observe(time.perf_counter() - t0)

    async def barrier(self) -> None:
        """Returns once every earlier write is durable (fail-stop as commit)."""
        try:
            await self.store.barrier()
        except StoreError as e:
            self._log.error("store.failed", error=str(e))
            if not self.fatal.done():
                self.fatal.set_result(e)
            raise TemporaryError(STORE_FAILED) from None

    def commit_soon(self, mutation: Mutation, what: str) -> None:
        """Write in the background (nobody waits for the answer; a failure is
        fatal, and logged and counted like every background task's)."""

        async def write() -> None:
            with contextlib.suppress(TemporaryError):  # fatal already signalled
                await self.commit(mutation)

        self._tasks.once(what, write())


def allocation_rows(state: FabricState, dirty: Dirty, m: Mutation) -> None:
    """The VLAN allocation rows of the VNIs in ``dirty``, as they are now."""
    for switch, keys in dirty.items():
        leaf = state.leaves.get(switch)
        for key in keys:
            if key.kind != "vni":
                continue
            vni = Vni(key.vni)
            vlan = leaf.vlans.vlan_of(vni) if leaf else None
            if vlan is None:
                m.delete_allocations.append((switch, vni))
            else:
                releasing = leaf.vlans.is_releasing(vni) if leaf else False
                m.put_allocations.append(VlanAllocation(switch=switch, vni=vni, vlan=vlan, releasing=releasing))
