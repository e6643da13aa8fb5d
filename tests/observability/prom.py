"""A real Prometheus server for tests: 127.0.0.1, its own data directory,
scraping the given targets every second; stopped (SIGTERM) afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import yaml

from tests.observability.daemon import wait_exit
from tests.seedlab import closed_port


class Prometheus:
    def __init__(self, address: str, log: Path) -> None:
        self.address = address
        self.log = log

    def _get(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(f"http://{self.address}{path}", timeout=10) as resp:
                body = resp.read().decode()
                return resp.status, json.loads(body) if body.startswith("{") else body
        except urllib.error.HTTPError as e:
            body = e.read().decode()
            return e.code, json.loads(body) if body.startswith("{") else body
        except OSError as e:
            return 0, str(e)

    async def get(self, path: str) -> tuple[int, Any]:
        return await asyncio.to_thread(self._get, path)

    async def query(self, expr: str) -> dict[str, Any]:
        """The instant query's whole answer (status, data or error)."""
        _, doc = await self.get("/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        assert isinstance(doc, dict), doc
        return doc


def _spawn(tmp: Path, targets: list[str], job: str) -> tuple[subprocess.Popen[bytes], Prometheus]:
    binary = shutil.which("prometheus")
    assert binary, "prometheus is not installed: scripts/install-deps.sh (Debian package prometheus)"
    tmp.mkdir(parents=True, exist_ok=True)
    config = tmp / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
                "scrape_configs": [{"job_name": job, "static_configs": [{"targets": targets}]}],
            }
        )
    )
    address = f"127.0.0.1:{closed_port()}"
    log = tmp / "prometheus.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp / 'data'}",
                f"--web.listen-address={address}",
                "--storage.tsdb.retention.time=1h",
                "--log.level=warn",
            ],
            stdout=fh,
            stderr=fh,
        )
    return proc, Prometheus(address, log)


@contextlib.asynccontextmanager
async def prometheus(tmp: Path, targets: list[str], *, job: str = "fabricd") -> AsyncIterator[Prometheus]:
    proc, prom = _spawn(tmp, targets, job)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while True:
            status, _ = await prom.get("/-/ready")
            if status == 200:
                break
            if proc.poll() is not None or loop.time() > deadline:
                raise AssertionError(f"prometheus did not start ({proc.poll()}):\n{prom.log.read_text()[-3000:]}")
            await asyncio.sleep(0.1)
        yield prom
    finally:
        proc.terminate()
        await wait_exit(proc, 60)
