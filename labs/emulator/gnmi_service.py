"""The gNMI service of one emulated switch: Capabilities, Get, Set (Subscribe
in :mod:`labs.emulator.subscribe`).

Get: ``type`` CONFIG, STATE (OPERATIONAL is the same), ALL (config and state
merged); encodings JSON_IETF (module-qualified members) and JSON (plain).
Each path gives one Notification; a wildcard path (``*``, ``...``, omitted
keys) one Update per match, none when nothing matches. An exact path with no
data is NOT_FOUND (gNMI 3.3.4), so a controller reading a subtree it owns but
has not written yet gets NOT_FOUND and reads it as empty.

Set: deletes, then replaces, then updates, as one transaction (see
:meth:`labs.emulator.emulator.Emulator.apply_set`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from labs.emulator import codec
from labs.emulator.datastore import View
from labs.emulator.errors import ConfigRejected, EmulatorError, InvalidRequest, PathNotFound, Unsupported
from labs.emulator.status import abort
from labs.emulator.subscribe import Stream
from labs.emulator.txn import Op, OpKind
from models.oc.path import Path
from models.oc.schema import list_keys
from models.oc.tree import to_json

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from labs.emulator.emulator import Emulator

GNMI_VERSION = "0.8.0"
ENCODINGS = (gnmi_pb2.Encoding.JSON_IETF, gnmi_pb2.Encoding.JSON)
_VIEWS: dict[int, View] = {
    gnmi_pb2.GetRequest.DataType.ALL: "all",
    gnmi_pb2.GetRequest.DataType.CONFIG: "config",
    gnmi_pb2.GetRequest.DataType.STATE: "state",
    gnmi_pb2.GetRequest.DataType.OPERATIONAL: "state",
}


def is_exact(path: Path) -> bool:
    """No wildcards and every list element with all its keys."""
    if path.has_wildcards:
        return False
    for i, elem in enumerate(path.elems):
        keys = list_keys(path.schema[: i + 1])
        if keys is not None and len(elem.keys) != len(keys):
            return False
    return True


class GnmiService(gnmi_pb2_grpc.gNMIServicer):
    def __init__(self, emulator: Emulator) -> None:
        self._emu = emulator

    async def Capabilities(self, request: Any, context: Any) -> Any:
        try:
            await self._emu.admit("Capabilities", context)
        except EmulatorError as err:
            await abort(context, err)
        plat = self._emu.platform
        return gnmi_pb2.CapabilityResponse(
            supported_models=[
                gnmi_pb2.ModelData(name=n, organization=plat.organization, version=v) for n, v in plat.models.items()
            ],
            supported_encodings=list(ENCODINGS),
            gNMI_version=GNMI_VERSION,
        )

    async def Get(self, request: Any, context: Any) -> Any:
        try:
            await self._emu.admit("Get", context)
            return self._get(request)
        except EmulatorError as err:
            await abort(context, err)

    def _get(self, request: Any) -> Any:
        encoding = request.encoding
        if encoding not in ENCODINGS:
            name = gnmi_pb2.Encoding.Name(encoding) if encoding in gnmi_pb2.Encoding.values() else encoding
            raise Unsupported(f"encoding {name} is not supported (JSON_IETF or JSON)")
        if request.type not in _VIEWS:
            raise InvalidRequest(f"Get type {request.type} is not one of ALL, CONFIG, STATE, OPERATIONAL")
        view = _VIEWS[request.type]
        plat = self._emu.platform
        prefix = request.prefix if request.HasField("prefix") else None
        base = codec.join(prefix, None, plat.origins)
        relative = prefix is not None and not base.has_wildcards
        out_prefix = request.prefix if relative else gnmi_pb2.Path(target=prefix.target if prefix else "")
        qualify = encoding == gnmi_pb2.Encoding.JSON_IETF
        ts = time.time_ns()
        notifications = []
        for p in list(request.path) or [gnmi_pb2.Path()]:
            full = codec.join(prefix, p, plat.origins)
            found = self._emu.datastore.find(full, view)
            if not found and is_exact(full):
                kind = gnmi_pb2.GetRequest.DataType.Name(request.type)
                raise PathNotFound(f"{full}: no data (Get type {kind})")
            updates = [
                gnmi_pb2.Update(
                    path=codec.to_proto(
                        Path(path.elems[len(base.elems) :]) if relative else path,
                        qualify=plat.qualify_paths,
                        base=base if relative else None,
                    ),
                    val=codec.json_value(to_json(node, path.schema, qualify=qualify), encoding),
                )
                for path, node in found.items()
            ]
            notifications.append(gnmi_pb2.Notification(timestamp=ts, prefix=out_prefix, update=updates))
        return gnmi_pb2.GetResponse(notification=notifications)

    async def Set(self, request: Any, context: Any) -> Any:
        try:
            await self._emu.admit("Set", context)
            ops, results = _decode_set(request, self._emu.platform.origins)
            client = next((str(v) for k, v in context.invocation_metadata() or () if k == "x-fabricd-term"), "")
            change = await self._emu.apply_set(ops, client=client)
        except EmulatorError as err:
            await abort(context, err)
        return gnmi_pb2.SetResponse(
            prefix=request.prefix, response=results, timestamp=change.timestamp or time.time_ns()
        )

    async def Subscribe(self, request_iterator: AsyncIterator[Any], context: Any) -> None:
        # a coroutine function: grpc.aio serves it with the reader/writer API
        await Stream(self._emu, context).run(request_iterator)


def _decode_set(request: Any, origins: frozenset[str]) -> tuple[list[Op], list[Any]]:
    """Ops in gNMI order (delete, replace, update) and their UpdateResults;
    every malformed path or value is named in one ConfigRejected."""
    prefix = request.prefix if request.HasField("prefix") else None
    ops: list[Op] = []
    results: list[Any] = []
    problems: list[str] = []
    R = gnmi_pb2.UpdateResult.Operation
    for path in request.delete:
        try:
            ops.append(Op(kind="delete", path=codec.join(prefix, path, origins)))
        except InvalidRequest as err:
            problems.append(str(err))
        results.append(gnmi_pb2.UpdateResult(path=path, op=R.DELETE))
    groups: tuple[tuple[OpKind, Any, int], ...] = (
        ("replace", request.replace, R.REPLACE),
        ("update", request.update, R.UPDATE),
    )
    for kind, updates, op in groups:
        for u in updates:
            try:
                full = codec.join(prefix, u.path, origins)
                ops.append(Op(kind=kind, path=full, value=codec.value_in(u.val, full)))
            except InvalidRequest as err:
                problems.append(str(err))
            results.append(gnmi_pb2.UpdateResult(path=u.path, op=op))
    if problems:
        raise ConfigRejected(problems)
    return ops, results
