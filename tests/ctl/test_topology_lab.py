"""fabricctl topology on the seed lab with LLDP discovery (the real fabricd
in a subprocess, emulators answering LLDP over gNMI): fabric links appear,
a static map that disagrees with LLDP is a conflict drawn red, links of a
switch lost beyond the hold time are stale, drawn dashed."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from controller.ctl.topology import to_dot
from tests.controller.fabric import eventually
from tests.ctl.run import ctl
from tests.observability.daemon import seed_lab
from tests.seedlab import ROOT

pytestmark = pytest.mark.slow
SVG = "{http://www.w3.org/2000/svg}"


async def topology(server: str) -> dict:
    r = await ctl(server, "-o", "json", "topology")
    assert r.code == 0, r.err
    return r.json()


async def test_topology_with_discovery_conflicts_and_stale_links(short_tmp):
    # the static map says server1/eth1 is on sw1/e1-4 (LLDP: e1-1), and lacks server3
    portmap = {
        "server1/eth1": "sw1/e1-4",
        "server1/eth2": "sw2/e1-1",
        "server2/eth1": "sw1/e1-2",
        "server2/eth2": "sw2/e1-2",
    }
    topo_settings = {"mode": "merged", "prefer": "static", "hold_time": "1s"}
    async with seed_lab(short_tmp, topology=topo_settings) as (fab, d):
        (short_tmp / "portmap.yml").write_text(yaml.safe_dump(portmap))
        d.proc.send_signal(1)  # SIGHUP: reload the port map

        def fabric_links(t):
            return {(x["a"], x["b"]) for x in t["links"] if x["kind"] == "fabric"}

        async def discovered():
            t = await topology(d.api)
            edges = {(x["a"], x["b"], x["b_port"]) for x in t["links"] if x["kind"] == "edge"}
            return (
                fabric_links(t) == {("spine1", "sw1"), ("spine1", "sw2")}
                and ("sw2", "server3", "eth2") in edges
                and t["conflicts"]
                and t
            )

        t = await eventually(discovered, within=60, what="LLDP discovered and the new map loaded")
        [conflict] = t["conflicts"]
        assert conflict["kind"] == "static-lldp-mismatch" and conflict["subject"] == "server1/eth1"
        fabric = [x for x in t["links"] if x["kind"] == "fabric"]
        assert all(x["source"] == "lldp" and not x["stale"] for x in fabric)
        ports = {(x["a"], x["a_port"], x["b"], x["b_port"]) for x in fabric}
        assert ports == {
            ("spine1", "ethernet-1/1", "sw1", "ethernet-1/49"),
            ("spine1", "ethernet-1/2", "sw2", "ethernet-1/49"),
        }

        r = await ctl(d.api, "topology", "-o", "svg")
        assert r.code == 0, r.err
        svg = ET.fromstring(r.raw)
        edges = [(g.find(f"{SVG}title").text, g) for g in svg.iter(f"{SVG}g") if g.get("class") == "edge"]
        red = sorted(t for t, g in edges if any(p.get("stroke") == "red" for p in g.iter(f"{SVG}path")))
        assert red == ["sw1--server1", "sw1--server1"]  # e1-1 (LLDP) and e1-4 (static): the NIC in conflict
        assert len(edges) == 2 + 7  # the uplinks, and 7 edges: server3's from LLDP, server1/eth1 twice

        # sw2 goes away: after the hold time its LLDP-only links are stale (dashed)
        await fab.host["sw2"].stop()

        async def stale():
            t = await topology(d.api)
            return [x for x in t["links"] if x["stale"]] and t

        t = await eventually(stale, within=60, what="sw2's LLDP records stale")
        stale_links = {(x["a"], x["b"], x["b_port"]) for x in t["links"] if x["stale"]}
        assert ("sw2", "server3", "eth2") in stale_links  # only LLDP knew it
        assert ("sw2", "server2", "eth2") not in stale_links  # the static map holds it up
        dot = to_dot(t)
        [line] = [x for x in dot.splitlines() if '"sw2" -- "server3"' in x]
        assert 'style="dashed"' in line
        r = await ctl(d.api, "topology")
        assert "stale" in r.out and "static-lldp-mismatch  server1/eth1" in r.out


def test_the_readme_picture_script_draws_the_seed_lab(short_tmp):
    out = short_tmp / "seed.png"
    proc = subprocess.run(
        [str(ROOT / "scripts/seed-topology.sh"), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "VENV": str(Path(sys.executable).parent.parent)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "conflicts: none" in proc.stdout and proc.stdout.count("lldp+static  ok") == 6
