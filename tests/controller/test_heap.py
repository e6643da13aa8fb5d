"""The collector's schedule (controller.heap): what a settle and a refresh do
to the real collector, when the daemon runs them, and that a fabricd process
does. The tests that freeze unfreeze again: pytest's own heap is not ours."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import re
import time
import urllib.request
import weakref
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from controller.heap import PAUSE_BUCKETS, Heap, Pauses
from tests.controller.fabric import eventually
from tests.observability.daemon import ready_line
from tests.reliability.fabricd_proc import fabricd_process, wait_serving, write_settings


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> weakref.ref[Node]:
    """A reference cycle only the collector can free; a weak reference to it."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_settle_collects_garbage_then_freezes_what_lives(unfrozen: None) -> None:
    garbage = cycle()
    kept = Node()
    assert garbage() is not None, "collected before the settle: the test shows nothing"
    Heap(lambda: 0).settle()
    assert garbage() is None, "garbage frozen instead of collected"
    assert gc.get_freeze_count() > 0
    assert not any(o is kept for o in gc.get_objects()), "a live object is still walked by collections"


def test_a_cycle_dropped_after_the_freeze_is_reclaimed_by_a_refresh_only(unfrozen: None) -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a
    ref = weakref.ref(a)
    h = Heap(lambda: 0)
    h.settle()
    del a, b
    gc.collect()
    assert ref() is not None, "the frozen cycle was walked: freeze did nothing"
    h.refresh()
    assert ref() is None, "a refresh left the dropped cycle"
    assert gc.get_freeze_count() > 0, "a refresh freezes again"


def _sample(text: str, name: str, generation: int, le: str = "") -> float:
    labels = f'generation="{generation}"' + (f',le="{le}"' if le else "")
    m = re.search(rf"^{name}\{{{re.escape(labels)}\}} (\S+)$", text, re.M)
    assert m, f"{name}{{{labels}}} not in the scrape"
    return float(m.group(1))


def test_pauses_are_measured_per_generation_while_watching_only(unfrozen: None) -> None:
    pauses = Pauses()
    registry = CollectorRegistry()
    registry.register(pauses)
    young = [[i] for i in range(300_000)]  # a full collection walks these: milliseconds, not microseconds
    with pauses.watching():
        gc.collect(0)
        gc.collect(2)
    watched = pauses.count(2)
    gc.collect(2)
    del young
    assert pauses.count(0) >= 1 and watched >= 1, "a collection went unmeasured"
    assert pauses.count(2) == watched, "measured a collection after watching ended"
    text = generate_latest(registry).decode()
    assert _sample(text, "fabric_gc_pause_seconds_count", 2) == watched
    assert _sample(text, "fabric_gc_pause_seconds_bucket", 2, "+Inf") == pauses.count(2)
    fastest = _sample(text, "fabric_gc_pause_seconds_bucket", 2, repr(PAUSE_BUCKETS[0]))
    assert fastest < pauses.count(2), "walking 300,000 objects took under half a millisecond: wrong bucket"
    assert _sample(text, "fabric_gc_pause_seconds_sum", 2) > PAUSE_BUCKETS[0]
    counts = [_sample(text, "fabric_gc_pause_seconds_bucket", 0, repr(b)) for b in PAUSE_BUCKETS]
    assert counts == sorted(counts), "buckets are not cumulative"


class Recording(Heap):
    """The schedule under test; settles and refreshes recorded, not run."""

    def __init__(self, activity: list[int]) -> None:
        super().__init__(lambda: activity[0])
        self.log: list[str] = []

    def settle(self) -> float:
        self.log.append("settle")
        return 0.0

    def refresh(self) -> float:
        self.log.append("refresh")
        return 0.0


async def _changes(activity: list[int], seconds: float) -> None:
    """A change every 10 ms: never a quiet step."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        activity[0] += 1
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def running(activity: list[int], **schedule: float) -> AsyncIterator[Recording]:
    """The schedule running, past its settle at start."""
    h = Recording(activity)
    task = asyncio.create_task(h.run(**schedule))
    try:
        await eventually(lambda: h.log == ["settle"], what="the settle at start")
        yield h
    finally:
        task.cancel()


async def test_settles_after_a_burst_not_in_it_and_under_endless_change_now_and_then() -> None:
    activity = [0]
    async with running(activity, quiet=0.3, max_defer=2.0, every=3600.0) as h:
        await asyncio.sleep(0.8)
        assert h.log == ["settle"], "settled again with nothing new"
        await _changes(activity, 1.2)
        assert h.log == ["settle"], "settled in the middle of a burst"
        await eventually(lambda: len(h.log) == 2, what="a settle once the burst was over")
        await asyncio.sleep(0.8)
        assert h.log == ["settle", "settle"], "settled again with nothing new"
        await _changes(activity, 5.0)  # never quiet: still settles, every max_defer (2 s)
        assert 1 <= len(h.log) - 2 <= 3, h.log


async def test_a_settle_after_the_refresh_period_is_a_refresh() -> None:
    activity = [0]
    async with running(activity, quiet=0.05, max_defer=60.0, every=0.5) as h:
        activity[0] += 1
        await eventually(lambda: len(h.log) == 2, what="a settle after a change")
        assert h.log[1] == "settle", "refreshed before the period passed"
        await asyncio.sleep(0.6)
        activity[0] += 1
        await eventually(lambda: len(h.log) == 3, what="a settle after a change")
        assert h.log[2] == "refresh", h.log


async def test_the_daemon_settles_its_heap_once_started(tmp_path: Path) -> None:
    (tmp_path / "inventory.yml").write_text("switches: []\n")
    (tmp_path / "portmap.yml").write_text("{}\n")
    settings = write_settings(tmp_path)
    log = tmp_path / "fabricd.log"
    async with fabricd_process(settings, log):
        await wait_serving(f"unix://{tmp_path}/api.sock")

        def settled() -> list[dict[str, object]]:
            lines = (json.loads(x) for x in log.read_text().splitlines() if x.startswith("{"))
            return [x for x in lines if x.get("event") == "heap.settled"]

        await eventually(settled, what="heap.settled in the log")
        assert int(settled()[0]["frozen"]) > 10_000, settled()  # type: ignore[call-overload]
        ready = ready_line(log)
        assert ready is not None, "daemon.ready not logged"
        url = f"http://{ready['metrics']}/metrics"
        text = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=5).read().decode())
        assert _sample(text, "fabric_gc_pause_seconds_count", 2) >= 1, "the settle's full collection was not measured"
