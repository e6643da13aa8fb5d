"""One fabricd of several sharing an etcd store: its role, and what it does in it.

* **Leader** (it holds the election's lease, :mod:`controller.ha.election`):
  loads the whole intent from etcd at its term's start, runs the switch
  workers (each one's first act is a full resync of its switch) and the
  leader hooks, and serves every request; its store fences every write on
  the term (:mod:`controller.store.etcd`). A failed or fenced write, or a
  lease it cannot renew, ends the term: the workers stop (no Set starts past
  the lease deadline), and it becomes a follower.
* **Follower**: serves reads of the intent from its watched copy
  (:mod:`controller.ha.replica`, bounded staleness) and forwards everything
  else (writes, Check, the switch views) to the leader on behalf of the
  caller (:mod:`controller.ha.forward`); with no leader known it answers
  UNAVAILABLE, naming the leader it last knew.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

from controller.etcd import EtcdError
from controller.ha.election import Election, Leader, Role
from controller.ha.forward import Forwarder
from controller.ha.hooks import LeaderHooks
from controller.ha.replica import Replica
from controller.log import get_logger
from controller.metrics import Metrics
from controller.service.authz import Caller
from controller.service.fabric import FabricService
from controller.service.relay import ControllerStatus
from controller.settings.model import Settings
from controller.store.base import Mutation, Snapshot, Store, StoreError
from controller.store.etcd import EtcdStore, Fence, check_limits, connect, ensure_schema, read_intent
from controller.supervise import Tasks
from models.errors import TemporaryError

#: only the leader serves these: a follower forwards them
FORWARDED = frozenset(
    {
        "CreateNetwork",
        "DeleteNetwork",
        "Attach",
        "Detach",
        "GarbageCollect",
        "Check",
        "ListSwitches",
        "GetTopology",
        "Plan",
        "Audit",
    }
)
#: a follower answers these from its copy of the intent, while it is fresh
FOLLOWER_READS = frozenset({"GetNetwork", "ListNetworks", "RenderNAD", "GetAttachment", "ListAttachments"})


class Serving(Protocol):
    service: FabricService


class FollowerStore:
    """A follower's store: the watched copy, read only."""

    def __init__(self, snapshot: Snapshot, location: str) -> None:
        self._snapshot = snapshot
        self.location = location

    def load(self) -> Snapshot:
        return self._snapshot

    async def commit(self, mutation: Mutation) -> None:
        raise StoreError("this fabricd is a follower: only the leader writes")

    async def barrier(self) -> None:
        return None

    def close(self) -> None:
        return None


