"""burst: many pods land on one leaf at once, on a switch that takes 20 ms
to commit each Set.

Two bursts on one leaf, each of 128 concurrent attaches: (a) 128 pods on
128 ports (one network), (b) 128 pods on one server NIC, each in a network
of its own (128 new VNIs). The same bursts run against a coalescing fabricd
(the default) and a naive one (one Set per attach,
``reconcile.coalesce: false``) in the same run, each from a clean leaf.

Goals: coalescing takes at least 10x less wall time than naive, a handful of
Sets per burst, attach p99 within the burst <= 250 ms.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc

from bench.attach import _att, fabricd_means, phase_line
from bench.harness import (
    Fabricd,
    LabRun,
    fabricd,
    generated_lab,
    leave_in_sync,
    own_cpu_seconds,
    percentiles,
    scrape,
    settle_own_heap,
)
from labs.emulator.admin_client import AdminClient
from models.platforms.base import vni_name
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc

COMMIT_MS = 20.0
LEAF = "leaf1"
GOAL_SPEEDUP = 10.0
GOAL_P99_MS = 250.0


async def _timed(stub: fabric_pb2_grpc.FabricStub, req: fabric_pb2.AttachRequest) -> float:
    t = time.perf_counter()
    a = await stub.Attach(req, timeout=120)
    if a.state != fabric_pb2.ATTACHMENT_STATE_READY:
        raise AssertionError(f"attach not ready: {a}")
    return time.perf_counter() - t


async def _fire(
    stubs: list[fabric_pb2_grpc.FabricStub], reqs: list[fabric_pb2.AttachRequest]
) -> tuple[list[float], float]:
    """Every attach at once, over the channels in turn: each one's latency, and the wall time of all."""
    settle_own_heap()
    t = time.perf_counter()
    times = await asyncio.gather(*(_timed(stubs[i % len(stubs)], r) for i, r in enumerate(reqs)))
    return list(times), time.perf_counter() - t


async def _burst(
    stubs: list[fabric_pb2_grpc.FabricStub], reqs: list[fabric_pb2.AttachRequest], admin: AdminClient
) -> dict[str, Any]:
    before = (await admin.counters(LEAF)).sets_committed
    times, wall = await _fire(stubs, reqs)
    sets = (await admin.counters(LEAF)).sets_committed - before
    return {"wall_ms": round(wall * 1000, 1), "sets": sets, "attach": percentiles(times)}


async def _replay(
    stubs: list[fabric_pb2_grpc.FabricStub], reqs: list[fabric_pb2.AttachRequest], fd: Fabricd
) -> dict[str, Any]:
    """The API's share of a burst: the same attaches again, all at once. Each is a replay, answered from
    fabricd's state once its write is durable (no Set, no wait for the switch), so the wall time is what
    fabricd needs to take in and answer that many calls: the last answers of a burst wait at least this."""
    cpu = fd.cpu_seconds()
    times, wall = await _fire(stubs, reqs)
    return {
        "wall_ms": round(wall * 1000, 1),
        "attach": percentiles(times),
        "fabricd_cpu_ms_per_call": round((fd.cpu_seconds() - cpu) * 1000 / len(reqs), 3),
    }


async def _config_has(admin: AdminClient, texts: list[str]) -> bool:
    """Every text (a port name, a VNI) appears in the leaf's configuration."""
    config = repr(await admin.config(LEAF))
    return all(t in config for t in texts)


