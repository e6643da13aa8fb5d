"""A store written by wave 1 opens, migrates and loads without losing a row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from controller.store.schema import VERSION
from controller.store.sqlite import SqliteStore
from models.ids import SwitchName, Vni

WAVE1 = Path(__file__).resolve().parents[1] / "data" / "store-wave1.sql"


def wave1_db(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.executescript(WAVE1.read_text())
    db.close()
    return path


def test_a_wave1_store_migrates_and_keeps_every_row(tmp_path):
    path = wave1_db(tmp_path / "fabricd.db")
    before = sqlite3.connect(path)
    assert before.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)
    assert before.execute("SELECT count(*) FROM switch_applied").fetchone() == (1,)
    before.close()

    store = SqliteStore(path)
    try:
        snap = store.load()
    finally:
        store.close()

    assert {(n.key.namespace, n.key.name, n.vni, evi, n.shared, n.owner) for n, evi, _ in snap.networks} == {
        ("default", "blue", 1111, 1, True, "api"),  # networks made before owners were recorded: the API's
        ("tenant-a", "red", 3333, 2, False, "api"),
    }
    placed = {p.attachment.id.pod_name: p for p, _ in snap.attachments}
    assert placed["pod1"].placement is not None and placed["pod1"].placement.port == "ethernet-1/1"
    assert placed["pod1"].vlan == 100 and not placed["pod1"].conflict
    assert placed["pod2"].placement is None and placed["pod2"].conflict.startswith("NIC server2/eth1 moved")
    assert {(a.switch, a.vni, a.vlan, a.releasing) for a in snap.allocations} == {
        (SwitchName("sw1"), Vni(1111), 100, False),
        (SwitchName("sw2"), Vni(3333), 200, True),
    }
    after = sqlite3.connect(path)
    assert after.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(VERSION),)
    tables = {r[0] for r in after.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "switch_applied" not in tables  # never written, dropped by the migration
    after.close()


def test_a_migrated_store_opens_again_unchanged(tmp_path):
    path = wave1_db(tmp_path / "fabricd.db")
    SqliteStore(path).close()
    store = SqliteStore(path)  # already at VERSION: no migration runs
    try:
        assert len(store.load().attachments) == 2
    finally:
        store.close()
