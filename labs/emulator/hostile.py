"""A hostile gNMI target: answers with malformed data (wrong types, invalid
JSON, huge paths, bogus deletes, a decimal of 2**32-1 fraction digits, JSON
nested past any parser's depth) and floods subscriptions (bounded), or
streams unique well-formed LLDP neighbours (a count, or until stopped), or
sends them all in one notification, again and again (``bulk``). The
reliability tests and the ``lldp-flood`` benchmark point fabricd at it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

FLOOD = 20_000


def _path(*names: str, **keys: str) -> gnmi_pb2.Path:
    return gnmi_pb2.Path(
        elem=[gnmi_pb2.PathElem(name=n, key=keys if i == len(names) - 1 else {}) for i, n in enumerate(names)]
    )


def garbage(i: int) -> gnmi_pb2.Notification:
    kind = i % 8
    if kind == 0:  # invalid JSON
        return gnmi_pb2.Notification(
            update=[
                gnmi_pb2.Update(path=_path("network-instances"), val=gnmi_pb2.TypedValue(json_ietf_val=b"{not json"))
            ]
        )
    if kind == 1:  # a huge path
        return gnmi_pb2.Notification(
            update=[gnmi_pb2.Update(path=_path(*(["x"] * 2000)), val=gnmi_pb2.TypedValue(int_val=1))]
        )
    if kind == 2:  # wrong types where fabricd expects objects and strings
        return gnmi_pb2.Notification(
            update=[
                gnmi_pb2.Update(path=_path("interfaces"), val=gnmi_pb2.TypedValue(json_ietf_val=b"[1, 2, 3]")),
                gnmi_pb2.Update(
                    path=_path("lldp", "interfaces", "interface", name="\x00" * 10),
                    val=gnmi_pb2.TypedValue(bytes_val=b"\xff" * 100),
                ),
            ]
        )
    if kind == 3:  # bogus deletes
        return gnmi_pb2.Notification(delete=[_path("network-instances", "network-instance", name="*"), gnmi_pb2.Path()])
    if kind == 4:  # LLDP with nonsense values
        n = gnmi_pb2.Path(
            elem=[
                gnmi_pb2.PathElem(name="lldp"),
                gnmi_pb2.PathElem(name="interfaces"),
                gnmi_pb2.PathElem(name="interface", key={"name": f"ethernet-1/{i % 7}"}),
                gnmi_pb2.PathElem(name="neighbors"),
                gnmi_pb2.PathElem(name="neighbor", key={"id": str(i)}),
                gnmi_pb2.PathElem(name="state"),
                gnmi_pb2.PathElem(name="port-id-type"),
            ]
        )
        return gnmi_pb2.Notification(update=[gnmi_pb2.Update(path=n, val=gnmi_pb2.TypedValue(string_val="NOT_A_TYPE"))])
    if kind == 6:  # 9 bytes whose float is 10**4294967295 away
        value = gnmi_pb2.TypedValue(decimal_val=gnmi_pb2.Decimal64(digits=1, precision=2**32 - 1))
        return gnmi_pb2.Notification(update=[gnmi_pb2.Update(path=_path("lldp", "config", "enabled"), val=value)])
    if kind == 7:  # valid JSON, 10 kB, nested deeper than json goes
        deep = gnmi_pb2.TypedValue(json_ietf_val=b"[" * 5000 + b"]" * 5000)
        return gnmi_pb2.Notification(update=[gnmi_pb2.Update(path=_path("lldp"), val=deep)])
    return gnmi_pb2.Notification(
        update=[gnmi_pb2.Update(path=gnmi_pb2.Path(element=["a", "b"]), val=gnmi_pb2.TypedValue())]
    )


def unique_neighbour(i: int) -> gnmi_pb2.Notification:
    """A complete, well-formed LLDP neighbour, never seen before (``i``)."""
    prefix = gnmi_pb2.Path(
        elem=[
            gnmi_pb2.PathElem(name="lldp"),
            gnmi_pb2.PathElem(name="interfaces"),
            gnmi_pb2.PathElem(name="interface", key={"name": f"ethernet-1/{i % 2000 + 1}"}),
            gnmi_pb2.PathElem(name="neighbors"),
            gnmi_pb2.PathElem(name="neighbor", key={"id": f"n{i}"}),
            gnmi_pb2.PathElem(name="state"),
        ]
    )
    leaves = {
        "system-name": f"host{i}",
        "port-id": "eth1",
        "port-id-type": "INTERFACE_NAME",
        "chassis-id": f"02:00:00:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}",
    }
    return gnmi_pb2.Notification(
        prefix=prefix,
        update=[
            gnmi_pb2.Update(path=gnmi_pb2.Path(elem=[gnmi_pb2.PathElem(name=k)]), val=gnmi_pb2.TypedValue(string_val=v))
            for k, v in leaves.items()
        ],
    )


def bulk_neighbours(count: int) -> gnmi_pb2.Notification:
    """``count`` updates in one notification, each a neighbour never seen before (one leaf of it, on one of
    4,000 ports): every update is an event for the LLDP table to weigh."""
    head = gnmi_pb2.Path(elem=[gnmi_pb2.PathElem(name="lldp"), gnmi_pb2.PathElem(name="interfaces")])
    out = gnmi_pb2.Notification(prefix=head)
    for i in range(count):
        path = gnmi_pb2.Path(
            elem=[
                gnmi_pb2.PathElem(name="interface", key={"name": f"ethernet-1/{i % 4000 + 1}"}),
                gnmi_pb2.PathElem(name="neighbors"),
                gnmi_pb2.PathElem(name="neighbor", key={"id": f"n{i}"}),
                gnmi_pb2.PathElem(name="state"),
                gnmi_pb2.PathElem(name="port-id"),
            ]
        )
        out.update.add(path=path, val=gnmi_pb2.TypedValue(string_val="eth1"))
    return out


class Hostile(gnmi_pb2_grpc.gNMIServicer):
    """``neighbours``: instead of garbage, that many unique well-formed LLDP
    neighbours (a switch that wants fabricd to hold them all); -1: without
    end, until the server stops."""

    def __init__(self, *, neighbours: int = 0, bulk: int = 0) -> None:
        self.subscribes = 0
        self.neighbours = neighbours
        self.sent = 0
        self.bulk = bulk_neighbours(bulk) if bulk else None
        #: bulk: set by the caller when the notifications may go
        self.go = asyncio.Event()

    async def Capabilities(self, request: Any, context: Any) -> gnmi_pb2.CapabilityResponse:
        return gnmi_pb2.CapabilityResponse(supported_encodings=[gnmi_pb2.JSON_IETF], gNMI_version="0.8.0")

    async def Get(self, request: Any, context: Any) -> gnmi_pb2.GetResponse:
        return gnmi_pb2.GetResponse(notification=[garbage(i) for i in range(12)])

    async def Set(self, request: Any, context: Any) -> gnmi_pb2.SetResponse:
        return gnmi_pb2.SetResponse()

    async def Subscribe(self, request_iterator: Any, context: Any) -> AsyncIterator[gnmi_pb2.SubscribeResponse]:
        self.subscribes += 1
        with contextlib.suppress(StopAsyncIteration):
            await request_iterator.__anext__()
        if self.bulk is not None:
            yield gnmi_pb2.SubscribeResponse(sync_response=True)
            await self.go.wait()
            for _ in range(3):  # bounded: three of them, half a second apart
                yield gnmi_pb2.SubscribeResponse(update=self.bulk)
                self.sent += 1
                await asyncio.sleep(0.5)
            await asyncio.sleep(3600)
            return
        if self.neighbours:
            i = 0
            while self.neighbours < 0 or i < self.neighbours:
                yield gnmi_pb2.SubscribeResponse(update=unique_neighbour(i))
                i += 1
                self.sent = i
                if i == self.neighbours or (self.neighbours < 0 and i == 1000):
                    yield gnmi_pb2.SubscribeResponse(sync_response=True)
                if i % 500 == 0:
                    await asyncio.sleep(0)
            await asyncio.sleep(3600)
            return
        for i in range(FLOOD):
            yield gnmi_pb2.SubscribeResponse(update=garbage(i))
            if i == 100:
                yield gnmi_pb2.SubscribeResponse(sync_response=True)
            if i % 500 == 0:
                await asyncio.sleep(0)
        await asyncio.sleep(3600)


async def start_hostile(*, neighbours: int = 0, bulk: int = 0) -> tuple[grpc.aio.Server, Hostile, str]:
    """A hostile target on 127.0.0.1 (plaintext): (server, servicer, address)."""
    server = grpc.aio.server()
    servicer = Hostile(neighbours=neighbours, bulk=bulk)
    gnmi_pb2_grpc.add_gNMIServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, servicer, f"127.0.0.1:{port}"
