"""A leaf's VXLAN operational state, followed over gNMI Subscribe.

One ON_CHANGE STREAM subscription to the platform's operational paths
(:func:`models.platforms.oper.oper_paths`: each VNI's state and flood list,
no counters), kept as leaves (path -> value); after the first
``sync_response`` and after every later notification the leaves are parsed
(:func:`models.platforms.oper.parse_oper`) and the owner is told. Until the
sync (and after the stream ends) the state is unknown: ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from controller.gnmi.convert import MalformedValue, notification_items
from controller.gnmi.session import GnmiSession
from models.oc.path import Path, PathError
from models.platforms.oper import oper_paths, parse_oper
from models.readiness import VniOper

#: leaves kept per switch (bounded: a switch flooding us with state cannot grow it without end)
MAX_LEAVES = 200_000


class OperState:
    def __init__(self, platform: str, on_change: Callable[[], None]) -> None:
        self._platform = platform
        self._on_change = on_change
        self._leaves: dict[Path, Any] = {}
        #: VNI -> its state; None while unknown
        self.vnis: dict[int, VniOper] | None = None
        self.updates = 0

    def lost(self) -> None:
        """The stream ended: what the switch reports is unknown again."""
        self._leaves = {}
        if self.vnis is not None:
            self.vnis = None
            self._on_change()

    async def follow(self, session: GnmiSession, heard: Callable[[], None] = lambda: None) -> None:
        """Subscribe and keep the state until the stream breaks (GnmiError)."""
        paths = oper_paths(self._platform)
        if not paths:
            return
        self._leaves = {}
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
                    new = parse_oper(self._platform, self._leaves)
                    if new != self.vnis:
                        self.vnis = new
                        self._on_change()
        finally:
            self.lost()

    def _take(self, notification: Any) -> None:
        try:
            items = list(notification_items(notification))
        except (MalformedValue, PathError):
            return  # one malformed notification: skip it, the next one corrects the state
        for kind, path, value in items:
            if kind == "delete":
                for p in [p for p in self._leaves if p.startswith(path)]:
                    del self._leaves[p]
            elif len(self._leaves) < MAX_LEAVES or path in self._leaves:
                self._leaves[path] = value
