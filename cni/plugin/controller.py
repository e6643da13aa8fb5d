"""The plugin's client of fabricd's API (proto/fabric/v1): Attach, Detach,
Check, GarbageCollect, and grpc health for STATUS.

The calls go through :mod:`cni.wire` (gRPC unary calls on the standard
library, messages in :mod:`cni.plugin.api`), not grpcio: importing grpcio and
the generated stubs cost about 90 ms of every ADD and DEL (``bench cni``).
gRPC status codes become CniErrors here, once:

====================================================  ==========================
gRPC                                                  CNI error
====================================================  ==========================
UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, ABORTED     11 try again later
NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION, ...  101 refused by fabricd
UNAUTHENTICATED, PERMISSION_DENIED                     102 not authorized
RESOURCE_EXHAUSTED                                     103 no VLAN left on the leaf,
                                                      or the node's quota reached
====================================================  ==========================

An answer that is not the message it should be is 101 (fabricd refused).
ABORTED is fabricd saying that a Detach of the same pod interface came in
while the Attach waited for its leaf: the runtime retries the ADD or goes
on with its DEL. An Attach answered UNAVAILABLE (fabricd restarting, or
with several fabricd a leader election under way: docs/ha.md) is retried
with backoff within the node's ``attachTimeout`` (Attach is idempotent);
only then does the plugin answer "try again later". The channel's address and TLS files are the node's
(:mod:`cni.plugin.nodeconf`), never a network configuration's.
"""

# No `from __future__ import annotations` here: typing.NamedTuple would compile each field's string
# annotation at every plugin start (cni/README.md, Start-up).
import time
from collections.abc import Callable, Iterable
from typing import NamedTuple, TypeVar

from cni.plugin import api
from cni.plugin.api import Attached
from cni.plugin.config import NetRef, Pod
from cni.plugin.errors import CONTROLLER_REFUSED, NOT_AUTHORIZED, TRY_AGAIN, VLANS_EXHAUSTED, CniError
from cni.plugin.nodeconf import NodeConf

CALL_TIMEOUT_S = 10.0
HEALTH_SERVICE = "fabric.v1.Fabric"
T = TypeVar("T")


class AttachmentRef(NamedTuple):
    """Who an attachment is: a pod interface on a fabric network."""

    pod_namespace: str
    pod_name: str
    pod_uid: str
    network: NetRef  # NAMESPACE/NAME, or a VNI fabricd resolves for the pod's namespace
    ifname: str

    @staticmethod
    def of(pod: Pod, network: NetRef, ifname: str) -> "AttachmentRef":
        return AttachmentRef(
            pod_namespace=pod.namespace, pod_name=pod.name, pod_uid=pod.uid, network=network, ifname=ifname
        )

    def __str__(self) -> str:
        return f"{self.pod_namespace}/{self.pod_name}({self.pod_uid}):{self.ifname}@{self.network}"


