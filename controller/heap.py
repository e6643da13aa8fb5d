"""Keeping CPython's cyclic garbage collector out of bursts.

A full (generation 2) collection walks every container object the process
holds. fabricd's heap once it runs (grpc and protobuf, the topology, the state
loaded from the store, every leaf's configuration as last read) made one take
45-58 ms, and the collector starts one whenever enough new objects survived:
in the middle of a burst (128 attaches on one leaf, ``bench burst``) it held
the event loop while every attach of the burst waited.

``gc.freeze()`` moves every object alive now into a permanent generation that
collections do not walk. :class:`Heap` does that after a collection (so that
no garbage is frozen) when the daemon has started, and again each time the
process has been quiet for ``QUIET_S`` after a change (a cheap step: only what
was made since the last one is walked), or at least every ``MAX_DEFER_S``
under changes that never pause. That second bound keeps the full collections
the collector starts by itself small under sustained load: with a 60 s bound,
10,000 attaches from 64 clients (``bench attach-throughput``) saw 15-17 of
them grow from 18 to 119-181 ms each as the attachments' state piled up
unfrozen, one every ~2.5 s; with 2 s the longest was 26-37 ms in three runs,
at the same CPU per attach.

An object frozen while alive and later dropped inside a reference cycle is not
reclaimed by collections; a *refresh* (``gc.unfreeze()``, a full collection,
freeze again) reclaims it: a settle does that instead when ``REFRESH_S``
passed since the last, and logs how many objects it reclaimed. Settling under
load freezes what requests hold in flight: measured, the 10,000 attaches and
detaches left 155 such objects to the next refresh (25 with the 60 s bound).
Objects without cycles are freed by reference counting as always, frozen or
not.

:class:`Pauses` measures every collection, these and the collector's own, as
the histogram ``fabric_gc_pause_seconds`` by generation: a pause holds the
event loop, so it is the floor of the latency every request sees.

The collector is the process's: only a daemon that owns its process keeps it
(``controller.main``; tests that run daemons inside pytest do not).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import gc
import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector

from controller.log import get_logger

log = get_logger("heap")

#: the process counts as quiet after this long without a change
QUIET_S = 1.0
#: under changes that never pause, settle at least this often
MAX_DEFER_S = 2.0
#: reclaim cycles among frozen objects at most this often (a full collection)
REFRESH_S = 3600.0


class Heap:
    """The settle/refresh steps and their schedule. ``activity`` returns a
    value that changes whenever the process does work worth settling after
    (fabricd: the fleet's generation); ``clock`` is ``time.monotonic``."""

    def __init__(self, activity: Callable[[], object], *, clock: Callable[[], float] = time.monotonic) -> None:
        self._activity = activity
        self._clock = clock
        self.settles = 0
        self.refreshes = 0
        #: unreachable objects the last refresh found (frozen while alive, dropped in a cycle since)
        self.reclaimed = 0

    def settle(self) -> float:
        """Collect, then freeze what is alive; the pause in seconds."""
        t0 = time.perf_counter()
        gc.collect()
        gc.freeze()
        self.settles += 1
        return time.perf_counter() - t0

    def refresh(self) -> float:
        """Unfreeze, collect everything (cycles among formerly frozen objects
        included), freeze again; the pause in seconds."""
        t0 = time.perf_counter()
        gc.unfreeze()
        self.reclaimed = gc.collect()
        gc.freeze()
        self.refreshes += 1
        return time.perf_counter() - t0

    async def run(self, *, quiet: float = QUIET_S, max_defer: float = MAX_DEFER_S, every: float = REFRESH_S) -> None:
        pause = self.settle()
        log.info("heap.settled", frozen=gc.get_freeze_count(), pause_ms=round(pause * 1000, 1))
        settled = seen = self._activity()
        refreshed = changed = self._clock()
        while True:
            await asyncio.sleep(quiet)
            now, current = self._clock(), self._activity()
            if current != seen:  # still changing
                if seen == settled:
                    changed = now  # the first change after the last settle
                seen = current
                if now - changed < max_defer:
                    continue
            elif current == settled:
                continue  # quiet, and nothing new since the last settle
            if now - refreshed >= every:
                pause, refreshed = self.refresh(), now
                log.info(
                    "heap.refreshed",
                    frozen=gc.get_freeze_count(),
                    reclaimed=self.reclaimed,
                    pause_ms=round(pause * 1000, 1),
                )
            else:
                pause = self.settle()
                log.debug("heap.settled", frozen=gc.get_freeze_count(), pause_ms=round(pause * 1000, 1))
            settled = seen = self._activity()


#: upper bounds of the pause histogram's buckets, seconds
PAUSE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class Pauses(Collector):
    """Every collection's pause by generation, from ``gc.callbacks``, served
    at scrape time as the histogram ``fabric_gc_pause_seconds``.

    The callback runs inside whatever allocation started the collection, on
    any thread, possibly while that thread holds a metric's (non-reentrant)
    lock: it only adds to plain lists, never calls into prometheus_client."""

    def __init__(self) -> None:
        self._counts = [[0] * (len(PAUSE_BUCKETS) + 1) for _ in range(3)]
        self._sums = [0.0, 0.0, 0.0]
        self._start = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._start = now
            return
        generation, pause = info["generation"], now - self._start
        self._counts[generation][bisect.bisect_left(PAUSE_BUCKETS, pause)] += 1
        self._sums[generation] += pause

    @contextlib.contextmanager
    def watching(self) -> Iterator[Pauses]:
        """Measure while inside; the callback removed on the way out."""
        gc.callbacks.append(self._callback)
        try:
            yield self
        finally:
            gc.callbacks.remove(self._callback)

    def count(self, generation: int) -> int:
        return sum(self._counts[generation])

    def collect(self) -> Iterator[HistogramMetricFamily]:
        h = HistogramMetricFamily(
            "fabric_gc_pause_seconds",
            "Pauses of Python's garbage collector per generation (each holds fabricd's event loop)",
            labels=["generation"],
        )
        for g in range(3):
            cumulative = list(itertools.accumulate(self._counts[g]))
            buckets = [(repr(b), c) for b, c in zip(PAUSE_BUCKETS, cumulative, strict=False)]
            h.add_metric([str(g)], [*buckets, ("+Inf", cumulative[-1])], self._sums[g])
        yield h
