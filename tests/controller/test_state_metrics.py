"""The attachments gauge of a metrics scrape: counted a chunk at a time with
the event loop free in between (a scrape of 100,000 attachments held every
Attach for over a second), and equal to what each attachment's view says."""

from __future__ import annotations

import asyncio
from collections import Counter

import grpc
import pytest

from controller.reconcile.status import AttachmentState
from controller.state_metrics import state_metrics
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import attach_req, create_networks, lab_fabric

READY_PODS = 10
REJECTED_PODS = 3


async def test_attachment_counts_agree_with_the_views_and_free_the_loop(tmp_path):
    async with lab_fabric(tmp_path, api={"attach_timeout": "2s"}) as fab, fab.controller():
        async with fab.channel() as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            await create_networks(stub, ("blue", 1111), ("red", 1112))
            for i in range(READY_PODS):  # sw1 (eth1): committed
                att = await stub.Attach(attach_req(f"b{i}", "blue", container=f"b{i}"), timeout=30)
                assert att.state == fabric_pb2.ATTACHMENT_STATE_READY
            # sw2 (eth2) rejects every Set: these stay pending, with the switch's reason
            fab.host["sw2"].faults.fail(methods=["Set"], code=grpc.StatusCode.INVALID_ARGUMENT, message="refused")
            for i in range(REJECTED_PODS):
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await stub.Attach(attach_req(f"r{i}", "red", nic="eth2", container=f"r{i}"), timeout=30)
                assert "rejected" in (err.value.details() or "")

        service = fab.service
        attachments = service.attachments
        views = Counter(
            (p.attachment.id.network, attachments.view(p).state) for p in service.state.attachments.values()
        )
        assert sorted(views.values()) == [REJECTED_PODS, READY_PODS]
        assert {state for _, state in views} == {AttachmentState.READY, AttachmentState.PENDING}

        ticks = 0
        counting = True

        async def ticker() -> None:
            nonlocal ticks
            while counting:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        before = ticks
        counts = await attachments.count_states(chunk=2)
        counting = False
        await task
        assert counts == views
        # 13 attachments in chunks of 2: the loop ran between every two chunks
        assert ticks - before >= (READY_PODS + REJECTED_PODS) // 2

        # the exposition: the counts given, and counted at once when not given, say the same
        for family in (state_metrics(service, counts), state_metrics(service)):
            (gauge,) = [m for m in family if m.name == "fabric_attachments"]
            exposed = {(s.labels["network"], s.labels["state"]): s.value for s in gauge.samples}
            assert exposed == {(str(net), state.value): float(n) for (net, state), n in views.items()}
