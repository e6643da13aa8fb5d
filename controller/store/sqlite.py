"""The embedded default store: SQLite (WAL, synchronous=FULL).

One writer thread owns the connection and commits in groups: every mutation
waiting when a transaction starts goes into it, and all of them are durable
when COMMIT returns (one fsync for many attaches). An flock on the
database file itself makes a second fabricd on the same store refuse to
start, however the path to it is spelled (symlinks, hard links); the kernel
releases it when the holder dies, even by kill -9.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import queue
import sqlite3
from pathlib import Path

from controller.store.base import Mutation, Snapshot, StoreError, StoreLockedError
from controller.store.schema import MIGRATIONS, VERSION
from controller.threadname import thread
from models.alloc import VlanAllocation
from models.fabric_state import PlacedAttachment
from models.ids import Evi, NicName, NodeName, PortName, SwitchName, VlanId, Vni
from models.intent import Attachment, AttachmentId, Network, NetworkKey, Placement

_STOP = object()
MAX_GROUP = 512


class SqliteStore:
    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"store {self._path}: cannot create its directory: {e.strerror}") from None
        self._lock_fd = self._lock()
        try:
            self._db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._migrate()
        except sqlite3.Error as e:
            self._unlock()
            raise StoreError(f"store {self._path}: {e}") from None
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._writer = thread(self._write_loop, "fabricd-store")
        self._writer.start()
        #: the future of the last mutation queued (what a barrier waits for)
        self._tail: asyncio.Future[None] | None = None

    @property
    def location(self) -> str:
        return str(self._path)

    # ------------------------------------------------------------ locking

    def _lock(self) -> int:
        """Lock the database file itself (its inode): the same database
        reached through a symlink, another directory or a hard link is the
        same lock. SQLite's own locks are fcntl locks, which flock does not
        touch. The holder's pid goes into ``<resolved path>.lock``."""
        try:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            raise StoreError(f"store {self._path}: cannot be opened: {e.strerror}") from None
        info = Path(f"{os.path.realpath(self._path)}.lock")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            try:
                holder = info.read_text().strip() or "unknown"
            except OSError:
                holder = "unknown"
            raise StoreLockedError(
                f"store {self._path} is in use by another fabricd (pid {holder}): "
                "two controllers must never program the same switches from one store"
            ) from None
        with contextlib.suppress(OSError):
            info.write_text(f"{os.getpid()}\n")
        return fd

    def _unlock(self) -> None:
        if self._lock_fd >= 0:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                os.close(self._lock_fd)
            self._lock_fd = -1

    # --------------------------------------------------------- migrations

    def _migrate(self) -> None:
        db = self._db
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version > VERSION:
            raise StoreError(
                f"store {self._path} has schema version {version}, newer than this fabricd ({VERSION}): upgrade fabricd"
            )
        for n in range(version, VERSION):
            db.execute("BEGIN IMMEDIATE")
            try:
                _run_script(db, MIGRATIONS[n])
                db.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(n + 1),),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    # -------------------------------------------------------------- reads

    def load(self) -> Snapshot:
        db = self._db
        networks = tuple(
            (
                Network(
                    namespace=r[0],
                    name=r[1],
                    vni=Vni(r[2]),
                    shared=bool(r[4]),
                    mtu=r[5],
                    description=r[6],
                    owner=r[8],
                    readiness=r[9],
                ),
                Evi(r[3]),
                r[7],
            )
            for r in db.execute(
                "SELECT namespace, name, vni, evi, shared, mtu, description, created, owner, readiness"
                " FROM networks ORDER BY 1, 2"
            )
        )
        attachments = tuple(
            (
                PlacedAttachment(
                    attachment=Attachment(
                        id=AttachmentId(
                            pod_namespace=r[0],
                            pod_name=r[1],
                            pod_uid=r[2],
                            network=NetworkKey(r[3], r[4]),
                            interface=r[5],
                        ),
                        container_id=r[6],
                        node=NodeName(r[7]),
                        nic=NicName(r[8]),
                        cni_network=r[15],
                    ),
                    vni=Vni(r[9]),
                    placement=Placement(SwitchName(r[10]), PortName(r[11])) if r[10] is not None else None,
                    vlan=VlanId(r[12]) if r[12] is not None else None,
                    conflict=r[13],
                ),
                r[14],
            )
            for r in db.execute(
                "SELECT pod_namespace, pod_name, pod_uid, net_namespace, net_name, interface, container_id,"
                " node, nic, vni, switch, port, vlan, conflict, created, cni_network"
                " FROM attachments ORDER BY 1, 2, 3, 4, 5, 6"
            )
        )
        allocations = tuple(
            VlanAllocation(switch=SwitchName(r[0]), vni=Vni(r[1]), vlan=VlanId(r[2]), releasing=bool(r[3]))
            for r in db.execute("SELECT switch, vni, vlan, releasing FROM vlan_allocations ORDER BY 1, 2")
        )
        claims = tuple(SwitchName(r[0]) for r in db.execute("SELECT switch FROM switch_claims ORDER BY 1"))
        return Snapshot(networks=networks, attachments=attachments, allocations=allocations, claims=claims)

    # ------------------------------------------------------------- writes

    async def commit(self, mutation: Mutation) -> None:
        if not mutation:
            await self.barrier()
            return
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._tail = fut
        self._queue.put((mutation, fut, loop))
        # shielded: a caller that gives up (a cancelled Attach) must not cancel the write's future, which
        # every later barrier waits on as the tail
        await asyncio.shield(fut)

    async def barrier(self) -> None:
        # groups commit in queue order: the last write queued settles last
        tail = self._tail
        if tail is not None:
            await asyncio.shield(tail)

    def _write_loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < MAX_GROUP:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            self._write_batch(batch)  # type: ignore[arg-type]
            if stop:
                return

    def _write_batch(self, batch: list[tuple[Mutation, asyncio.Future[None], asyncio.AbstractEventLoop]]) -> None:
        error: BaseException | None = None
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for mutation, _, _ in batch:
                    _apply(self._db, mutation)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as e:
            error = StoreError(f"store {self._path}: write failed: {e}")
        # one wake-up per event loop for the whole group, not one per write: each call_soon_threadsafe is a
        # write to the loop's self-pipe, and a group of 15 made 15 of them (and woke the loop as often)
        waiting: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        for _, fut, loop in batch:
            waiting.setdefault(loop, []).append(fut)
        for loop, futs in waiting.items():
            loop.call_soon_threadsafe(_settle, futs, error)

    def close(self) -> None:
        if self._writer.is_alive():
            self._queue.put(_STOP)
            self._writer.join(timeout=30)
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        self._unlock()


