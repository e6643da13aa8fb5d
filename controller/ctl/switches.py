"""``fabricctl switch list``: every inventory switch, its gNMI session and
what fabricd knows of its configuration. Spines are listed but not managed
(no session: state ``unmanaged``). A held switch (objects of fabricd the
store has no record of: nothing is changed on it) shows ``held`` in IN SYNC
and why in LAST ERROR; ``fabricctl switch release`` ends it."""

from __future__ import annotations

import time
from typing import Any

from controller.ctl.context import Context
from controller.ctl.errors import OK
from controller.ctl.output import ago, dump, emit, table, ts

HEADER = ("NAME", "ROLE", "PLATFORM", "ADDRESS", "SESSION", "LAST SYNC", "PENDING", "IN SYNC", "VLANS", "LAST ERROR")
_SESSIONS = {0: "unmanaged", 1: "connecting", 2: "connected", 3: "disconnected"}


def switch_dict(s: Any) -> dict[str, Any]:
    managed = s.state != 0
    return {
        "name": s.name,
        "role": s.role,
        "platform": s.platform,
        "address": s.address,
        "session": _SESSIONS.get(s.state, str(s.state)),
        "last_sync": ts(s.last_sync.seconds, s.last_sync.nanos),
        "pending_changes": s.pending_changes,
        "in_sync": s.in_sync if managed else None,
        "vlans_used": s.vlans_used if managed else None,
        "vlans_free": s.vlans_free if managed else None,
        "last_error": s.last_error,
        "held_objects": s.held_objects,
        "held": s.held,
    }


def list_(ctx: Context) -> int:
    from proto.fabric.v1 import fabric_pb2

    resp = ctx.client.call(ctx.fabric.ListSwitches, fabric_pb2.ListSwitchesRequest())
    if ctx.output != "table":
        emit(dump([switch_dict(s) for s in resp.switches], ctx.output))
        return OK
    now = time.time()
    rows = []
    for s in resp.switches:
        managed = s.state != 0
        rows.append(
            (
                s.name,
                s.role,
                s.platform,
                s.address,
                _SESSIONS.get(s.state, str(s.state)),
                ago(s.last_sync.seconds, now) if managed else "",
                s.pending_changes if managed else "",
                ("held" if s.held_objects else "yes" if s.in_sync else "no") if managed else "",
                f"{s.vlans_used} used, {s.vlans_free} free" if managed else "",
                s.held or s.last_error,
            )
        )
    emit(table(HEADER, rows, empty="no switches in the inventory"))
    return OK


def release(ctx: Context) -> int:
    from proto.fabric.v1 import fabric_pb2

    name = ctx.args.name
    resp = ctx.client.call(ctx.fabric.ReleaseSwitch, fabric_pb2.ReleaseSwitchRequest(name=name))
    if ctx.output != "table":
        emit(dump({"switch": name, "released_objects": resp.released_objects}, ctx.output))
    elif resp.released_objects:
        emit(
            f"switch {name} released: fabricd now removes the {resp.released_objects} object group(s) of its own "
            "there that the store has no record of\n"
        )
    else:
        emit(f"switch {name} was not held: nothing to release\n")
    return OK
