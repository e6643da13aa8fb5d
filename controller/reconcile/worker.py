"""One supervised worker per switch: session, resync, coalesced Sets, drift.

The worker keeps what it knows the switch has (``current``: owned objects by
key) and the pending changes with their generations
(:class:`controller.reconcile.changes.Changes`). Changes coalesce: every pass
renders the dirty keys (the latest desired state wins) and sends one Set, one
at a time per switch. Waiters (Attach) learn when the generation they need is
committed. The rest of the daemon reads the worker only through
:meth:`SwitchWorker.status` and :meth:`SwitchWorker.attachment_state`.

* connect/reconnect: Capabilities, then a full resync (Get, diff every key,
  Set only the difference: nothing when the switch is right);
* drift: an ON_CHANGE subscription to the configuration leaves fabricd owns;
  a change that is not the echo of our own Set triggers a verification pass
  (Get + diff); ``revert`` applies the difference, ``report`` only counts and
  logs it; a periodic full pass with jitter catches anything missed;
* custody: a leaf the store has not claimed (and holds no VLAN of) is
  claimed, durably and before any Set, by the first read that finds nothing
  of fabricd's there that the intent does not account for; a read that
  finds such objects (a lost or replaced store, a second fabricd, a switch
  that carried them in) *holds* the leaf: no Set at all, the switch left
  exactly as found, until an operator restores the store or
  :meth:`SwitchWorker.release` lets the intent win (docs/security.md,
  "A store that lost the fabric's state");
* errors: a switch that becomes unavailable ends the session (reconnect with
  backoff); a busy switch has the same keys retried after backoff (state
  re-read first, since a timed-out Set may have been applied); a switch
  rejecting a Set has it split per key so one bad object cannot block the
  others;
* the session loop and the drift watch are supervised
  (:mod:`controller.supervise`): a crash is logged, counted and restarted; it
  never takes the daemon down.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Protocol

from controller.backoff import Backoff
from controller.events import EventBus
from controller.gnmi.errors import (
    GnmiError,
    PathNotFound,
    SwitchBusy,
    SwitchMalformed,
    SwitchRejected,
    SwitchUnavailable,
    SwitchUnsupported,
)
from controller.gnmi.session import GnmiSession
from controller.log import get_logger
from controller.metrics import Metrics
from controller.reconcile.changes import Changes, Pass
from controller.reconcile.echo import EchoFilter
from controller.reconcile.gate import LeaseExpired, SetGate
from controller.reconcile.oper import OperState
from controller.reconcile.status import AttachmentState, SessionState, SwitchStatus
from controller.settings.inventory import SwitchConfig
from controller.settings.model import Settings
from controller.supervise import supervise
from models.audit import Finding, key_findings
from models.diff import SetOps, apply_objects, joined
from models.errors import TemporaryError
from models.fabric_state import FabricState
from models.ids import SwitchName, Vni
from models.oc.path import Path
from models.oc.tree import Tree, TreeError
from models.platforms.base import ObjectKey, port_key, port_vni_key, vni_key
from models.platforms.registry import renderer
from models.render import all_keys, plan_keys, render_keys

Json = Any
KeyedObjects = dict[ObjectKey, dict[Path, Json]]
#: the periodic pass's jitter: a generator of its own, not the process's global one
_JITTER = random.Random()


class WorkerHost(Protocol):
    state: FabricState
    settings: Settings
    metrics: Metrics
    events: EventBus
    #: may a Set start now (HA: the leader's lease; else always)
    gate: SetGate

    def removed(self, switch: SwitchName, vnis: list[Vni]) -> None:
        """The switch confirmed these VNIs' objects are gone."""
        ...

    def keys_failed(self, switch: SwitchName, failures: dict[ObjectKey, str]) -> None: ...

    #: the switches the store has claimed
    claims: set[SwitchName]

    async def claim(self, switch: SwitchName) -> None:
        """Make the store's claim of ``switch`` durable."""
        ...


