"""The real ``fabricd`` console script as a subprocess, for the tests that
need a whole daemon: settings file, JSON logs captured from stderr, the
metrics/health port, graceful stop. The test's event loop stays free while
it waits (switch emulators may run on it)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import yaml

BIN = Path(sys.executable).parent


def console_script(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is not installed: pip install -e ."
    return found


@dataclasses.dataclass
class Fabricd:
    proc: subprocess.Popen[bytes]
    log: Path
    api: str  # unix:///... (plaintext unless the settings say otherwise)
    metrics: str = ""  # HOST:PORT of /metrics, /healthz, /readyz
    code: int | None = None

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def lines(self) -> list[dict[str, Any]]:
        """Every log line as JSON (fails on a line that is not)."""
        out = []
        for n, line in enumerate(self.text().splitlines(), 1):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                raise AssertionError(f"log line {n} is not JSON: {line!r}") from None
        return out

    def get(self, path: str) -> tuple[int, str]:
        """HTTP GET on the metrics port (blocking: call via asyncio.to_thread)."""
        try:
            with urllib.request.urlopen(f"http://{self.metrics}{path}", timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    async def http(self, path: str) -> tuple[int, str]:
        return await asyncio.to_thread(self.get, path)

    async def stop(self, within: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.code = await wait_exit(self.proc, within)
        return self.code


async def wait_exit(proc: subprocess.Popen[bytes], within: float) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if proc.poll() is not None:
            break
        await asyncio.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)
        raise AssertionError(f"fabricd did not stop within {within}s (killed)")
    return int(proc.returncode)


def ready_line(log: Path) -> dict[str, Any] | None:
    for line in log.read_text(errors="replace").splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            doc = json.loads(line)
            if doc.get("event") == "daemon.ready":
                return dict(doc)
    return None


def write_settings(tmp: Path, doc: dict[str, Any]) -> Path:
    path = tmp / "fabricd.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def base_settings(tmp: Path, **raw: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "api": {"insecure": True, "listen": [f"unix://{tmp}/api.sock"]},
        "store": {"path": str(tmp / "fabricd.db")},
        "metrics": {"listen": "127.0.0.1:0"},
        "log": {"level": "debug", "format": "json"},
    }
    for key, value in raw.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = value
    return doc


def start(tmp: Path, settings: dict[str, Any], *args: str, log_name: str = "fabricd.log") -> Fabricd:
    config = write_settings(tmp, settings)
    log = tmp / log_name
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FABRICD_", "GRPC_"))}
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [console_script("fabricd"), "--config", str(config), *args], stdout=fh, stderr=fh, env=env
        )
    api = str(settings["api"]["listen"][0])
    return Fabricd(proc=proc, log=log, api=api)


async def wait_ready(d: Fabricd, within: float = 60.0) -> Fabricd:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        doc = ready_line(d.log)
        if doc is not None:
            d.metrics = str(doc["metrics"])
            return d
        if d.proc.poll() is not None:
            raise AssertionError(f"fabricd exited with {d.proc.returncode}:\n{d.text()}")
        await asyncio.sleep(0.05)
    raise AssertionError(f"fabricd not ready within {within}s:\n{d.text()}")


@contextlib.asynccontextmanager
async def running(tmp: Path, settings: dict[str, Any], *args: str) -> AsyncIterator[Fabricd]:
    """fabricd until the block ends, then SIGTERM: it must exit 0."""
    d = start(tmp, settings, *args)
    try:
        await wait_ready(d)
        yield d
    finally:
        code = await d.stop()
    assert code == 0, f"fabricd exited with {code}:\n{d.text()[-4000:]}"


@contextlib.asynccontextmanager
async def seed_lab(tmp: Path, *args: str, **raw: Any) -> AsyncIterator[tuple[Any, Fabricd]]:
    """The seed lab's switches as emulators on this event loop (TLS, the
    lab's password) and the real fabricd managing them from a subprocess."""
    from tests.controller.fabric import FAST, lab_fabric

    async with lab_fabric(tmp) as fab:
        settings = base_settings(
            tmp,
            inventory=str(tmp / "inventory.yml"),
            port_map=str(tmp / "portmap.yml"),
            **{**FAST, **raw},
        )
        async with running(tmp, settings, *args) as d:
            yield fab, d
