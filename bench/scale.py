"""scale: 64, 256 and 512 emulated switches from a generated lab: time from
starting fabricd to every session up and the topology complete (LLDP), its
RSS, and its idle CPU over 30 s afterwards. Goal for 512: under 10 s, under
600 MB, under 5% of a core idle."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc

from bench.harness import fabricd, generated_lab
from labs.files.topofile import load_lab
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc

IDLE = 30.0


async def _wait(address: str, leaves: int, links: int, deadline: float) -> tuple[float, float]:
    sessions_at = topo_at = 0.0
    t0 = time.monotonic()
    async with grpc.aio.insecure_channel(address) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        while time.monotonic() < deadline and not (sessions_at and topo_at):
            if not sessions_at:
                sws = (await stub.ListSwitches(fabric_pb2.ListSwitchesRequest(), timeout=30)).switches
                if sum(1 for s in sws if s.state == fabric_pb2.SESSION_STATE_CONNECTED) >= leaves:
                    sessions_at = time.monotonic() - t0
            if not topo_at:
                topo = await stub.GetTopology(fabric_pb2.GetTopologyRequest(), timeout=30)
                if sum(1 for link in topo.links if not link.stale) >= links:
                    topo_at = time.monotonic() - t0
            await asyncio.sleep(0.1)
    return sessions_at, topo_at


def measure(switches: int, idle: float) -> dict[str, Any]:
    spines = 4
    with generated_lab(leaves=switches - spines, servers_per_leaf=2, spines=spines, name=f"scale{switches}") as lab:
        parsed = load_lab(next(lab.dir.glob("*.clab.yml")))
        t_start = time.monotonic()
        with fabricd(lab, extra={"topology": {"mode": "merged"}}) as fd:
            up = time.monotonic() - t_start
            sessions, topo = asyncio.run(
                _wait(f"unix:{fd.socket}", switches - spines, len(parsed.links), time.monotonic() + 180)
            )
            rss = fd.rss_mb()
            cpu0 = fd.cpu_seconds()
            time.sleep(idle)
            idle_cpu = (fd.cpu_seconds() - cpu0) / idle * 100
            rss_idle = fd.rss_mb()
    return {
        "switches": switches,
        "api_up_s": round(up, 2),
        "sessions_up_s": round(up + sessions, 2) if sessions else None,
        "topology_complete_s": round(up + topo, 2) if topo else None,
        "rss_mb": round(max(rss, rss_idle), 1),
        "idle_cpu_pct": round(idle_cpu, 2),
    }


def run(*, quick: bool = False) -> dict[str, Any]:
    sizes = [64] if quick else [64, 256, 512]
    rows = [measure(n, 5.0 if quick else IDLE) for n in sizes]
    table = [
        f"{'switches':>8} {'API up s':>9} {'sessions up s':>14} {'topology s':>11} {'RSS MB':>7} {'idle CPU %':>10}"
    ]
    for r in rows:
        table.append(
            f"{r['switches']:>8} {r['api_up_s']:>9} {r['sessions_up_s']!s:>14} {r['topology_complete_s']!s:>11}"
            f" {r['rss_mb']:>7} {r['idle_cpu_pct']:>10}"
        )
    table.append("goal for 512: sessions and topology < 10 s, RSS < 600 MB, idle CPU < 5%")
    ok = all(r["sessions_up_s"] and r["topology_complete_s"] for r in rows)
    return {"runs": rows, "table": table, "checks_ok": ok}
