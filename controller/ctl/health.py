"""``fabricctl health``: ask the controller's grpc.health.v1 service.
``fabricctl status``: the instance's role, the leader and its term (GetController).

SERVING (exit 0) means fabricd's store is open and its API is up; anything
else exits 1.
"""

from __future__ import annotations

from controller.ctl.context import Context
from controller.ctl.errors import FAILED, OK
from controller.ctl.output import dump, emit, table


def run(ctx: Context) -> int:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    stub = health_pb2_grpc.HealthStub(ctx.client.channel)
    resp = ctx.client.call(stub.Check, health_pb2.HealthCheckRequest(service=ctx.args.service or ""))
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
    if ctx.output != "table":
        emit(dump({"server": ctx.options.server, "service": ctx.args.service or "", "status": status}, ctx.output))
    else:
        emit(status + "\n")
    return OK if resp.status == health_pb2.HealthCheckResponse.SERVING else FAILED


def status(ctx: Context) -> int:
    from proto.fabric.v1 import fabric_pb2

    st = ctx.client.call(ctx.client.fabric.GetController, fabric_pb2.GetControllerRequest())
    doc = {
        "instance": st.instance,
        "role": st.role,
        "leader": st.leader,
        "leader_address": st.leader_address,
        "term": st.term,
        "store": st.store,
        "replica_age_seconds": round(st.replica_age_seconds, 3),
    }
    if ctx.output != "table":
        emit(dump(doc, ctx.output))
    else:
        emit(table(["KEY", "VALUE"], [[k.upper().replace("_", " "), v] for k, v in doc.items()]))
    return OK
