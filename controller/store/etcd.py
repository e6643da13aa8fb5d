"""The etcd store: the same :class:`~controller.store.base.Store` protocol as
SQLite, on an etcd 3.6 cluster (key layout: :mod:`controller.store.etcdkeys`).

**One Mutation is one etcd transaction, fenced.** Every transaction compares
the leader key's create revision with the one this store's term was elected
with (:class:`Fence`); a deposed leader's write fails the compare and is
never applied, whatever its lease says locally. A failed or fenced write
breaks the store for good (``StoreError``): the term ends, and the next term
loads what is durable. Mutations waiting together are merged into one
transaction (group commit: the last operation on a key wins, as if applied
in order).

**Bounds.** etcd refuses a transaction of more than ``--max-txn-ops`` (128)
operations or a request above ``--max-request-bytes`` (1.5 MiB); both are
probed when the store opens (:func:`check_limits`). A merged mutation that
exceeds them is split into consecutive fenced transactions, in this order:
claims, network puts, VLAN allocations, attachments, network deletes. Each
transaction is atomic; a crash between them leaves a prefix, which loading
repairs: an allocation that no attachment uses is loaded as ``releasing``
(the leaf's next pass removes its objects and frees it), and an attachment
whose allocation row is missing gets its own VLAN back. Only garbage
collection and NIC moves (more than ~60 attachments at once) split; the
caller is answered once every part is durable, so a split write is never
acknowledged half-done.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from controller.etcd import EtcdClient, EtcdError, EtcdTls, prefix_end
from controller.etcd.client import create_revision_is, delete, put, value_is, version_at_least
from controller.settings.model import StoreSettings
from controller.store import etcdkeys as k
from controller.store.base import Mutation, Snapshot, StoreError
from models.alloc import VlanAllocation

#: the order of a split mutation's parts (see the module docstring)
_CLAIM, _NET_PUT, _VLAN, _ATTACH, _NET_DELETE = range(5)
_OP_OVERHEAD = 32


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Fence:
    """Writes apply only while ``key`` was created at ``revision`` (0: while
    ``key`` does not exist, i.e. no fabricd leads: the migration)."""

    key: bytes
    revision: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    max_txn_ops: int = 128
    max_request_bytes: int = 1536 * 1024


class Fenced(StoreError):
    """The fence failed: this store's term is over."""


def connect(s: StoreSettings) -> tuple[EtcdClient, k.Keys, Limits]:
    """The client, key layout and limits the ``store`` settings describe."""
    tls = None
    if s.tls is not None:
        tls = EtcdTls(
            ca=s.tls.ca.read_bytes(),
            cert=s.tls.cert.read_bytes() if s.tls.cert else None,
            key=s.tls.key.read_bytes() if s.tls.key else None,
        )
    limits = Limits(max_txn_ops=s.max_txn_ops, max_request_bytes=s.max_request_bytes)
    return EtcdClient(s.endpoints, timeout=s.timeout, tls=tls), k.Keys(s.prefix), limits


async def check_limits(client: EtcdClient, keys: k.Keys, limits: Limits) -> None:
    """Probe that etcd takes transactions as large as ``limits`` (read-only
    transactions: compares only)."""
    always = version_at_least(keys.schema, 0)
    try:
        await client.txn([always] * limits.max_txn_ops, [])
    except EtcdError as e:
        raise StoreError(
            f"etcd refuses a transaction of {limits.max_txn_ops} operations ({e}): lower store.max_txn_ops "
            "to etcd's --max-txn-ops"
        ) from None
    big = value_is(keys.schema, b"x" * (limits.max_request_bytes - 4096))
    try:
        await client.txn([big], [])
    except EtcdError as e:
        raise StoreError(
            f"etcd refuses a request of {limits.max_request_bytes} bytes ({e}): lower store.max_request_bytes "
            "to etcd's --max-request-bytes"
        ) from None


async def ensure_schema(client: EtcdClient, keys: k.Keys) -> None:
    """Write the layout's schema key once; refuse a newer layout."""
    resp = await client.range(keys.schema)
    if resp.kvs:
        k.decode_schema(keys.schema, resp.kvs[0].value)
        return
    await client.txn([create_revision_is(keys.schema, 0)], [put(keys.schema, k.schema_value())])


