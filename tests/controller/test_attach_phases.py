"""``fabric_attach_phase_seconds``: where an attach's time went, told by
fabricd itself against a real switch (an in-process emulator holding Sets)."""

from __future__ import annotations

import asyncio

import pytest

from controller.metrics import ATTACH_PHASES
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import attach_req, create_networks, eventually, lab_fabric

pytestmark = pytest.mark.slow

HELD = 1.0  # seconds the switch holds the first attach's Set (under the tests' 2 s gNMI timeout)


def totals(registry, name: str, labels: dict[str, str] | None = None) -> tuple[float, float]:
    labels = labels or {}
    count = registry.get_sample_value(f"{name}_count", labels) or 0.0
    total = registry.get_sample_value(f"{name}_sum", labels) or 0.0
    return count, total


async def test_an_attach_behind_a_set_in_flight_says_it_waited_for_that_set(tmp_path):
    """The second attach on a leaf that holds the first one's Set waits for that Set to return before its own
    leaves: its time shows as queued, the held Set as set; every attach's phases add up to its duration."""
    async with lab_fabric(tmp_path, api={"attach_timeout": "20s"}) as fab, fab.controller() as st, fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await create_networks(stub, ("blue", 1111), ("red", 2222))
        worker = st.service.fleet.get("sw1")
        await eventually(lambda: worker.status().in_sync, what="sw1 in sync")
        registry = st.service.metrics.registry
        emu = fab.host["sw1"]
        sets = emu.counters().set
        emu.faults.delay(HELD, methods=["Set"], count=1)
        first = asyncio.ensure_future(stub.Attach(attach_req(), timeout=30))
        await eventually(lambda: emu.counters().set > sets, what="the first attach's Set held by sw1")
        second = await stub.Attach(attach_req(pod="red-pod", network="red", container="c2"), timeout=30)
        assert second.state == fabric_pb2.ATTACHMENT_STATE_READY
        assert (await first).state == fabric_pb2.ATTACHMENT_STATE_READY
        assert emu.counters().set == sets + 2  # one Set each: the second was not in the held one

        phases = {p: totals(registry, "fabric_attach_phase_seconds", {"phase": p}) for p in ATTACH_PHASES}
        assert {p: count for p, (count, _) in phases.items()} == dict.fromkeys(ATTACH_PHASES, 2.0)
        assert phases["set"][1] >= HELD  # the held Set is the first attach's
        # the second arrived while it was held, and its Set could only leave after that one returned
        assert phases["queued"][1] >= HELD / 2, phases
        count, duration = totals(registry, "fabric_attach_duration_seconds")
        assert count == 2.0
        assert sum(total for _, total in phases.values()) == pytest.approx(duration, abs=1e-6)


async def test_an_attach_its_leaf_already_carries_tells_only_its_intake(tmp_path):
    """A second pod on the same port and network changes no switch object: no Set of its own carries it, so
    only its intake is told (and a replay of an attach, nothing at all)."""
    async with lab_fabric(tmp_path) as fab, fab.controller() as st, fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await create_networks(stub, ("blue", 1111))
        registry = st.service.metrics.registry
        await stub.Attach(attach_req(), timeout=30)
        sets = fab.host["sw1"].counters().set
        await stub.Attach(attach_req(pod="pod-b", container="c2"), timeout=30)
        await stub.Attach(attach_req(pod="pod-b", container="c2"), timeout=30)  # the runtime retried the ADD
        assert fab.host["sw1"].counters().set == sets
        counts = {p: totals(registry, "fabric_attach_phase_seconds", {"phase": p})[0] for p in ATTACH_PHASES}
        assert counts == {"intake": 2.0, "queued": 1.0, "set": 1.0, "after": 1.0}
        assert totals(registry, "fabric_attach_duration_seconds")[0] == 3.0
