"""etcd itself fails: one member of three killed (and back) costs no
acknowledged attachment; with quorum lost, Attach answers UNAVAILABLE before
its deadline (never a hang), and everything recovers by itself once quorum
is back. Each test has an etcd cluster of its own."""

from __future__ import annotations

import asyncio
import random
import signal

import grpc
import pytest

from proto.fabric.v1 import fabric_pb2_grpc
from tests.controller.fabric import attach_req, eventually
from tests.ha.harness import create_networks, ha_lab
from tests.ha.load import Load, converged
from tests.servers.etcd import etcd_cluster

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


async def test_one_member_lost_and_back_costs_no_acknowledged_attachment(tmp_path):
    rng = random.Random(20261204)
    (tmp_path / "etcd").mkdir()
    with etcd_cluster(tmp_path / "etcd", size=3) as etcd:
        async with ha_lab(tmp_path, etcd, count=2) as ha:
            leader = await ha.leader()
            await create_networks(leader.address)
            expected: dict = {}
            for victim in etcd.members:  # each member once, the etcd leader among them
                load = Load([i.address for i in ha.instances], rng, prefix=f"{victim.name}-")
                load.start(4)
                await asyncio.sleep(rng.uniform(0.2, 0.6))
                etcd.kill(victim, signal.SIGKILL)
                mark = asyncio.get_running_loop().time()
                await eventually(
                    lambda m=mark, lo=load: lo.ok_since(m) >= 10, within=60, what="attaches with a member down"
                )
                etcd.start(victim)
                etcd.wait_healthy(members=[victim])
                await load.finish()
                expected.update(load.acked)
                await converged((await ha.leader()).address, ha.host, expected, 0)


async def test_quorum_lost_answers_unavailable_before_the_deadline_and_recovers(tmp_path):
    (tmp_path / "etcd").mkdir()
    with etcd_cluster(tmp_path / "etcd", size=3) as etcd:
        async with ha_lab(tmp_path, etcd, count=2) as ha:
            leader = await ha.leader()
            await create_networks(leader.address)
            async with grpc.aio.insecure_channel(leader.address) as ch:
                stub = fabric_pb2_grpc.FabricStub(ch)
                acked = await stub.Attach(attach_req("before", "blue"), timeout=10)
                for m in etcd.members[:2]:
                    etcd.kill(m, signal.SIGKILL)
                loop = asyncio.get_running_loop()
                for inst in ha.instances:  # leader and follower alike
                    async with grpc.aio.insecure_channel(inst.address) as ich:
                        t0 = loop.time()
                        with pytest.raises(grpc.aio.AioRpcError) as err:
                            await fabric_pb2_grpc.FabricStub(ich).Attach(
                                attach_req("during", "green", node="server2"), timeout=15
                            )
                        # fabricd answered itself (UNAVAILABLE), within the caller's deadline
                        assert err.value.code() == grpc.StatusCode.UNAVAILABLE, (inst.name, err.value)
                        assert loop.time() - t0 < 15
                for m in etcd.members[:2]:
                    etcd.start(m)
                etcd.wait_healthy()

                async def attached() -> bool:
                    try:
                        await stub.Attach(attach_req("after", "red", node="server3"), timeout=5)
                    except grpc.aio.AioRpcError as e:
                        assert e.code() == grpc.StatusCode.UNAVAILABLE, e
                        return False
                    return True

                await eventually(attached, within=120, what="attaches again once quorum is back")
                expected = {
                    ("before", "blue"): ("attached", acked.node, acked.nic),
                    ("after", "red"): ("attached", "server3", "eth1"),
                    ("during", "green"): None,
                }
                await converged((await ha.leader()).address, ha.host, expected, 0)
