"""Discovery: LLDP read from every switch over gNMI keeps the topology true.

Per switch a supervised task subscribes (STREAM, ON_CHANGE; SAMPLE when the
switch refuses ON_CHANGE) to ``/lldp/interfaces/interface/neighbors/neighbor/state``
and turns notifications into events of the pure reducer
:class:`topology.LldpState`: neighbour updates and deletes, session up/down,
``sync_response``. A rebuild loop turns the reducer's records into a new
topology snapshot (debounced, and again when a lost switch's hold time ends)
and hands it to the core, which re-places the attachments of NICs that moved.
A dropped stream is re-established with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable

import grpc
from pygnmi.spec.v080 import gnmi_pb2

from controller.config import Settings
from controller.core.backoff import Backoff
from controller.gnmi.convert import MalformedValue, notification_items
from controller.gnmi.session import GnmiError, GnmiSession
from controller.inventory import Inventory, SwitchConfig
from controller.log import get_logger
from controller.metrics import Metrics
from models.ids import PortName, SwitchName
from models.oc.path import Path, parse
from topology import (
    LldpState,
    NeighborDelete,
    NeighborUpdate,
    SessionDown,
    SessionUp,
    SyncDone,
    TopologySnapshot,
)
from topology.lldp_state import Forget, LldpEvent

LLDP_PATH = parse("/lldp/interfaces/interface/neighbors/neighbor/state")
DEBOUNCE = 0.1
MAX_DELAY = 2.0
SAMPLE_INTERVAL_NS = 10_000_000_000

Rebuild = Callable[[LldpState, float], TopologySnapshot]
Publish = Callable[[TopologySnapshot], None]


def events_of(switch: SwitchName, notification: gnmi_pb2.Notification, at: float) -> list[LldpEvent]:
    """LLDP state notifications -> reducer events (grouped per neighbour)."""
    updates: dict[tuple[str, str], dict[str, str]] = {}
    out: list[LldpEvent] = []
    for kind, path, value in notification_items(notification):
        where = _locate(path)
        if where is None:
            continue
        port, nid, leaf = where
        if kind == "delete":
            out.append(
                NeighborDelete(
                    switch=switch,
                    local_port=PortName(port) if port else None,
                    neighbor_id=nid or None,
                    at=at,
                )
            )
        elif port and nid and leaf and value is not None:
            if isinstance(value, dict):  # a container value: its leaves
                vals = value.get("state", value) if isinstance(value.get("state", value), dict) else value
                updates.setdefault((port, nid), {}).update({k: str(v) for k, v in vals.items()})
            else:
                updates.setdefault((port, nid), {})[leaf] = str(value)
    for (port, nid), values in updates.items():
        out.append(NeighborUpdate(switch=switch, local_port=PortName(port), neighbor_id=nid, values=values, at=at))
    return out


def _locate(path: Path) -> tuple[str, str, str] | None:
    """(local port, neighbour id, leaf) of an LLDP path; '' where the path
    stops above that level."""
    names = path.schema
    if not names or names[0] != "lldp":
        return None
    port = nid = leaf = ""
    for i, e in enumerate(path.elems):
        if e.name == "interface" and i >= 1:
            port = e.key_map.get("name", "")
        elif e.name == "neighbor":
            nid = e.key_map.get("id", "")
    if nid:
        tail = [e.name for e in path.elems]
        idx = tail.index("neighbor")
        rest = tail[idx + 1 :]
        leaf = rest[-1] if rest else "state"
    return port, nid, leaf


class Discovery:
    def __init__(
        self,
        settings: Settings,
        inventory: Inventory,
        metrics: Metrics,
        *,
        rebuild: Rebuild,
        publish: Publish,
        session_factory: Callable[..., GnmiSession] = GnmiSession,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.state = LldpState(hold_time=settings.topology.hold_time)
        self._rebuild = rebuild
        self._publish = publish
        self._session_factory = session_factory
        self._changed = asyncio.Event()
        self._tasks: dict[SwitchName, asyncio.Task[None]] = {}
        self._configs: dict[SwitchName, SwitchConfig] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self.log = get_logger("discovery")
        self.synced: set[SwitchName] = set()
        self.malformed = 0
        self._inventory = inventory

    def start(self) -> None:
        for cfg in self._inventory.switches:
            self._start(cfg)
        self._loop_task = asyncio.create_task(self._rebuild_loop(), name="discovery:rebuild")

    def _start(self, cfg: SwitchConfig) -> None:
        self._configs[cfg.name] = cfg
        self._tasks[cfg.name] = asyncio.create_task(self._watch(cfg), name=f"lldp:{cfg.name}")

    async def stop(self) -> None:
        tasks = [*self._tasks.values(), *([self._loop_task] if self._loop_task else [])]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t

    async def reload(self, inventory: Inventory) -> None:
        new = inventory.by_name()
        for name in list(self._tasks):
            if name not in new or new[name].fingerprint() != self._configs[name].fingerprint():
                task = self._tasks.pop(name)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                if name not in new:
                    self._apply([Forget(switch=name)])
        self._inventory = inventory
        for name, cfg in new.items():
            if name not in self._tasks:
                self._start(cfg)
        self._changed.set()

    def _apply(self, events: Iterable[LldpEvent]) -> None:
        events = list(events)
        if events:
            self.state = self.state.apply_all(events)
            self._changed.set()

    async def _watch(self, cfg: SwitchConfig) -> None:
        s = self.settings.reconcile
        backoff = Backoff(s.backoff_initial, s.backoff_max)
        log = self.log.bind(switch=cfg.name)
        mode = gnmi_pb2.ON_CHANGE
        while True:
            session = self._session_factory(cfg, self.settings.gnmi)
            up = False
            try:
                async for resp in session.subscribe([LLDP_PATH], mode=mode):
                    now = time.time()
                    if not up:
                        up = True
                        backoff.reset()
                        self._apply([SessionUp(switch=cfg.name, at=now)])
                        log.info("lldp.stream.up", mode="on_change" if mode == gnmi_pb2.ON_CHANGE else "sample")
                    if resp.sync_response:
                        self._apply([SyncDone(switch=cfg.name, at=now)])
                        self.synced.add(cfg.name)
                    elif resp.HasField("update"):
                        try:
                            evs = events_of(cfg.name, resp.update, now)
                        except (MalformedValue, ValueError) as e:
                            self.malformed += 1
                            if self.malformed % 1000 == 1:
                                log.warning("lldp.malformed", error=str(e), count=self.malformed)
                            continue
                        self.metrics.lldp_updates.labels(cfg.name).inc(len(evs))
                        self._apply(evs)
            except GnmiError as e:
                if (
                    not up
                    and mode == gnmi_pb2.ON_CHANGE
                    and e.code
                    in (
                        grpc.StatusCode.UNIMPLEMENTED,
                        grpc.StatusCode.INVALID_ARGUMENT,
                    )
                ):
                    log.info("lldp.on_change.refused", error=e.details)
                    mode = gnmi_pb2.SAMPLE
                else:
                    log.info("lldp.stream.lost", error=str(e))
            finally:
                with contextlib.suppress(Exception):
                    await session.close()
            if up:
                self.synced.discard(cfg.name)
                self._apply([SessionDown(switch=cfg.name, at=time.time())])
            await asyncio.sleep(backoff.next())

    async def _rebuild_loop(self) -> None:
        while True:
            now = time.time()
            deadline = self.state.next_deadline(now)
            wait = None if deadline is None else max(0.0, deadline - now) + 0.05
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), wait)
            # let a burst land: rebuild after a quiet DEBOUNCE, at most MAX_DELAY after
            # the first change (start-up dumps of many switches arrive together)
            first = time.monotonic()
            while True:
                self._changed.clear()
                await asyncio.sleep(DEBOUNCE)
                if not self._changed.is_set() or time.monotonic() - first > MAX_DELAY:
                    break
            self._changed.clear()
            try:
                snap = self._rebuild(self.state, time.time())
            except Exception as e:  # a bad record must not stop discovery
                self.log.exception("topology.rebuild.failed", error=repr(e))
                continue
            self._publish(snap)
