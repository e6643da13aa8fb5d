"""lldp-flood: attach latency while a hostile switch floods fabricd with
unique LLDP neighbours (without end), against the same fabric without it, in
one run. fabricd holds each switch's table to its bounds and drops the rest
(``fabric_lldp_dropped_total``); what the flood still costs is the decoding of
every notification on the event loop that serves the API. No goal is set:
the number is reported so that a change that makes it worse is seen. The
flooded run is measured once the switch's table is full (twice its bound
streamed)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc
import yaml

from bench.attach import _att, _networks
from bench.harness import LabRun, fabricd, generated_lab, percentiles
from labs.emulator.hostile import Hostile, start_hostile
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from topology.lldp_state import MAX_PER_PORT, MAX_PORTS


async def _latency(lab: LabRun, samples: int, tag: str, hostile: Hostile | None = None) -> dict[str, Any]:
    with fabricd(lab, store=lab.dir / f"{tag}.db", extra={"topology": {"mode": "merged"}}) as fd:
        async with grpc.aio.insecure_channel(f"unix:{fd.socket}") as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            nets = await _networks(stub, 20)
            if hostile is not None:  # measure the steady flood: the table full, every new neighbour dropped
                while hostile.sent < 2 * MAX_PORTS * MAX_PER_PORT:  # noqa: ASYNC110 (another server's counter)
                    await asyncio.sleep(0.1)
            times = []
            for i in range(samples):
                req = _att(i, nets[i % len(nets)], f"server{i % 4 + 1}", "eth1")
                t = time.perf_counter()
                a = await stub.Attach(req, timeout=60)
                times.append(time.perf_counter() - t)
                if a.state != fabric_pb2.ATTACHMENT_STATE_READY:
                    raise AssertionError(f"attach not ready: {a}")
                await stub.Detach(fabric_pb2.DetachRequest(id=a.id, container_id=a.container_id), timeout=60)
    return percentiles(times)


async def measure(quick: bool) -> dict[str, Any]:
    samples = 100 if quick else 300
    with generated_lab(leaves=2, servers_per_leaf=4, name="flood") as lab:
        quiet = await _latency(lab, samples, "quiet")
        server, hostile, address = await start_hostile(neighbours=-1)
        try:
            inv = yaml.safe_load(lab.inventory.read_text())
            inv["switches"]["evil"] = {"address": address, "platform": "openconfig", "role": "spine", "plaintext": True}
            lab.inventory.write_text(yaml.safe_dump(inv))
            t0 = time.monotonic()
            flooded = await _latency(lab, samples, "flood", hostile)
            rate = hostile.sent / (time.monotonic() - t0)
        finally:
            await server.stop(None)
    ratio = flooded["p50_ms"] / quiet["p50_ms"]
    return {
        "quiet": quiet,
        "flood": flooded,
        "neighbours_sent": hostile.sent,
        "neighbours_per_s": round(rate),
        "ratio_p50": round(ratio, 2),
        "table": [
            f"attach without flood: p50 {quiet['p50_ms']} ms  p99 {quiet['p99_ms']} ms",
            f"attach under flood:   p50 {flooded['p50_ms']} ms  p99 {flooded['p99_ms']} ms "
            f"({hostile.sent} unique neighbours streamed, {rate:.0f}/s)",
            f"flood p50 / quiet p50 = {ratio:.2f}",
        ],
    }


def run(quick: bool = False) -> dict[str, Any]:
    return asyncio.run(measure(quick))