def _settle(futs: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for fut in futs:
        if fut.done():
            continue
        if error is None:
            fut.set_result(None)
        else:
            fut.set_exception(error)


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """executescript would COMMIT the open transaction: run statement by statement."""
    for stmt in script.split(";"):
        if stmt.strip():
            db.execute(stmt)


def _apply(db: sqlite3.Connection, m: Mutation) -> None:
    for key in m.delete_networks:
        db.execute("DELETE FROM networks WHERE namespace = ? AND name = ?", (key.namespace, key.name))
    for net, evi, created in m.put_networks:
        db.execute(
            "INSERT INTO networks (namespace, name, vni, evi, shared, mtu, description, created, owner, readiness)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (namespace, name) DO UPDATE SET"
            " vni = excluded.vni, evi = excluded.evi, shared = excluded.shared, mtu = excluded.mtu,"
            " description = excluded.description, owner = excluded.owner, readiness = excluded.readiness",
            (
                net.namespace,
                net.name,
                net.vni,
                evi,
                int(net.shared),
                net.mtu,
                net.description,
                created,
                net.owner,
                net.readiness,
            ),
        )
    for aid in m.delete_attachments:
        db.execute(
            "DELETE FROM attachments WHERE pod_namespace = ? AND pod_name = ? AND pod_uid = ?"
            " AND net_namespace = ? AND net_name = ? AND interface = ?",
            (
                aid.pod_namespace,
                aid.pod_name,
                aid.pod_uid,
                aid.network.namespace,
                aid.network.name,
                aid.interface,
            ),
        )
    for placed, created in m.put_attachments:
        a = placed.attachment
        p = placed.placement
        db.execute(
            "INSERT OR REPLACE INTO attachments (pod_namespace, pod_name, pod_uid, net_namespace, net_name,"
            " interface, container_id, node, nic, vni, switch, port, vlan, conflict, created, cni_network)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                a.id.pod_namespace,
                a.id.pod_name,
                a.id.pod_uid,
                a.id.network.namespace,
                a.id.network.name,
                a.id.interface,
                a.container_id,
                a.node,
                a.nic,
                placed.vni,
                p.switch if p else None,
                p.port if p else None,
                placed.vlan,
                placed.conflict,
                created,
                a.cni_network,
            ),
        )
    for switch, vni in m.delete_allocations:
        db.execute("DELETE FROM vlan_allocations WHERE switch = ? AND vni = ?", (switch, vni))
    for alloc in m.put_allocations:
        db.execute(
            "INSERT OR REPLACE INTO vlan_allocations (switch, vni, vlan, releasing) VALUES (?, ?, ?, ?)",
            (alloc.switch, alloc.vni, alloc.vlan, int(alloc.releasing)),
        )
    for switch, at in m.put_claims:
        db.execute("INSERT OR IGNORE INTO switch_claims (switch, at) VALUES (?, ?)", (switch, at))
