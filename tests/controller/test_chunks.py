"""controller.chunks.slices: every item once, in order, with the loop run between slices."""

from __future__ import annotations

import asyncio

from controller.chunks import slices


def test_slices_cover_the_items_in_order_and_free_the_loop_between_them():
    async def run(items: list[int], size: int) -> tuple[list[list[int]], list[int]]:
        ticks: list[int] = []
        got: list[list[int]] = []

        async def other() -> None:
            while True:
                ticks.append(len(got))  # how many slices had been handed out when the other task ran
                await asyncio.sleep(0)

        task = asyncio.create_task(other())
        await asyncio.sleep(0)
        async for part in slices(items, size):
            got.append(list(part))
        task.cancel()
        return got, ticks

    got, ticks = asyncio.run(run(list(range(7)), 3))
    assert got == [[0, 1, 2], [3, 4, 5], [6]]
    assert {1, 2} <= set(ticks)  # the other task ran after the first slice and after the second
    got, _ = asyncio.run(run(list(range(3)), 0))  # a size below 1 means 1
    assert got == [[0], [1], [2]]
    got, _ = asyncio.run(run([], 5))
    assert got == []
