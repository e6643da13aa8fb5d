"""A minimal SR Linux gNMI target for controller tests: a real in-process
gRPC server on 127.0.0.1:0 that speaks SR Linux's native paths enough for
fabricd to manage a leaf. The lab's emulator serves OpenConfig only; its
``srlinux`` profile comes later (issue 16), and this stand-in does not try to
be it. What it does, as SR Linux is documented to:

* Capabilities lists ``srl_nokia`` modules; username/password on every call;
  TLS when given a certificate;
* Get of CONFIG or STATE paths, wildcards included, answered per match with
  the module on the path's first element (``srl_nokia-interfaces:interface``)
  and JSON_IETF values;
* Set as one commit: deletes, replaces, updates on a candidate, then checks,
  then commit; a refused commit is FAILED_PRECONDITION with the reason and
  changes nothing. The checks: ports exist (day-0 lists them), a mac-vrf's
  subinterfaces and vxlan-interface exist and are bridged, and, when Nokia's
  models are present, the whole candidate against them with libyang;
* Subscribe STREAM: the subscribed leaves, ``sync_response``, then each
  commit's changed leaves (configuration and LLDP neighbour state).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator
from typing import Any

import grpc
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from controller.gnmi.convert import from_pb, typed, untyped
from models.oc.path import Elem, Path, covers
from models.oc.schema import MODULE_AT
from models.oc.tree import Tree, TreeError, leaves, to_json
from tests.models import srl_yang
from tests.thirdparty import SRL_YANG

MODELS = (
    ("srl_nokia-interfaces", "2025-03-31"),
    ("srl_nokia-interfaces-vlans", "2025-03-31"),
    ("srl_nokia-tunnel-interfaces", "2023-10-31"),
    ("srl_nokia-network-instance", "2025-03-31"),
    ("srl_nokia-bgp-evpn", "2024-10-31"),
    ("srl_nokia-bgp-vpn", "2025-03-31"),
    ("srl_nokia-lldp", "2024-10-31"),
)
Change = tuple[str, Path, Any]  # ("update" | "delete", leaf path, value)


@dataclasses.dataclass
class Counters:
    gets: int = 0
    sets: int = 0
    refused: list[str] = dataclasses.field(default_factory=list)


class SrlTarget(gnmi_pb2_grpc.gNMIServicer):
    def __init__(self, name: str, day0: Any, *, username: str, password: str) -> None:
        self.name = name
        self.config = Tree.from_json(day0)
        self.state = Tree()
        self.ports = {e["name"] for e in (self.config.root.get("interface") or {}).values()}
        self.credentials = (username, password)
        self.counters = Counters()
        self.yang = SRL_YANG.path().exists()  # validate commits against Nokia's models
        self.address = ""
        self._feeds: set[asyncio.Queue[list[Change]]] = set()

    @classmethod
    @contextlib.asynccontextmanager
    async def serve(
        cls, name: str, day0: Any, *, username: str, password: str, tls: tuple[bytes, bytes] | None = None
    ) -> AsyncIterator[SrlTarget]:
        target = cls(name, day0, username=username, password=password)
        server = grpc.aio.server()
        gnmi_pb2_grpc.add_gNMIServicer_to_server(target, server)
        if tls is None:
            port = server.add_insecure_port("127.0.0.1:0")
        else:
            port = server.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([(tls[1], tls[0])]))
        await server.start()
        target.address = f"127.0.0.1:{port}"
        try:
            yield target
        finally:
            await server.stop(None)

    # -- what tests look at and change

    def config_json(self) -> Any:
        return self.config.to_json()

    def get(self, path: str) -> Any:
        return self.config.get(Path.parse(path))

    def operator_delete(self, path: str) -> None:
        """An out-of-band change (the CLI), streamed to subscribers."""
        old = self.config.copy()
        self.config.delete(Path.parse(path))
        self._publish(old, self.config)

    def set_neighbor(self, port: str, nid: str, **leaves_: str) -> None:
        at = self._neighbor(port, nid)
        old = self.state.copy()
        self.state.replace(at, {"id": nid, **{k.replace("_", "-"): v for k, v in leaves_.items()}})
        self._publish(old, self.state)

    def remove_neighbor(self, port: str, nid: str) -> None:
        old = self.state.copy()
        self.state.delete(self._neighbor(port, nid))
        self._publish(old, self.state)

    @staticmethod
    def _neighbor(port: str, nid: str) -> Path:
        return Path.parse("/system/lldp") / Elem.of("interface", {"name": port}) / Elem.of("neighbor", {"id": nid})

    # -- gNMI

    async def _admit(self, context: Any) -> None:
        md = dict(context.invocation_metadata())
        if (md.get("username"), md.get("password")) != self.credentials:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, "authentication failed")

    async def Capabilities(self, request: Any, context: Any) -> Any:
        await self._admit(context)
        return gnmi_pb2.CapabilityResponse(
            supported_models=[gnmi_pb2.ModelData(name=n, organization="Nokia", version=v) for n, v in MODELS],
            supported_encodings=[gnmi_pb2.Encoding.JSON, gnmi_pb2.Encoding.JSON_IETF],
            gNMI_version="0.10.0",
        )

    async def Get(self, request: Any, context: Any) -> Any:
        await self._admit(context)
        self.counters.gets += 1
        prefix = request.prefix if request.HasField("prefix") else None
        trees = [self.state] if request.type == gnmi_pb2.GetRequest.STATE else [self.config]
        notification = gnmi_pb2.Notification(timestamp=time.time_ns())
        for pb in request.path:
            path = from_pb(pb, prefix)
            for tree in trees:
                found = tree.find(path) if path.has_wildcards else [(path, tree.get(path))]
                for at, node in found:
                    if node is not None:
                        value = to_json(node, at.schema)
                        notification.update.append(gnmi_pb2.Update(path=_qualified(at), val=typed(value)))
        return gnmi_pb2.GetResponse(notification=[notification])

    async def Set(self, request: Any, context: Any) -> Any:
        await self._admit(context)
        prefix = request.prefix if request.HasField("prefix") else None
        candidate = self.config.copy()
        try:
            for pb in request.delete:
                candidate.delete(from_pb(pb, prefix))
            for u in request.replace:
                candidate.replace(from_pb(u.path, prefix), untyped(u.val))
            for u in request.update:
                candidate.update(from_pb(u.path, prefix), untyped(u.val))
        except TreeError as e:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        problems = self._check(candidate)
        if not problems and self.yang:
            verdict = await asyncio.to_thread(srl_yang.validate, candidate.to_json())
            if not verdict.ok:
                problems = [verdict.errors.splitlines()[0].removeprefix("libyang err : ")]
        if problems:
            reason = "; ".join(problems)
            self.counters.refused.append(reason)
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"commit failed: {reason}")
        old, self.config = self.config, candidate
        self.counters.sets += 1
        self._publish(old, candidate)
        return gnmi_pb2.SetResponse(timestamp=time.time_ns())

    async def Subscribe(self, request_iterator: Any, context: Any) -> AsyncIterator[Any]:
        await self._admit(context)
        first = await anext(aiter(request_iterator))
        sub = first.subscribe
        prefix = sub.prefix if sub.HasField("prefix") else None
        patterns = [from_pb(s.path, prefix) for s in sub.subscription]
        feed: asyncio.Queue[list[Change]] = asyncio.Queue()
        self._feeds.add(feed)
        try:
            if not sub.updates_only:
                initial = [
                    ("update", leaf, value)
                    for tree in (self.config, self.state)
                    for pattern in patterns
                    for at, node in tree.find(pattern)
                    for leaf, value in leaves(node, at)
                ]
                if initial:
                    yield gnmi_pb2.SubscribeResponse(update=_notification(initial))
            yield gnmi_pb2.SubscribeResponse(sync_response=True)
            while True:
                changes = [c for c in await feed.get() if any(covers(p, c[1]) for p in patterns)]
                if changes:
                    yield gnmi_pb2.SubscribeResponse(update=_notification(changes))
        finally:
            self._feeds.discard(feed)

    # -- the box's own checks (what its applications refuse at commit)

    def _check(self, tree: Tree) -> list[str]:
        problems = [
            f"interface {name} does not exist on this platform"
            for name in (e["name"] for e in (tree.root.get("interface") or {}).values())
            if name not in self.ports
        ]
        subifs = {
            f"{i['name']}.{s['index']}": s.get("type")
            for i in (tree.root.get("interface") or {}).values()
            for s in (i.get("subinterface") or {}).values()
        }
        vxlans = {
            f"{t['name']}.{v['index']}": v.get("type")
            for t in (tree.root.get("tunnel-interface") or {}).values()
            for v in (t.get("vxlan-interface") or {}).values()
        }
        bridged = "srl_nokia-interfaces:bridged"
        for ni in (tree.root.get("network-instance") or {}).values():
            if ni.get("type") != "srl_nokia-network-instance:mac-vrf":
                continue
            for member in (ni.get("interface") or {}).values():
                if subifs.get(member["name"], bridged) != bridged or member["name"] not in subifs:
                    problems.append(f"network-instance {ni['name']}: {member['name']} is not a bridged subinterface")
            for member in (ni.get("vxlan-interface") or {}).values():
                if vxlans.get(member["name"]) != bridged:
                    problems.append(f"network-instance {ni['name']}: {member['name']} is not a bridged vxlan-interface")
        return problems

    def _publish(self, old: Tree, new: Tree) -> None:
        before, after = dict(leaves(old.root)), dict(leaves(new.root))
        changes: list[Change] = [("update", p, v) for p, v in after.items() if before.get(p, _MISSING) != v]
        changes += [("delete", p, None) for p in before if p not in after]
        for feed in self._feeds:
            feed.put_nowait(changes)


_MISSING = object()


def _qualified(path: Path) -> Any:
    """A proto path with the module on each element where it changes."""
    pb = gnmi_pb2.Path()
    for i, elem in enumerate(path.elems):
        module = MODULE_AT.get(path.schema[: i + 1])
        name = f"{module}:{elem.name}" if module else elem.name
        pb.elem.append(gnmi_pb2.PathElem(name=name, key=dict(elem.keys)))
    return pb


def _notification(changes: list[Change]) -> Any:
    n = gnmi_pb2.Notification(timestamp=time.time_ns())
    for kind, path, value in changes:
        if kind == "delete":
            n.delete.append(_qualified(path))
        else:
            n.update.append(gnmi_pb2.Update(path=_qualified(path), val=typed(value)))
    return n