class Controller:
    """One channel to fabricd for the life of a plugin run."""

    def __init__(self, conf: NodeConf, *, timings: dict[str, float] | None = None) -> None:
        from cni.wire.rpc import Channel, tls_context

        self.address = conf.controller
        self.timings = timings if timings is not None else {}
        tls = None
        metadata: tuple[tuple[str, str], ...] = ()
        if conf.tls is not None:
            ca = _read(conf.tls.ca, "tls.ca")
            for path, field in ((conf.tls.cert, "tls.cert"), (conf.tls.key, "tls.key")):
                _read(path, field)  # unreadable: named here, as the node's file
            try:
                tls = tls_context(ca=ca, cert=conf.tls.cert, key=conf.tls.key)
            except (OSError, ValueError) as e:  # ssl.SSLError is an OSError
                raise CniError(
                    NOT_AUTHORIZED,
                    f"tls: the node's CA {conf.tls.ca}, certificate {conf.tls.cert} or key {conf.tls.key} "
                    f"cannot be used: {getattr(e, 'reason', None) or e}",
                ) from None
            if conf.token is not None:
                token = (_read(conf.token, "token") or b"").decode(errors="replace").strip()
                if not token:
                    raise CniError(NOT_AUTHORIZED, f"token {conf.token}: the node's token file is empty")
                if any(c in token for c in "\r\n\0"):
                    raise CniError(NOT_AUTHORIZED, f"token {conf.token}: the node's token holds a line break or NUL")
                metadata = (("authorization", f"Bearer {token}"),)
        self.channel = Channel(
            conf.grpc_target,
            tls=tls,
            server_name=conf.tls.server_name if conf.tls is not None else None,
            metadata=metadata,
            user_agent="fabric-cni",
        )

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> "Controller":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------ requests

    def _call(self, what: str, method: str, request: bytes, timeout: float, decode: Callable[[bytes], T]) -> T:
        from cni.wire.pb import DecodeError
        from cni.wire.rpc import RpcError

        try:
            answer = self.channel.unary(method, request, timeout)
        except RpcError as e:
            raise self.translate(e.code, e.details, what) from None
        try:
            return decode(answer)
        except DecodeError as e:
            raise CniError(
                CONTROLLER_REFUSED, f"{what}: fabricd at {self.address} answered a malformed message: {e}"
            ) from None

    def _retrying(self, what: str, method: str, request: bytes, timeout: float, decode: Callable[[bytes], T]) -> T:
        """``method`` retried on UNAVAILABLE with backoff (0.1 s doubling to
        1 s), all within ``timeout``."""
        deadline = time.monotonic() + timeout
        delay = 0.1
        while True:
            try:
                return self._call(what, method, request, max(0.05, deadline - time.monotonic()), decode)
            except CniError as e:
                if e.status != "UNAVAILABLE" or deadline - time.monotonic() <= delay:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def attach(
        self, ref: AttachmentRef, *, container_id: str, node: str, nic: str, cni_network: str, timeout: float
    ) -> Attached:
        req = api.attach_request(ref, container_id=container_id, node=node, nic=nic, cni_network=cni_network)
        self.timings["attach_sent"] = time.time()
        a = self._retrying(f"Attach {ref} on {node}/{nic}", api.ATTACH, req, timeout, api.attachment)
        self.timings["attach_answered"] = time.time()
        if not 1 <= a.vlan <= 4094:
            raise CniError(CONTROLLER_REFUSED, f"fabricd answered Attach {ref} without a usable VLAN ({a.vlan})")
        if not (a.network.namespace and a.network.name):
            raise CniError(CONTROLLER_REFUSED, f"fabricd answered Attach {ref} without its network's name")
        return a

    def detach(self, ref: AttachmentRef, *, container_id: str, timeout: float = CALL_TIMEOUT_S) -> bool:
        req = api.detach_request(ref, container_id=container_id)
        return self._call(f"Detach {ref}", api.DETACH, req, timeout, api.detach_response)

    def check(self, ref: AttachmentRef, *, container_id: str, timeout: float = CALL_TIMEOUT_S) -> Attached:
        req = api.check_request(ref, container_id=container_id)
        return self._call(f"Check {ref}", api.CHECK, req, timeout, api.attachment)

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
        req = api.garbage_collect_request(node=node, network=network, cni_network=cni_network, valid=valid)
        what = f"GarbageCollect {node} on {network} ({cni_network})"
        return self._call(what, api.GARBAGE_COLLECT, req, timeout, api.garbage_collect_response)

    def serving(self, timeout: float = 5.0) -> tuple[bool, str]:
        """(fabricd answers SERVING, why not)."""
        req = api.health_check_request(HEALTH_SERVICE)
        try:
            status = self._call("health check", api.HEALTH_CHECK, req, timeout, api.health_status)
        except CniError as e:
            return False, e.msg
        if status != "SERVING":
            return False, f"fabricd at {self.address} answers {status} (starting or stopping)"
        return True, ""

    # -------------------------------------------------------------- errors

    def translate(self, code: str, details: str, what: str) -> CniError:
        """A gRPC status (its name, its message) as the CniError of its code."""
        if code in ("UNAVAILABLE", "DEADLINE_EXCEEDED", "CANCELLED", "ABORTED"):
            if code == "UNAVAILABLE" and _unreachable(details):
                msg = f"fabricd at {self.address} is not reachable ({details}): try again later"
            elif code == "DEADLINE_EXCEEDED":
                msg = f"{what}: fabricd at {self.address} did not answer in time: try again later"
            else:
                msg = f"{what}: fabricd: {details or code}: try again later"
            return CniError(TRY_AGAIN, msg, status=code)
        if code in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
            return CniError(NOT_AUTHORIZED, f"{what}: fabricd refused this node ({code}): {details}", status=code)
        if code == "RESOURCE_EXHAUSTED":
            return CniError(VLANS_EXHAUSTED, f"{what}: {details}", status=code)
        return CniError(CONTROLLER_REFUSED, f"{what}: fabricd answered {code}: {details}", status=code)


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
