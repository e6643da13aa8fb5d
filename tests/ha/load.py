"""Attach/detach load for the HA tier, and the end-of-round checks: every
acknowledged attach is stored and on its leaf, every acknowledged detach is
gone from both, nothing is configured that no attachment needs."""

from __future__ import annotations

import asyncio
import dataclasses
import random

import grpc

from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import attach_req
from tests.reliability.test_kill9 import NETWORKS, NICS, check_converged

RETRY = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED)


@dataclasses.dataclass
class Load:
    """Clients attaching and detaching their own pods through given instances."""

    addresses: list[str]
    rng: random.Random
    #: (pod, network) -> ("attached", node, nic) | ("detached",) | None (outcome unknown)
    acked: dict = dataclasses.field(default_factory=dict)
    inflight: set = dataclasses.field(default_factory=set)
    #: (loop time, ok) of every answer
    answers: list = dataclasses.field(default_factory=list)
    stop: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    tasks: list = dataclasses.field(default_factory=list)
    prefix: str = "p"
    deadline: float = 5.0
    #: the share of calls that are Attach (the rest Detach)
    attach_share: float = 0.6

    def start(self, clients: int) -> None:
        for c in range(clients):
            self.tasks.append(asyncio.create_task(self._client(c, self.addresses[c % len(self.addresses)])))

    async def finish(self) -> None:
        self.stop.set()
        await asyncio.gather(*self.tasks)
        for key in self.inflight:
            self.acked[key] = None

    def ok_since(self, t: float) -> int:
        return sum(1 for when, ok in self.answers if ok and when >= t)

    async def _client(self, cid: int, address: str) -> None:
        loop = asyncio.get_running_loop()
        n = 0
        async with grpc.aio.insecure_channel(address) as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            while not self.stop.is_set():
                n += 1
                pod = f"{self.prefix}{cid * 3 + self.rng.randrange(3)}"  # each client owns its pods
                net = self.rng.choice(NETWORKS)[0]
                node, nic = self.rng.choice(NICS)
                key = (pod, net)
                req = attach_req(pod, net, node=node, nic=nic, container=f"c{cid}-{n}")
                self.inflight.add(key)
                try:
                    if self.rng.random() < self.attach_share:
                        await stub.Attach(req, timeout=self.deadline)
                        self.acked[key] = ("attached", node, nic)
                    else:
                        await stub.Detach(fabric_pb2.DetachRequest(id=req.id), timeout=self.deadline)
                        self.acked[key] = ("detached",)
                    self.answers.append((loop.time(), True))
                except grpc.aio.AioRpcError as e:
                    if e.code() not in RETRY:
                        raise
                    self.acked[key] = None  # either outcome is fine
                    self.answers.append((loop.time(), False))
                    await asyncio.sleep(0.05)
                finally:
                    self.inflight.discard(key)


async def converged(address: str, host, expected: dict, rnd: int) -> None:  # type: ignore[no-untyped-def]
    """kill -9's check, through any instance (a follower forwards the switch view)."""
    await check_converged(address, host, expected, rnd)
