"""The admin service (``fabriclab.v1.EmulatorAdmin``): the faults, counters
and configuration of a host's switches, driven from outside the process.

Its address is ``HOST:PORT`` (port 0 picks one) or ``unix:///abs/path.sock``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

import grpc

from labs.emulator.errors import SpecError
from labs.files.spec import LldpNeighborSpec
from proto.lab.v1 import emulator_pb2 as pb
from proto.lab.v1 import emulator_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    from labs.emulator.emulator import Emulator


def unix_path(address: str) -> str | None:
    """The socket path of a ``unix:`` address, None for TCP."""
    if not address.startswith("unix:"):
        return None
    path = address[len("unix:") :]
    return path[2:] if path.startswith("//") else path


def status_code(name: str) -> grpc.StatusCode:
    """A status code by name; ValueError naming it when unknown or OK."""
    try:
        code = grpc.StatusCode[(name or "UNAVAILABLE").upper()]
    except KeyError:
        known = ", ".join(c.name for c in grpc.StatusCode if c is not grpc.StatusCode.OK)
        raise ValueError(f"unknown status code {name!r} (one of {known})") from None
    return code


class AdminService(pb_grpc.EmulatorAdminServicer):
    def __init__(self, emulators: Mapping[str, Emulator]) -> None:
        self._emus = emulators

    async def _emu(self, name: str, context: Any) -> Emulator:
        emu = self._emus.get(name)
        if emu is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"no switch {name!r} on this host")
        assert emu is not None
        return emu

    async def ListSwitches(self, request: Any, context: Any) -> Any:
        return pb.ListSwitchesResponse(
            switches=[
                pb.SwitchInfo(
                    name=e.name,
                    address=e.address,
                    tls=e.spec.tls is not None,
                    authentication=e.spec.credentials is not None,
                    validate=e.spec.validate,
                )
                for e in self._emus.values()
            ]
        )

    async def FailRpcs(self, request: Any, context: Any) -> Any:
        emu = await self._emu(request.switch, context)
        try:
            fid = emu.faults.fail(
                methods=list(request.methods),
                code=status_code(request.code),
                message=request.message or "injected fault",
                count=request.count or None,
                duration=request.duration_seconds or None,
            )
        except ValueError as err:
            await _invalid(context, err)
        return pb.FaultResponse(fault_id=fid)

    async def AddLatency(self, request: Any, context: Any) -> Any:
        emu = await self._emu(request.switch, context)
        try:
            fid = emu.faults.delay(
                request.seconds,
                methods=list(request.methods),
                count=request.count or None,
                duration=request.duration_seconds or None,
            )
        except ValueError as err:
            await _invalid(context, err)
        return pb.FaultResponse(fault_id=fid)

    async def ClearFaults(self, request: Any, context: Any) -> Any:
        emu = await self._emu(request.switch, context)
        return pb.ClearFaultsResponse(cleared=emu.faults.clear())

    async def DropStreams(self, request: Any, context: Any) -> Any:
        emu = await self._emu(request.switch, context)
        n = emu.faults.drop_streams(message=request.message or "stream dropped (fault)")
        return pb.DropStreamsResponse(dropped=n)

    async def Reboot(self, request: Any, context: Any) -> Any:
        emu = await self._emu(request.switch, context)
        if request.down_seconds < 0:
            await _invalid(context, ValueError(f"down_seconds {request.down_seconds} is negative"))
        await emu.faults.reboot(down=request.down_seconds or 0.5)
        return pb.RebootResponse()

    async def RemoveLldpNeighbor(self, request: Any, context: Any) -> Any:
        emu = await self._emu(request.switch, context)
        n = emu.faults.remove_lldp_neighbor(request.local_port, request.chassis_id or None)
        return pb.LldpResponse(neighbors=n)

    async def AddLldpNeighbor(self, request: Any, context: Any) -> Any:
        emu = await self._emu(request.switch, context)
        if not request.local_port:
            await _invalid(context, ValueError("local_port is empty"))
        if not request.system_name:
            return pb.LldpResponse(neighbors=emu.faults.restore_lldp_neighbors(request.local_port))
        if not request.chassis_id:
            await _invalid(context, ValueError("chassis_id is empty (the neighbour's id)"))
        emu.faults.add_lldp_neighbor(
            LldpNeighborSpec(
                local_port=request.local_port,
                system_name=request.system_name,
                port_id=request.port_id,
                port_id_type=request.port_id_type or "INTERFACE_NAME",
                chassis_id=request.chassis_id,
                chassis_id_type=request.chassis_id_type or "MAC_ADDRESS",
                port_description=request.port_description,
                system_description=request.system_description,
            )
        )
        return pb.LldpResponse(neighbors=1)

    async def GetCounters(self, request: Any, context: Any) -> Any:
        emu = await self._emu(request.switch, context)
        return pb.Counters(**dataclasses.asdict(emu.counters()))

    async def ResetCounters(self, request: Any, context: Any) -> Any:
        emu = await self._emu(request.switch, context)
        return pb.Counters(**dataclasses.asdict(emu.reset_counters()))

    async def GetConfig(self, request: Any, context: Any) -> Any:
        emu = await self._emu(request.switch, context)
        return pb.GetConfigResponse(json=json.dumps(emu.config_json(), sort_keys=True))


async def _invalid(context: Any, err: Exception) -> NoReturn:
    await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(err))
    raise AssertionError("context.abort returned")  # pragma: no cover


class AdminServer:
    def __init__(self, server: grpc.aio.Server, address: str) -> None:
        self.server = server
        self.address = address

    @classmethod
    async def start(cls, emulators: Mapping[str, Emulator], bind: str) -> AdminServer:
        path = unix_path(bind)
        if path is not None:
            if not os.path.isabs(path):
                raise SpecError(f"admin address {bind!r}: a unix socket path must be absolute")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)  # a stale socket of a crashed host
        server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        pb_grpc.add_EmulatorAdminServicer_to_server(AdminService(emulators), server)
        try:
            port = server.add_insecure_port(f"unix:{path}" if path is not None else bind)
        except RuntimeError as err:
            raise SpecError(f"admin service cannot listen on {bind}: {err}") from None
        await server.start()
        address = f"unix://{path}" if path is not None else f"{bind.rpartition(':')[0]}:{port}"
        return cls(server, address)

    async def stop(self) -> None:
        await self.server.stop(0.2)
        path = unix_path(self.address)
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
