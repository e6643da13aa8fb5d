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
        service = st.service
        await eventually(lambda: all(s.known for s in service.fleet.statuses()), what="connected")
        sw1, sw2 = service.fleet.get("sw1"), service.fleet.get("sw2")
        inv_file, map_file = tmp_path / "inventory.yml", tmp_path / "portmap.yml"
        inv = yaml.safe_load(inv_file.read_text())
        portmap = yaml.safe_load(map_file.read_text())

        removed = {k: v for k, v in inv["switches"].items() if k != "sw2"}
        map_file.write_text(yaml.safe_dump({k: v for k, v in portmap.items() if not v.startswith("sw2/")}))
        inv_file.write_text(yaml.safe_dump({**inv, "switches": removed}))
        await eventually(lambda: "sw2" not in service.fleet, what="sw2 removed")
        assert service.fleet.get("sw1") is sw1  # untouched

        map_file.write_text(yaml.safe_dump(portmap))
        inv_file.write_text(yaml.safe_dump(inv))
        await eventually(lambda: "sw2" in service.fleet and service.fleet.get("sw2").status().known, what="sw2 back")
        assert service.fleet.get("sw2") is not sw2 and service.fleet.get("sw1") is sw1

        inv["switches"]["sw1"]["tls"]["server_name"] = "not-sw1"  # a connection setting
        inv_file.write_text(yaml.safe_dump(inv))
        await eventually(lambda: service.fleet.get("sw1") is not sw1, what="sw1 restarted")
        await eventually(
            lambda: "not issued to tls.server_name" in service.fleet.get("sw1").status().last_error,
            what="the new session fails verification, and says why",
        )
        sw2_now = service.fleet.get("sw2")
        inv_file.write_text(yaml.safe_dump({**inv, "version": 1}))  # rewritten, nothing changed
        await asyncio.sleep(0.5)
        assert service.fleet.get("sw2") is sw2_now

        inv_file.write_text("switches: [not: a: mapping")  # a broken file is refused, nothing changes
        await asyncio.sleep(0.5)
        assert service.fleet.get("sw2") is sw2_now and sw2_now.status().known


async def test_one_rule_decides_what_restarts_for_workers_and_discovery(tmp_path):
    """A changed fact that is not a connection setting (the VTEP address)
    restarts no session: the running worker re-renders against the switch,
    and the LLDP stream of discovery is left alone; a changed connection
    setting restarts both."""
    async with (
        lab_fabric(tmp_path, reload_poll="0.1s", topology={"mode": "merged"}) as fab,
        fab.controller() as st,
    ):
        service, discovery = st.service, st.daemon.discovery
        await eventually(lambda: all(s.known for s in service.fleet.statuses()), what="connected")
        await eventually(lambda: "sw2" in discovery.synced, what="LLDP synced")
        sw2 = service.fleet.get("sw2")
        stream = discovery.state.sessions["sw2"].since
        connects = service.metrics.session_connects.labels("sw2")._value.get()
        inv_file = tmp_path / "inventory.yml"
        inv = yaml.safe_load(inv_file.read_text())

        inv["switches"]["sw2"]["router_id"] = "10.0.0.99"
        inv_file.write_text(yaml.safe_dump(inv))
        await eventually(lambda: service.fleet.get("sw2").leaf.router_id == "10.0.0.99", what="facts handed over")
        assert service.fleet.get("sw2") is sw2
        assert discovery.state.sessions["sw2"].since == stream
        assert service.metrics.session_connects.labels("sw2")._value.get() == connects

        inv["switches"]["sw2"]["address"] = inv["switches"]["sw2"]["address"].replace("127.0.0.1", "localhost")
        inv_file.write_text(yaml.safe_dump(inv))
        await eventually(lambda: service.fleet.get("sw2") is not sw2, what="worker restarted")
        await eventually(lambda: discovery.state.sessions["sw2"].since > stream, what="LLDP stream restarted")
