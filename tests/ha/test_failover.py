"""Failover: kill -9 the leader while clients attach and detach through the
followers; a follower takes over, attaches succeed again, and no
acknowledged attachment is lost (stored and on its leaf; nothing on the
leaves that no attachment needs). A handful of rounds in CI, 100 with
``pytest --soak``."""

from __future__ import annotations

import asyncio
import random
import signal

import pytest

from tests.ha.harness import create_networks, ha_lab
from tests.ha.load import Load, converged

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]


async def test_kill_the_leader_under_attach_load(tmp_path, request, etcd3):
    rounds = 100 if request.config.getoption("--soak") else 3
    rng = random.Random(20261202)
    async with ha_lab(tmp_path, etcd3) as ha:
        leader = await ha.leader()
        await create_networks(ha.followers(leader)[0].address)
        expected: dict = {}
        loop = asyncio.get_running_loop()
        for rnd in range(rounds):
            leader = await ha.leader()
            followers = ha.followers(leader)
            load = Load([f.address for f in followers], rng, prefix=f"r{rnd % 4}-")
            load.start(6)
            await asyncio.sleep(rng.uniform(0.2, 1.0))
            killed_at = loop.time()
            await leader.kill(signal.SIGKILL)
            successor = await ha.leader(exclude=(leader.name,))
            assert successor is not leader
            # attaches succeed again, through the new leader and the remaining follower
            for _ in range(600):
                if load.ok_since(killed_at) >= 10:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(
                    f"round {rnd}: no attach succeeded after the failover:\n{successor.log.read_text()[-3000:]}"
                )
            await load.finish()
            expected.update(load.acked)
            await converged(successor.address, ha.host, expected, rnd)
            await leader.start()  # back as a follower
            await ha.serving()
