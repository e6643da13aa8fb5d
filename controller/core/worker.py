"""One supervised worker per switch: session, resync, coalesced Sets, drift.

The worker keeps what it knows the switch has (``current``: owned objects by
key), the keys whose desired state changed (``dirty``) and a generation
counter. Changes coalesce: every pass renders all dirty keys (the latest
desired state wins) and sends one Set, one at a time per switch. Waiters
(Attach) learn when the generation they need is committed.

* connect/reconnect: Capabilities, then a full resync (Get, diff every key,
  Set only the difference: nothing when the switch is right);
* drift: an ON_CHANGE subscription to the owned subtrees; a change that is
  not the echo of our own Set triggers a verification pass (Get + diff);
  ``revert`` applies the difference, ``report`` only counts and logs it; a
  periodic full pass with jitter catches anything missed;
* errors: UNAVAILABLE ends the session (reconnect with backoff); other
  temporary errors retry the same keys after backoff (state re-read first,
  since a timed-out Set may have been applied); a switch rejecting a Set has
  it split per key so one bad object cannot block the others;
* a crash of the worker is logged and the worker restarted with backoff; it
  never takes the daemon down.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import hashlib
import json
import random
import time
from collections.abc import Iterable
from typing import Any, Protocol

import grpc

from controller.config import Settings
from controller.core.backoff import Backoff
from controller.core.echo import EchoFilter
from controller.core.events import EventBus
from controller.gnmi.session import GnmiError, GnmiSession
from controller.inventory import SwitchConfig
from controller.log import get_logger
from controller.metrics import Metrics
from models.diff import SetOps, apply_objects, diff
from models.ids import SwitchName, Vni
from models.oc.path import Path
from models.oc.tree import Tree, TreeError
from models.platforms.base import ObjectKey
from models.platforms.registry import renderer
from models.render import all_keys, render_keys
from models.state import FabricState

Json = Any
KeyedObjects = dict[ObjectKey, dict[Path, Json]]


class SessionState(enum.Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


class WorkerHost(Protocol):
    state: FabricState
    settings: Settings
    metrics: Metrics
    events: EventBus

    def removed(self, switch: SwitchName, vnis: list[Vni]) -> None:
        """The switch confirmed these VNIs' objects are gone."""
        ...

    def keys_failed(self, switch: SwitchName, failures: dict[ObjectKey, str]) -> None: ...


class _SessionEnded(Exception):
    pass


