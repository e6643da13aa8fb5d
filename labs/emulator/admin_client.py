"""A small async client of the emulator admin service, for ``fabric-lab
fault`` and tests that drive a host process from outside::

    async with AdminClient(ready["admin"]) as admin:
        await admin.fail("sw1", methods=["Set"], code="UNAVAILABLE", count=3)
        assert (await admin.counters("sw1")).set == 0

Errors come back as :class:`AdminError` (with the gRPC ``code``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from types import TracebackType
from typing import Any

import grpc

from labs.emulator.errors import EmulatorError
from labs.emulator.faults import Counters
from proto.lab.v1 import emulator_pb2 as pb
from proto.lab.v1 import emulator_pb2_grpc as pb_grpc


class AdminError(EmulatorError):
    """The admin service refused a call or could not be reached."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SwitchInfo:
    name: str
    address: str
    tls: bool
    authentication: bool
    validate: str


class AdminClient:
    def __init__(self, address: str, *, timeout: float = 30.0) -> None:
        self.address = address
        self._timeout = timeout
        self._channel = grpc.aio.insecure_channel(address)
        self._stub = pb_grpc.EmulatorAdminStub(self._channel)

    async def __aenter__(self) -> AdminClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._channel.close()

    async def _call(self, method: str, request: Any, *, deadline: float | None = None) -> Any:
        try:
            return await getattr(self._stub, method)(request, timeout=deadline or self._timeout)
        except grpc.aio.AioRpcError as err:
            raise AdminError(err.code(), err.details() or "") from None

    async def switches(self) -> list[SwitchInfo]:
        resp = await self._call("ListSwitches", pb.ListSwitchesRequest())
        return [
            SwitchInfo(
                name=s.name,
                address=s.address,
                tls=s.tls,
                authentication=s.authentication,
                validate=s.validate,
            )
            for s in resp.switches
        ]

    async def fail(
        self,
        switch: str,
        *,
        methods: Iterable[str] = (),
        code: str = "UNAVAILABLE",
        message: str = "",
        count: int = 0,
        duration: float = 0.0,
    ) -> int:
        req = pb.FailRpcsRequest(
            switch=switch,
            methods=list(methods),
            code=code,
            message=message,
            count=count,
            duration_seconds=duration,
        )
        return int((await self._call("FailRpcs", req)).fault_id)

    async def delay(
        self,
        switch: str,
        seconds: float,
        *,
        methods: Iterable[str] = (),
        count: int = 0,
        duration: float = 0.0,
    ) -> int:
        req = pb.AddLatencyRequest(
            switch=switch, methods=list(methods), seconds=seconds, count=count, duration_seconds=duration
        )
        return int((await self._call("AddLatency", req)).fault_id)

    async def clear(self, switch: str) -> int:
        return int((await self._call("ClearFaults", pb.SwitchRequest(switch=switch))).cleared)

    async def drop_streams(self, switch: str, message: str = "") -> int:
        req = pb.DropStreamsRequest(switch=switch, message=message)
        return int((await self._call("DropStreams", req)).dropped)

    async def reboot(self, switch: str, *, down: float = 0.5) -> None:
        req = pb.RebootRequest(switch=switch, down_seconds=down)
        await self._call("Reboot", req, deadline=self._timeout + down)

    async def remove_lldp_neighbor(self, switch: str, port: str, chassis_id: str = "") -> int:
        req = pb.RemoveLldpNeighborRequest(switch=switch, local_port=port, chassis_id=chassis_id)
        return int((await self._call("RemoveLldpNeighbor", req)).neighbors)

    async def add_lldp_neighbor(self, switch: str, port: str, **fields: str) -> int:
        """With only ``port``: re-add the lab's neighbours there. Fields:
        system_name, port_id, port_id_type, chassis_id, chassis_id_type,
        port_description, system_description."""
        req = pb.AddLldpNeighborRequest(switch=switch, local_port=port, **fields)
        return int((await self._call("AddLldpNeighbor", req)).neighbors)

    async def counters(self, switch: str) -> Counters:
        return _counters(await self._call("GetCounters", pb.SwitchRequest(switch=switch)))

    async def reset_counters(self, switch: str) -> Counters:
        return _counters(await self._call("ResetCounters", pb.SwitchRequest(switch=switch)))

    async def config(self, switch: str) -> Any:
        return json.loads((await self._call("GetConfig", pb.SwitchRequest(switch=switch))).json)


def _counters(msg: Any) -> Counters:
    return Counters(**{f.name: int(getattr(msg, f.name)) for f in dataclasses.fields(Counters)})
