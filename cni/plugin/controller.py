"""The plugin's client of fabricd's API (proto/fabric/v1): Attach, Detach,
Check, GarbageCollect, and grpc health for STATUS.

grpc and the generated stubs are imported here, when a command first needs
the controller (about 120 ms of the plugin's start-up; VERSION and config
errors never pay it). gRPC status codes become CniErrors here, once:

====================================================  ==========================
gRPC                                                  CNI error
====================================================  ==========================
UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, ABORTED     11 try again later
NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION, ...  101 refused by fabricd
UNAUTHENTICATED, PERMISSION_DENIED                     102 not authorized
RESOURCE_EXHAUSTED                                     103 no VLAN left on the leaf,
                                                      or the node's quota reached
====================================================  ==========================

ABORTED is fabricd saying that a Detach of the same pod interface came in
while the Attach waited for its leaf: the runtime retries the ADD or goes
on with its DEL. An Attach answered UNAVAILABLE (fabricd restarting, or
with several fabricd a leader election under way: docs/ha.md) is retried
with backoff within the node's ``attachTimeout`` (Attach is idempotent);
only then does the plugin answer "try again later". The channel's address and TLS files are the node's
(:mod:`cni.plugin.nodeconf`), never a network configuration's.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from typing import Any

from cni.plugin.config import NetRef, Pod
from cni.plugin.errors import CONTROLLER_REFUSED, NOT_AUTHORIZED, TRY_AGAIN, VLANS_EXHAUSTED, CniError
from cni.plugin.nodeconf import NodeConf

CALL_TIMEOUT_S = 10.0
HEALTH_SERVICE = "fabric.v1.Fabric"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Attached:
    vlan: int
    switch: str
    port: str
    vni: int
    network: NetRef  # as fabricd resolved it (NAMESPACE/NAME, also for a VNI reference)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AttachmentRef:
    """Who an attachment is: a pod interface on a fabric network."""

    pod_namespace: str
    pod_name: str
    pod_uid: str
    network: NetRef  # NAMESPACE/NAME, or a VNI fabricd resolves for the pod's namespace
    ifname: str

    @staticmethod
    def of(pod: Pod, network: NetRef, ifname: str) -> AttachmentRef:
        return AttachmentRef(
            pod_namespace=pod.namespace, pod_name=pod.name, pod_uid=pod.uid, network=network, ifname=ifname
        )

    def __str__(self) -> str:
        return f"{self.pod_namespace}/{self.pod_name}({self.pod_uid}):{self.ifname}@{self.network}"


class Controller:
    """One channel to fabricd for the life of a plugin run."""

    def __init__(self, conf: NodeConf, *, timings: dict[str, float] | None = None) -> None:
        import grpc

        from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc

        self._grpc = grpc
        self._pb = fabric_pb2
        self.address = conf.controller
        self.timings = timings if timings is not None else {}
        options: list[tuple[str, Any]] = [("grpc.enable_retries", 0)]
        if conf.tls is not None:
            if conf.tls.server_name:
                options.append(("grpc.ssl_target_name_override", conf.tls.server_name))
            creds = grpc.ssl_channel_credentials(
                root_certificates=_read(conf.tls.ca, "tls.ca"),
                private_key=_read(conf.tls.key, "tls.key"),
                certificate_chain=_read(conf.tls.cert, "tls.cert"),
            )
            if conf.token is not None:
                token = (_read(conf.token, "token") or b"").decode(errors="replace").strip()
                if not token:
                    raise CniError(NOT_AUTHORIZED, f"token {conf.token}: the node's token file is empty")
                creds = grpc.composite_channel_credentials(creds, grpc.access_token_call_credentials(token))
            self.channel = grpc.secure_channel(conf.grpc_target, creds, options=options)
        else:
            self.channel = grpc.insecure_channel(conf.grpc_target, options=options)
        self.stub = fabric_pb2_grpc.FabricStub(self.channel)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> Controller:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------ requests

    def _net(self, net: NetRef) -> Any:
        if net.by_vni:
            return self._pb.NetworkRef(vni=net.vni)
        return self._pb.NetworkRef(namespace=net.namespace, name=net.name)

    def _id(self, ref: AttachmentRef) -> Any:
        return self._pb.AttachmentId(
            pod_namespace=ref.pod_namespace,
            pod_name=ref.pod_name,
            pod_uid=ref.pod_uid,
            network=self._net(ref.network),
            interface=ref.ifname,
        )

    def _attached(self, a: Any) -> Attached:
        net = NetRef(namespace=a.id.network.namespace, name=a.id.network.name)
        return Attached(vlan=a.vlan, switch=a.switch, port=a.port, vni=a.vni, network=net)

    def _call(self, what: str, method: Any, request: Any, timeout: float) -> Any:
        try:
            return method(request, timeout=timeout)
        except self._grpc.RpcError as e:
            raise self.translate(e, what) from None

    def _retrying(self, what: str, method: Any, request: Any, timeout: float) -> Any:
        """``method`` retried on UNAVAILABLE with backoff (0.1 s doubling to
        1 s), all within ``timeout``."""
        deadline = time.monotonic() + timeout
        delay = 0.1
        while True:
            try:
                return self._call(what, method, request, max(0.05, deadline - time.monotonic()))
            except CniError as e:
                if e.status != "UNAVAILABLE" or deadline - time.monotonic() <= delay:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def attach(
        self, ref: AttachmentRef, *, container_id: str, node: str, nic: str, cni_network: str, timeout: float
    ) -> Attached:
        req = self._pb.AttachRequest(
            id=self._id(ref), container_id=container_id, node=node, nic=nic, cni_network=cni_network
        )
        self.timings["attach_sent"] = time.time()
        a = self._retrying(f"Attach {ref} on {node}/{nic}", self.stub.Attach, req, timeout)
        self.timings["attach_answered"] = time.time()
        if not 1 <= a.vlan <= 4094:
            raise CniError(CONTROLLER_REFUSED, f"fabricd answered Attach {ref} without a usable VLAN ({a.vlan})")
        if not (a.id.network.namespace and a.id.network.name):
            raise CniError(CONTROLLER_REFUSED, f"fabricd answered Attach {ref} without its network's name")
        return self._attached(a)

    def detach(self, ref: AttachmentRef, *, container_id: str, timeout: float = CALL_TIMEOUT_S) -> bool:
        req = self._pb.DetachRequest(id=self._id(ref), container_id=container_id)
        return bool(self._call(f"Detach {ref}", self.stub.Detach, req, timeout).removed)

    def check(self, ref: AttachmentRef, *, container_id: str, timeout: float = CALL_TIMEOUT_S) -> Attached:
        req = self._pb.CheckRequest(id=self._id(ref), container_id=container_id)
        return self._attached(self._call(f"Check {ref}", self.stub.Check, req, timeout))

    def garbage_collect(
        self,
        *,
        node: str,
        network: NetRef,
        cni_network: str,
        valid: Iterable[tuple[str, str]],
        timeout: float = CALL_TIMEOUT_S,
    ) -> list[str]:
        """GarbageCollect of ``node``'s attachments on ``network`` made
        through the CNI network ``cni_network`` (the NAD's config name): two
        NADs of one fabric network never collect each other's pods."""
        req = self._pb.GarbageCollectRequest(
            node=node,
            network=self._net(network),
            cni_network=cni_network,
            valid=[self._pb.ValidAttachment(container_id=c, interface=i) for c, i in valid],
        )
        what = f"GarbageCollect {node} on {network} ({cni_network})"
        resp = self._call(what, self.stub.GarbageCollect, req, timeout)
        return [f"{r.pod_namespace}/{r.pod_name}:{r.interface}" for r in resp.removed]

    def serving(self, timeout: float = 5.0) -> tuple[bool, str]:
        """(fabricd answers SERVING, why not)."""
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        stub = health_pb2_grpc.HealthStub(self.channel)
        try:
            resp = stub.Check(health_pb2.HealthCheckRequest(service=HEALTH_SERVICE), timeout=timeout)
        except self._grpc.RpcError as e:
            return False, self.translate(e, "health check").msg
        if resp.status != health_pb2.HealthCheckResponse.SERVING:
            name = health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
            return False, f"fabricd at {self.address} answers {name} (starting or stopping)"
        return True, ""

    # -------------------------------------------------------------- errors

    def translate(self, e: Any, what: str) -> CniError:
        """A gRPC error as the CniError of its status code."""
        sc = self._grpc.StatusCode
        code = e.code() if callable(getattr(e, "code", None)) else sc.UNKNOWN
        details = (e.details() if callable(getattr(e, "details", None)) else "") or ""
        name = code.name if code is not None else "UNKNOWN"
        if code in (sc.UNAVAILABLE, sc.DEADLINE_EXCEEDED, sc.CANCELLED, sc.ABORTED):
            if code == sc.UNAVAILABLE and _unreachable(details):
                msg = f"fabricd at {self.address} is not reachable ({details}): try again later"
            elif code == sc.DEADLINE_EXCEEDED:
                msg = f"{what}: fabricd at {self.address} did not answer in time: try again later"
            else:
                msg = f"{what}: fabricd: {details or name}: try again later"
            return CniError(TRY_AGAIN, msg, status=name)
        if code in (sc.UNAUTHENTICATED, sc.PERMISSION_DENIED):
            return CniError(NOT_AUTHORIZED, f"{what}: fabricd refused this node ({name}): {details}", status=name)
        if code == sc.RESOURCE_EXHAUSTED:
            return CniError(VLANS_EXHAUSTED, f"{what}: {details}", status=name)
        return CniError(CONTROLLER_REFUSED, f"{what}: fabricd answered {name}: {details}", status=name)


def _unreachable(details: str) -> bool:
    d = details.lower()
    return any(s in d for s in ("failed to connect", "connection refused", "no such file", "connect failed", "dns"))


def _read(path: str | None, field: str) -> bytes | None:
    if path is None:
        return None
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as e:
        raise CniError(NOT_AUTHORIZED, f"{field} {path}: cannot read the node's {field} file: {e.strerror}") from None
