"""A worker's pending changes: coalesced or one by one, in order, restored
on failure; waiters released by generation."""

from __future__ import annotations

import asyncio

from controller.reconcile.changes import PASSES_KEPT, Changes, Pass
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


def test_the_set_that_carried_a_generation_is_the_first_pass_that_committed_it():
    ch = Changes(coalesce=True)
    first, third = Pass(1.0, 2.0), Pass(3.0, 4.0)
    ch.commit(1, first)
    ch.commit(3, third)  # generation 2 went with it
    ch.commit(4)  # a pass that needed no Set
    sixth = Pass(6.0, 7.0)
    ch.commit(6, sixth)
    assert (ch.carrier(1), ch.carrier(2), ch.carrier(3)) == (first, third, third)
    assert ch.carrier(4) is None  # carried without a Set: not the later pass's
    assert ch.carrier(5) == sixth and ch.carrier(7) is None


def test_a_carrier_no_longer_remembered_is_not_mistaken_for_a_later_pass():
    ch = Changes(coalesce=True)
    for gen in range(1, PASSES_KEPT + 3):
        ch.commit(gen, Pass(float(gen), gen + 0.5))
    assert ch.carrier(1) is None and ch.carrier(2) is None  # forgotten: not the oldest one kept
    assert ch.carrier(3) == Pass(3.0, 3.5)
    assert ch.carrier(PASSES_KEPT + 2) == Pass(PASSES_KEPT + 2.0, PASSES_KEPT + 2.5)
