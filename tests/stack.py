"""fabricd in-process for tests: the real daemon wiring (store, core,
discovery, API, metrics port) on the test's event loop, real SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from controller.api.server import ApiServer
from controller.daemon import Daemon
from controller.service.fabric import FabricService
from controller.settings.load import parse_settings
from controller.settings.model import Settings


def settings(tmp: Path, **raw: Any) -> Settings:
    doc: dict[str, Any] = {
        "api": {"insecure": True, "listen": ["127.0.0.1:0"]},
        "store": {"path": str(tmp / "fabricd.db")},
        "metrics": {"listen": "127.0.0.1:0"},
    }
    for key, value in raw.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = value
    return parse_settings(doc, base=tmp)


def sample(metric: Any, **labels: str) -> float:
    """The value of one series of a fabricd metric (a counter's total), 0 when it has none: read from the metric
    alone (collecting the whole registry would ask the event loop the test runs on)."""
    for family in metric.collect():
        for s in family.samples:
            if s.labels == labels and not s.name.endswith("_created"):
                return float(s.value)
    return 0.0


def run_fabricd(tmp: Path, api: str) -> subprocess.CompletedProcess[str]:
    """fabricd's command line, to its exit (for start-up failures: 60 s at most), with the settings ``api:``
    section ``api`` (YAML lines, indented) and a store and metrics port in ``tmp``."""
    config = tmp / "fabricd.yml"
    config.write_text(f"api:\n{api}store:\n  path: {tmp}/fabricd.db\nmetrics:\n  listen: 127.0.0.1:0\n")
    return subprocess.run(
        [sys.executable, "-m", "controller.main", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@dataclasses.dataclass
class Stack:
    daemon: Daemon

    @property
    def service(self) -> FabricService:
        assert self.daemon.service is not None
        return self.daemon.service

    @property
    def api(self) -> ApiServer:
        assert self.daemon.api is not None
        return self.daemon.api

    @property
    def address(self) -> str:
        return self.api.bound[0].grpc

    @property
    def metrics_url(self) -> str:
        return f"http://{self.daemon.metrics_address}"


@contextlib.asynccontextmanager
async def stack(s: Settings) -> AsyncIterator[Stack]:
    daemon = Daemon(s, owns_process=False)
    task = asyncio.create_task(daemon.run(), name="fabricd")
    ready = asyncio.create_task(daemon.ready.wait())
    done, _ = await asyncio.wait({task, ready}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        ready.cancel()
        task.result()  # raises why it did not start
        raise AssertionError("fabricd stopped during start-up")
    if ready not in done:
        raise AssertionError("fabricd did not become ready within 60 s")
    try:
        yield Stack(daemon=daemon)
    finally:
        daemon.stopping.set()
        code = await asyncio.wait_for(task, 60)
        assert code == 0, f"fabricd exited with {code}"
