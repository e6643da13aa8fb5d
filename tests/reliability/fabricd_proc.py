"""fabricd as a real process (the console script) for reliability tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc


def write_settings(tmp: Path, **raw: Any) -> Path:
    doc: dict[str, Any] = {
        "api": {"insecure": True, "listen": [f"unix://{tmp}/api.sock"], "attach_timeout": "5s"},
        "store": {"path": str(tmp / "fabricd.db")},
        "inventory": str(tmp / "inventory.yml"),
        "port_map": str(tmp / "portmap.yml"),
        "metrics": {"listen": "127.0.0.1:0"},
        "reconcile": {"backoff_initial": "0.05s", "backoff_max": "0.5s"},
        "gnmi": {"timeout": "3s", "connect_timeout": "2s"},
        "log": {"level": "info", "format": "json"},
    }
    for k, v in raw.items():
        doc[k] = {**doc.get(k, {}), **v} if isinstance(v, dict) else v
    path = tmp / "fabricd.yml"
    path.write_text(yaml.safe_dump(doc))
    return path


async def wait_serving(address: str, within: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with grpc.aio.insecure_channel(address) as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        while loop.time() < deadline:
            with contextlib.suppress(grpc.aio.AioRpcError):
                r = await stub.Check(health_pb2.HealthCheckRequest(), timeout=2)
                if r.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            await asyncio.sleep(0.05)
    raise AssertionError(f"fabricd at {address} not SERVING within {within}s")


@contextlib.asynccontextmanager
async def fabricd_process(settings: Path, log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "controller.main", "--config", str(settings), stdout=out, stderr=out
        )
    finally:
        os.close(out)
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
