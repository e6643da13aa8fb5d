"""``fabricctl events``: follow WatchEvents until Ctrl-C (or ``--count``).

One line per event in table form; ``-o json`` prints JSON lines (one object
per event), ``-o yaml`` one YAML document per event.
"""

from __future__ import annotations

import json
from typing import Any

from controller.ctl.context import Context
from controller.ctl.errors import OK, UNREACHABLE, CtlError
from controller.ctl.output import dump, emit, ts


def event_dict(e: Any) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "time": ts(e.time.seconds, e.time.nanos),
        "kind": e.kind,
        "subject": e.subject,
        "message": e.message,
        "attributes": dict(sorted(e.attributes.items())),
    }


def line(d: dict[str, Any]) -> str:
    attrs = " ".join(f"{k}={json.dumps(v) if (' ' in v or not v) else v}" for k, v in d["attributes"].items())
    return f"{d['time']}  {d['kind']:10} {d['subject']}  {d['message']}  {attrs}".rstrip() + "\n"


def run(ctx: Context) -> int:
    from proto.fabric.v1 import fabric_pb2

    count = ctx.args.count
    req = fabric_pb2.WatchEventsRequest(kinds=ctx.args.kind or [])
    seen = 0
    try:
        for ev in ctx.client.stream(ctx.fabric.WatchEvents, req):
            d = event_dict(ev)
            if ctx.output == "json":
                emit(json.dumps(d, separators=(",", ":")) + "\n")
            elif ctx.output == "yaml":
                emit("---\n" + dump(d, "yaml"))
            else:
                emit(line(d))
            seen += 1
            if count and seen >= count:
                return OK
    except KeyboardInterrupt:
        return OK  # following until Ctrl-C is the normal way to end
    raise CtlError(f"fabricd at {ctx.options.server} ended the event stream: is it stopping?", UNREACHABLE)
