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

The same call is also timed against a server written in Go (grpc-go,
``bench/floorgo``), built with the Go toolchain when there is one: what a
lighter runtime would gain on the API hop. Without Go (or without the
module proxy on a cold cache) that row says why it was not measured.
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
GO_SOURCE = Path(__file__).resolve().parent / "floorgo"
BUILDER = Path(__file__).resolve().parent.parent / "scripts" / "front.py"
GO_BUILD_TIMEOUT = 900.0  # s: a cold module cache downloads grpc-go and its dependencies


async def _serve(socket: str) -> None:
    from grpc_health.v1.health import aio as health_aio

    server = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(health_aio.HealthServicer(), server)
    server.add_insecure_port(f"unix:{socket}")
    await server.start()
    print("ready", flush=True)
    await server.wait_for_termination()


def go_server() -> Path | str:
    """The Go server's binary, built as fabricd-front is (``scripts/front.py
    build``: the build cache, keyed by a hash of its sources) if it is not
    there yet; or why it cannot be built."""
    try:
        run = subprocess.run(
            [sys.executable, str(BUILDER), "build", str(GO_SOURCE.relative_to(BUILDER.parent.parent)), "floorgo"],
            check=False,
            capture_output=True,
            text=True,
            timeout=GO_BUILD_TIMEOUT,
        )
    except (subprocess.TimeoutExpired, OSError) as e:
        return f"go build failed: {e}"
    if run.returncode == 3:
        return "no Go toolchain (go) on PATH"
    if run.returncode:
        lines = run.stderr.strip().splitlines()
        return f"go build failed: {lines[-1] if lines else f'exit {run.returncode}'}"
    return Path(run.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def _server(argv: list[str] | None = None) -> Iterator[tuple[int, str]]:
    """The server process (grpc.aio, or ``argv`` followed by the socket),
    started and answering: (its pid, its socket)."""
    with tempfile.TemporaryDirectory(prefix="fabricd-floor-") as tmp:
        socket = str(Path(tmp) / "floor.sock")
        command = [*(argv or [sys.executable, "-m", "bench.floor"]), socket]
        server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None
            if server.stdout.readline().strip() != "ready":
                raise RuntimeError("the floor's gRPC server did not start")
            yield server.pid, socket
        finally:
            server.terminate()
            server.wait(timeout=10)


async def measure(samples: int) -> dict[str, Any]:
    """The grpc.aio floor and, under ``go``, the Go server's (or why it was
    not measured)."""
    result = await _measure(samples, None)
    binary = await asyncio.to_thread(go_server)
    result["go"] = await _measure(samples, [str(binary)]) if isinstance(binary, Path) else {"skipped": binary}
    return result


def go_line(transport: dict[str, Any]) -> str:
    """The Go server's row, beside the grpc.aio floor it is compared with."""
    go = transport.get("go") or {}
    if "skipped" in go:
        return f"  the same floor with a Go server (grpc-go): not measured: {go['skipped']}"
    saved = transport["server_cpu_ms_per_call"] - go["server_cpu_ms_per_call"]
    return (
        f"  the same floor with a Go server (grpc-go, as fabricd-front): {go['server_cpu_ms_per_call']} ms of"
        f" server CPU per call, round trip p50 {go['round_trip']['p50_ms']} ms (Python client): {saved:.2f} ms"
        " less per call than grpc.aio"
    )


async def _measure(samples: int, argv: list[str] | None) -> dict[str, Any]:
    """Round trip percentiles (``samples`` sequential calls) and the server's
    CPU per call (``CONCURRENT`` callers, at least 2,000 calls), against a
    server in a process of its own."""
    with _server(argv) as (pid, socket):
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
