"""``fabricctl audit [SWITCH ...]``: intent vs configuration vs operational
state, per switch, port and VNI (docs/readiness.md). Exit 0 only when clean;
1 when there are findings."""

from __future__ import annotations

from typing import Any

from controller.ctl.context import Context
from controller.ctl.errors import FAILED, OK
from controller.ctl.output import dump, emit, table

HEADER = ("KIND", "SWITCH", "VNI", "PORT", "PEER", "DETAIL")


def finding_dict(f: Any) -> dict[str, Any]:
    return {"kind": f.kind, "switch": f.switch, "vni": f.vni, "port": f.port, "peer": f.peer, "detail": f.detail}


def run(ctx: Context) -> int:
    from proto.fabric.v1 import fabric_pb2

    resp = ctx.client.call(ctx.fabric.Audit, fabric_pb2.AuditRequest(switches=ctx.args.switches or []))
    findings = [finding_dict(f) for f in resp.findings]
    clean = not findings and not resp.more
    if ctx.output != "table":
        doc = {"switches": list(resp.switches), "findings": findings, "more": resp.more, "clean": clean}
        emit(dump(doc, ctx.output))
    elif not findings:
        emit(f"clean: {len(resp.switches)} switch(es) audited, intent, configuration and forwarding agree\n")
    else:
        rows = [(d["kind"], d["switch"], d["vni"] or "", d["port"], d["peer"], d["detail"]) for d in findings]
        emit(table(HEADER, rows))
        more = f" (and {resp.more} more not listed)" if resp.more else ""
        emit(f"{len(findings)} finding(s){more} on {len(resp.switches)} switch(es) audited\n")
    return OK if clean else FAILED
