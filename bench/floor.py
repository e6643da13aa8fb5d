"""The transport's floor on this host: one unary gRPC call between two
processes with nothing behind it (the standard health check, grpc.aio on
both sides, over a unix socket: the shape of fabricd's API and of the
bench's clients).

It bounds two goals from below, whatever fabricd does:

* goal 3 (attach overhead over the bare Set <= 1 ms at p50): an attach is a
  bare Set plus one API hop, so the overhead is at least this round trip;
* goal 1 (fabricd CPU <= 0.5 ms per attach): an attach is at least one
  unary call served, so fabricd's CPU per attach is at least what serving
  this call costs its server.

Measured by the benchmarks that state those goals, in the same run, so the
floor and the result come from the same host on the same day.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.harness import cpu_seconds, percentiles

CONCURRENT = 16  # callers at once when the server's CPU per call is measured


async def _serve(socket: str) -> None:
    from grpc_health.v1.health import aio as health_aio

    server = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(health_aio.HealthServicer(), server)
    server.add_insecure_port(f"unix:{socket}")
    await server.start()
    print("ready", flush=True)
    await server.wait_for_termination()


@contextlib.contextmanager
def _server() -> Iterator[tuple[int, str]]:
    """The server process, started and answering: (its pid, its socket)."""
    with tempfile.TemporaryDirectory(prefix="fabricd-floor-") as tmp:
        socket = str(Path(tmp) / "floor.sock")
        server = subprocess.Popen([sys.executable, "-m", "bench.floor", socket], stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None
            if server.stdout.readline().strip() != "ready":
                raise RuntimeError("the floor's gRPC server did not start")
            yield server.pid, socket
        finally:
            server.terminate()
            server.wait(timeout=10)


async def measure(samples: int) -> dict[str, Any]:
    """Round trip percentiles (``samples`` sequential calls) and the server's
    CPU per call (``CONCURRENT`` callers, at least 2,000 calls), against a
    server in a process of its own."""
    with _server() as (pid, socket):
        async with grpc.aio.insecure_channel(f"unix:{socket}") as ch:
            stub = health_pb2_grpc.HealthStub(ch)
            req = health_pb2.HealthCheckRequest()
            for _ in range(200):  # warm: the connection, the loop, the caches
                await stub.Check(req, timeout=10)
            times = []
            for _ in range(samples):
                t = time.perf_counter()
                await stub.Check(req, timeout=10)
                times.append(time.perf_counter() - t)

            async def caller(n: int) -> None:
                for _ in range(n):
                    await stub.Check(req, timeout=10)

            per = max(2000, samples) // CONCURRENT  # CPU time ticks in 10 ms: enough calls to read it
            cpu0, t0 = cpu_seconds(pid), time.perf_counter()
            await asyncio.gather(*(caller(per) for _ in range(CONCURRENT)))
            wall, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
    calls = per * CONCURRENT
    return {
        "round_trip": percentiles(times),
        "server_cpu_ms_per_call": round(cpu * 1000 / calls, 3),
        "calls_per_s": round(calls / wall, 1),
    }


if __name__ == "__main__":
    asyncio.run(_serve(sys.argv[1]))