async def read_intent(client: EtcdClient, keys: k.Keys) -> tuple[Snapshot, int]:
    """The whole intent at one revision, in ``ceil(keys / PAGE)`` range reads."""
    rows, revision = await read_rows(client, keys)
    return snapshot_of(keys, rows), revision


async def read_rows(client: EtcdClient, keys: k.Keys) -> tuple[list[tuple[bytes, bytes]], int]:
    """Every intent key and value at one revision (and that revision)."""
    end = prefix_end(keys.intent)
    start = keys.intent
    revision = 0
    rows: list[tuple[bytes, bytes]] = []
    while True:
        resp = await client.range(start, end, limit=k.PAGE, revision=revision)
        revision = revision or resp.header.revision
        rows.extend((kv.key, kv.value) for kv in resp.kvs)
        if not resp.more or not resp.kvs:
            break
        start = resp.kvs[-1].key + b"\0"
    return rows, revision


def snapshot_of(keys: k.Keys, rows: list[tuple[bytes, bytes]]) -> Snapshot:
    networks = []
    attachments = []
    allocations = []
    claims = []
    for key, value in rows:
        kind, segs = keys.kind(key)
        if kind == "networks":
            networks.append(k.decode_network(key, segs, value))
        elif kind == "attachments":
            attachments.append(k.decode_attachment(key, segs, value))
        elif kind == "vlans":
            allocations.append(k.decode_vlan(key, segs, value))
        elif kind == "claims":
            claims.append(k.decode_claim(key, segs, value))
    used = {(p.placement.switch, p.vni) for p, _ in attachments if p.placement is not None and p.vlan is not None}
    allocations = [
        a if a.releasing or (a.switch, a.vni) in used else dataclasses.replace(a, releasing=True) for a in allocations
    ]
    return Snapshot(
        networks=tuple(sorted(networks, key=lambda n: n[0].key)),
        attachments=tuple(sorted(attachments, key=lambda a: a[0].attachment.id)),
        allocations=tuple(sorted(allocations, key=lambda a: (a.switch, a.vni))),
        claims=tuple(sorted(claims)),
    )


def operations(keys: k.Keys, mutations: list[Mutation], term: int = 0) -> list[tuple[int, bytes, bytes | None]]:
    """(part, key, value or None for a delete), the last operation on a key winning."""
    ops: dict[bytes, tuple[int, bytes | None]] = {}
    for m in mutations:
        for nkey in m.delete_networks:
            ops[keys.network(nkey)] = (_NET_DELETE, None)
        for net, evi, created in m.put_networks:
            ops[keys.network(net.key)] = (_NET_PUT, k.network_value(net, evi, created, term))
        for aid in m.delete_attachments:
            ops[keys.attachment(aid)] = (_ATTACH, None)
        for placed, created in m.put_attachments:
            ops[keys.attachment(placed.attachment.id)] = (_ATTACH, k.attachment_value(placed, created, term))
        for switch, vni in m.delete_allocations:
            ops[keys.vlan(switch, vni)] = (_VLAN, None)
        for alloc in m.put_allocations:
            ops[keys.vlan(alloc.switch, alloc.vni)] = (_VLAN, k.vlan_value(alloc, term))
        for switch, at in m.put_claims:
            ops[keys.claim(switch)] = (_CLAIM, k.claim_value(at, term))
    return sorted(((part, key, value) for key, (part, value) in ops.items()), key=lambda o: o[0])


def chunks(ops: list[tuple[int, bytes, bytes | None]], limits: Limits) -> list[list[Any]]:
    """Transactions of at most ``max_txn_ops`` operations and about half the
    request limit each (the rest is the fence and the framing)."""
    out: list[list[Any]] = []
    current: list[Any] = []
    size = 0
    budget = limits.max_request_bytes // 2
    for _, key, value in ops:
        n = len(key) + len(value or b"") + _OP_OVERHEAD
        if current and (len(current) >= limits.max_txn_ops or size + n > budget):
            out.append(current)
            current, size = [], 0
        current.append(put(key, value) if value is not None else delete(key))
        size += n
    if current:
        out.append(current)
    return out


