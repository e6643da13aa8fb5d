"""A cancelled task stops: Python 3.11's ``asyncio.wait_for`` swallows a
cancel that arrives as the awaited thing completes (the task then loops on,
and whoever awaits its end waits forever: a fabricd stop hung this way in
``tests/k8s/test_watch_expiry.py``). Daemon and lab code wait with
``asyncio.timeout`` instead."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest

from controller.kube.client import sleep_or

ROOT = Path(__file__).resolve().parents[2]


async def _loop(event: asyncio.Event, rounds: list[int]) -> None:
    while True:
        await sleep_or(event, 30)
        event.clear()
        rounds.append(1)


async def test_a_cancel_that_meets_the_event_stops_the_loop():
    event, rounds = asyncio.Event(), []
    task = asyncio.create_task(_loop(event, rounds))
    await asyncio.sleep(0.01)  # the loop waits for the event
    event.set()
    task.cancel()  # in the same step: the wait completes as the cancel comes
    done, _ = await asyncio.wait([task], timeout=5)
    assert done and task.cancelled(), f"the loop went on after its cancel ({len(rounds)} rounds)"


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.12's wait_for is built on asyncio.timeout")
async def test_the_trap_is_real_here():
    """What the test above guards against, shown with wait_for itself."""

    async def loop(event: asyncio.Event) -> None:
        while True:
            await asyncio.wait_for(event.wait(), 30)
            event.clear()

    event = asyncio.Event()
    task = asyncio.create_task(loop(event))
    await asyncio.sleep(0.01)
    event.set()
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=0.5)
    assert not done  # swallowed: it waits again
    task.cancel()
    await asyncio.wait([task], timeout=5)
    assert task.cancelled()


def test_no_wait_for_in_daemon_or_lab_code():
    used = [
        f"{p.relative_to(ROOT)}:{n}"
        for top in ("controller", "labs", "cni", "models", "topology")
        for p in sorted((ROOT / top).rglob("*.py"))
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"\bwait_for\(", line)
    ]
    assert used == [], "use asyncio.timeout (see this module's docstring)"
