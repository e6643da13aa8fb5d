"""``fabricctl attachment list|get|detach``.

An attachment is named as ``attachment list`` prints it in JSON (``id``):
``POD_NS/POD(UID):IFACE@NET_NS/NET``, or as ``[POD_NS/]POD --network NET
[--interface IFACE] [--uid UID]``; without the UID, fabricctl looks the
attachment up (and asks for ``--uid`` when two pods of that name exist).
"""

from __future__ import annotations

import re
from typing import Any

from controller.ctl.context import Context
from controller.ctl.errors import NOT_FOUND, OK, USAGE, CtlError
from controller.ctl.output import dump, emit, table, ts

FULL_ID = re.compile(r"(?P<ns>[^/()]+)/(?P<pod>[^/()]+)\((?P<uid>[^()]*)\):(?P<ifname>[^@]+)@(?P<net>.+/.+)")
HEADER = ("POD", "PHASE", "INTERFACE", "NETWORK", "NODE/NIC", "SWITCH/PORT", "VLAN", "VNI", "STATE", "REASON")
_STATES = {0: "unspecified", 1: "pending", 2: "ready", 3: "conflict"}
#: attachments per ListAttachments page: the most the server gives (controller.api.paging.MAX_PAGE)
PAGE = 5000


def id_text(aid: Any) -> str:
    net = f"{aid.network.namespace}/{aid.network.name}"
    return f"{aid.pod_namespace}/{aid.pod_name}({aid.pod_uid}):{aid.interface}@{net}"


def attachment_dict(a: Any) -> dict[str, Any]:
    i = a.id
    return {
        "id": id_text(i),
        "pod_namespace": i.pod_namespace,
        "pod_name": i.pod_name,
        "pod_uid": i.pod_uid,
        "pod_phase": a.pod_phase,
        "interface": i.interface,
        "network": f"{i.network.namespace}/{i.network.name}",
        "cni_network": a.cni_network,
        "container_id": a.container_id,
        "node": a.node,
        "nic": a.nic,
        "switch": a.switch,
        "port": a.port,
        "vlan": a.vlan,
        "vni": a.vni,
        "state": _STATES.get(a.state, str(a.state)),
        "reason": a.reason,
        "create_time": ts(a.create_time.seconds, a.create_time.nanos),
        "update_time": ts(a.update_time.seconds, a.update_time.nanos),
    }


def _row(d: dict[str, Any]) -> tuple[object, ...]:
    where = f"{d['switch']}/{d['port']}" if d["switch"] else ""
    return (
        f"{d['pod_namespace']}/{d['pod_name']}",
        d["pod_phase"] or "-",
        d["interface"],
        d["network"],
        f"{d['node']}/{d['nic']}",
        where,
        d["vlan"] or "",
        d["vni"] or "",
        d["state"],
        d["reason"],
    )


def list_(ctx: Context) -> int:
    from proto.fabric.v1 import fabric_pb2

    a = ctx.args
    req = fabric_pb2.ListAttachmentsRequest(
        node=a.node or "", pod_namespace=a.pod_namespace or "", switch=a.switch or "", page_size=PAGE
    )
    if a.network:
        req.network.CopyFrom(ctx.network_ref(a.network))
    data = []
    while True:  # every page (controller.api.paging)
        resp = ctx.client.call(ctx.fabric.ListAttachments, req)
        data += [attachment_dict(x) for x in resp.attachments]
        if not resp.next_page_token:
            break
        req.page_token = resp.next_page_token
    if ctx.output != "table":
        emit(dump(data, ctx.output))
    else:
        emit(table(HEADER, [_row(d) for d in data], empty="no attachments"))
    return OK


def resolve(ctx: Context) -> Any:
    """The AttachmentId the arguments name (module docstring)."""
    from proto.fabric.v1 import fabric_pb2

    a = ctx.args
    m = FULL_ID.fullmatch(a.attachment)
    if m:
        if a.network or a.uid:
            raise CtlError("a full attachment id already names the network and UID: drop --network/--uid", USAGE)
        return fabric_pb2.AttachmentId(
            pod_namespace=m["ns"],
            pod_name=m["pod"],
            pod_uid=m["uid"],
            network=ctx.network_ref(m["net"]),
            interface=m["ifname"],
        )
    if not a.network:
        raise CtlError(
            f"attachment {a.attachment!r}: name it as POD_NS/POD(UID):IFACE@NET_NS/NET, or give --network", USAGE
        )
    ns, sep, pod = a.attachment.partition("/")
    if not sep:
        ns, pod = "default", a.attachment
    if not pod or "/" in pod:
        raise CtlError(f"attachment {a.attachment!r}: expected POD or NAMESPACE/POD", USAGE)
    net = ctx.network_ref(a.network)
    ifname = a.interface or "net1"
    if a.uid:
        return fabric_pb2.AttachmentId(pod_namespace=ns, pod_name=pod, pod_uid=a.uid, network=net, interface=ifname)
    resp = ctx.client.call(ctx.fabric.ListAttachments, fabric_pb2.ListAttachmentsRequest(network=net, pod_namespace=ns))
    found = [x.id for x in resp.attachments if x.id.pod_name == pod and x.id.interface == ifname]
    what = f"pod {ns}/{pod} interface {ifname} on network {net.namespace}/{net.name}"
    if not found:
        raise CtlError(f"not found: no attachment of {what}", NOT_FOUND)
    if len(found) > 1:
        uids = ", ".join(sorted(x.pod_uid for x in found))
        raise CtlError(f"{len(found)} attachments of {what} (pod UIDs {uids}): pass --uid", USAGE)
    return found[0]


def get(ctx: Context) -> int:
    from proto.fabric.v1 import fabric_pb2

    aid = resolve(ctx)
    att = ctx.client.call(ctx.fabric.GetAttachment, fabric_pb2.GetAttachmentRequest(id=aid))
    d = attachment_dict(att)
    if ctx.output != "table":
        emit(dump(d, ctx.output))
    else:
        width = max(len(k) for k in d)
        emit("".join(f"{k + ':':{width + 1}} {'-' if v in ('', None) else v}\n" for k, v in d.items()))
    return OK


def detach(ctx: Context) -> int:
    from proto.fabric.v1 import fabric_pb2

    aid = resolve(ctx)
    req = fabric_pb2.DetachRequest(id=aid, container_id=ctx.args.container or "")
    resp = ctx.client.call(ctx.fabric.Detach, req)
    name = id_text(aid)
    if ctx.output != "table":
        emit(dump({"id": name, "removed": resp.removed}, ctx.output))
    elif resp.removed:
        emit(f"attachment {name} detached\n")
    if not resp.removed and not ctx.args.ignore_not_found:
        why = f" for container {ctx.args.container}" if ctx.args.container else ""
        raise CtlError(f"not found: no attachment {name}{why} (nothing detached)", NOT_FOUND)
    return OK
