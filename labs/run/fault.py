"""``fabric-lab fault``: drive the emulator host's admin service of a
running lab through the emulator's admin client
(``labs.emulator.admin_client.AdminClient``, imported when used so that the
runner works without it). Port names go through the switch's platform
profile, so ``e1-1`` and ``ethernet-1/1`` both work.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib
import json
from types import ModuleType
from typing import Any

from labs.errors import LabRunError
from labs.run.statefile import LabState
from models.platforms import PortNameError, profile

ADMIN_CLIENT = "labs.emulator.admin_client"


def add_actions(parser: argparse.ArgumentParser) -> None:
    acts = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    fail = acts.add_parser("fail", help="fail gNMI RPCs with a status code")
    fail.add_argument("--methods", default="", help="comma-separated: Capabilities,Get,Set,Subscribe (default all)")
    fail.add_argument("--code", default="UNAVAILABLE", help="gRPC status code name")
    fail.add_argument("--message", default="")
    fail.add_argument("--count", type=int, default=0, help="this many calls (0: no limit)")
    fail.add_argument("--duration", type=float, default=0.0, help="for this many seconds (0: until clear)")
    delay = acts.add_parser("delay", help="hold gNMI RPCs before serving them")
    delay.add_argument("seconds", type=float)
    delay.add_argument("--methods", default="")
    delay.add_argument("--count", type=int, default=0)
    delay.add_argument("--duration", type=float, default=0.0)
    acts.add_parser("clear", help="remove every fail and delay rule of the switch")
    drop = acts.add_parser("drop-streams", help="end every Subscribe stream with UNAVAILABLE")
    drop.add_argument("--message", default="")
    reboot = acts.add_parser("reboot", help="back to day-0, sessions dropped, port down for a while")
    reboot.add_argument("--down", type=float, default=0.5, help="seconds the gNMI port refuses connections")
    rm = acts.add_parser("lldp-remove", help="remove the LLDP neighbours of a port")
    rm.add_argument("port")
    add = acts.add_parser("lldp-add", help="re-add the lab's LLDP neighbours of a port")
    add.add_argument("port")
    acts.add_parser("counters", help="RPC and Set counters of the switch (JSON)")


def _client_module() -> ModuleType:
    try:
        return importlib.import_module(ADMIN_CLIENT)
    except ImportError:
        raise LabRunError(
            f"fault injection needs the emulator's admin client ({ADMIN_CLIENT}), which this build lacks"
        ) from None


def _port(state: LabState, switch: str, port: str) -> str:
    platform = next(s.platform for s in state.switches if s.name == switch)
    try:
        return profile(platform).port_names(port).oc
    except PortNameError as e:
        raise LabRunError(f"{switch}: {e}") from None


def _methods(text: str) -> list[str]:
    return [m.strip() for m in text.split(",") if m.strip()]


async def _act(client: Any, state: LabState, switch: str, args: argparse.Namespace) -> str:
    a = args.action
    if a == "fail":
        fid = await client.fail(
            switch,
            methods=_methods(args.methods),
            code=args.code,
            message=args.message,
            count=args.count,
            duration=args.duration,
        )
        return f"{switch}: failing {args.methods or 'every RPC'} with {args.code} (fault {fid})"
    if a == "delay":
        fid = await client.delay(
            switch, args.seconds, methods=_methods(args.methods), count=args.count, duration=args.duration
        )
        return f"{switch}: delaying {args.methods or 'every RPC'} by {args.seconds} s (fault {fid})"
    if a == "clear":
        return f"{switch}: cleared {await client.clear(switch)} fault rules"
    if a == "drop-streams":
        return f"{switch}: dropped {await client.drop_streams(switch, args.message)} Subscribe streams"
    if a == "reboot":
        await client.reboot(switch, down=args.down)
        return f"{switch}: rebooted (day-0 configuration, sessions dropped)"
    if a in ("lldp-remove", "lldp-add"):
        port = _port(state, switch, args.port)
        if a == "lldp-remove":
            return f"{switch} {port}: {await client.remove_lldp_neighbor(switch, port)} LLDP neighbours left"
        return f"{switch} {port}: {await client.add_lldp_neighbor(switch, port)} LLDP neighbours"
    if a == "counters":
        counters = await client.counters(switch)
        return json.dumps(dataclasses.asdict(counters), sort_keys=True)
    raise AssertionError(a)


def fault(state: LabState, switch: str, args: argparse.Namespace) -> str:
    """Apply one fault action; what happened, as text."""
    if switch not in {s.name for s in state.switches}:
        raise LabRunError(f"lab {state.lab} has no switch {switch!r}")
    if not state.admin:
        raise LabRunError(f"lab {state.lab}: the emulator host reported no admin address")
    mod = _client_module()

    async def run() -> str:
        async with mod.AdminClient(state.admin) as client:
            return await _act(client, state, switch, args)

    try:
        return asyncio.run(run())
    except mod.AdminError as e:
        raise LabRunError(f"{switch}: the emulator refused: {e}") from None
