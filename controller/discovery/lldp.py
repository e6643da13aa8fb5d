"""Discovery: LLDP read from every switch over gNMI keeps the topology true.

Per switch a supervised task subscribes (STREAM, ON_CHANGE; SAMPLE when the
switch refuses ON_CHANGE) to the LLDP neighbour state of its platform (profile
data, :class:`models.platforms.profile.LldpPaths`: OpenConfig's
``/lldp/interfaces/interface/neighbors/neighbor/state``, SR Linux's
``/system/lldp/interface[name=*]/neighbor[id=*]``) and turns notifications
into events of the pure reducer
:class:`topology.LldpState`: neighbour updates and deletes, session up/down,
``sync_response``. A rebuild loop turns the reducer's records into a new
topology snapshot (debounced, and again when a lost switch's hold time ends)
and hands it to the core, which re-places the attachments of NICs that moved.
Every stream and the rebuild loop are supervised (:mod:`controller.supervise`):
a dropped stream is re-established with backoff, and a bug in one switch's
stream is logged, counted and restarted like an outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Iterator

from pygnmi.spec.v080 import gnmi_pb2

from controller.gnmi.convert import MalformedValue, notification_items
from controller.gnmi.errors import SwitchRejected, SwitchUnsupported
from controller.gnmi.session import GnmiSession
from controller.log import get_logger
from controller.metrics import Metrics
from controller.settings.inventory import Inventory, SwitchConfig
from controller.settings.model import Settings
from controller.supervise import Tasks
from models.errors import FabricError
from models.ids import PortName, SwitchName
from models.oc.path import Path, parse
from models.platforms import profile
from models.platforms.profile import LldpPaths
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

DEBOUNCE = 0.1
MAX_DELAY = 2.0
#: after a rebuild that took t seconds, the next waits REBUILD_REST * t (at
#: most MAX_DELAY): a rebuild reads every neighbour of the fabric, and while
#: they stream in (start-up of 512 switches: ~0.1 s a rebuild) rebuilding
#: after each quiet DEBOUNCE would take the loop from the sessions coming up
REBUILD_REST = 4.0
SAMPLE_INTERVAL_NS = 10_000_000_000
#: notifications of one stream handled before other tasks get the loop
YIELD_EVERY = 32
#: a notification is decoded this many updates at a time, each piece counted as one notification by the
#: throttle: one notification of 200,000 updates (21 MiB, inside the gNMI message limit) held the loop 11 s
PIECE = 256


class Throttle:
    """A token bucket: ``take()`` returns how long to wait before the next
    one. What one switch may make fabricd decode is a burst (a whole first
    dump of a big switch) then a steady rate (``topology.lldp_burst``,
    ``topology.lldp_rate``); beyond it the stream is read more slowly (gRPC
    flow control holds the switch back), so a switch that streams without end
    cannot take the event loop that serves the API."""

    def __init__(self, burst: int, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst, self.rate, self._clock = burst, rate, clock
        self.tokens = float(burst)
        self._last = clock()

    def take(self) -> float:
        now = self._clock()
        self.tokens = min(self.burst, self.tokens + (now - self._last) * self.rate)
        self._last = now
        self.tokens -= 1.0
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


def pieces(n: gnmi_pb2.Notification, size: int = PIECE) -> Iterator[gnmi_pb2.Notification]:
    """``n`` as notifications of at most ``size`` updates and deletes, deletes first (as gNMI applies them), made
    one at a time; ``n`` itself when it is that small. A neighbour's leaves split over two pieces merge (LldpState)."""
    if len(n.update) + len(n.delete) <= size:
        yield n
        return
    for i in range(0, len(n.delete), size):
        yield gnmi_pb2.Notification(timestamp=n.timestamp, prefix=n.prefix, delete=n.delete[i : i + size])
    for i in range(0, len(n.update), size):
        yield gnmi_pb2.Notification(timestamp=n.timestamp, prefix=n.prefix, update=n.update[i : i + size])


Rebuild = Callable[[LldpState, float], TopologySnapshot]
Publish = Callable[[TopologySnapshot], None]


