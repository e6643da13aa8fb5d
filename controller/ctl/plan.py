"""``fabricctl plan [SWITCH ...]``: the gNMI changes each managed switch
would receive now (a dry run; nothing is sent)."""

from __future__ import annotations

import json
from typing import Any

from controller.ctl.context import Context
from controller.ctl.errors import NOT_FOUND, OK, CtlError
from controller.ctl.output import dump, emit


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def plan_dict(p: Any) -> dict[str, Any]:
    return {
        "switch": p.switch,
        "error": p.error,
        "deletes": list(p.deletes),
        "replaces": [{"path": x.path, "value": _value(x.json)} for x in p.replaces],
        "updates": [{"path": x.path, "value": _value(x.json)} for x in p.updates],
    }


def _changes(d: dict[str, Any]) -> int:
    return len(d["deletes"]) + len(d["replaces"]) + len(d["updates"])


def to_text(plans: list[dict[str, Any]]) -> str:
    if not plans:
        return "no managed switches (no leaves in the inventory, or none matched)\n"
    out = []
    for d in plans:
        n = _changes(d)
        if d["error"]:
            out.append(f"{d['switch']}: no plan: {d['error']}")
        elif not n:
            out.append(f"{d['switch']}: nothing to do (in sync)")
        else:
            out.append(f"{d['switch']}: {n} change(s)")
            out += [f"  delete   {p}" for p in d["deletes"]]
            for verb in ("replaces", "updates"):
                for x in d[verb]:
                    value = json.dumps(x["value"], sort_keys=True, separators=(",", ":"))
                    out.append(f"  {verb[:-1]:8} {x['path']} = {value}")
    if all(not d["error"] and not _changes(d) for d in plans):
        out.append("nothing to do: every switch has its desired configuration")
    return "\n".join(out) + "\n"


def run(ctx: Context) -> int:
    from proto.fabric.v1 import fabric_pb2

    resp = ctx.client.call(ctx.fabric.Plan, fabric_pb2.PlanRequest(switches=ctx.args.switches or []))
    plans = [plan_dict(p) for p in resp.plans]
    unknown = sorted(set(ctx.args.switches or []) - {d["switch"] for d in plans})
    if ctx.output != "table":
        emit(dump(plans, ctx.output))
    else:
        emit(to_text(plans))
    if unknown:
        raise CtlError(f"not found: {', '.join(unknown)}: not a managed switch (see fabricctl switch list)", NOT_FOUND)
    return OK