class SwitchWorker:
    def __init__(self, cfg: SwitchConfig, host: WorkerHost, *, session_factory: Any = GnmiSession) -> None:
        self.cfg = cfg
        self.name = cfg.name
        self.leaf = cfg.leaf_info
        self.host = host
        self._renderer = renderer(cfg.platform)
        self._per_vlan = self._renderer.profile.vlan_objects
        self.log = get_logger("reconciler", switch=cfg.name)
        self._session_factory = session_factory
        self._session = SessionState.CONNECTING
        self._last_error = ""
        self._last_sync = 0.0
        self._known = False  # current reflects the switch
        self._current: KeyedObjects = {}
        self._device_vlans: set[int] = set()
        self._changes = Changes(coalesce=host.settings.reconcile.coalesce)
        self._failed: dict[ObjectKey, str] = {}
        #: keys found changed out of band and left so (drift: report)
        self._drifted: set[ObjectKey] = set()
        self._conflicts: dict[ObjectKey, str] = {}
        self._sets = 0
        self._wake = asyncio.Event()
        self._verify = False
        self._stopping = False
        #: the drift watch of this session is subscribed (its first sync arrived)
        self._watching = asyncio.Event()
        self._echo = EchoFilter(lambda: self._current)
        self._task: asyncio.Task[None] | None = None
        s = host.settings.reconcile
        self._backoff = Backoff(s.backoff_initial, s.backoff_max)
        #: told when what readiness depends on changes here (set by the fleet)
        self.notify: Callable[[], None] = lambda: None
        self.version = 0
        self._findings: tuple[int, list[Finding]] = (-1, [])
        self.oper = OperState(cfg.platform, self._changed)  # its VXLAN state (readiness, the audit)
        leaf = host.state.leaves.get(cfg.name)
        #: the store accounts for fabricd's objects on this switch (it claimed it: a first read found none it does
        #: not account for, or an operator released it; or it holds VLANs of it): passes may change them
        self.claimed = cfg.name in host.claims or (leaf is not None and leaf.vlans.used > 0)
        #: an unclaimed switch's objects that the intent does not account for: no Set until released
        self._held: list[ObjectKey] = []
        #: set once a read decided whether the switch is claimed (Attach waits for it on an unclaimed one)
        self.checked = asyncio.Event()
        if self.claimed:
            self.checked.set()

    # ----------------------------------------------------------- queries

    def status(self) -> SwitchStatus:
        return SwitchStatus(
            name=self.name,
            platform=self.cfg.platform,
            session=self._session,
            known=self._known,
            in_sync=(
                self._known
                and not self._changes
                and self._session is SessionState.CONNECTED
                and not self._failed
                and not self._drifted
                and not self._held
            ),
            pending=len(self._changes),
            rejected=len(self._failed),
            last_sync=self._last_sync,
            last_error=self._last_error,
            sets=self._sets,
            held=len(self._held),
        )

    def held(self) -> str:
        """Why no Set goes to this switch ("" when it is not held)."""
        if not self._held:
            return ""
        shown = ", ".join(str(k) for k in self._held[:5]) + (", ..." if len(self._held) > 5 else "")
        return (
            f"switch {self.name} is held: it carries {len(self._held)} object group(s) of fabricd ({shown}) that "
            "this store has no record of (a lost or replaced store, or another fabricd); nothing is changed on it "
            f"until the store is restored or an operator releases it (fabricctl switch release {self.name})"
        )

    def attachment_state(self, owner: Hashable, port: str, vni: Vni) -> tuple[AttachmentState, str]:
        """What state an attachment on ``port`` for ``vni`` is in here, and
        why when it is not ready. Asked for every attachment at each metrics
        scrape: the keys are made only when something conflicts or failed."""
        if self._conflicts:
            for key in (port_key(port), port_vni_key(port, vni)):
                if key in self._conflicts:
                    return AttachmentState.CONFLICT, self._conflicts[key]
        if self._failed:
            for key in (port_key(port), port_vni_key(port, vni), vni_key(vni)):
                if key in self._failed:
                    return AttachmentState.PENDING, f"{self.name} rejected the configuration: {self._failed[key]}"
        if self._changes.carried(owner):
            return AttachmentState.READY, ""
        return AttachmentState.PENDING, f"waiting for {self.name}" + (
            f" ({self._last_error})" if self._last_error else ""
        )

    def why_waiting(self) -> str:
        return self._last_error or f"{len(self._changes)} change(s) pending"

    def plan(self) -> SetOps | None:
        """What a full pass would send now (None while the switch state is unknown)."""
        if not self._known:
            return None
        per_key = self._render(self._all_keys(self._current), self._current)
        return joined(per_key)

    def _changed(self) -> None:
        self.version += 1  # what the switch has, or is known to have, may have changed
        self.notify()  # looked up each time: the fleet sets it after construction

    def findings(self) -> list[Finding]:
        """The audit's configuration findings: the comparison of every pass (render, then plan
        per key) on what this worker knows the switch has; recomputed only after a change."""
        if self._known and self._findings[0] != self.version:
            rendered = render_keys(
                self.host.state, self.leaf, self._all_keys(self._current), self._current, self._device_vlans
            )
            planned = plan_keys(self.leaf, rendered, self._current)
            self._findings = (self.version, key_findings(self.name, planned, self._current, rendered.desired))
        return self._findings[1] if self._known else []

    # ----------------------------------------------------------- changes

    def mark(self, keys: Iterable[ObjectKey]) -> None:
        """The desired state of these keys changed (the (port, VNI) keys only
        on platforms with per-VLAN port objects)."""
        if not self._per_vlan:
            keys = [k for k in keys if not (k.kind == "port" and k.vni)]
        self._changes.mark(keys)
        self.version += 1
        self._wake.set()

    def track(self, owner: Hashable, port: str, vni: Vni) -> int:
        """Remember the generation that carries an attachment's objects (its
        port and its VNI); returns it, for :meth:`wait`."""
        return self._changes.track(owner, (port_key(port), port_vni_key(port, vni), vni_key(vni)))

    def forget(self, owner: Hashable) -> None:
        self._changes.forget(owner)

    async def wait(self, generation: int) -> None:
        await self._changes.wait(generation)

    def carrier(self, generation: int) -> Pass | None:
        """The Set that carried ``generation`` to the switch, if one did lately."""
        return self._changes.carrier(generation)

    def release(self) -> int:
        """An operator lets the intent win on a held switch (its claim is durable): the next pass removes what
        it held. Returns how many object groups were held."""
        held = len(self._held)
        self.claimed, self._held = True, []
        self.checked.set()
        self.log.warning("custody.released", objects=held)
        self.host.events.publish("switch", self.name, "released", objects=held)
        self.request_verify()
        return held

    def request_verify(self) -> None:
        self._verify = True
        self._wake.set()

    def reconfigure(self, cfg: SwitchConfig) -> None:
        """New facts of the switch that need no new session (router id, ASN,
        VTEP interface): re-render everything against the switch."""
        self.cfg = cfg
        self.leaf = cfg.leaf_info
        self.request_verify()

    # --------------------------------------------------------- lifecycle

    def start(self) -> None:
        body = supervise(
            self._run_session,
            component="reconciler",
            metrics=self.host.metrics,
            log=self.log,
            backoff=self._backoff,
            stopping=lambda: self._stopping,
            sleep=self._sleep,
            on_failure=self._disconnected,
        )
        self._task = asyncio.create_task(body, name=f"worker:{self.name}")

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

    def _disconnected(self, error: BaseException, crashed: bool) -> None:
        if crashed:
            self.host.metrics.worker_restarts.labels(self.name).inc()
        text = f"worker crashed: {error!r}" if crashed else str(error)
        was, last = self._session, self._last_error
        self._session = SessionState.DISCONNECTED
        self._known = False
        self._last_error = text
        self._changed()
        if was is SessionState.CONNECTED or (text != last and was is SessionState.CONNECTING and not last):
            self.log.warning("session.down", error=text)  # once per outage, not per retry
            self.host.events.publish("switch", self.name, "disconnected", error=text)
        elif text != last:
            self.log.info("session.failing", error=text)

    async def _sleep(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._stop_event()

    async def _stop_event(self) -> None:
        while not self._stopping:
            self._wake.clear()
            await self._wake.wait()

    async def _run_session(self) -> None:
        session = self._session_factory(self.cfg, self.host.settings.gnmi)
        if self.host.gate.metadata:
            session.metadata = (*session.metadata, *self.host.gate.metadata)
        tasks: list[asyncio.Task[None]] = []
        try:
            self._session = SessionState.CONNECTING
            await session.capabilities()
            # the drift watch first, then the read: a change committed after the read is streamed (the other
            # way round, one committed between the read and the subscription went unseen until the periodic
            # pass); a switch that refuses the subscription or does not answer it in time is read anyway (the
            # watch's supervision asks for a verification pass when it fails, and again once it is subscribed)
            self._watching = asyncio.Event()
            tasks.append(asyncio.create_task(self._supervised(session, self._watch), name=f"watch:{self.name}"))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.host.settings.gnmi.timeout):
                    await self._watching.wait()
            await self._full_pass(session, reason="connect")
            self._session = SessionState.CONNECTED
            self._last_error = ""
            self._backoff.reset()
            self.host.metrics.session_connects.labels(self.name).inc()
            self.log.info("session.up", address=self.cfg.address)
            self.host.events.publish("switch", self.name, "connected")
            self._changed()
            tasks.append(asyncio.create_task(self._supervised(session, self._follow_oper), name=f"oper:{self.name}"))
            await self._serve(session)
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await session.close()

    async def _serve(self, session: GnmiSession) -> None:
        interval = self.host.settings.reconcile.full_interval
        next_full = time.monotonic() + interval * _JITTER.uniform(0.8, 1.2)
        retry = Backoff(self.host.settings.reconcile.backoff_initial, self.host.settings.reconcile.backoff_max)
        while not self._stopping:
            if self._known and (not self._changes or self._held) and not self._verify:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(0.0, next_full - time.monotonic())):  # no task per pass
                        await self._wake.wait()
            if self._stopping:
                return
            try:
                if self._verify or time.monotonic() >= next_full or not self._known:
                    reason = "verify" if self._verify else ("periodic" if self._known else "resync")
                    self._verify = False
                    await self._full_pass(session, reason=reason)
                    next_full = time.monotonic() + interval * _JITTER.uniform(0.8, 1.2)
                elif self._changes and not self._held:  # a held switch gets no Set
                    await self._incremental_pass(session)
                retry.reset()
            except SwitchUnavailable:
                raise
            except GnmiError as e:
                delay = retry.next()
                if isinstance(e, SwitchBusy) and e.timed_out:
                    # the switch may still be working on that Set: do not queue
                    # another one behind it faster than it can finish
                    delay = max(delay, self.host.settings.gnmi.timeout)
                self._last_error = str(e)
                self.log.warning("set.retry", error=str(e), delay=round(delay, 2))
                self._known = False  # a timed-out Set may have been applied: re-read first
                await self._sleep(delay)

    # ------------------------------------------------------------ passes

    async def _read(self, session: GnmiSession) -> tuple[KeyedObjects, set[int]]:
        tree = Tree()
        paths = self._renderer.read_paths()
        try:
            # one Get: one round trip and one consistent view (SR Linux: 17 paths)
            items = await session.get(paths)
        except (PathNotFound, SwitchRejected, SwitchUnsupported):
            # NOT_FOUND for one path fails the whole Get (and a switch may refuse
            # several paths in one): read each alone, skip what is not there
            items = []
            for path in paths:
                try:
                    items += await session.get([path])
                except PathNotFound:
                    continue
        for kind, p, value in items:
            if kind == "update" and value is not None:
                try:
                    tree.replace(p, value)
                except TreeError as e:  # the switch's data, not our bug
                    raise SwitchMalformed(self.name, "Get", "DATA_LOSS", f"malformed config: {e}") from None
        settings = self.host.settings.fabric
        return self._renderer.extract(tree, settings), set(self._renderer.vlans_on_device(tree))

    def _all_keys(self, current: KeyedObjects) -> set[ObjectKey]:
        return all_keys(self.host.state, self.name, current, per_vlan=self._per_vlan)

    def _render(self, keys: Iterable[ObjectKey], current: KeyedObjects) -> dict[ObjectKey, SetOps]:
        rendered = render_keys(self.host.state, self.leaf, keys, current, self._device_vlans)
        self._conflicts.update(rendered.conflicts)
        for key in rendered.desired:
            if key not in rendered.conflicts:
                self._conflicts.pop(key, None)
        return plan_keys(self.leaf, rendered, current)

    async def _full_pass(self, session: GnmiSession, *, reason: str) -> None:
        current, device_vlans = await self._read(session)
        self._device_vlans = device_vlans
        self._current = current
        self._echo.reset(current)
        self._known = True
        pending, generation = self._changes.take_all()
        try:
            per_key = self._render(self._all_keys(current) | pending, current)
            drifted = [k for k in per_key if k not in pending] if reason in ("verify", "periodic") else []
            if drifted:
                self.host.metrics.drift_events.labels(self.name).inc(len(drifted))
                mode = self.host.settings.reconcile.drift
                self.log.warning("drift.found", keys=",".join(str(k) for k in drifted), mode=mode)
                self.host.events.publish("drift", self.name, f"{len(drifted)} object group(s) changed out of band")
                if mode == "report":
                    per_key = {k: v for k, v in per_key.items() if k not in drifted}
                    self._drifted.update(drifted)  # left as found: not in sync
            if not self.claimed:
                if self._hold([k for k in per_key if k.kind != "base" and k in current]):
                    self._changes.restore(pending, generation)  # nothing sent: still to do once released
                    self._last_sync = time.time()
                    return
                # durable before the first Set: a crash after that Set finds the switch claimed, not held
                await self.host.claim(self.name)
                self._claim()
            await self._apply(session, per_key, generation, reason=reason)
        except BaseException:
            self._changes.restore(pending, generation)  # not applied: still to do
            raise
        self._last_sync = time.time()
        self._backoff.reset()

    def _hold(self, unaccounted: list[ObjectKey]) -> bool:
        """An unclaimed switch was read: hold it when it carries objects the intent would change or remove
        (someone's: a store that lost them, another fabricd). True when held."""
        if not unaccounted:
            return False
        was, self._held = self._held, sorted(unaccounted)
        if self._held != was:
            self.log.warning("custody.held", objects=len(self._held), keys=",".join(str(k) for k in self._held))
            self.host.events.publish("switch", self.name, "held", objects=len(self._held))
        self.checked.set()
        self._changed()
        return True

    def _claim(self) -> None:
        """The store now accounts for this switch (its claim is durable)."""
        if self._held:
            self.log.info("custody.claimed", why="the objects it held are gone")
            self.host.events.publish("switch", self.name, "claimed")
        self.claimed, self._held = True, []
        self.checked.set()
        self._changed()

    async def _incremental_pass(self, session: GnmiSession) -> None:
        keys, generation = self._changes.take()
        try:
            await self._apply(session, self._render(keys, self._current), generation, reason="change")
        except BaseException:
            self._changes.restore(keys, generation)
            raise

    async def _apply(
        self, session: GnmiSession, per_key: dict[ObjectKey, SetOps], generation: int, *, reason: str
    ) -> None:
        metrics = self.host.metrics
        sent = None
        if per_key:
            started = time.perf_counter()
            try:
                await self._set(session, joined(per_key))
                applied = dict(per_key)
                failures: dict[ObjectKey, str] = {}
            except GnmiError as e:
                if isinstance(e, TemporaryError):
                    raise
                applied, failures = await self._isolate(session, per_key, e)
            sent = Pass(started, time.perf_counter())
            for key, key_ops in applied.items():
                self._commit_key(key, key_ops)
                self._failed.pop(key, None)
                self._drifted.discard(key)
            if failures:
                self._failed.update(failures)
                self.host.keys_failed(self.name, failures)
            metrics.reconcile.labels(self.name, "error" if failures else "applied").inc()
            self.log.info("set.applied", reason=reason, ops=sum(len(o) for o in applied.values()), failed=len(failures))
        else:
            metrics.reconcile.labels(self.name, "noop").inc()
        # a VNI whose objects are all gone (and that the intent no longer wants) is confirmed removed
        gone = [Vni(k.vni) for k in per_key if k.kind == "vni" and k not in self._current]
        leaf = self.host.state.leaves.get(self.name)
        if leaf is not None:
            gone += [
                v
                for v in leaf.vlans.in_use().values()
                if leaf.vlans.is_releasing(v) and vni_key(v) not in self._current
            ]
        if gone:
            self.host.removed(self.name, sorted(set(gone)))
        self._changes.commit(generation, sent)
        self._changed()

    def _commit_key(self, key: ObjectKey, ops: SetOps) -> None:
        objs = dict(self._current.get(key, {}))
        apply_objects(objs, ops)
        if objs:
            self._current[key] = objs
        else:
            self._current.pop(key, None)
        self._echo.committed(key, ops)

    async def _set(self, session: GnmiSession, ops: SetOps) -> None:
        # our own change echoes back on the drift subscription, possibly before
        # the SetResponse: what is in flight counts as ours
        if not self.host.gate.may_set():
            raise LeaseExpired(f"{self.name}: this fabricd's leadership lease lapsed: no Set starts now")
        self._echo.sending(ops)
        t0 = time.perf_counter()
        try:
            await session.set(ops)
        except GnmiError as e:
            self.host.metrics.set_errors.labels(self.name, e.code).inc()
            raise
        finally:
            self._echo.sent()  # the caller commits to `current` before it next awaits
            self.host.metrics.set_duration.labels(self.name).observe(time.perf_counter() - t0)
        self._sets += 1

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
                if isinstance(e, TemporaryError):
                    raise
                failures[key] = e.details
        return applied, failures

    # ------------------------------------------------------------- drift

    async def _supervised(self, session: GnmiSession, body: Callable[[GnmiSession, Backoff], Any]) -> None:
        """The drift watch or the operational state, restarted when it breaks."""
        s = self.host.settings.reconcile
        backoff = Backoff(s.backoff_initial, s.backoff_max)
        await supervise(
            lambda: body(session, backoff),
            component="drift-watch" if body == self._watch else "oper-watch",
            metrics=self.host.metrics,
            log=self.log,
            backoff=backoff,
            stopping=lambda: self._stopping,
            sleep=self._sleep,
            on_failure=self._watch_lost if body == self._watch else self._oper_lost,
        )

    async def _follow_oper(self, session: GnmiSession, backoff: Backoff) -> None:
        await self.oper.follow(session, backoff.reset)  # VXLAN state: readiness forwarding, the audit

    def _oper_lost(self, error: BaseException, crashed: bool) -> None:
        self.log.info("oper.lost", error=str(error), crashed=crashed)

    def _watch_lost(self, error: BaseException, crashed: bool) -> None:
        if not crashed:
            self.log.info("watch.lost", error=str(error))
        self.request_verify()  # we may have missed changes
        self._watching.set()  # a connect waits no longer; the next subscription asks for a verification pass

    async def _watch(self, session: GnmiSession, backoff: Backoff) -> None:
        """Subscribe to the owned configuration leaves; a change that is not
        our own echo asks for a verification pass."""
        async for resp in session.subscribe(self._renderer.watch_paths(), updates_only=True):
            backoff.reset()
            if resp.sync_response:
                if self._watching.is_set():
                    # subscribed again after a break: what changed before this subscription took is read now
                    self.request_verify()
                self._watching.set()
            elif resp.HasField("update") and self._echo.foreign(resp.update, self._renderer.watches):
                self.request_verify()
