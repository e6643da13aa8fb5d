"""The fabric.v1.Fabric gRPC handlers: proto <-> the fabric service,
identity, status codes.

Each method converts its request, calls the service with the caller's
identity and maps errors to status codes in one place (controller.api.errors).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import grpc
from google.protobuf import timestamp_pb2
from google.protobuf.message import Message

from controller.api import paging
from controller.api.errors import is_expected, status_of
from controller.api.identity import Unauthenticated, bearer_token, claimed_caller, peer_caller
from controller.api.limits import request_problems
from controller.api.nad import cni_config, manifest
from controller.log import get_logger, request_scope
from controller.reconcile.status import AttachmentState, SessionState
from controller.service.attachments import AttachmentView
from controller.service.audit import MAX_FINDINGS, audit
from controller.service.authz import Caller
from controller.service.fabric import FabricService
from controller.service.relay import ControllerStatus, Router
from controller.service.tokens import NodeTokens, TokenUnauthenticated
from models.errors import FabricError, Problem, ValidationError, raise_if
from models.ids import NicName, NodeName, Vni
from models.intent import OWNER_API, Attachment, AttachmentId, Network, NetworkKey
from models.validation import attachment_id_problems, container_id_problems
from proto.fabric.v1 import ON_BEHALF_OF, fabric_pb2, fabric_pb2_grpc

T = TypeVar("T")
#: attachments turned into messages at a time, the loop free in between (ListAttachments)
PB_CHUNK = 1000
log = get_logger("api")
#: request ids: a generator of its own, so the process's global random state is not ours to move
_RIDS = random.Random()
#: requests that change state: logged at info when done (reads at debug)
MUTATIONS = frozenset({"CreateNetwork", "DeleteNetwork", "Attach", "Detach", "GarbageCollect", "ReleaseSwitch"})

_STATE = {
    AttachmentState.PENDING: fabric_pb2.ATTACHMENT_STATE_PENDING,
    AttachmentState.READY: fabric_pb2.ATTACHMENT_STATE_READY,
    AttachmentState.CONFLICT: fabric_pb2.ATTACHMENT_STATE_CONFLICT,
}
_SESSION = {
    SessionState.CONNECTING: fabric_pb2.SESSION_STATE_CONNECTING,
    SessionState.CONNECTED: fabric_pb2.SESSION_STATE_CONNECTED,
    SessionState.DISCONNECTED: fabric_pb2.SESSION_STATE_DISCONNECTED,
}


def _ts(t: float) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    if t:
        ts.FromNanoseconds(int(t * 1e9))
    return ts


def _key(ref: fabric_pb2.NetworkRef) -> NetworkKey:
    """A namespace/name reference (VNI references go through :meth:`FabricApi._net`)."""
    return NetworkKey(ref.namespace, ref.name)


def _aid(pb: fabric_pb2.AttachmentId) -> AttachmentId:
    return AttachmentId(
        pod_namespace=pb.pod_namespace,
        pod_name=pb.pod_name,
        pod_uid=pb.pod_uid,
        network=_key(pb.network),
        interface=pb.interface,
    )


def _aid_pb(aid: AttachmentId) -> fabric_pb2.AttachmentId:
    return fabric_pb2.AttachmentId(
        pod_namespace=aid.pod_namespace,
        pod_name=aid.pod_name,
        pod_uid=aid.pod_uid,
        network=fabric_pb2.NetworkRef(namespace=aid.network.namespace, name=aid.network.name),
        interface=aid.interface,
    )


class FabricApi(fabric_pb2_grpc.FabricServicer):
    def __init__(
        self, service: FabricService, *, router: Router | None = None, tokens: NodeTokens | None = None
    ) -> None:
        #: the service requests are served with (with HA: replaced when the role changes)
        self.service = service
        self.settings = service.settings
        #: with HA: forwards what only the leader serves (controller.ha)
        self.router = router
        self.tokens = tokens  # node tokens (kubernetes.node_tokens), else client certificates only

    # -------------------------------------------------------------- plumbing

    def _net(self, ref: fabric_pb2.NetworkRef, *, pod_namespace: str | None) -> NetworkKey:
        return self.service.networks.resolve(ref.namespace, ref.name, ref.vni, pod_namespace=pod_namespace)

    def _id(self, pb: fabric_pb2.AttachmentId, *, check: bool = True) -> AttachmentId:
        """An attachment id, its network resolved (a VNI reference names the
        network with that VNI usable from the pod's namespace), every field
        checked as Attach checks it (INVALID_ARGUMENT naming each: a Detach,
        Get or Check of a malformed id answered as if it were a real one, and
        its NOT_FOUND repeated the value whole, control characters and all)."""
        aid = dataclasses.replace(_aid(pb), network=self._net(pb.network, pod_namespace=pb.pod_namespace))
        if check:  # Attach checks the whole attachment, every problem at once
            raise_if(attachment_id_problems(aid))
        return aid

    async def caller(self, context: grpc.aio.ServicerContext) -> Caller:
        """The client certificate's identity (a peer fabricd's: the caller it forwards for); without one (the
        ``api.token_listen`` listeners ask for none), the node a bearer token is bound to.
        Raises Unauthenticated, PermissionDeniedError, TemporaryError."""
        metadata = context.invocation_metadata() or ()
        claim = next((str(v) for k, v in metadata if k == ON_BEHALF_OF), None)
        if self.settings.api.insecure:
            # every caller is trusted; a forwarded request is still the real caller's
            return claimed_caller(claim, self.settings.api.operators, insecure=True) if claim else Caller.trusted()
        auth = context.auth_context() or {}
        pems = auth.get("x509_pem_cert") or []
        if pems or self.tokens is None:
            return peer_caller(pems[0] if pems else None, claim, self.settings.api.operators, self.settings.ha.peers)
        token = bearer_token(metadata)
        if token is None:
            raise Unauthenticated("a client certificate or a node token (authorization: Bearer) is required")
        try:
            return await self.tokens.caller(token)
        except TokenUnauthenticated as e:
            raise Unauthenticated(str(e)) from None

    async def _call(
        self,
        context: grpc.aio.ServicerContext,
        request: Message,
        method: str,
        fn: Callable[[Caller], Awaitable[T]],
        **fields: Any,
    ) -> T:
        rid = f"{_RIDS.getrandbits(32):08x}"  # a log correlation id, not a secret: no urandom call per request
        t0 = time.perf_counter()
        code = grpc.StatusCode.OK
        with request_scope(rid):
            try:
                try:
                    caller = await self.caller(context)
                except Unauthenticated as e:
                    code = grpc.StatusCode.UNAUTHENTICATED
                    log.info("request.refused", method=method, code=code.name, error=str(e))
                    await context.abort(code, str(e))
                    raise AssertionError("unreachable") from None
                except FabricError as e:  # a token that is no node's, or the API server cannot be asked
                    code = status_of(e)
                    if code == grpc.StatusCode.PERMISSION_DENIED:
                        self.service.metrics.authz_denied.labels(method).inc()
                    log.info("request.refused", method=method, code=code.name, error=str(e))
                    await context.abort(code, str(e))
                    raise AssertionError("unreachable") from None
                try:
                    raise_if(request_problems(request))  # bounded sizes, before anything reads the request
                    answer = None
                    if self.router is not None:
                        answer = await self.router.route(method, caller, request, context.time_remaining())
                    result = answer if answer is not None else await fn(caller)
                except asyncio.CancelledError:
                    code = grpc.StatusCode.CANCELLED
                    raise
                except Exception as e:
                    code = status_of(e)
                    if is_expected(e):
                        log.info(
                            "request.refused",
                            method=method,
                            code=code.name,
                            error=str(e),
                            caller=caller.identity,
                            **fields,
                        )
                    else:
                        log.exception("request.failed", method=method, error=repr(e), **fields)
                    message = str(e) if is_expected(e) else f"internal error (request {rid}); see the controller log"
                    await context.abort(code, message)
                    raise AssertionError("unreachable") from None
                seconds = round(time.perf_counter() - t0, 4)
                done = log.info if method in MUTATIONS else log.debug
                done("request.done", method=method, caller=caller.identity, seconds=seconds, **fields)
                return result
            finally:
                self.service.metrics.api_requests.labels(method, code.name).inc()
                self.service.metrics.api_duration.labels(method).observe(time.perf_counter() - t0)

    # -------------------------------------------------------------- networks

    def _network_pb(self, net: Network) -> fabric_pb2.Network:
        return fabric_pb2.Network(
            name=net.name,
            namespace=net.namespace,
            vni=net.vni,
            shared=net.shared,
            mtu=net.mtu,
            description=net.description,
            evi=self.service.state.evis.evi_of(net.vni) or 0,
            create_time=_ts(self.service.networks.created_at(net.key)),
            attachment_count=self.service.state.attachment_count(net.key),
            owner=net.owner,
            readiness=net.readiness,
        )

    async def CreateNetwork(self, request: fabric_pb2.CreateNetworkRequest, context: Any) -> fabric_pb2.Network:
        n = request.network
        net = Network(
            namespace=n.namespace,
            name=n.name,
            vni=Vni(n.vni),
            shared=n.shared,
            mtu=n.mtu,
            description=n.description,
            readiness=n.readiness,
        )

        async def run(caller: Caller) -> fabric_pb2.Network:
            if n.owner not in ("", OWNER_API):
                raise ValidationError(
                    [
                        Problem(
                            "network.owner", n.owner, f"is output only: the API creates networks owned by {OWNER_API!r}"
                        )
                    ]
                )
            created, _, _ = await self.service.networks.create(net, caller)
            return self._network_pb(created)

        return await self._call(context, request, "CreateNetwork", run, network=f"{n.namespace}/{n.name}", vni=n.vni)

    async def GetNetwork(self, request: fabric_pb2.GetNetworkRequest, context: Any) -> fabric_pb2.Network:
        async def run(caller: Caller) -> fabric_pb2.Network:
            return self._network_pb(self.service.networks.get(_key(request.network)))

        return await self._call(context, request, "GetNetwork", run)

    async def ListNetworks(
        self, request: fabric_pb2.ListNetworksRequest, context: Any
    ) -> fabric_pb2.ListNetworksResponse:
        async def run(caller: Caller) -> fabric_pb2.ListNetworksResponse:
            nets = sorted(self.service.state.networks.values(), key=lambda n: n.key)
            return fabric_pb2.ListNetworksResponse(
                networks=[
                    self._network_pb(n) for n in nets if not request.namespace or n.namespace == request.namespace
                ]
            )

        return await self._call(context, request, "ListNetworks", run)

    async def DeleteNetwork(
        self, request: fabric_pb2.DeleteNetworkRequest, context: Any
    ) -> fabric_pb2.DeleteNetworkResponse:
        async def run(caller: Caller) -> fabric_pb2.DeleteNetworkResponse:
            return fabric_pb2.DeleteNetworkResponse(
                deleted=await self.service.networks.delete(_key(request.network), caller)
            )

        return await self._call(context, request, "DeleteNetwork", run, network=str(_key(request.network)))

    async def RenderNAD(self, request: fabric_pb2.RenderNADRequest, context: Any) -> fabric_pb2.RenderNADResponse:
        async def run(caller: Caller) -> fabric_pb2.RenderNADResponse:
            import json

            net = self.service.networks.get(_key(request.network))
            conf = cni_config(
                net, uplink=request.uplink, ipam_json=request.ipam_json, mtu=self.settings.fabric.default_mtu
            )
            text = manifest(net, conf, namespace=request.nad_namespace or net.namespace)
            return fabric_pb2.RenderNADResponse(manifest=text, cni_config=json.dumps(conf, indent=2))

        return await self._call(context, request, "RenderNAD", run)

    # ----------------------------------------------------------- attachments

    def _attachment_pb(self, view: AttachmentView) -> fabric_pb2.Attachment:
        p = view.placed
        a = p.attachment
        return fabric_pb2.Attachment(
            id=_aid_pb(a.id),
            container_id=a.container_id,
            node=a.node,
            nic=a.nic,
            vlan=p.vlan or 0,
            switch=p.placement.switch if p.placement else "",
            port=p.placement.port if p.placement else "",
            vni=p.vni,
            state=_STATE[view.state],
            reason=view.reason,
            create_time=_ts(view.created),
            update_time=_ts(view.created),
            cni_network=a.cni_network,
            pod_phase=view.pod_phase,
        )

    def _leaf_wait(self, context: Any) -> float:
        remaining = context.time_remaining()
        budget = self.settings.api.attach_timeout
        if remaining is not None:
            budget = min(budget, max(0.0, remaining - 0.25))  # answer before the caller's deadline
        return budget

    async def Attach(self, request: fabric_pb2.AttachRequest, context: Any) -> fabric_pb2.Attachment:
        async def run(caller: Caller) -> fabric_pb2.Attachment:
            att = Attachment(
                id=self._id(request.id, check=False),
                container_id=request.container_id,
                node=NodeName(request.node),
                nic=NicName(request.nic),
                cni_network=request.cni_network,
            )
            view = await self.service.attachments.attach(att, caller, leaf_wait=self._leaf_wait(context))
            return self._attachment_pb(view)

        return await self._call(
            context, request, "Attach", run, attachment=str(_aid(request.id)), node=request.node, nic=request.nic
        )

    async def Detach(self, request: fabric_pb2.DetachRequest, context: Any) -> fabric_pb2.DetachResponse:
        async def run(caller: Caller) -> fabric_pb2.DetachResponse:
            aid = self._id(request.id)
            if request.container_id:  # empty: whichever container holds it
                raise_if(container_id_problems(request.container_id))
            removed = await self.service.attachments.detach(aid, request.container_id, caller)
            return fabric_pb2.DetachResponse(removed=removed)

        return await self._call(context, request, "Detach", run, attachment=str(_aid(request.id)))

    async def GetAttachment(self, request: fabric_pb2.GetAttachmentRequest, context: Any) -> fabric_pb2.Attachment:
        async def run(caller: Caller) -> fabric_pb2.Attachment:
            return self._attachment_pb(await self.service.attachments.get(self._id(request.id), caller))

        return await self._call(context, request, "GetAttachment", run)

    async def ListAttachments(
        self, request: fabric_pb2.ListAttachmentsRequest, context: Any
    ) -> fabric_pb2.ListAttachmentsResponse:
        async def run(caller: Caller) -> fabric_pb2.ListAttachmentsResponse:
            node = request.node
            if not caller.operator:
                node = caller.identity  # a node sees its own attachments only
            net = _key(request.network) if request.HasField("network") and request.network.name else None
            size = paging.page_size(request.page_size)
            of = paging.listing(
                "ListAttachments", caller.identity, node, str(net or ""), request.pod_namespace, request.switch
            )
            after = paging.read_token(request.page_token, of, width=6)
            views, last = await self.service.attachments.page(
                size=size,
                after=after,
                node=node,
                network=net,
                pod_namespace=request.pod_namespace,
                switch=request.switch,
            )
            resp = fabric_pb2.ListAttachmentsResponse(
                next_page_token=paging.make_token(of, last) if last is not None else ""
            )
            for start in range(0, len(views), PB_CHUNK):
                if start:
                    await asyncio.sleep(0)  # a page of 5,000: the loop is free between chunks
                resp.attachments.extend(self._attachment_pb(v) for v in views[start : start + PB_CHUNK])
            return resp

        return await self._call(context, request, "ListAttachments", run)

    async def Check(self, request: fabric_pb2.CheckRequest, context: Any) -> fabric_pb2.Attachment:
        async def run(caller: Caller) -> fabric_pb2.Attachment:
            return self._attachment_pb(
                await self.service.attachments.check(self._id(request.id), request.container_id, caller)
            )

        return await self._call(context, request, "Check", run)

    async def GarbageCollect(
        self, request: fabric_pb2.GarbageCollectRequest, context: Any
    ) -> fabric_pb2.GarbageCollectResponse:
        async def run(caller: Caller) -> fabric_pb2.GarbageCollectResponse:
            valid = [(v.container_id, v.interface) for v in request.valid]
            network = self._net(request.network, pod_namespace=None)
            removed = await self.service.attachments.garbage_collect(
                NodeName(request.node), network, valid, caller, cni_network=request.cni_network
            )
            return fabric_pb2.GarbageCollectResponse(removed=[_aid_pb(a) for a in removed])

        return await self._call(
            context, request, "GarbageCollect", run, node=request.node, network=str(_key(request.network))
        )

    async def ReleaseSwitch(
        self, request: fabric_pb2.ReleaseSwitchRequest, context: Any
    ) -> fabric_pb2.ReleaseSwitchResponse:
        async def run(caller: Caller) -> fabric_pb2.ReleaseSwitchResponse:
            return fabric_pb2.ReleaseSwitchResponse(released_objects=await self.service.release(request.name, caller))

        return await self._call(context, request, "ReleaseSwitch", run, switch=request.name)

    # ----------------------------------------------------------------- views

    async def ListSwitches(
        self, request: fabric_pb2.ListSwitchesRequest, context: Any
    ) -> fabric_pb2.ListSwitchesResponse:
        async def run(caller: Caller) -> fabric_pb2.ListSwitchesResponse:
            self.service.authz.require_operator(caller, "ListSwitches")
            return fabric_pb2.ListSwitchesResponse(switches=self._switches())

        return await self._call(context, request, "ListSwitches", run)

    def _switches(self) -> list[fabric_pb2.Switch]:
        out = []
        for cfg in self.service.inventory.switches:
            sw = fabric_pb2.Switch(name=cfg.name, address=cfg.address, platform=cfg.platform, role=cfg.role)
            worker = self.service.fleet.get(cfg.name)
            if worker is not None:
                st = worker.status()
                sw.state = _SESSION[st.session]
                sw.last_sync.CopyFrom(_ts(st.last_sync))
                sw.pending_changes = st.pending
                sw.in_sync = st.in_sync
                sw.last_error = st.last_error
                sw.held_objects = st.held
                sw.held = worker.held()
                leaf = self.service.state.leaves.get(cfg.name)
                if leaf is not None:
                    sw.vlans_used = leaf.vlans.used
                    sw.vlans_free = leaf.vlans.free
                else:
                    sw.vlans_free = self.settings.fabric.pool_for(cfg.name).size
            out.append(sw)
        return out

    async def GetTopology(self, request: fabric_pb2.GetTopologyRequest, context: Any) -> fabric_pb2.Topology:
        async def run(caller: Caller) -> fabric_pb2.Topology:
            self.service.authz.require_operator(caller, "GetTopology")
            snap = self.service.topology
            topo = fabric_pb2.Topology(version=snap.version)
            for s in snap.switches:
                topo.nodes.add(name=s.name, role=s.role.value, platform=s.platform)
            for n in snap.nodes:
                topo.nodes.add(name=n, role="node", platform="linux")
            for f in snap.fabric_links:
                topo.links.add(
                    a=f.a.switch,
                    a_port=f.a.port,
                    b=f.b.switch,
                    b_port=f.b.port,
                    kind="fabric",
                    source="lldp",
                    stale=f.stale,
                )
            for e in snap.edge_links:
                topo.links.add(
                    a=e.switch, a_port=e.port, b=e.node, b_port=e.nic, kind="edge", source=e.source.value, stale=e.stale
                )
            for c in snap.conflicts:
                topo.conflicts.add(kind=c.kind.value, subject=c.subject, reason=c.reason)
            return topo

        return await self._call(context, request, "GetTopology", run)

    async def Plan(self, request: fabric_pb2.PlanRequest, context: Any) -> fabric_pb2.PlanResponse:
        async def run(caller: Caller) -> fabric_pb2.PlanResponse:
            import json

            self.service.authz.require_operator(caller, "Plan")
            resp = fabric_pb2.PlanResponse()
            for worker in self.service.fleet:
                name = worker.name
                if request.switches and name not in request.switches:
                    continue
                plan = resp.plans.add(switch=name)
                ops = worker.plan()
                if ops is None:
                    plan.error = f"the state of {name} is not known yet ({worker.status().session.value})"
                    continue
                plan.deletes.extend(str(p) for p in ops.deletes)
                for p, v in ops.replaces:
                    plan.replaces.add(path=str(p), json=json.dumps(v, sort_keys=True))
                for p, v in ops.updates:
                    plan.updates.add(path=str(p), json=json.dumps(v, sort_keys=True))
            return resp

        return await self._call(context, request, "Plan", run)

    async def Audit(self, request: fabric_pb2.AuditRequest, context: Any) -> fabric_pb2.AuditResponse:
        async def run(caller: Caller) -> fabric_pb2.AuditResponse:
            self.service.authz.require_operator(caller, "Audit")
            findings, names = audit(self.service.ctx, request.switches)
            more = max(0, len(findings) - MAX_FINDINGS)
            findings = findings[:MAX_FINDINGS]
            return fabric_pb2.AuditResponse(
                switches=names,
                more=more,
                findings=[
                    fabric_pb2.AuditFinding(
                        kind=f.kind, switch=f.switch, vni=f.vni, port=f.port, peer=f.peer, detail=f.detail
                    )
                    for f in findings
                ],
            )

        return await self._call(context, request, "Audit", run)

    async def WatchEvents(
        self, request: fabric_pb2.WatchEventsRequest, context: Any
    ) -> AsyncIterator[fabric_pb2.Event]:
        try:
            caller = await self.caller(context)
        except Unauthenticated as e:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(e))
            return
        except FabricError as e:
            await context.abort(status_of(e), str(e))
            return
        if not caller.operator:
            self.service.metrics.authz_denied.labels("WatchEvents").inc()
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "WatchEvents needs an operator identity")
            return
        problems = request_problems(request)  # the bounds every other method's request gets in _call
        if problems:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(ValidationError(problems)))
            return
        async for ev in self.service.events.subscribe(tuple(request.kinds)):
            yield fabric_pb2.Event(
                seq=ev.seq,
                time=_ts(ev.time),
                kind=ev.kind,
                subject=ev.subject,
                message=ev.message,
                attributes=dict(ev.attributes),
            )

    async def GetController(self, request: fabric_pb2.GetControllerRequest, context: Any) -> fabric_pb2.Controller:
        async def run(caller: Caller) -> fabric_pb2.Controller:
            st = self.controller_status()
            return fabric_pb2.Controller(
                instance=st.instance,
                role=st.role,
                leader=st.leader,
                leader_address=st.leader_address,
                term=st.term,
                store=st.store,
                replica_age_seconds=st.replica_age,
            )

        return await self._call(context, request, "GetController", run)

    def controller_status(self) -> ControllerStatus:
        if self.router is not None:
            return self.router.status()
        return ControllerStatus(instance="", role="standalone", store=f"sqlite {self.service.store.location}")
