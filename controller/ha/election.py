"""Leader election through an etcd lease, and the leader's local deadline.

The leader key (``<prefix>/v1/leader``) is put with a lease in a transaction
that requires it to be absent; its create revision is the **term**. Every
write of the term's store compares that create revision (the fence,
:mod:`controller.store.etcd`), so once the key is gone (lease expired,
resigned) or belongs to another term, no write of this term can apply.

The lease is renewed every ``retry_period``. The local **deadline** is
``renew_deadline`` after the *sending* of the last renewal etcd confirmed:
etcd cannot expire the lease before ``lease_ttl`` after it received that
renewal, so the deadline falls at least ``lease_ttl - renew_deadline`` before
any other fabricd can be elected. No gNMI Set starts after the deadline
(:meth:`Election.may_set`), and a leader that reaches it steps down. The
monotonic clock runs on while a process is stopped (SIGSTOP, a long GC), so a
leader that wakes up past its deadline knows it at once.

Followers watch the leader key and campaign as soon as it is deleted (or
every ``retry_period`` when the watch fails).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import json
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from controller.etcd import EtcdClient, EtcdError
from controller.etcd.client import create_revision_is, get, put
from controller.log import get_logger
from controller.settings.ha import HaSettings
from controller.store.etcdkeys import Keys

TERM_METADATA = "x-fabricd-term"


class Role(enum.Enum):
    CANDIDATE = "candidate"
    LEADER = "leader"
    FOLLOWER = "follower"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Leader:
    """Who leads, as the leader key says."""

    name: str
    address: str
    term: int


class Deposed(Exception):
    """The term ended (the reason is the message)."""


class Election:
    def __init__(
        self,
        client: EtcdClient,
        keys: Keys,
        settings: HaSettings,
        *,
        name: str,
        address: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._keys = keys
        self._s = settings
        self.name = name
        self.address = address
        self._clock = clock
        self.role = Role.CANDIDATE
        self.leader: Leader | None = None
        self.term = 0
        self._lease = 0
        self._deadline = 0.0
        self._stepdown: asyncio.Future[str] | None = None
        self.log = get_logger("election", instance=name)
        #: terms this instance led (for metrics and tests)
        self.terms_led = 0
        self._seen = 0

    # ------------------------------------------------------------- the gate

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return ((TERM_METADATA, f"{self.name}/{self.term}"),)

    def may_set(self) -> bool:
        return self.role is Role.LEADER and self._clock() < self._deadline

    @property
    def deadline_in(self) -> float:
        return self._deadline - self._clock() if self.role is Role.LEADER else 0.0

    def step_down(self, reason: str) -> None:
        """End the current term now (a fenced write, a store failure)."""
        if self._stepdown is not None and not self._stepdown.done():
            self._stepdown.set_result(reason)

    # ------------------------------------------------------------- the loop

    async def run(
        self,
        elected: Callable[[int], Awaitable[None]],
        deposed: Callable[[str], Awaitable[None]],
        following: Callable[[Leader | None], None],
    ) -> None:
        """Campaign forever: ``elected(term)`` when this instance wins (it
        returns once the leader's work runs), ``deposed(reason)`` when its
        term ends, ``following(leader)`` whenever the known leader changes."""
        while True:
            try:
                won = await self._campaign(following)
            except EtcdError as e:
                self.log.info("election.unreachable", error=str(e))
                won = False
                if self.leader is not None:
                    self.leader = None
                    following(None)
            if won:
                reason = await self._lead(elected)
                self.role = Role.FOLLOWER
                self.log.warning("election.deposed", term=self.term, reason=reason)
                try:
                    await deposed(reason)
                finally:
                    lease, self._lease = self._lease, 0
                    with contextlib.suppress(EtcdError):
                        await self._client.lease_revoke(lease, deadline=self._s.retry_period)
                self.leader = None
                following(None)
                continue
            await self._wait_vacancy()

    async def _campaign(self, following: Callable[[Leader | None], None]) -> bool:
        resp = await self._client.range(self._keys.leader)
        if resp.kvs:
            self._follow(resp.kvs[0], resp.header.revision, following)
            return False
        t0 = self._clock()
        lease = await self._client.lease_grant(max(1, math.ceil(self._s.lease_ttl)))
        value = json.dumps({"name": self.name, "address": self.address}).encode()
        try:
            txn = await self._client.txn(
                [create_revision_is(self._keys.leader, 0)],
                [put(self._keys.leader, value, lease=lease)],
                [get(self._keys.leader)],
            )
        except EtcdError:
            await self._client.lease_revoke(lease, deadline=self._s.retry_period)
            raise
        if not txn.succeeded:
            await self._client.lease_revoke(lease, deadline=self._s.retry_period)
            kvs = txn.responses[0].response_range.kvs
            if kvs:
                self._follow(kvs[0], txn.header.revision, following)
            return False
        self._lease = lease
        self.term = txn.header.revision
        self._deadline = t0 + self._s.renew_deadline
        self.role = Role.LEADER
        self.terms_led += 1
        self.leader = Leader(name=self.name, address=self.address, term=self.term)
        following(self.leader)
        self.log.warning("election.won", term=self.term)
        return True

    def _follow(self, kv: object, revision: int, following: Callable[[Leader | None], None]) -> None:
        doc = json.loads(kv.value)  # type: ignore[attr-defined]
        leader = Leader(name=doc.get("name", "?"), address=doc.get("address", ""), term=kv.create_revision)  # type: ignore[attr-defined]
        self.role = Role.FOLLOWER
        self._seen = revision
        if leader != self.leader:
            self.leader = leader
            self.log.info("election.following", leader=leader.name, term=leader.term, address=leader.address)
            following(leader)

    async def _wait_vacancy(self) -> None:
        """Until the leader key is deleted (or ``retry_period``, when it cannot be watched)."""
        start = self._seen
        if not start or self.leader is None:
            await asyncio.sleep(self._s.retry_period)
            return

        async def deleted() -> None:
            async for resp in self._client.watch(self._keys.leader, b"", start_revision=start + 1):
                if any(ev.type == ev.DELETE for ev in resp.events):
                    return

        with contextlib.suppress(TimeoutError, EtcdError):
            async with asyncio.timeout(self._s.retry_period * 5):
                await deleted()

    async def _lead(self, elected: Callable[[int], Awaitable[None]]) -> str:
        self._stepdown = asyncio.get_running_loop().create_future()
        renew: asyncio.Future[str] = asyncio.ensure_future(self._renew())
        stepdown: asyncio.Future[str] = self._stepdown
        try:
            start: asyncio.Future[None] = asyncio.ensure_future(elected(self.term))
            waiting: set[asyncio.Future[Any]] = {start, renew, stepdown}
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if start in done:
                start.result()  # a failure to start ends the term
                await asyncio.wait({renew, stepdown}, return_when=asyncio.FIRST_COMPLETED)
            else:
                start.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await start
            if self._stepdown.done():
                return self._stepdown.result()
            return renew.result()
        except Exception as e:
            self.log.exception("election.takeover_failed", error=repr(e))
            return f"could not take over: {e!r}"
        finally:
            self.role = Role.FOLLOWER  # the gate closes before anything else runs
            renew.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renew

    async def _renew(self) -> str:
        """Renew until the deadline passes or etcd says the lease is gone; returns why."""
        while True:
            remaining = self._deadline - self._clock()
            if remaining <= 0:
                return f"could not renew the lease within renew_deadline ({self._s.renew_deadline:g}s)"
            await asyncio.sleep(min(self._s.retry_period, remaining))
            if self._clock() >= self._deadline:
                return f"could not renew the lease within renew_deadline ({self._s.renew_deadline:g}s)"
            t0 = self._clock()
            try:
                ttl = await self._client.lease_keepalive(
                    self._lease, deadline=max(0.1, min(self._s.retry_period, self._deadline - t0))
                )
            except EtcdError as e:
                self.log.info("lease.renew_failed", error=str(e), deadline_in=round(self._deadline - self._clock(), 2))
                continue
            if ttl <= 0:
                return "the lease expired in etcd"
            self._deadline = max(self._deadline, t0 + self._s.renew_deadline)

    async def resign(self) -> None:
        """Give the leadership up (shutdown): the others need not wait for the lease."""
        self.role = Role.FOLLOWER
        if self._lease:
            lease, self._lease = self._lease, 0
            await self._client.lease_revoke(lease, deadline=self._s.retry_period)