class SwitchWorker:
    def __init__(self, cfg: SwitchConfig, host: WorkerHost, *, session_factory: Any = GnmiSession) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.leaf = cfg.leaf_info
        self.host = host
        self.renderer = renderer(cfg.platform)
        self.log = get_logger("reconciler", switch=cfg.name)
        self._session_factory = session_factory
        self.status = SessionState.CONNECTING
        self.last_error = ""
        self.last_sync = 0.0
        self.known = False  # current reflects the switch
        self.current: KeyedObjects = {}
        self.device_vlans: set[int] = set()
        self.dirty: set[ObjectKey] = set()
        self.generation = 0
        self.committed = -1
        #: the generation of each key's last change (what an attachment waits for)
        self.key_gen: dict[ObjectKey, int] = {}
        self.failed: dict[ObjectKey, str] = {}
        #: keys found changed out of band and left so (drift: report)
        self.drifted: set[ObjectKey] = set()
        self.conflicts: dict[ObjectKey, str] = {}
        self.sets = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._verify = False
        self._stopping = False
        self.echo = EchoFilter(lambda: self.current)
        self._naive: collections.deque[tuple[int, set[ObjectKey]]] = collections.deque()
        self._task: asyncio.Task[None] | None = None
        s = host.settings.reconcile
        self._backoff = Backoff(s.backoff_initial, s.backoff_max)

    # ------------------------------------------------------------- public

    @property
    def pending(self) -> int:
        return len(self.dirty)

    @property
    def in_sync(self) -> bool:
        return (
            self.known
            and not self.dirty
            and self.status is SessionState.CONNECTED
            and not self.failed
            and not self.drifted
        )

    def mark(self, keys: Iterable[ObjectKey]) -> int:
        """Desired state of these keys changed; returns the generation to wait for."""
        keys = set(keys)
        self.dirty.update(keys)
        self.generation += 1
        for key in keys:
            self.key_gen[key] = self.generation
        if not self.host.settings.reconcile.coalesce:
            self._naive.append((self.generation, keys))
        self._wake.set()
        return self.generation

    async def wait(self, generation: int) -> None:
        """Returns once ``generation`` is committed on the switch (callers bound
        it with their deadline)."""
        if self.committed >= generation:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((generation, fut))
        try:
            await fut
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove((generation, fut))

    def start(self) -> None:
        self._task = asyncio.create_task(self._supervise(), name=f"worker:{self.name}")

    async def stop(self, grace: float = 5.0) -> None:
        """Let an in-flight Set finish (bounded), then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is None:
            return
        done, _ = await asyncio.wait({self._task}, timeout=grace)
        if not done:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def request_verify(self) -> None:
        self._verify = True
        self._wake.set()

    def plan(self) -> SetOps | None:
        """What a full pass would send now (None while the switch state is unknown)."""
        if not self.known:
            return None
        _, ops = self._render(all_keys(self.host.state, self.name, self.current), self.current)
        return ops

    # -------------------------------------------------------- supervision

    async def _supervise(self) -> None:
        while not self._stopping:
            try:
                await self._run_session()
                return
            except asyncio.CancelledError:
                raise
            except GnmiError as e:
                self._disconnected(str(e))
            except Exception as e:  # a bug: log it, restart the worker, keep the daemon
                self.log.exception("worker.crashed", error=repr(e))
                self.host.metrics.worker_restarts.labels(self.name).inc()
                self._disconnected(f"worker crashed: {e!r}")
            delay = self._backoff.next()
            self.log.info("session.retry", delay=round(delay, 2))
            await self._sleep(delay)

    def _disconnected(self, error: str) -> None:
        was, last = self.status, self.last_error
        self.status = SessionState.DISCONNECTED
        self.known = False
        self.last_error = error
        if was is SessionState.CONNECTED or (error != last and was is SessionState.CONNECTING and not last):
            self.log.warning("session.down", error=error)  # once per outage, not per retry
            self.host.events.publish("switch", self.name, "disconnected", error=error)
        elif error != last:
            self.log.info("session.failing", error=error)

    async def _sleep(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_event(), delay)

    async def _stop_event(self) -> None:
        while not self._stopping:
            self._wake.clear()
            await self._wake.wait()

    async def _run_session(self) -> None:
        session = self._session_factory(self.cfg, self.host.settings.gnmi)
        watch: asyncio.Task[None] | None = None
        try:
            self.status = SessionState.CONNECTING
            await session.capabilities()
            await self._full_pass(session, reason="connect")
            self.status = SessionState.CONNECTED
            self.last_error = ""
            self._backoff.reset()
            self.host.metrics.session_connects.labels(self.name).inc()
            self.log.info("session.up", address=self.cfg.address)
            self.host.events.publish("switch", self.name, "connected")
            watch = asyncio.create_task(self._watch(session), name=f"watch:{self.name}")
            await self._serve(session)
        finally:
            if watch is not None:
                watch.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await watch
            await session.close()

    async def _serve(self, session: GnmiSession) -> None:
        interval = self.host.settings.reconcile.full_interval
        next_full = time.monotonic() + interval * random.uniform(0.8, 1.2)
        retry = Backoff(self.host.settings.reconcile.backoff_initial, self.host.settings.reconcile.backoff_max)
        while not self._stopping:
            if self.known and not self.dirty and not self._verify:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), max(0.0, next_full - time.monotonic()))
            if self._stopping:
                return
            try:
                if self._verify or time.monotonic() >= next_full or not self.known:
                    reason = "verify" if self._verify else ("periodic" if self.known else "resync")
                    self._verify = False
                    await self._full_pass(session, reason=reason)
                    next_full = time.monotonic() + interval * random.uniform(0.8, 1.2)
                elif self.dirty:
                    await self._incremental_pass(session)
                retry.reset()
            except GnmiError as e:
                if e.code is grpc.StatusCode.UNAVAILABLE:
                    raise
                delay = retry.next()
                if e.code is grpc.StatusCode.DEADLINE_EXCEEDED:
                    # the switch may still be working on that Set: do not queue
                    # another one behind it faster than it can finish
                    delay = max(delay, self.host.settings.gnmi.timeout)
                self.last_error = str(e)
                self.log.warning("set.retry", error=str(e), delay=round(delay, 2))
                self.known = False  # a timed-out Set may have been applied: re-read first
                await self._sleep(delay)

    # ------------------------------------------------------------- passes

    async def _read(self, session: GnmiSession) -> tuple[KeyedObjects, set[int]]:
        tree = Tree()
        for path in self.renderer.read_paths():
            try:
                items = await session.get([path])
            except GnmiError as e:
                if e.code is grpc.StatusCode.NOT_FOUND:
                    continue
                raise
            for kind, p, value in items:
                if kind == "update" and value is not None:
                    try:
                        tree.replace(p, value)
                    except TreeError as e:  # the switch's data, not our bug
                        raise GnmiError(self.name, "Get", grpc.StatusCode.DATA_LOSS, f"malformed config: {e}") from None
        settings = self.host.settings.fabric
        return self.renderer.extract(tree, settings), set(self.renderer.vlans_on_device(tree))

    def _render(self, keys: Iterable[ObjectKey], current: KeyedObjects) -> tuple[dict[ObjectKey, SetOps], SetOps]:
        rendered = render_keys(self.host.state, self.leaf, keys, current, self.device_vlans)
        self.conflicts.update(rendered.conflicts)
        for key in rendered.desired:
            if key not in rendered.conflicts:
                self.conflicts.pop(key, None)
        per_key: dict[ObjectKey, SetOps] = {}
        total = SetOps()
        for key in sorted(rendered.desired):
            ops = diff(current.get(key, {}), rendered.desired[key], self.renderer.normalize)
            if ops:
                per_key[key] = ops
                total = total + ops
        return per_key, total

    async def _full_pass(self, session: GnmiSession, *, reason: str) -> None:
        current, device_vlans = await self._read(session)
        self.device_vlans = device_vlans
        self.current = current
        self.echo.reset(current)
        self.known = True
        pending = set(self.dirty)
        self.dirty.clear()
        self._naive.clear()
        generation = self.generation
        try:
            keys = all_keys(self.host.state, self.name, current) | pending
            per_key, _ = self._render(keys, current)
            drifted = [k for k in per_key if k not in pending] if reason in ("verify", "periodic") else []
            if drifted:
                self.host.metrics.drift_events.labels(self.name).inc(len(drifted))
                self.log.warning(
                    "drift.found", keys=",".join(str(k) for k in drifted), mode=self.host.settings.reconcile.drift
                )
                self.host.events.publish("drift", self.name, f"{len(drifted)} object group(s) changed out of band")
                if self.host.settings.reconcile.drift == "report":
                    per_key = {k: v for k, v in per_key.items() if k not in drifted}
                    self.drifted.update(drifted)  # left as found: not in sync
            await self._apply(session, per_key, generation, reason=reason)
        except BaseException:
            self.dirty |= pending  # not applied: still to do
            raise
        self.last_sync = time.time()
        self._backoff.reset()

    async def _incremental_pass(self, session: GnmiSession) -> None:
        if self._naive:  # coalescing off (a benchmark baseline): one Set per change, in order
            generation, keys = self._naive[0]
            per_key, _ = self._render(keys, self.current)
            await self._apply(session, per_key, generation, reason="change")
            self._naive.popleft()
            self.dirty = set().union(*(k for _, k in self._naive))
            return
        keys = set(self.dirty)
        self.dirty.clear()
        generation = self.generation
        per_key, _ = self._render(keys, self.current)
        try:
            await self._apply(session, per_key, generation, reason="change")
        except BaseException:
            self.dirty |= keys
            raise

    async def _apply(
        self, session: GnmiSession, per_key: dict[ObjectKey, SetOps], generation: int, *, reason: str
    ) -> None:
        metrics = self.host.metrics
        if per_key:
            ops = SetOps()
            for k in sorted(per_key):
                ops = ops + per_key[k]
            try:
                await self._set(session, ops)
                applied = dict(per_key)
                failures: dict[ObjectKey, str] = {}
            except GnmiError as e:
                if e.temporary:
                    raise
                applied, failures = await self._isolate(session, per_key, e)
            for key, key_ops in applied.items():
                self._commit_key(key, key_ops)
                self.failed.pop(key, None)
                self.drifted.discard(key)
            if failures:
                self.failed.update(failures)
                self.host.keys_failed(self.name, failures)
            metrics.reconcile.labels(self.name, "error" if failures else "applied").inc()
            self.log.info("set.applied", reason=reason, ops=sum(len(o) for o in applied.values()), failed=len(failures))
        else:
            metrics.reconcile.labels(self.name, "noop").inc()
        # a VNI whose objects are all gone (and that the intent no longer wants) is confirmed removed
        gone = [Vni(k.vni) for k in per_key if k.kind == "vni" and k not in self.current]
        leaf = self.host.state.leaves.get(self.name)
        if leaf is not None:
            gone += [
                v
                for v in leaf.vlans.in_use().values()
                if leaf.vlans.is_releasing(v) and ObjectKey("vni", vni=v) not in self.current
            ]
        if gone:
            self.host.removed(self.name, sorted(set(gone)))
        self.committed = max(self.committed, generation)
        self._release_waiters()

    def _commit_key(self, key: ObjectKey, ops: SetOps) -> None:
        objs = dict(self.current.get(key, {}))
        apply_objects(objs, ops)
        if objs:
            self.current[key] = objs
        else:
            self.current.pop(key, None)
        self.echo.committed(key, ops)

    async def _set(self, session: GnmiSession, ops: SetOps) -> None:
        # our own change echoes back on the drift subscription, possibly before
        # the SetResponse: what is in flight counts as ours
        self.echo.sending(ops)
        t0 = time.perf_counter()
        try:
            await session.set(ops)
        except GnmiError as e:
            self.host.metrics.set_errors.labels(self.name, e.code.name).inc()
            raise
        finally:
            self.echo.sent()  # the caller commits to `current` before it next awaits
            self.host.metrics.set_duration.labels(self.name).observe(time.perf_counter() - t0)
        self.sets += 1

    async def _isolate(
        self, session: GnmiSession, per_key: dict[ObjectKey, SetOps], error: GnmiError
    ) -> tuple[dict[ObjectKey, SetOps], dict[ObjectKey, str]]:
        """The switch rejected the Set: try each key alone; keep the good ones."""
        self.log.warning("set.rejected", error=error.details, keys=len(per_key))
        if len(per_key) == 1:
            return {}, {k: error.details for k in per_key}
        applied: dict[ObjectKey, SetOps] = {}
        failures: dict[ObjectKey, str] = {}
        for key, ops in sorted(per_key.items()):
            try:
                await self._set(session, ops)
                applied[key] = ops
            except GnmiError as e:
                if e.temporary:
                    raise
                failures[key] = e.details
        return applied, failures

    def _release_waiters(self) -> None:
        for gen, fut in list(self._waiters):
            if gen <= self.committed and not fut.done():
                fut.set_result(None)

    # -------------------------------------------------------------- drift

    async def _watch(self, session: GnmiSession) -> None:
        """Subscribe to the owned subtrees; a change that is not our own echo
        asks for a verification pass. A dropped stream is re-established."""
        backoff = Backoff(self.host.settings.reconcile.backoff_initial, self.host.settings.reconcile.backoff_max)
        while not self._stopping:
            try:
                async for resp in session.subscribe(self.renderer.watch_paths(), updates_only=True):
                    backoff.reset()
                    if resp.HasField("update") and self.echo.foreign(resp.update, self.renderer.watches):
                        self.request_verify()
            except GnmiError as e:
                self.log.info("watch.lost", error=str(e))
                self.request_verify()  # we may have missed changes
                await self._sleep(backoff.next())

    # ------------------------------------------------------------- status

    def fingerprint(self) -> str:
        doc = {str(k): {str(p): v for p, v in objs.items()} for k, objs in sorted(self.current.items())}
        return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:16]
