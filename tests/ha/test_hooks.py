"""Leader-only work (the seam the Kubernetes controllers will use) is started
by the leadership and stopped when it ends: with etcd on the elected instance
only, each term; with SQLite once, on the one instance."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from controller.daemon import Daemon
from tests.controller.fabric import eventually
from tests.ha.harness import HA_FAST
from tests.stack import settings

pytestmark = pytest.mark.slow


@contextlib.asynccontextmanager
async def daemon(tmp: Path, log: list, name: str, **raw) -> AsyncIterator[Daemon]:  # type: ignore[no-untyped-def]
    d = Daemon(settings(tmp, **raw), owns_process=False)

    async def start(term: int) -> None:
        log.append((name, "start", term))

    async def stop() -> None:
        log.append((name, "stop"))

    d.leader_hooks.add("test", start, stop)
    task = asyncio.create_task(d.run())
    await asyncio.wait_for(d.ready.wait(), 60)
    try:
        yield d
    finally:
        d.stopping.set()
        assert await asyncio.wait_for(task, 60) == 0


async def test_hooks_run_on_the_leader_only_and_move_with_the_leadership(tmp_path, etcd3):
    for d in "abc":
        (tmp_path / d).mkdir()
    log: list = []
    store = {"backend": "etcd", "endpoints": etcd3.endpoints, "prefix": f"/t-{uuid.uuid4().hex[:8]}"}
    async with daemon(tmp_path / "a", log, "a", store=store, ha={"name": "a", **HA_FAST}):
        await eventually(lambda: log[:1] and log[0][:2] == ("a", "start"), what="a leads and starts the hooks")
        first_term = log[0][2]
        async with daemon(tmp_path / "b", log, "b", store=store, ha={"name": "b", **HA_FAST}):
            await asyncio.sleep(1.0)  # b follows: no hook of its own
            assert [e for e in log if e[0] == "b"] == []
        # b stopped as a follower: nothing ran there
        assert [e for e in log if e[0] == "b"] == []
    assert log == [("a", "start", first_term), ("a", "stop")]
    async with (
        daemon(tmp_path / "b", log, "b", store=store, ha={"name": "b", **HA_FAST}),
        daemon(tmp_path / "c", log, "c", store=store, ha={"name": "c", **HA_FAST}),
    ):
        await eventually(lambda: len(log) == 3, what="one of b and c leads")
    starts = [e for e in log[2:] if e[1] == "start"]
    assert len(starts) == 1 and starts[0][2] > first_term  # a later term
    assert log[-1] == (starts[0][0], "stop")


async def test_with_sqlite_the_one_instance_runs_the_hooks_from_start_up(tmp_path):
    log: list = []
    async with daemon(tmp_path, log, "solo"):
        assert log == [("solo", "start", 0)]
    assert log == [("solo", "start", 0), ("solo", "stop")]
