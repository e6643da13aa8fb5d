"""One emulated switch: a datastore, a dataplane, and a grpc.aio gNMI server
on its own port.

Every gNMI RPC is admitted the same way (:meth:`Emulator.admit`): counted,
refused with UNAVAILABLE while the switch "reboots", held and failed by the
fault rules, then authenticated (when the spec has credentials). Faults are
driven through :attr:`Emulator.faults` (:mod:`labs.emulator.control`).

A Set is answered once its configuration is committed; the dataplane
follows each committed change after that, in commit order
(:meth:`Emulator.dataplane_settled` waits for it).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

import grpc
from pygnmi.spec.v080 import gnmi_pb2_grpc

from labs.emulator.auth import check_credentials
from labs.emulator.control import FaultControl
from labs.emulator.dataplane import Dataplane, make_dataplane
from labs.emulator.datastore import Datastore
from labs.emulator.errors import ConfigRejected, Rebooting, SpecError
from labs.emulator.faults import Counters, Faults
from labs.emulator.floods import MemoryFabric
from labs.emulator.gnmi_service import GnmiService
from labs.emulator.platform import platform
from labs.emulator.speccheck import check_spec, server_credentials
from labs.emulator.txn import Change, Op
from labs.files.spec import SwitchSpec
from models.oc.tree import Tree

if TYPE_CHECKING:
    from collections.abc import Sequence

    from labs.emulator.subscribe import Stream

log = logging.getLogger(__name__)

BIND_RETRY_S = 5.0  # how long a reboot waits for its port to be free again


#: like a switch configured for gNMI clients that send HTTP/2 keepalives every
#: 10 s or more (grpc's default policy would answer GOAWAY too_many_pings)
SERVER_OPTIONS = [
    ("grpc.so_reuseport", 0),
    ("grpc.http2.min_recv_ping_interval_without_data_ms", 5000),
    ("grpc.http2.max_ping_strikes", 0),
    ("grpc.keepalive_permit_without_calls", 1),
]


class Emulator:
    def __init__(
        self, spec: SwitchSpec, *, dataplane: Dataplane | None = None, fabric: MemoryFabric | None = None
    ) -> None:
        self.spec = spec
        self.name = spec.name
        config = check_spec(spec)  # fails early, before any port is taken
        self.platform = platform(spec.platform)
        self.datastore = Datastore(config, self.platform.validation(spec.ports))
        self.state_model = self.platform.state(spec.ports)
        self.rules = Faults()
        self.faults = FaultControl(self)
        self.streams: set[Stream] = set()
        #: leaf updates and deletes sent on Subscribe streams, all streams together
        self.streamed = 0
        self.address = ""
        self._dataplane = dataplane or make_dataplane(spec, self.state_model, fabric)
        self._credentials = server_credentials(spec)
        self._server: grpc.aio.Server | None = None
        self._set_lock = asyncio.Lock()
        #: committed changes the dataplane has not followed yet, in commit order
        self._to_dataplane: asyncio.Queue[Change] = asyncio.Queue()
        self._follower: asyncio.Task[None] | None = None
        self._rebooting = False
        self._ticker: asyncio.Task[None] | None = None
        #: every committed Set: (wall time ns when it arrived, the client's
        #: ``x-fabricd-term`` metadata or ""); a real switch's commit history
        self.set_log: collections.deque[tuple[int, str]] = collections.deque(maxlen=100_000)

    def __repr__(self) -> str:
        return f"<Emulator {self.name} {self.address or 'stopped'}>"

    # -- lifecycle

    async def start(self) -> None:
        await self._dataplane.start(self.datastore.config, self.datastore)
        self._start_background()
        await self._listen(self.spec.listen, retry=0.0)

    async def stop(self, grace: float | None = 0.5) -> None:
        server, self._server = self._server, None
        if server is not None:
            await server.stop(grace)
        await self._stop_background()
        await self._dataplane.stop()

    # -- the dataplane follows commits

    async def dataplane_settled(self) -> None:
        """Return once the dataplane has followed every committed Set."""
        await self._to_dataplane.join()

    async def _follow(self) -> None:
        """Hand each committed change to the dataplane, in commit order. A
        switch answers a Set once its configuration is committed and programs
        its dataplane after (the operational state follows): so the SetResponse
        does not wait for this, and a dataplane failure does not fail a Set
        that is already committed; it is logged, and the next change goes on."""
        q = self._to_dataplane
        while True:
            change = await q.get()
            try:
                await self._dataplane.applied(change, self.datastore.config, self.datastore)
            except Exception:  # the switch stays up, like a switch whose agent logged a failure
                log.exception("%s: the dataplane failed to follow a commit", self.name)
            finally:
                q.task_done()

    def _start_background(self) -> None:
        self._start_ticker()
        if self._follower is None:
            self._follower = asyncio.create_task(self._follow(), name=f"{self.name} dataplane")

    async def _stop_background(self) -> None:
        await self._stop_ticker()
        task, self._follower = self._follower, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        while not self._to_dataplane.empty():  # a stopped switch's pending changes go with it
            self._to_dataplane.get_nowait()
            self._to_dataplane.task_done()

    # -- counters that move (platforms whose state model has them)

    def _start_ticker(self) -> None:
        if self.state_model.tick_s > 0 and self._ticker is None:
            self._ticker = asyncio.create_task(self._tick(self.state_model.tick_s), name=f"{self.name} counters")

    async def _stop_ticker(self) -> None:
        task, self._ticker = self._ticker, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _tick(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            ops = self.state_model.tick(self.datastore.state, interval)
            if ops:
                self.datastore.write_state(ops)

    async def _listen(self, bind: str, *, retry: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + retry
        while True:
            server = grpc.aio.server(options=SERVER_OPTIONS)
            gnmi_pb2_grpc.add_gNMIServicer_to_server(GnmiService(self), server)
            try:
                if self._credentials is not None:
                    port = server.add_secure_port(bind, self._credentials)
                else:
                    port = server.add_insecure_port(bind)
            except RuntimeError as err:
                if loop.time() >= deadline:
                    raise SpecError(f"{self.name}: cannot listen on {bind}: {err}") from None
                await asyncio.sleep(0.05)
                continue
            await server.start()
            self._server = server
            self.address = bind if bind.startswith("unix:") else f"{bind.rpartition(':')[0]}:{port}"
            tls = "tls" if self._credentials else "plaintext"
            log.debug("%s: gnmi listening on %s (%s)", self.name, self.address, tls)
            return

    # -- every RPC

    async def admit(self, method: str, context: Any) -> None:
        self.rules.received(method)
        if self._rebooting:
            raise Rebooting(f"{self.name} is rebooting")
        await self.rules.gate(method)
        check_credentials(context.invocation_metadata(), self.spec.credentials)

    async def apply_set(self, ops: Sequence[Op], *, client: str = "") -> Change:
        """One SetRequest as one transaction: applied, validated (fast, plus
        the bindings with ``validate: full``), committed and published, or
        rejected with the datastore exactly as before."""
        arrived = time.time_ns()
        async with self._set_lock:
            try:
                if self.spec.validate == "full":
                    await self._check_full(ops)
                change = self.datastore.set(ops)
            except ConfigRejected:
                self.rules.count_set(committed=False, ops=len(ops))
                raise
            self.rules.count_set(committed=True, ops=len(ops))
            self.set_log.append((arrived, client))
            self._to_dataplane.put_nowait(change)
            return change

    async def _check_full(self, ops: Sequence[Op]) -> None:
        ds, full = self.datastore, self.platform.full
        applied = ds.prepare(ops)
        try:
            docs = full.documents(ds.config, applied.anchors)
        finally:
            applied.rollback()  # readers never see an unchecked config while we wait
        problems = await asyncio.to_thread(full.check, docs)
        if problems:
            raise ConfigRejected(problems)

    # -- reads

    def config_json(self, *, qualify: bool = True) -> Any:
        return self.datastore.config.to_json(qualify=qualify)

    def state_json(self, *, qualify: bool = True) -> Any:
        return self.datastore.state.to_json(qualify=qualify)

    def counters(self) -> Counters:
        return self.rules.counters()

    def reset_counters(self) -> Counters:
        return self.rules.reset_counters()

    # -- faults that need the server or the dataplane (called through FaultControl)

    def restore_lldp(self, port: str | None) -> int:
        return self._dataplane.restore_lldp(port, self.datastore)

    def set_evpn(self, up: bool) -> None:
        """Fault: this switch's EVPN goes down (as if its BGP session were
        shut) or comes back; ``dataplane: none`` only (on the Linux
        dataplane, shut the session in FRR)."""
        set_evpn = getattr(self._dataplane, "set_evpn", None)
        if set_evpn is None:
            raise SpecError(f"{self.name}: set_evpn needs dataplane none; shut the BGP session in FRR instead")
        set_evpn(up)

    def drop_streams(self, code: grpc.StatusCode, message: str) -> int:
        streams = list(self.streams)
        for s in streams:
            s.abort(code, message)
        return len(streams)

    async def reboot(self, down: float) -> None:
        if self._rebooting:
            return
        self._rebooting = True
        log.info("%s: reboot, down for %.2fs", self.name, down)
        try:
            streams = list(self.streams)
            self.drop_streams(grpc.StatusCode.UNAVAILABLE, f"{self.name} is rebooting")
            if streams:  # let them send their status before the server goes
                await asyncio.wait([asyncio.ensure_future(s.done.wait()) for s in streams], timeout=2.0)
            bind = self.address
            await self.stop(grace=0.1)
            async with self._set_lock:
                self.datastore.reset(Tree.from_json(self.spec.day0))
            await self._dataplane.start(self.datastore.config, self.datastore)
            self._start_background()
            await asyncio.sleep(down)
            await self._listen(bind, retry=BIND_RETRY_S)
        finally:
            self._rebooting = False
