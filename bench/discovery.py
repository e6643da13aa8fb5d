"""discovery: fabricd learns a generated fabric of N emulated switches
(dataplane none) over gNMI LLDP subscriptions: seconds from starting the
fabricd process to a complete topology graph (every link of the lab file).
Goal for 256 switches: under 10 s."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from typing import Any

import grpc
import yaml

from bench.harness import generated_lab, wait_serving
from labs.files.topofile import load_lab
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc


async def _complete(address: str, want_fabric: int, want_edge: int, deadline: float) -> tuple[int, int]:
    async with grpc.aio.insecure_channel(address) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        fabric = edge = 0
        while time.monotonic() < deadline:
            topo = await stub.GetTopology(fabric_pb2.GetTopologyRequest(), timeout=30)
            fabric = sum(1 for link in topo.links if link.kind == "fabric")
            edge = sum(1 for link in topo.links if link.kind == "edge" and not link.stale)
            if fabric >= want_fabric and edge >= want_edge:
                return fabric, edge
            await asyncio.sleep(0.1)
        return fabric, edge


def measure(switches: int) -> dict[str, Any]:
    spines = 4
    leaves = switches - spines
    with generated_lab(leaves=leaves, servers_per_leaf=2, spines=spines, name=f"disc{switches}") as lab:
        lab_file = next(lab.dir.glob("*.clab.yml"))
        parsed = load_lab(lab_file)
        roles = {n: parsed.nodes[n].role for n in parsed.nodes}
        want_fabric = sum(1 for link in parsed.links if roles[link.a.node] != "node" and roles[link.b.node] != "node")
        want_edge = len(parsed.links) - want_fabric
        sock = lab.dir / "api.sock"
        settings = lab.dir / "fabricd.yml"
        settings.write_text(
            yaml.safe_dump(
                {
                    "api": {"insecure": True, "listen": [f"unix://{sock}"]},
                    "store": {"path": str(lab.dir / "disc.db")},
                    "inventory": str(lab.inventory),
                    "topology": {"mode": "lldp"},
                    "metrics": {"listen": "127.0.0.1:0"},
                    "log": {"level": "warning"},
                }
            )
        )
        t0 = time.monotonic()
        with open(lab.dir / "fabricd.log", "ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "controller.main", "--config", str(settings)], stderr=log)
            try:
                wait_serving(f"unix:{sock}", 120)
                serving = time.monotonic() - t0
                fabric, edge = asyncio.run(_complete(f"unix:{sock}", want_fabric, want_edge, t0 + 120))
                complete = time.monotonic() - t0
                rss = _rss(proc.pid)
            finally:
                proc.terminate()
                proc.wait(60)
    return {
        "switches": switches,
        "links_expected": want_fabric + want_edge,
        "links_found": fabric + edge,
        "serving_s": round(serving, 2),
        "complete_s": round(complete, 2),
        "rss_mb": rss,
        "complete": fabric >= want_fabric and edge >= want_edge,
    }


def _rss(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def run(*, quick: bool = False) -> dict[str, Any]:
    sizes = [64] if quick else [64, 256]
    rows = [measure(n) for n in sizes]
    table = [f"{'switches':>8} {'links':>6} {'API up s':>9} {'graph complete s':>17} {'RSS MB':>7}"]
    for r in rows:
        table.append(
            f"{r['switches']:>8} {r['links_found']:>6} {r['serving_s']:>9} {r['complete_s']:>17} {r['rss_mb']:>7}"
            + ("" if r["complete"] else "  INCOMPLETE")
        )
    table.append("goal: 256 switches complete in under 10 s")
    return {"runs": rows, "table": table, "checks_ok": all(r["complete"] for r in rows)}