async def _run(lab: LabRun, *, coalesce: bool, tag: str, n: int) -> dict[str, Any]:
    extra = {"reconcile": {"coalesce": coalesce}}
    out: dict[str, Any] = {"coalesce": coalesce}
    with fabricd(lab, store=lab.dir / f"{tag}.db", extra=extra) as fd:
        channels = [grpc.aio.insecure_channel(f"unix:{fd.socket}") for _ in range(16)]
        try:
            stubs = [fabric_pb2_grpc.FabricStub(ch) for ch in channels]
            stub = stubs[0]
            for i in range(n + 1):
                net = fabric_pb2.Network(name=f"b{i}", namespace="bench", vni=20_000 + i)
                await stub.CreateNetwork(fabric_pb2.CreateNetworkRequest(network=net), timeout=30)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # the leaf's session up and synced first
                sws = (await stub.ListSwitches(fabric_pb2.ListSwitchesRequest(), timeout=10)).switches
                if any(s.name == LEAF and s.in_sync for s in sws):
                    break
                await asyncio.sleep(0.1)
            ports = [_att(i, "b0", f"server{i + 1}", "eth1", container=f"{tag}a{i}") for i in range(n)]
            vnis = [_att(n + i, f"b{i + 1}", "server1", "eth1", container=f"{tag}b{i}") for i in range(n)]
            async with AdminClient(lab.admin) as admin:
                await admin.delay(LEAF, COMMIT_MS / 1000, methods=["Set"])
                cpu0 = fd.cpu_seconds(), lab.host_cpu_seconds(), own_cpu_seconds()
                first = scrape(fd.metrics)
                out["ports"] = await _burst(stubs, ports, admin)
                between = scrape(fd.metrics)
                out["vnis"] = await _burst(stubs, vnis, admin)
                out["ports"]["inside_fabricd_mean_ms"] = fabricd_means(between, LEAF, first)
                out["vnis"]["inside_fabricd_mean_ms"] = fabricd_means(scrape(fd.metrics), LEAF, between)
                cpu1 = fd.cpu_seconds(), lab.host_cpu_seconds(), own_cpu_seconds()
                out["cpu_ms_per_attach"] = {
                    k: round((b - a) * 1000 / (2 * n), 3)
                    for k, a, b in zip(("fabricd", "emulators", "clients"), cpu0, cpu1, strict=True)
                }
                if coalesce:
                    out["replay"] = await _replay(stubs, vnis, fd)
                # correctness: every port and every VNI is on the leaf
                want = [repr(f"ethernet-1/{i + 1}") for i in range(n)]
                want += [repr(vni_name(20_000 + i + 1)) for i in range(n)]
                out["config_ok"] = await _config_has(admin, want)
                await admin.clear(LEAF)
            for r in ports + vnis:  # back to a clean leaf for the next run (untimed)
                await stub.Detach(fabric_pb2.DetachRequest(id=r.id, container_id=r.container_id), timeout=120)
            await leave_in_sync(stub)
        finally:
            for ch in channels:
                await ch.close()
    return out


async def burst(quick: bool) -> dict[str, Any]:
    n = 128
    with generated_lab(leaves=2, servers_per_leaf=n, name="burst") as lab:
        fast = await _run(lab, coalesce=True, tag="coalesce", n=n)
        naive = await _run(lab, coalesce=False, tag="naive", n=n)
    table = []
    ok = fast["config_ok"] and naive["config_ok"]
    for shape, what in (("ports", f"{n} pods on {n} ports"), ("vnis", f"{n} pods on one NIC, {n} VNIs")):
        f, s = fast[shape], naive[shape]
        speedup = s["wall_ms"] / f["wall_ms"]
        fast[f"{shape}_speedup"] = round(speedup, 1)
        table += [
            f"{what}, {COMMIT_MS:.0f} ms commits:",
            f"  coalescing {f['wall_ms']:>8} ms  {f['sets']:>4} Sets  attach p50 {f['attach']['p50_ms']} ms"
            f"  p99 {f['attach']['p99_ms']} ms (goal p99 <= {GOAL_P99_MS:.0f} ms, a handful of Sets)",
            f"  naive      {s['wall_ms']:>8} ms  {s['sets']:>4} Sets  attach p50 {s['attach']['p50_ms']} ms"
            f"  p99 {s['attach']['p99_ms']} ms",
            f"  speedup {speedup:.1f}x (goal >= {GOAL_SPEEDUP:.0f}x)",
            f"  an attach as fabricd tells it, coalescing: {phase_line(f['inside_fabricd_mean_ms'])}",
            f"                                 naive:      {phase_line(s['inside_fabricd_mean_ms'])}",
        ]
    replay = fast["replay"]
    table.append(
        f"  the API alone: the {n} VNI attaches replayed at once (answered from fabricd's state, no Set):"
        f" {replay['wall_ms']} ms, p99 {replay['attach']['p99_ms']} ms, fabricd {replay['fabricd_cpu_ms_per_call']} ms"
        " of CPU per call: a burst's last answers wait at least this intake"
    )
    table.append(f"CPU ms per attach, coalescing: {fast['cpu_ms_per_attach']}; naive: {naive['cpu_ms_per_attach']}")
    return {"coalescing": fast, "naive": naive, "checks_ok": ok, "table": table}


def run(*, quick: bool = False) -> dict[str, Any]:
    return asyncio.run(burst(quick))
