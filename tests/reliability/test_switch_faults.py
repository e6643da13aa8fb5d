"""Switch faults: each converges with no permanent error and no retry storm.

Retries are counted on the switch (the emulator's RPC counters): while a
switch fails, fabricd backs off exponentially (0.05 s doubling to 0.5 s in
these tests), so a 10 s outage costs tens of attempts, not thousands."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest

from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import attach_req, create_networks, eventually, lab_fabric, ni, trunk

pytestmark = pytest.mark.slow


async def attached(fab, stub):
    await create_networks(stub, ("blue", 1111))
    await eventually(lambda: fab.service.fleet.get("sw1").status().known, what="connected")
    await stub.Attach(attach_req(), timeout=30)


def healthy(fab) -> bool:
    w = fab.service.fleet.get("sw1")
    cfg = fab.config("sw1")
    return (
        w.status().in_sync
        and not w.status().rejected
        and ni(cfg, "fabricd-vni-1111") is not None
        and 100 in ((trunk(cfg, "ethernet-1/1") or {}).get("trunk-vlans") or [])
    )


def rpcs(fab) -> int:
    c = fab.host["sw1"].counters()
    return c.capabilities + c.get + c.set + c.subscribe


@pytest.mark.parametrize(
    ("fault", "seconds"),
    [
        ("unavailable", 10.0),
        ("resource_exhausted", 5.0),
        ("slow_sets", 5.0),
    ],
)
async def test_a_failing_switch_converges_without_a_retry_storm(tmp_path, fault, seconds):
    async with lab_fabric(tmp_path) as fab, fab.controller(), fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await attached(fab, stub)
        faults = fab.host["sw1"].faults
        if fault == "unavailable":
            faults.fail(code=grpc.StatusCode.UNAVAILABLE, duration=seconds)
        elif fault == "resource_exhausted":
            faults.fail(methods=["Set"], code=grpc.StatusCode.RESOURCE_EXHAUSTED, duration=seconds)
        else:
            faults.delay(2.5, methods=["Set"], duration=seconds)  # longer than the 2 s gNMI deadline
        before = rpcs(fab)
        t0 = time.monotonic()
        # a change during the fault: it must wait, then land
        await stub.CreateNetwork(
            fabric_pb2.CreateNetworkRequest(network=fabric_pb2.Network(name="green", namespace="default", vni=2222)),
            timeout=10,
        )
        try:  # answered after the fault, or UNAVAILABLE at its deadline: both keep the intent
            await stub.Attach(attach_req("pod-g", "green"), timeout=30)
        except grpc.aio.AioRpcError as e:
            assert e.code() == grpc.StatusCode.UNAVAILABLE, e.details()
        await eventually(lambda: time.monotonic() - t0 > seconds and healthy(fab), within=60, what="converged")
        await eventually(lambda: ni(fab.config("sw1"), "fabricd-vni-2222") is not None, within=30, what="landed")
        attempts = rpcs(fab) - before
        elapsed = time.monotonic() - t0
        # backoff doubles from 0.05 s to 0.5 s: at most a few attempts per second per kind of call
        assert attempts < 20 * elapsed + 50, f"{attempts} RPCs in {elapsed:.1f}s: a retry storm"
        att = await stub.Attach(attach_req("pod-g", "green"), timeout=30)
        assert att.state == fabric_pb2.ATTACHMENT_STATE_READY


async def test_reboot_and_dropped_streams_converge(tmp_path):
    async with lab_fabric(tmp_path) as fab, fab.controller(), fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await attached(fab, stub)
        for _ in range(3):  # each time once fabricd has subscribed again (its reconnect backs off)
            await eventually(lambda: fab.host["sw1"].faults.drop_streams() >= 1, what="a stream of sw1 to drop")
            await asyncio.sleep(0.2)
        await eventually(lambda: healthy(fab), what="healthy after dropped streams")
        await fab.host["sw1"].faults.reboot(down=1.0)
        await eventually(lambda: healthy(fab), what="restored after a reboot")
        assert not fab.service.fleet.get("sw1").status().rejected
