"""An in-process event bus behind WatchEvents: bounded fan-out.

A subscriber that does not keep up loses its queue's oldest events (its
``dropped`` count grows); publishing never blocks the daemon. ``close()``
ends every subscription (the daemon stops: WatchEvents streams end cleanly
instead of holding the shutdown grace).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Collection, Mapping


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    seq: int
    time: float
    kind: str
    subject: str
    message: str
    attributes: Mapping[str, str]


class EventBus:
    def __init__(self, queue_size: int = 1000) -> None:
        self._seq = 0
        self._subs: set[asyncio.Queue[Event | None]] = set()
        self._size = queue_size
        self.dropped = 0
        self.closed = False

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    def publish(self, kind: str, subject: str, message: str, **attributes: object) -> Event:
        self._seq += 1
        ev = Event(
            seq=self._seq,
            time=time.time(),
            kind=kind,
            subject=subject,
            message=message,
            attributes={k: str(v) for k, v in attributes.items()},
        )
        for q in list(self._subs):
            self._put(q, ev)
        return ev

    def _put(self, q: asyncio.Queue[Event | None], item: Event | None) -> None:
        if q.full():
            q.get_nowait()
            self.dropped += 1
        q.put_nowait(item)

    def close(self) -> None:
        self.closed = True
        for q in list(self._subs):
            self._put(q, None)

    async def subscribe(self, kinds: Collection[str] = ()) -> AsyncIterator[Event]:
        q: asyncio.Queue[Event | None] = asyncio.Queue(self._size)
        self._subs.add(q)
        try:
            while not self.closed:
                ev = await q.get()
                if ev is None:
                    return
                if not kinds or ev.kind in kinds:
                    yield ev
        finally:
            self._subs.discard(q)