def default_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class HaNode:
    def __init__(
        self,
        settings: Settings,
        *,
        build: Callable[[Store], FabricService],
        hooks: LeaderHooks,
        metrics: Metrics,
        address: str,
    ) -> None:
        self.settings = settings
        self.name = settings.ha.name or default_name()
        self.client, self.keys, self.limits = connect(settings.store)
        self.election = Election(self.client, self.keys, settings.ha, name=self.name, address=address)
        self.replica = Replica(self.client, self.keys, max_staleness=settings.ha.max_staleness)
        self.forwarder = Forwarder(settings.ha.peer_tls, default_timeout=settings.api.attach_timeout)
        self.hooks = hooks
        self._build = build
        self._tasks = Tasks("ha", metrics)
        self.api: Serving | None = None
        self.leader_service: FabricService | None = None
        self._follower: FabricService | None = None
        self._follower_version = -1
        self.forwarded: Counter[tuple[str, str]] = Counter()
        self.log = get_logger("ha", instance=self.name)

    @property
    def location(self) -> str:
        return f"etcd {','.join(self.client.endpoints)} {self.keys.root}"

    # ------------------------------------------------------------ lifecycle

    async def open(self) -> FabricService:
        """Check etcd (limits, schema), load the copy; the follower's service to start with."""
        try:
            await check_limits(self.client, self.keys, self.limits)
            await ensure_schema(self.client, self.keys)
            await self.replica.load()
        except EtcdError as e:
            await self.client.close()
            raise StoreError(f"etcd {','.join(self.client.endpoints)}: {e}") from None
        return self.follower_service()

    def start(self, api: Serving) -> None:
        self.api = api
        self._tasks.loop("replica", self.replica.run)
        self._tasks.loop("election", lambda: self.election.run(self._elected, self._deposed, self._following))

    async def stop(self) -> None:
        """Shutdown: stop leading (workers, hooks), then resign so another instance takes over at once."""
        await self._tasks.stop()
        await self._stop_leading()
        with contextlib.suppress(TemporaryError):
            await self.election.resign()
        await self.forwarder.close()
        await self.client.close()

    # ---------------------------------------------------------------- roles

    async def _elected(self, term: int) -> None:
        snapshot, revision = await read_intent(self.client, self.keys)
        store = EtcdStore(
            self.client,
            self.keys,
            fence=Fence(key=self.keys.leader, revision=term),
            snapshot=snapshot,
            limits=self.limits,
            write_timeout=self.settings.store.timeout,
        )
        service = self._build(store)
        service.gate = self.election
        await service.start()
        self.leader_service = service
        if self.api is not None:
            self.api.service = service
        self._tasks.once("store-watch", self._watch_store(service, term))
        self.log.warning("ha.leading", term=term, revision=revision, attachments=len(snapshot.attachments))
        await self.hooks.start(term)

    async def _watch_store(self, service: FabricService, term: int) -> None:
        error = await asyncio.shield(service.fatal)
        if self.leader_service is service:
            self.election.step_down(f"the store failed in term {term}: {error}")

    async def _deposed(self, reason: str) -> None:
        self.log.warning("ha.following", reason=reason)
        await self._stop_leading()

    async def _stop_leading(self) -> None:
        service, self.leader_service = self.leader_service, None
        if self.api is not None and service is not None:
            self.api.service = self.follower_service()
        await self.hooks.stop()
        if service is not None:
            await service.stop()
            service.store.close()

    def _following(self, leader: Leader | None) -> None:
        if leader is None:
            self.log.info("ha.leader_unknown")

    # -------------------------------------------------------------- serving

    def follower_service(self) -> FabricService:
        """The service a follower reads with, rebuilt when the copy changed."""
        if self._follower is None or self._follower_version != self.replica.version:
            version = self.replica.version
            service = self._build(FollowerStore(self.replica.snapshot(), self.location))
            service.ctx.follower = (
                f"served by follower {self.name} from its copy of the intent; the leaf's state is the leader's"
            )
            self._follower, self._follower_version = service, version
        return self._follower

    async def route(self, method: str, caller: Caller, request: Any, remaining: float | None) -> Any | None:
        role = self.election.role
        if role is Role.LEADER:
            if self.leader_service is None:
                raise TemporaryError(f"fabricd {self.name} is taking over as the leader: try again")
            return None
        if method in FOLLOWER_READS:
            if not self.replica.fresh():
                raise TemporaryError(
                    f"fabricd {self.name} (a follower) has not confirmed its copy of the intent for "
                    f"{self.replica.age:.1f}s (ha.max_staleness {self.replica.max_staleness:g}s): {self._leader_hint()}"
                )
            if self.api is not None:
                self.api.service = self.follower_service()
            return None
        if method not in FORWARDED:
            return None
        leader = self.election.leader
        if leader is None or leader.name == self.name or not leader.address:
            raise TemporaryError(f"no fabricd leads now (an election is under way): try again; {self._leader_hint()}")
        code = "OK"
        try:
            return await self.forwarder.call(leader.address, method, request, caller, remaining)
        except Exception as e:
            code = getattr(e, "code", "UNAVAILABLE")
            raise
        finally:
            self.forwarded[(method, str(code))] += 1

    def _leader_hint(self) -> str:
        leader = self.election.leader
        if leader is None:
            return "the leader is not known"
        return f"the leader is {leader.name} at {leader.address} (term {leader.term})"

    def status(self) -> ControllerStatus:
        leader = self.election.leader
        role = self.election.role
        return ControllerStatus(
            instance=self.name,
            role=role.value,
            leader=leader.name if leader else "",
            leader_address=leader.address if leader else "",
            term=leader.term if leader else 0,
            store=self.location,
            replica_age=0.0 if role is Role.LEADER else max(0.0, self.replica.age),
        )
