"""The host process contract of labs/files/spec.py: ``python -m labs.emulator.host_process
--specs SPECS.json --ready READY.json``."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from labs.emulator.admin_client import AdminClient
from labs.files.spec import specs_to_json
from tests.labs.emulator import ocdocs as d
from tests.labs.emulator.conftest import DEADLINE, in_thread, wait_for

ROOT = Path(__file__).resolve().parents[3]


async def start(specs_file: Path, ready: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "labs.emulator.host_process",
        "--specs",
        str(specs_file),
        "--ready",
        str(ready),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_serves_writes_ready_and_exits_0_on_sigterm(tmp_path):
    specs_file, ready = tmp_path / "specs.json", tmp_path / "ready.json"
    admin = f"unix://{tmp_path}/admin.sock"
    specs_file.write_text(specs_to_json([d.spec("sw1"), d.spec("sw2")], admin=admin))
    proc = await start(specs_file, ready)
    try:
        await wait_for(lambda: ready.exists() or proc.returncode is not None, "READY.json")
        assert proc.returncode is None, (await proc.stderr.read()).decode()  # type: ignore[union-attr]
        doc = json.loads(ready.read_text())
        assert doc["pid"] == proc.pid
        assert doc["admin"] == admin
        assert set(doc["switches"]) == {"sw1", "sw2"}
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ready.json")]  # no temp file left

        from pygnmi.client import gNMIclient

        host, port = doc["switches"]["sw2"].rsplit(":", 1)

        def caps() -> dict:
            with gNMIclient(target=(host, int(port)), insecure=True, gnmi_timeout=10) as gc:
                return gc.capabilities()

        assert (await in_thread(caps))["gnmi_version"] == "0.8.0"
        async with AdminClient(doc["admin"]) as admin_client:
            assert (await admin_client.counters("sw2")).capabilities == 2  # connect() and ours
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), DEADLINE)
    assert code == 0
    assert "admin.sock" not in os.listdir(tmp_path)


async def test_a_bad_spec_exits_non_zero_with_the_reason_and_no_ready(tmp_path):
    spec = d.spec("sw1")
    bad = dict(spec.day0)
    bad["openconfig-lldp:lldp"] = {"config": {"enabled": "sometimes"}}
    specs_file, ready = tmp_path / "specs.json", tmp_path / "ready.json"
    doc = json.loads(specs_to_json([spec], admin="127.0.0.1:0"))
    doc["switches"][0]["day0"] = bad
    specs_file.write_text(json.dumps(doc))
    proc = await start(specs_file, ready)
    _, err = await asyncio.wait_for(proc.communicate(), DEADLINE)
    assert proc.returncode == 1
    assert "sw1: day-0 configuration rejected: /lldp/config/enabled: 'sometimes' is not a boolean" in err.decode()
    assert not ready.exists()


@pytest.mark.parametrize("content", ["{not json", '{"switches": []}'])
async def test_an_unreadable_specs_file_exits_2(tmp_path, content):
    specs_file, ready = tmp_path / "specs.json", tmp_path / "ready.json"
    specs_file.write_text(content)
    proc = await start(specs_file, ready)
    _, err = await asyncio.wait_for(proc.communicate(), DEADLINE)
    assert proc.returncode == 2
    assert f"emulator host: cannot read {specs_file}" in err.decode()
    assert not ready.exists()
    assert os.listdir(tmp_path) == ["specs.json"]
