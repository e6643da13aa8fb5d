"""A leaf's VXLAN operational state, followed over gNMI Subscribe.

One ON_CHANGE STREAM subscription to the platform's operational paths
(:func:`models.platforms.oper.oper_paths`: each VNI's state and flood list,
no counters), kept as leaves (path -> value); after the first
``sync_response`` and after later notifications the changed leaves are read
(:meth:`models.platforms.oper.OperReader.refresh`) and the owner is told.
Until the sync (and after the stream ends) the state is unknown: ``None``.

The leaves are read incrementally (:class:`models.platforms.oper.OperReader`:
a notification costs what it touches). A busy fabric still changes flood
lists with every commit on any leaf sharing a VNI, so reads are spaced by
:data:`DUTY` times the last one's cost (at most ~1/DUTY of a core per
switch; a small change reads in microseconds, so at once), and what came
meanwhile is read together.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from controller.backoff import Duty
from controller.gnmi.convert import MalformedValue, notification_items
from controller.gnmi.session import GnmiSession
from models.oc.path import PathError
from models.platforms.oper import OperReader, oper_paths
from models.readiness import VniOper

#: leaves kept per switch (bounded: a switch flooding us with state cannot grow it without end)
MAX_LEAVES = 200_000
#: a parse waits this many times the previous parse's cost after it
DUTY = 10.0


class OperState:
    def __init__(self, platform: str, on_change: Callable[[], None]) -> None:
        self._platform = platform
        self._on_change = on_change
        self._reader = OperReader(platform)
        #: VNI -> its state; None while unknown
        self.vnis: dict[int, VniOper] | None = None
        self.updates = 0
        self.parses = 0
        self._duty = Duty(DUTY)
        self._pending: asyncio.TimerHandle | None = None

    def lost(self) -> None:
        """The stream ended: what the switch reports is unknown again."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self._reader = OperReader(self._platform)
        if self.vnis is not None:
            self.vnis = None
            self._on_change()

    async def follow(self, session: GnmiSession, heard: Callable[[], None] = lambda: None) -> None:
        """Subscribe and keep the state until the stream breaks (GnmiError)."""
        paths = oper_paths(self._platform)
        if not paths:
            return
        self._reader = OperReader(self._platform)
        synced = False
        try:
            async for resp in session.subscribe(paths):
                heard()
                if resp.HasField("update"):
                    self._take(resp.update)
                    self.updates += 1
                elif resp.sync_response:
                    synced = True
                else:
                    continue
                if synced:
                    self._parse_soon()
        finally:
            self.lost()

    def _parse_soon(self) -> None:
        if self._pending is not None:
            return  # already due: it will read what came since
        wait = self._duty.wait()
        if wait <= 0:
            self._parse()
        else:
            self._pending = asyncio.get_running_loop().call_later(wait, self._parse)

    def _parse(self) -> None:
        self._pending = None
        t0 = time.monotonic()
        changed = self._reader.refresh()
        self.parses += 1
        self._duty.ran(t0, time.monotonic())
        if changed or self.vnis is None:
            self.vnis = dict(self._reader.vnis)
            self._on_change()

    def _take(self, notification: Any) -> None:
        try:
            items = list(notification_items(notification))
        except (MalformedValue, PathError):
            return  # one malformed notification: skip it, the next one corrects the state
        reader = self._reader
        for kind, path, value in items:
            if kind == "delete":
                reader.delete(path)
            elif reader.size < MAX_LEAVES or reader.holds(path):
                reader.update(path, value)
