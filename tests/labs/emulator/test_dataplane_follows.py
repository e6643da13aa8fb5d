"""The dataplane follows commits: a Set is answered once its configuration
is committed, and the dataplane takes each committed change after it, in
commit order, as a switch programs its hardware after the commit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from labs.emulator import Emulator
from labs.emulator.dataplane import MemoryDataplane, StateSink
from labs.emulator.txn import Change
from models.oc.path import Path
from models.oc.tree import Tree
from tests.labs.emulator import ocdocs as d
from tests.labs.emulator.conftest import DEADLINE, wait_for
from tests.labs.emulator.test_validation import R

ENABLED = "/interfaces/interface[name=ethernet-1/2]/config/enabled"
OPER = "/interfaces/interface[name=ethernet-1/2]/state/oper-status"


class HeldDataplane(MemoryDataplane):
    """The memory dataplane, held at each change until released, and failing
    the changes it is told to."""

    def __init__(self, emu_spec: object) -> None:
        super().__init__(emu_spec)  # type: ignore[arg-type]
        self.release = asyncio.Event()
        self.started: list[Change] = []
        self.done: list[Change] = []
        self.fail_next = False

    async def applied(self, change: Change, config: Tree, sink: StateSink) -> None:
        self.started.append(change)
        await self.release.wait()
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("the ASIC said no")
        await super().applied(change, config, sink)
        self.done.append(change)


@pytest.fixture
async def held() -> AsyncIterator[tuple[Emulator, HeldDataplane]]:
    spec = d.spec("sw1")
    dp = HeldDataplane(spec)
    emu = Emulator(spec, dataplane=dp)
    await emu.start()
    try:
        yield emu, dp
    finally:
        dp.release.set()
        await emu.stop(grace=None)


def _enabled(value: bool) -> list[object]:
    return [R(ENABLED, value)]


def _oper(emu: Emulator) -> object:
    return emu.datastore.state.get(Path.parse(OPER))


async def test_a_set_is_answered_before_its_dataplane_follows(held: tuple[Emulator, HeldDataplane]):
    emu, dp = held
    before = _oper(emu)
    first = await asyncio.wait_for(emu.apply_set(_enabled(False)), DEADLINE)  # type: ignore[arg-type]
    second = await asyncio.wait_for(emu.apply_set(_enabled(True)), DEADLINE)  # type: ignore[arg-type]
    await wait_for(lambda: dp.started, "the dataplane to take the first change")
    # both committed and answered while the dataplane still holds the first
    assert emu.datastore.config.get(Path.parse(ENABLED)) is True
    assert dp.started == [first] and dp.done == []
    assert _oper(emu) == before
    dp.release.set()
    await asyncio.wait_for(emu.dataplane_settled(), DEADLINE)
    assert dp.done == [first, second]  # in commit order
    assert _oper(emu) == "UP"


async def test_the_state_follows_a_set_on_the_memory_dataplane(held: tuple[Emulator, HeldDataplane]):
    emu, dp = held
    dp.release.set()
    await emu.apply_set(_enabled(False))  # type: ignore[arg-type]
    await wait_for(lambda: _oper(emu) == "DOWN", "the port's oper-status to follow its config")
    await emu.apply_set(_enabled(True))  # type: ignore[arg-type]
    await wait_for(lambda: _oper(emu) == "UP", "the port to come back up")


async def test_a_dataplane_failure_does_not_undo_a_commit_or_stop_the_next(
    held: tuple[Emulator, HeldDataplane], caplog: pytest.LogCaptureFixture
):
    emu, dp = held
    dp.fail_next = True
    dp.release.set()
    with caplog.at_level(logging.ERROR, logger="labs.emulator.emulator"):
        first = await emu.apply_set([R(p, v) for p, v in d.leaf_document()])  # type: ignore[arg-type]
        await asyncio.wait_for(emu.dataplane_settled(), DEADLINE)
    assert first and dp.done == []
    assert any("failed to follow a commit" in r.getMessage() for r in caplog.records)
    assert emu.datastore.config.get(Path.parse(d.leaf_document()[-1][0])) is not None  # the Set stays committed
    await emu.apply_set(_enabled(False))  # type: ignore[arg-type]
    await asyncio.wait_for(emu.dataplane_settled(), DEADLINE)
    assert len(dp.done) == 1
    assert _oper(emu) == "DOWN"


async def test_a_switch_stops_with_changes_its_dataplane_has_not_taken(held: tuple[Emulator, HeldDataplane]):
    emu, dp = held
    for value in (False, True, False):
        await emu.apply_set(_enabled(value))  # type: ignore[arg-type]
    await wait_for(lambda: dp.started, "the dataplane to take the first change")
    await asyncio.wait_for(emu.stop(grace=None), DEADLINE)  # the held change and the queued two go with it
    await asyncio.wait_for(emu.dataplane_settled(), DEADLINE)
    assert dp.done == []
