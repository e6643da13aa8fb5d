"""Inventory reload: only sessions whose connection settings changed restart;
the others are added and removed by set difference (triggered here by the
file change, as in production; SIGHUP takes the same path)."""

from __future__ import annotations

import asyncio

import pytest
import yaml

from tests.controller.fabric import eventually, lab_fabric

pytestmark = pytest.mark.slow


async def test_reload_restarts_only_what_changed(tmp_path):
    async with lab_fabric(tmp_path, reload_poll="0.1s") as fab, fab.controller() as st:
        core = st.core
        await eventually(lambda: all(w.known for w in core.workers.values()), what="connected")
        sw1, sw2 = core.workers["sw1"], core.workers["sw2"]
        inv_file, map_file = tmp_path / "inventory.yml", tmp_path / "portmap.yml"
        inv = yaml.safe_load(inv_file.read_text())
        portmap = yaml.safe_load(map_file.read_text())

        removed = {k: v for k, v in inv["switches"].items() if k != "sw2"}
        map_file.write_text(yaml.safe_dump({k: v for k, v in portmap.items() if not v.startswith("sw2/")}))
        inv_file.write_text(yaml.safe_dump({**inv, "switches": removed}))
        await eventually(lambda: "sw2" not in core.workers, what="sw2 removed")
        assert core.workers["sw1"] is sw1  # untouched

        map_file.write_text(yaml.safe_dump(portmap))
        inv_file.write_text(yaml.safe_dump(inv))
        await eventually(lambda: "sw2" in core.workers and core.workers["sw2"].known, what="sw2 back")
        assert core.workers["sw2"] is not sw2 and core.workers["sw1"] is sw1

        inv["switches"]["sw1"]["tls"]["server_name"] = "not-sw1"  # a connection setting
        inv_file.write_text(yaml.safe_dump(inv))
        await eventually(lambda: core.workers["sw1"] is not sw1, what="sw1 restarted")
        await eventually(
            lambda: "not issued to tls.server_name" in core.workers["sw1"].last_error,
            what="the new session fails verification, and says why",
        )
        sw2_now = core.workers["sw2"]
        inv_file.write_text(yaml.safe_dump({**inv, "version": 1}))  # rewritten, nothing changed
        await asyncio.sleep(0.5)
        assert core.workers["sw2"] is sw2_now

        inv_file.write_text("switches: [not: a: mapping")  # a broken file is refused, nothing changes
        await asyncio.sleep(0.5)
        assert core.workers["sw2"] is sw2_now and sw2_now.known
