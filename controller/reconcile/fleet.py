"""The fleet: one worker per managed leaf, started, reloaded and stopped here.

Reload follows the one session rule (:meth:`SwitchConfig.session_key`): a
worker whose connection settings changed is replaced (the new one takes the
old one's place at once, so requests never see the switch missing; it
re-reads the switch before any Set), other changed facts are handed to the
running worker, and switches are added and removed by set difference.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from controller.gnmi.session import GnmiSession
from controller.reconcile.readiness import Pulse
from controller.reconcile.status import SwitchStatus
from controller.reconcile.worker import SwitchWorker, WorkerHost
from controller.settings.inventory import SwitchConfig
from models.ids import SwitchName
from models.platforms.base import ObjectKey


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Reloaded:
    added: tuple[SwitchName, ...] = ()
    removed: tuple[SwitchName, ...] = ()
    #: new connection settings: a new session
    restarted: tuple[SwitchName, ...] = ()
    #: other facts changed: the running worker re-renders
    updated: tuple[SwitchName, ...] = ()

    def as_dict(self) -> dict[str, list[SwitchName]]:
        return {f.name: list(getattr(self, f.name)) for f in dataclasses.fields(self)}


class Fleet:
    def __init__(self, host: WorkerHost, *, session_factory: Any = GnmiSession) -> None:
        self._host = host
        self._session_factory = session_factory
        self._workers: dict[SwitchName, SwitchWorker] = {}
        #: fires when a worker's session, commits or operational state changed
        self.pulse = Pulse()
        #: moves with every change readiness depends on (marks, commits, sessions, operational state)
        self.generation = 0
        #: called on the same changes (the audit metric)
        self.on_change: Callable[[], None] = lambda: None

    # ----------------------------------------------------------- queries

    def __contains__(self, name: object) -> bool:
        return name in self._workers

    def __len__(self) -> int:
        return len(self._workers)

    def __iter__(self) -> Iterator[SwitchWorker]:
        return iter([self._workers[n] for n in sorted(self._workers)])

    def get(self, name: str) -> SwitchWorker | None:
        return self._workers.get(SwitchName(name))

    def statuses(self) -> list[SwitchStatus]:
        return [w.status() for w in self]

    # ----------------------------------------------------------- changes

    def mark(self, dirty: Mapping[SwitchName, Iterable[ObjectKey]]) -> None:
        """Desired state of these keys changed (switches not in the fleet are
        not managed: nothing to apply)."""
        self.generation += 1
        for switch, keys in dirty.items():
            worker = self._workers.get(switch)
            if worker is not None and keys:
                worker.mark(keys)

    # --------------------------------------------------------- lifecycle

    def start(self, leaves: Iterable[SwitchConfig]) -> None:
        for cfg in leaves:
            self._start(cfg)

    def _start(self, cfg: SwitchConfig) -> None:
        worker = SwitchWorker(cfg, self._host, session_factory=self._session_factory)
        worker.notify = self._changed
        self._workers[cfg.name] = worker
        worker.start()

    def _changed(self) -> None:
        self.generation += 1
        self.pulse.fire()
        self.on_change()

    async def stop(self) -> None:
        await asyncio.gather(*(w.stop() for w in self._workers.values()))

    async def reload(self, leaves: Iterable[SwitchConfig]) -> Reloaded:
        old = {n: w.cfg for n, w in self._workers.items()}
        new = {s.name: s for s in leaves}
        removed = sorted(set(old) - set(new))
        added = sorted(set(new) - set(old))
        common = sorted(set(old) & set(new))
        restarted = [n for n in common if old[n].session_key() != new[n].session_key()]
        updated = [n for n in common if n not in restarted and old[n] != new[n]]
        for name in removed:
            await self._workers.pop(name).stop()
        for name in restarted:
            stale = self._workers[name]
            self._start(new[name])  # claimed as the old one was: claims are the store's (host.claims)
            await stale.stop()
        for name in updated:
            self._workers[name].reconfigure(new[name])
        for name in added:
            self._start(new[name])
        self._changed()  # leaves came or went
        return Reloaded(added=tuple(added), removed=tuple(removed), restarted=tuple(restarted), updated=tuple(updated))
