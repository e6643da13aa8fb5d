"""A worker's pending changes: coalesced or one by one, in order, restored
on failure; waiters released by generation."""

from __future__ import annotations

import asyncio

from controller.reconcile.changes import Changes
from models.platforms.base import port_key, vni_key

A, B, C = vni_key(1), port_key("ethernet-1/1"), port_key("ethernet-1/2")


def test_coalescing_takes_every_pending_change_at_once():
    ch = Changes(coalesce=True)
    assert (ch.mark({A}), ch.mark({B}), ch.mark({A, C})) == (1, 2, 3)
    assert ch.dirty == {A, B, C} and len(ch) == 3
    keys, generation = ch.take()
    assert (keys, generation) == ({A, B, C}, 3) and not ch


def test_without_coalescing_each_change_is_its_own_pass_in_order():
    ch = Changes(coalesce=False)
    ch.mark({A})
    ch.mark({B})
    ch.mark({C})
    assert ch.take() == ({A}, 1)
    assert ch.dirty == {B, C}
    assert ch.take() == ({B}, 2)
    assert ch.take() == ({C}, 3) and not ch


def test_a_failed_pass_puts_its_keys_back_ahead_of_newer_changes():
    ch = Changes(coalesce=False)
    ch.mark({A})
    ch.mark({B})
    keys, generation = ch.take()
    ch.restore(keys, generation)
    assert ch.take() == ({A}, 1)


def test_an_attachment_is_carried_by_the_generation_of_its_keys():
    ch = Changes(coalesce=True)
    ch.mark({A, B})
    ch.mark({C})
    assert ch.track("att-1", (A, B)) == 1
    assert not ch.carried("att-1") and not ch.carried("untracked")  # nothing committed yet
    ch.commit(1)
    assert ch.carried("att-1") and ch.carried("untracked")
    ch.mark({B})
    assert ch.carried("att-1")  # a later change of its port keeps it ready
    ch.forget("att-1")


async def test_waiters_are_released_when_their_generation_commits():
    ch = Changes(coalesce=True)
    ch.mark({A})
    ch.mark({B})
    first = asyncio.create_task(ch.wait(1))
    second = asyncio.create_task(ch.wait(2))
    await asyncio.sleep(0)
    ch.commit(1)
    await asyncio.wait_for(first, 5)
    assert not second.done()
    ch.commit(2)
    await asyncio.wait_for(second, 5)
