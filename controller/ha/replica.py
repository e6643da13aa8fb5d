"""A follower's copy of the intent, kept by an etcd watch, with a stated
staleness bound.

The copy starts from one consistent read (:func:`read_rows`) and applies the
watch's events in revision order. Every ``max_staleness / 4`` it asks the
watch stream for a progress notification; etcd answers only once every event
up to its current revision has been sent on the stream, so when the answer
arrives the copy holds everything committed before the request was sent.
:meth:`Replica.fresh` is true while the last such confirmation was requested
less than ``max_staleness`` ago: **a follower's read reflects every write
acknowledged more than ``max_staleness`` before it** (in practice a few
milliseconds behind). Past the bound, a follower refuses reads (UNAVAILABLE)
rather than answer from an old copy.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import time
from collections.abc import Callable
from typing import Any

from controller.etcd import EtcdClient, EtcdError, prefix_end
from controller.etcd.client import is_progress, progress_request
from controller.log import get_logger
from controller.store.base import Snapshot
from controller.store.etcd import read_rows, snapshot_of
from controller.store.etcdkeys import Keys


class Replica:
    def __init__(
        self, client: EtcdClient, keys: Keys, *, max_staleness: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._keys = keys
        self.max_staleness = max_staleness
        self._clock = clock
        self.rows: dict[bytes, bytes] = {}
        self.revision = 0
        #: grows with every change applied (a rebuilt view compares it)
        self.version = 0
        self._fresh_at = -math.inf
        self._log = get_logger("replica")
        self.changed = asyncio.Event()

    async def load(self) -> None:
        rows, revision = await read_rows(self._client, self._keys)
        t = self._clock()
        self.rows = dict(rows)
        self.revision = revision
        self.version += 1
        self._fresh_at = t
        self.changed.set()

    def fresh(self) -> bool:
        return self._clock() - self._fresh_at <= self.max_staleness

    @property
    def age(self) -> float:
        """Seconds since the copy was last confirmed current."""
        return self._clock() - self._fresh_at

    def snapshot(self) -> Snapshot:
        return snapshot_of(self._keys, sorted(self.rows.items()))

    async def run(self) -> None:
        """Follow the intent until cancelled (restarted by the caller's supervisor on failure)."""
        if not self.revision:
            await self.load()
        requests: asyncio.Queue[Any] = asyncio.Queue()
        outstanding: collections.deque[float] = collections.deque()
        endpoint = self._client.endpoints.index(self._client.current)
        watch = asyncio.ensure_future(self._follow(requests, outstanding))
        ticker = asyncio.ensure_future(self._tick(requests, outstanding))
        try:
            await asyncio.wait({watch, ticker}, return_when=asyncio.FIRST_COMPLETED)
            if watch.done():
                watch.result()
                return
            # the stream went silent (a member cut off from quorum answers nothing): another endpoint
            self._client.next_endpoint(endpoint)
            raise EtcdError(f"etcd watch at {self._client.endpoints[endpoint]} confirms nothing: moving on")
        finally:
            for task in (watch, ticker):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, EtcdError):
                    await task

    async def _follow(self, requests: asyncio.Queue[Any], outstanding: collections.deque[float]) -> None:
        try:
            async for resp in self._client.watch(
                self._keys.intent, prefix_end(self._keys.intent), start_revision=self.revision + 1, requests=requests
            ):
                if resp.events:
                    for ev in resp.events:
                        if ev.type == ev.DELETE:
                            self.rows.pop(ev.kv.key, None)
                        else:
                            self.rows[ev.kv.key] = ev.kv.value
                        self.revision = max(self.revision, ev.kv.mod_revision)
                    self.version += 1
                    self.changed.set()
                elif is_progress(resp):
                    self.revision = max(self.revision, resp.header.revision)
                    if outstanding:
                        self._fresh_at = max(self._fresh_at, outstanding.popleft())
        except EtcdError as e:
            if e.code == "COMPACTED":
                self._log.warning("replica.compacted", revision=self.revision)
                self.revision = 0  # reload whole at the next start
            raise

    async def _tick(self, requests: asyncio.Queue[Any], outstanding: collections.deque[float]) -> None:
        """Ask for progress every ``max_staleness / 4``; return when a request
        stayed unanswered for ``max_staleness`` (the stream is of no use)."""
        while True:
            await asyncio.sleep(self.max_staleness / 4)
            if outstanding and self._clock() - outstanding[0] > self.max_staleness:
                return
            if len(outstanding) < 8:
                outstanding.append(self._clock())
                requests.put_nowait(progress_request())


__all__ = ["EtcdError", "Replica"]