def events_of(switch: SwitchName, notification: gnmi_pb2.Notification, at: float, lldp: LldpPaths) -> list[LldpEvent]:
    """LLDP state notifications -> reducer events (grouped per neighbour);
    ``lldp`` says where the switch's platform keeps them."""
    updates: dict[tuple[str, str], dict[str, str]] = {}
    out: list[LldpEvent] = []
    rename = lldp.leaves
    for kind, path, value in notification_items(notification):
        where = _locate(path, lldp)
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
                updates.setdefault((port, nid), {}).update({rename.get(k, k): str(v) for k, v in vals.items()})
            else:
                updates.setdefault((port, nid), {})[rename.get(leaf, leaf)] = str(value)
        elif port and not nid and isinstance(value, dict):  # a port's neighbour list at once
            name, key = lldp.neighbor
            entries = next((v for k, v in value.items() if k == name or k.endswith(":" + name)), None)
            for entry in entries if isinstance(entries, list) else ():
                if isinstance(entry, dict) and entry.get(key) is not None:
                    vals = entry.get("state", entry) if isinstance(entry.get("state"), dict) else entry
                    leaves = {rename.get(k, k): str(v) for k, v in vals.items()}
                    updates.setdefault((port, str(entry[key])), {}).update(leaves)
    for (port, nid), values in updates.items():
        out.append(NeighborUpdate(switch=switch, local_port=PortName(port), neighbor_id=nid, values=values, at=at))
    return out


def _locate(path: Path, lldp: LldpPaths) -> tuple[str, str, str] | None:
    """(local port, neighbour id, leaf) of an LLDP path below ``lldp.root``;
    '' where the path stops above that level; None for other paths."""
    names = path.schema
    root = lldp.root
    if not names:
        return None
    if len(names) <= len(root):
        return ("", "", "") if names == root[: len(names)] else None
    if names[: len(root)] != root or names[len(root)] != lldp.port[0]:
        return None
    elems = path.elems
    port = elems[len(root)].key_map.get(lldp.port[1], "")
    nid = leaf = ""
    for i in range(len(root) + 1, len(elems)):
        if elems[i].name == lldp.neighbor[0]:
            nid = elems[i].key_map.get(lldp.neighbor[1], "")
            rest = names[i + 1 :]
            leaf = rest[-1] if rest else "state"
            break
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
        self._streams: dict[SwitchName, tuple[SwitchConfig, Tasks]] = {}
        self._tasks = Tasks("discovery", metrics, backoff_initial=0.1, backoff_max=MAX_DELAY)
        self.log = get_logger("discovery")
        self.synced: set[SwitchName] = set()
        self.malformed = 0
        self._inventory = inventory

    def start(self) -> None:
        for cfg in self._inventory.switches:
            self._start(cfg)
        self._tasks.loop("rebuild", self._rebuild_loop)

    def _start(self, cfg: SwitchConfig) -> None:
        lldp = profile(cfg.platform).lldp
        if lldp is None:
            self.log.warning("lldp.unsupported", switch=cfg.name, platform=cfg.platform)
            return
        s = self.settings.reconcile
        tasks = Tasks("lldp", self.metrics, backoff_initial=s.backoff_initial, backoff_max=s.backoff_max)
        stream = _Stream(self, cfg, lldp)
        tasks.loop(cfg.name, stream.run, on_failure=stream.failed)
        self._streams[cfg.name] = (cfg, tasks)

    async def stop(self) -> None:
        for _, tasks in self._streams.values():
            await tasks.stop()
        await self._tasks.stop()

    async def reload(self, inventory: Inventory) -> None:
        """Restart the streams whose session changed (the one session rule:
        :meth:`SwitchConfig.session_key`); add and remove the others."""
        new = inventory.by_name()
        for name, (cfg, tasks) in list(self._streams.items()):
            if name not in new or new[name].session_key() != cfg.session_key():
                del self._streams[name]
                await tasks.stop()
                if name not in new:
                    self._apply([Forget(switch=name)])
        self._inventory = inventory
        for name, cfg in new.items():
            if name not in self._streams:
                self._start(cfg)
        self._changed.set()

    def _apply(self, events: Iterable[LldpEvent]) -> None:
        events = list(events)
        if events:
            before = self.state.version
            self.state.apply_all(events)
            for (switch, reason), count in self.state.take_drops().items():
                self.metrics.lldp_dropped.labels(switch, reason).inc(count)
            if self.state.version != before:  # dropped updates and refreshes change no record
                self._changed.set()

    async def _rebuild_loop(self) -> None:
        while True:
            now = time.time()
            deadline = self.state.next_deadline(now)
            wait = None if deadline is None else max(0.0, deadline - now) + 0.05
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._changed.wait()
            # let a burst land: rebuild after a quiet DEBOUNCE, at most MAX_DELAY after
            # the first change (start-up dumps of many switches arrive together)
            first = time.monotonic()
            while True:
                self._changed.clear()
                await asyncio.sleep(DEBOUNCE)
                if not self._changed.is_set() or time.monotonic() - first > MAX_DELAY:
                    break
            self._changed.clear()
            began = time.monotonic()
            try:
                snap = self._rebuild(self.state, time.time())
            except FabricError as e:  # a bad record must not stop discovery
                self.log.warning("topology.rebuild.failed", error=str(e))
                continue
            self._publish(snap)
            await asyncio.sleep(min(MAX_DELAY, REBUILD_REST * (time.monotonic() - began)))


