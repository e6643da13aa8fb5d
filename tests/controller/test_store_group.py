"""The SQLite store's group commit: writes queued while a transaction runs
share the next one, and the whole group is settled with one wake-up of the
event loop (a write to its self-pipe per mutation made a group of 15 wake
the loop 15 times)."""

from __future__ import annotations

import asyncio
import sqlite3

from controller.store import Mutation
from controller.store.sqlite import SqliteStore
from models.alloc import VlanAllocation
from models.ids import SwitchName, VlanId, Vni

DEADLINE = 60.0


def allocation(i: int) -> Mutation:
    return Mutation(
        put_allocations=[VlanAllocation(switch=SwitchName("leaf1"), vni=Vni(10_000 + i), vlan=VlanId(100 + i))]
    )


async def test_writes_queued_behind_a_transaction_share_one_and_one_wake_up(tmp_path):
    path = tmp_path / "fabricd.db"
    store = SqliteStore(path)
    loop = asyncio.get_running_loop()
    woken: list[object] = []
    real = loop.call_soon_threadsafe

    def counting(callback, *args, **kwargs):  # type: ignore[no-untyped-def]
        woken.append(callback)
        return real(callback, *args, **kwargs)

    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the writer's first transaction waits for this one
    loop.call_soon_threadsafe = counting  # type: ignore[method-assign]
    try:
        first = asyncio.ensure_future(store.commit(allocation(0)))
        await asyncio.sleep(0.3)  # the writer took it alone and waits for the lock
        rest = [asyncio.ensure_future(store.commit(allocation(i))) for i in range(1, 50)]
        await asyncio.sleep(0.1)
        assert not first.done() and not any(f.done() for f in rest)
        blocker.execute("COMMIT")
        await asyncio.wait_for(asyncio.gather(first, *rest), DEADLINE)
    finally:
        del loop.call_soon_threadsafe  # the class's own again
        blocker.close()
    assert 1 <= len(woken) <= 2  # one per group: the first write alone (unless the writer was late), then the rest
    rows = store.load().allocations
    store.close()
    assert sorted(a.vni for a in rows) == [10_000 + i for i in range(50)]


async def test_a_caller_that_gives_up_does_not_break_the_barrier_of_others(tmp_path):
    # an Attach whose caller cancels while its write is in flight: the write goes on, and a barrier in any
    # other request (GetAttachment, Check, a replayed Attach) waits for it and returns, during and after
    path = tmp_path / "fabricd.db"
    store = SqliteStore(path)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # holds the writer's transaction
    try:
        gave_up = asyncio.ensure_future(store.commit(allocation(0)))
        await asyncio.sleep(0.3)
        gave_up.cancel()
        await asyncio.sleep(0)
        during = asyncio.ensure_future(store.barrier())
        await asyncio.sleep(0.2)
        assert not during.done()  # it waits for the write, neither returns early nor is cancelled with the caller
        blocker.execute("COMMIT")
        await asyncio.wait_for(during, DEADLINE)
        await asyncio.wait_for(store.barrier(), DEADLINE)  # and after the write
    finally:
        blocker.close()
    assert [a.vni for a in store.load().allocations] == [10_000]  # the cancelled caller's write is durable
    store.close()


async def test_a_claim_is_durable_and_its_first_time_kept(tmp_path):
    store = SqliteStore(tmp_path / "fabricd.db")
    await store.commit(Mutation(put_claims=[(SwitchName("sw2"), 1.0), (SwitchName("sw1"), 1.5)]))
    await store.commit(Mutation(put_claims=[(SwitchName("sw1"), 9.0)]))  # claimed again: the first stays
    store.close()
    again = SqliteStore(tmp_path / "fabricd.db")
    assert again.load().claims == ("sw1", "sw2")
    again.close()
    db = sqlite3.connect(tmp_path / "fabricd.db")
    assert db.execute("SELECT at FROM switch_claims WHERE switch = 'sw1'").fetchone() == (1.5,)
    db.close()