class EtcdStore:
    def __init__(
        self,
        client: EtcdClient,
        keys: k.Keys,
        *,
        fence: Fence,
        snapshot: Snapshot,
        limits: Limits,
        write_timeout: float,
    ) -> None:
        self._client = client
        self._keys = keys
        self.fence = fence
        self._snapshot = snapshot
        self._limits = limits
        self._timeout = write_timeout
        self._queue: asyncio.Queue[tuple[Mutation, asyncio.Future[None]]] = asyncio.Queue()
        self._tail: asyncio.Future[None] | None = None
        self._broken: StoreError | None = None
        self._writer: asyncio.Task[None] | None = None
        #: the futures of the batch being written (settled by close() if it never ends)
        self._writing: list[asyncio.Future[None]] = []
        #: transactions written (for tests and the benchmark)
        self.transactions = 0

    @property
    def location(self) -> str:
        return f"etcd {','.join(self._client.endpoints)} {self._keys.root}"

    def load(self) -> Snapshot:
        return self._snapshot

    async def commit(self, mutation: Mutation) -> None:
        if not mutation:
            await self.barrier()
            return
        if self._broken is not None:
            raise self._broken
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_loop(), name="etcd-store-writer")
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tail = fut
        self._queue.put_nowait((mutation, fut))
        await asyncio.shield(fut)  # as SqliteStore.commit: a caller's cancel is not the write's

    async def barrier(self) -> None:
        if self._broken is not None:
            raise self._broken
        tail = self._tail
        if tail is not None:
            await asyncio.shield(tail)

    async def _write_loop(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < self._limits.max_txn_ops:
                batch.append(self._queue.get_nowait())
            error: StoreError | None = self._broken
            self._writing = [fut for _, fut in batch]
            if error is None:
                try:
                    await self._write([m for m, _ in batch])
                except StoreError as e:
                    error = self._broken = e
            self._writing = []
            for _, fut in batch:
                if not fut.done():
                    if error is None:
                        fut.set_result(None)
                    else:
                        fut.set_exception(error)

    async def write_now(self, mutations: list[Mutation]) -> None:
        """Write ``mutations`` now, outside the group commit (the migration)."""
        await self._write(mutations)

    async def _write(self, mutations: list[Mutation]) -> None:
        fence = create_revision_is(self.fence.key, self.fence.revision)
        for ops in chunks(operations(self._keys, mutations, self.fence.revision), self._limits):
            try:
                resp = await self._client.txn([fence], ops, deadline=self._timeout)
            except EtcdError as e:
                raise StoreError(f"store {self.location}: write failed: {e}") from None
            if not resp.succeeded:
                raise Fenced(f"store {self.location}: this fabricd no longer leads (fenced write refused)")
            self.transactions += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
        if self._broken is None:
            self._broken = StoreError(f"store {self.location} is closed")
        waiting = list(self._writing)
        while not self._queue.empty():
            waiting.append(self._queue.get_nowait()[1])
        for fut in waiting:  # a write cut short may or may not have applied: not acknowledged
            if not fut.done():
                fut.set_exception(self._broken)


async def migrate(client: EtcdClient, keys: k.Keys, snapshot: Snapshot, limits: Limits) -> int:
    """Write ``snapshot`` (a SQLite store's) into an empty etcd prefix while no
    fabricd leads there (fenced on the leader key's absence); returns the
    number of keys written."""
    await ensure_schema(client, keys)
    existing = await client.range(keys.intent, prefix_end(keys.intent), count_only=True)
    if existing.count:
        raise StoreError(f"etcd {keys.root} already holds {existing.count} intent keys: migrate into an empty prefix")
    m = Mutation(
        put_networks=list(snapshot.networks),
        put_attachments=list(snapshot.attachments),
        put_allocations=[
            VlanAllocation(switch=a.switch, vni=a.vni, vlan=a.vlan, releasing=a.releasing) for a in snapshot.allocations
        ],
        put_claims=[(switch, 0.0) for switch in snapshot.claims],
    )
    store = EtcdStore(
        client,
        keys,
        fence=Fence(key=keys.leader, revision=0),
        snapshot=snapshot,
        limits=limits,
        write_timeout=client.timeout,
    )
    try:
        await store.write_now([m])
    except Fenced:
        raise StoreError(f"a fabricd leads in etcd {keys.root}: stop every fabricd before migrating") from None
    return len(operations(keys, [m]))