class _Stream:
    """The LLDP subscription of one switch (one run of :meth:`run` is one
    stream; the discovery's supervisor restarts it with backoff)."""

    def __init__(self, discovery: Discovery, cfg: SwitchConfig, lldp: LldpPaths) -> None:
        self.d = discovery
        self.cfg = cfg
        self.lldp = lldp
        self.path = parse(lldp.subscribe)
        self.log = discovery.log.bind(switch=cfg.name)
        self.mode = gnmi_pb2.ON_CHANGE
        self.up = False
        self.throttled = False

    async def run(self) -> None:
        d, cfg = self.d, self.cfg
        session = d._session_factory(cfg, d.settings.gnmi)
        self.up = False
        t = d.settings.topology
        throttle = Throttle(t.lldp_burst, t.lldp_rate)
        try:
            received = 0
            async for resp in session.subscribe([self.path], mode=self.mode):
                for piece in pieces(resp.update) if resp.HasField("update") else (None,):
                    received += 1
                    wait = throttle.take()
                    if wait > 0:
                        if not self.throttled:
                            self.throttled = True
                            self.log.warning("lldp.stream.throttled", rate=t.lldp_rate, burst=t.lldp_burst)
                        d.metrics.lldp_throttled.labels(cfg.name).inc(wait)
                        await asyncio.sleep(wait)
                    elif received % YIELD_EVERY == 0 or piece is not resp.update:
                        # a switch streaming without pause must not hold the loop that serves the API (nor one
                        # notification of many pieces: each piece is a notification's worth of work)
                        await asyncio.sleep(0)
                    self._handle(resp, piece)
        except (SwitchUnsupported, SwitchRejected) as e:
            if not self.up and self.mode == gnmi_pb2.ON_CHANGE:
                self.log.info("lldp.on_change.refused", error=e.details)
                self.mode = gnmi_pb2.SAMPLE
            raise
        finally:
            with contextlib.suppress(Exception):
                await session.close()
            if self.up:
                d.synced.discard(cfg.name)
                d._apply([SessionDown(switch=cfg.name, at=time.time())])
                self.up = False

    def _handle(self, resp: gnmi_pb2.SubscribeResponse, piece: gnmi_pb2.Notification | None) -> None:
        d, cfg = self.d, self.cfg
        now = time.time()
        if not self.up:
            self.up = True
            d._apply([SessionUp(switch=cfg.name, at=now)])
            mode = "on_change" if self.mode == gnmi_pb2.ON_CHANGE else "sample"
            self.log.info("lldp.stream.up", mode=mode)
        if resp.sync_response:
            d._apply([SyncDone(switch=cfg.name, at=now)])
            d.synced.add(cfg.name)
        elif piece is not None:
            try:
                evs = events_of(cfg.name, piece, now, self.lldp)
            except (MalformedValue, ValueError) as e:
                d.malformed += 1
                if d.malformed % 1000 == 1:
                    self.log.warning("lldp.malformed", error=str(e), count=d.malformed)
                return
            d.metrics.lldp_updates.labels(cfg.name).inc(len(evs))
            d._apply(evs)

    def failed(self, error: BaseException, crashed: bool) -> None:
        if not crashed:
            self.log.info("lldp.stream.lost", error=str(error))
