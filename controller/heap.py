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
under changes that never pause. An object frozen while alive and later
dropped inside a reference cycle is not reclaimed by collections; a *refresh*
(``gc.unfreeze()``, a full collection, freeze again) reclaims it: a settle
does that instead when ``REFRESH_S`` passed since the last. Objects without cycles are freed by reference
counting as always, frozen or not.

The collector is the process's: only a daemon that owns its process keeps it
(``controller.main``; tests that run daemons inside pytest do not).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable

from controller.log import get_logger

log = get_logger("heap")

#: the process counts as quiet after this long without a change
QUIET_S = 1.0
#: under changes that never pause, settle at least this often
MAX_DEFER_S = 60.0
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
        gc.collect()
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
            else:
                pause = self.settle()
            settled = seen = self._activity()
            log.debug("heap.settled", frozen=gc.get_freeze_count(), pause_ms=round(pause * 1000, 1))
