"""Work that runs on the leader only, started and stopped by the leadership.

Whatever must run on exactly one fabricd at a time (the switch workers are
wired in by :mod:`controller.ha.node`; the daemon adds the Kubernetes
controllers)
registers here: ``start(term)`` runs when this instance becomes the leader
(with SQLite, the one instance, once at start-up), ``stop()`` when its term
ends, before the next leader can be elected. A start that fails ends the
term; a stop that fails is logged and the others still stop.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Awaitable, Callable

from controller.log import get_logger

Start = Callable[[int], Awaitable[None]]
Stop = Callable[[], Awaitable[None]]


@dataclasses.dataclass(frozen=True, slots=True)
class _Hook:
    name: str
    start: Start
    stop: Stop


class LeaderHooks:
    def __init__(self) -> None:
        self._hooks: list[_Hook] = []
        self._running: list[_Hook] = []
        self._log = get_logger("leader-hooks")

    def add(self, name: str, start: Start, stop: Stop) -> None:
        """Run ``start(term)`` whenever this fabricd becomes the leader and ``stop()`` when it stops leading."""
        self._hooks.append(_Hook(name, start, stop))

    @property
    def running(self) -> list[str]:
        return [h.name for h in self._running]

    async def start(self, term: int) -> None:
        for hook in self._hooks:
            self._log.info("leader.hook_start", hook=hook.name, term=term)
            await hook.start(term)
            self._running.append(hook)

    async def stop(self) -> None:
        while self._running:
            hook = self._running.pop()
            self._log.info("leader.hook_stop", hook=hook.name)
            try:
                await hook.stop()
            except Exception as e:  # noqa: BLE001 - one failing stop must not keep the others running
                self._log.exception("leader.hook_failed", hook=hook.name, error=repr(e))
            with contextlib.suppress(ValueError):
                self._running.remove(hook)
