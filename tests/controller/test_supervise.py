"""Supervision: a crash is logged, counted and restarted; an expected outage
is restarted without being called a crash; one-shot jobs are watched too."""

from __future__ import annotations

import asyncio
import logging
import time

from prometheus_client import CollectorRegistry

from controller.backoff import Backoff, Duty
from controller.log import get_logger
from controller.metrics import Metrics
from controller.supervise import Tasks, supervise
from models.errors import TemporaryError


def crashes(metrics: Metrics, component: str) -> float:
    return metrics.task_crashes.labels(component)._value.get()


async def test_a_crash_is_logged_counted_and_restarted(caplog):
    metrics = Metrics(CollectorRegistry())
    runs: list[int] = []
    failures: list[tuple[str, bool]] = []

    async def body() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("a bug")
        if len(runs) == 2:
            raise TemporaryError("the switch went away")

    with caplog.at_level(logging.ERROR):
        await asyncio.wait_for(
            supervise(
                body,
                component="lldp",
                metrics=metrics,
                log=get_logger("test"),
                backoff=Backoff(0.001, 0.002),
                on_failure=lambda e, crashed: failures.append((type(e).__name__, crashed)),
            ),
            10,
        )
    assert len(runs) == 3  # restarted after the crash and after the outage, then done
    assert failures == [("RuntimeError", True), ("TemporaryError", False)]
    assert crashes(metrics, "lldp") == 1  # the outage is not a crash
    assert any(r.getMessage() == "task.crashed" and r.exc_info for r in caplog.records)


async def test_a_failing_one_shot_job_is_logged_and_counted():
    metrics = Metrics(CollectorRegistry())
    tasks = Tasks("fabric", metrics)

    async def job() -> None:
        raise ValueError("boom")

    t = tasks.once("write", job())
    await asyncio.wait_for(t, 5)
    assert crashes(metrics, "fabric") == 1
    await tasks.stop()


async def test_stop_cancels_every_loop():
    metrics = Metrics(CollectorRegistry())
    tasks = Tasks("daemon", metrics)
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    t = tasks.loop("forever", forever)
    await asyncio.wait_for(started.wait(), 5)
    await tasks.stop()
    assert t.cancelled()


async def test_drain_waits_for_one_shot_jobs_not_for_loops():
    """A stopping fabricd drains its background writes; its loops (the audit, ...) are cancelled after, so
    waiting for them held every stop for the whole grace."""
    tasks = Tasks("fabric", Metrics(CollectorRegistry()))
    release = asyncio.Event()
    written: list[str] = []

    async def forever() -> None:
        await asyncio.Event().wait()

    async def write() -> None:
        await release.wait()
        written.append("row")

    loop = tasks.loop("audit", forever)
    tasks.once("write", write())
    asyncio.get_running_loop().call_later(0.2, release.set)
    async with asyncio.timeout(60):  # the grace below is 600 s: this fails if drain waits for the loop
        await tasks.drain(grace=600)
    assert written == ["row"] and not loop.done()
    await tasks.stop()
    assert loop.cancelled()


def test_a_duty_spaces_runs_by_their_cost():
    duty = Duty(10.0)
    assert duty.wait() == 0.0  # never ran: at once
    now = time.monotonic()
    duty.ran(now - 0.5, now)  # a 0.5 s run: the next one 5 s after it ended
    assert 4.5 < duty.wait() <= 5.0
    duty.ran(now - 0.000_01, now)  # a cheap run: again at once, or nearly
    assert duty.wait() <= 0.000_1
