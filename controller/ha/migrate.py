"""``fabricd --migrate-from-sqlite PATH``: copy a SQLite store into etcd.

The SQLite store is opened with its lock (no fabricd may run on it), the
etcd prefix must hold no intent yet, and the copy is written fenced on the
leader key's absence (no fabricd may lead there while it runs), split into
transactions like any large mutation. The command reads the copy back and
compares it with the source before it says done.
"""

from __future__ import annotations

from pathlib import Path

from controller.etcd import EtcdError
from controller.settings.model import Settings
from controller.store.base import Snapshot, StoreError
from controller.store.etcd import check_limits, connect, migrate, read_intent
from controller.store.sqlite import SqliteStore


async def migrate_sqlite(settings: Settings, path: Path) -> str:
    s = settings.store
    if s.backend != "etcd":
        raise StoreError("--migrate-from-sqlite writes into the etcd store: the settings need store.backend: etcd")
    source = SqliteStore(path)
    try:
        snapshot = source.load()
    finally:
        source.close()
    client, keys, limits = connect(s)
    try:
        await check_limits(client, keys, limits)
        written = await migrate(client, keys, snapshot, limits)
        copy, _ = await read_intent(client, keys)
    except EtcdError as e:
        raise StoreError(f"etcd: {e}") from None
    finally:
        await client.close()

    def rows(snap: Snapshot) -> tuple[object, ...]:
        # loading marks an allocation no attachment uses as releasing: compare the VLANs themselves
        return (
            snap.networks,
            snap.attachments,
            tuple((a.switch, a.vni, a.vlan) for a in snap.allocations),
            snap.claims,
        )

    if rows(copy) != rows(snapshot):
        raise StoreError(f"the copy in etcd {keys.root} differs from {path}: check it before starting fabricd on it")
    return (
        f"copied {len(snapshot.networks)} networks, {len(snapshot.attachments)} attachments, "
        f"{len(snapshot.allocations)} VLAN allocations and {len(snapshot.claims)} switch claims ({written} keys) "
        f"from {path} into etcd {keys.root}"
    )
