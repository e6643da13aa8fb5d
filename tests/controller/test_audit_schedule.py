"""When the background audit (the ``fabric_audit_findings`` gauge) runs: after
a burst of changes, not in the middle of it (it holds the event loop for as long
as it renders every leaf), and still now and then under changes that never stop."""

from __future__ import annotations

import asyncio
import contextlib
import time
import types
from collections.abc import AsyncIterator

import pytest

from controller.reconcile.fleet import Fleet
from controller.service import audit
from controller.service.audit import Auditor
from tests.controller.fabric import eventually


class Recording(Auditor):
    """The scheduling under test; the audit itself recorded instead of run (it needs a fabric)."""

    def __init__(self, fleet: Fleet) -> None:
        super().__init__(types.SimpleNamespace(fleet=fleet))  # type: ignore[arg-type]
        self.at: list[float] = []

    def refresh(self) -> None:
        self.at.append(time.monotonic())
        self.runs += 1


async def _changes(fleet: Fleet, seconds: float, every: float = 0.01) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        fleet.generation += 1  # as Fleet.mark and a worker's commit do
        fleet.pulse.fire()
        await asyncio.sleep(every)


@contextlib.asynccontextmanager
async def running(monkeypatch: pytest.MonkeyPatch, max_defer: float) -> AsyncIterator[tuple[Fleet, Recording]]:
    """A fleet without workers and its auditor, past its first audit (quiet: 0.5 s)."""
    monkeypatch.setattr(audit, "SETTLE_S", 0.5)
    monkeypatch.setattr(audit, "MAX_DEFER_S", max_defer)
    fleet = Fleet(None)  # type: ignore[arg-type]
    auditor = Recording(fleet)
    task = asyncio.create_task(auditor.run())
    try:
        await eventually(lambda: auditor.runs == 1, what="the first audit")
        yield fleet, auditor
    finally:
        task.cancel()


async def test_a_burst_is_audited_once_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    async with running(monkeypatch, max_defer=60.0) as (fleet, auditor):
        await _changes(fleet, 1.5)  # a change every 10 ms: never 0.5 s of quiet
        ended = time.monotonic()
        assert auditor.runs == 1, "an audit ran in the middle of the burst"
        await eventually(lambda: auditor.runs == 2, within=10, what="one audit after the burst")
        assert auditor.at[1] - ended >= 0.45
        await asyncio.sleep(1.0)
        assert auditor.runs == 2, "nothing changed since: no other audit"


async def test_changes_that_never_stop_still_get_audited(monkeypatch: pytest.MonkeyPatch) -> None:
    async with running(monkeypatch, max_defer=1.0) as (fleet, auditor):
        changes = asyncio.create_task(_changes(fleet, 30.0))
        await eventually(lambda: auditor.runs >= 3, within=20, what="audits under endless changes")
        changes.cancel()
        assert auditor.at[2] - auditor.at[1] >= 0.95  # MAX_DEFER_S apart at the least
