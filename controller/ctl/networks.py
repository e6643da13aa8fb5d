"""``fabricctl network create|get|list|delete`` and ``fabricctl nad``."""

from __future__ import annotations

import json
from typing import Any

from controller.ctl.context import Context
from controller.ctl.errors import NOT_FOUND, OK, USAGE, CtlError
from controller.ctl.output import dump, emit, table, ts

HEADER = (
    "NAMESPACE",
    "NAME",
    "VNI",
    "EVI",
    "SHARED",
    "MTU",
    "READINESS",
    "ATTACHMENTS",
    "OWNER",
    "CREATED",
    "DESCRIPTION",
)


def network_dict(n: Any) -> dict[str, Any]:
    return {
        "namespace": n.namespace,
        "name": n.name,
        "vni": n.vni,
        "evi": n.evi,
        "shared": n.shared,
        "mtu": n.mtu,
        "readiness": n.readiness,
        "description": n.description,
        "attachment_count": n.attachment_count,
        "owner": n.owner or "api",
        "create_time": ts(n.create_time.seconds, n.create_time.nanos),
    }


def _row(d: dict[str, Any]) -> tuple[object, ...]:
    return (
        d["namespace"],
        d["name"],
        d["vni"],
        d["evi"] or "",
        "yes" if d["shared"] else "no",
        d["mtu"] or "default",
        d["readiness"] or "default",
        d["attachment_count"],
        d["owner"],
        d["create_time"] or "",
        d["description"],
    )


def _print(ctx: Context, nets: list[Any], *, single: bool) -> None:
    data = [network_dict(n) for n in nets]
    if ctx.output != "table":
        emit(dump(data[0] if single else data, ctx.output))
    else:
        emit(table(HEADER, [_row(d) for d in data], empty="no networks"))


def create(ctx: Context) -> int:
    from proto.fabric.v1 import fabric_pb2

    a = ctx.args
    ref = ctx.network_ref(a.name, a.namespace)
    net = fabric_pb2.Network(
        namespace=ref.namespace,
        name=ref.name,
        vni=a.vni,
        shared=a.shared,
        mtu=a.mtu,
        description=a.description,
        readiness=a.readiness or "",
    )
    created = ctx.client.call(ctx.fabric.CreateNetwork, fabric_pb2.CreateNetworkRequest(network=net))
    _print(ctx, [created], single=True)
    return OK


def get(ctx: Context) -> int:
    from proto.fabric.v1 import fabric_pb2

    ref = ctx.network_ref(ctx.args.name, ctx.args.namespace)
    net = ctx.client.call(ctx.fabric.GetNetwork, fabric_pb2.GetNetworkRequest(network=ref))
    _print(ctx, [net], single=True)
    return OK


def list_(ctx: Context) -> int:
    from proto.fabric.v1 import fabric_pb2

    resp = ctx.client.call(ctx.fabric.ListNetworks, fabric_pb2.ListNetworksRequest(namespace=ctx.args.namespace or ""))
    _print(ctx, list(resp.networks), single=False)
    return OK


def delete(ctx: Context) -> int:
    from proto.fabric.v1 import fabric_pb2

    ref = ctx.network_ref(ctx.args.name, ctx.args.namespace)
    resp = ctx.client.call(ctx.fabric.DeleteNetwork, fabric_pb2.DeleteNetworkRequest(network=ref))
    name = f"{ref.namespace}/{ref.name}"
    if ctx.output != "table":
        emit(dump({"network": name, "deleted": resp.deleted}, ctx.output))
    elif resp.deleted:
        emit(f"network {name} deleted\n")
    if not resp.deleted and not ctx.args.ignore_not_found:
        raise CtlError(f"not found: network {name} does not exist (nothing deleted)", NOT_FOUND)
    return OK


def nad(ctx: Context) -> int:
    from proto.fabric.v1 import fabric_pb2

    a = ctx.args
    if a.controller is not None:
        raise CtlError(
            "nad: --controller is gone: a NetworkAttachmentDefinition carries only what is the network's; "
            "fabricd's address is each node's setting, in fabric-cni's node file (/etc/fabric-cni/node.json, "
            "cni/README.md)",
            USAGE,
        )
    if a.ipam:
        try:
            json.loads(a.ipam)
        except json.JSONDecodeError as e:
            raise CtlError(f"--ipam: not JSON: {e.msg}", USAGE) from None
    req = fabric_pb2.RenderNADRequest(
        network=ctx.network_ref(a.name, a.namespace),
        uplink=a.uplink or "",
        ipam_json=a.ipam or "",
        nad_namespace=a.nad_namespace or "",
    )
    resp = ctx.client.call(ctx.fabric.RenderNAD, req)
    if ctx.output == "json":  # the same NetworkAttachmentDefinition, as JSON (kubectl takes both)
        import yaml

        emit(dump(yaml.safe_load(resp.manifest), "json"))
    else:
        emit(resp.manifest)
    return OK
