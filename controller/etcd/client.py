"""A thin etcd v3 client over aetcd's generated stubs (``aetcd.rpc``).

Why not aetcd's own client: it opens one insecure channel to one
``host:port`` and has no per-call deadline. fabricd's rule is grpc.aio with a
deadline on every call, so this module keeps only the stubs and adds what the
daemon needs:

* several endpoints, one channel each (made on first use); a call that finds
  its endpoint UNAVAILABLE (down, or cut off from quorum: ``etcdserver: no
  leader``) moves on to the next endpoint, within the same deadline;
* TLS (a CA, optionally a client certificate) for ``https://`` endpoints;
* one error class: :class:`EtcdError` (a :class:`TemporaryError`), raised
  with the endpoint, the call and the code, once, here.

A Watch is a stream without a deadline; its reader bounds staleness itself
(:mod:`controller.ha.replica`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Sequence
from typing import Any

import grpc
from aetcd.rpc import rpc_pb2, rpc_pb2_grpc

from models.errors import TemporaryError

#: codes after which another endpoint may do better (the call is tried there
#: at once); after a deadline the next call starts at the next endpoint
_MOVE_ON = frozenset({grpc.StatusCode.UNAVAILABLE})
_NEXT_TIME = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})


class EtcdError(TemporaryError):
    """etcd did not answer, or answered with an error (``code``)."""

    def __init__(self, message: str, *, code: str = "UNKNOWN") -> None:
        super().__init__(message)
        self.code = code


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class EtcdTls:
    ca: bytes
    cert: bytes | None = None
    key: bytes | None = None


def prefix_end(prefix: bytes) -> bytes:
    """The range end that covers every key starting with ``prefix``."""
    b = bytearray(prefix)
    for i in range(len(b) - 1, -1, -1):
        if b[i] < 0xFF:
            b[i] += 1
            return bytes(b[: i + 1])
    return b"\0"


def _target(endpoint: str) -> tuple[str, bool]:
    """``http://h:p``, ``https://h:p`` or ``h:p`` -> (grpc target, tls)."""
    e = endpoint.strip()
    if e.startswith("https://"):
        return e[len("https://") :].rstrip("/"), True
    if e.startswith("http://"):
        return e[len("http://") :].rstrip("/"), False
    return e.rstrip("/"), False


class _Endpoint:
    def __init__(self, endpoint: str, tls: EtcdTls | None) -> None:
        self.name = endpoint
        target, secure = _target(endpoint)
        options = [("grpc.max_receive_message_length", 64 * 1024 * 1024), ("grpc.enable_retries", 0)]
        if secure:
            if tls is None:
                raise ValueError(f"etcd endpoint {endpoint} is https but no store.tls is set")
            creds = grpc.ssl_channel_credentials(tls.ca, tls.key, tls.cert)
            self.channel = grpc.aio.secure_channel(target, creds, options=options)
        else:
            self.channel = grpc.aio.insecure_channel(target, options=options)
        self.kv = rpc_pb2_grpc.KVStub(self.channel)
        self.lease = rpc_pb2_grpc.LeaseStub(self.channel)
        self.watch = rpc_pb2_grpc.WatchStub(self.channel)
        self.maintenance = rpc_pb2_grpc.MaintenanceStub(self.channel)


class EtcdClient:
    def __init__(self, endpoints: Sequence[str], *, timeout: float, tls: EtcdTls | None = None) -> None:
        if not endpoints:
            raise ValueError("no etcd endpoints")
        self.endpoints = tuple(endpoints)
        self.timeout = timeout
        self._tls = tls
        self._conns: dict[int, _Endpoint] = {}
        self._current = 0

    def _conn(self, i: int) -> _Endpoint:
        conn = self._conns.get(i)
        if conn is None:
            conn = self._conns[i] = _Endpoint(self.endpoints[i], self._tls)
        return conn

    @property
    def current(self) -> str:
        return self.endpoints[self._current]

    def next_endpoint(self, after: int | None = None) -> None:
        """Move on from endpoint ``after`` (default: the current one), unless another call already did."""
        i = self._current if after is None else after
        if self._current == i:
            self._current = (i + 1) % len(self.endpoints)

    async def _unary(self, service: str, method: str, request: Any, deadline: float | None) -> Any:
        """Call ``method``; on UNAVAILABLE try the next endpoints, all within one deadline."""
        loop = asyncio.get_running_loop()
        until = loop.time() + (deadline if deadline is not None else self.timeout)
        last: grpc.aio.AioRpcError | None = None
        for _ in range(len(self.endpoints)):
            remaining = until - loop.time()
            if remaining <= 0:
                break
            i = self._current
            stub = getattr(self._conn(i), service)
            try:
                return await getattr(stub, method)(request, timeout=remaining)
            except grpc.aio.AioRpcError as e:
                last = e
                if e.code() in _NEXT_TIME:
                    self.next_endpoint(i)
                if e.code() not in _MOVE_ON:
                    break
        if last is None:
            raise EtcdError(f"etcd {method}: no answer within the deadline", code="DEADLINE_EXCEEDED")
        raise EtcdError(
            f"etcd {method} at {self.endpoints[self._current]}: {last.details()} ({last.code().name})",
            code=last.code().name,
        ) from None

    # ------------------------------------------------------------------ KV

    async def range(
        self,
        key: bytes,
        range_end: bytes = b"",
        *,
        limit: int = 0,
        revision: int = 0,
        serializable: bool = False,
        count_only: bool = False,
        deadline: float | None = None,
    ) -> Any:
        req = rpc_pb2.RangeRequest(
            key=key,
            range_end=range_end,
            limit=limit,
            revision=revision,
            serializable=serializable,
            count_only=count_only,
            sort_order=rpc_pb2.RangeRequest.ASCEND if limit else rpc_pb2.RangeRequest.NONE,
            sort_target=rpc_pb2.RangeRequest.KEY,
        )
        return await self._unary("kv", "Range", req, deadline)

    async def txn(
        self,
        compare: Sequence[Any],
        success: Sequence[Any],
        failure: Sequence[Any] = (),
        *,
        deadline: float | None = None,
    ) -> Any:
        req = rpc_pb2.TxnRequest(compare=list(compare), success=list(success), failure=list(failure))
        return await self._unary("kv", "Txn", req, deadline)

    # --------------------------------------------------------------- lease

    async def lease_grant(self, ttl: int, *, deadline: float | None = None) -> int:
        resp = await self._unary("lease", "LeaseGrant", rpc_pb2.LeaseGrantRequest(TTL=ttl), deadline)
        if resp.error:
            raise EtcdError(f"etcd LeaseGrant: {resp.error}")
        return int(resp.ID)

    async def lease_revoke(self, lease: int, *, deadline: float | None = None) -> None:
        with contextlib.suppress(EtcdError):  # an expired lease is revoked already
            await self._unary("lease", "LeaseRevoke", rpc_pb2.LeaseRevokeRequest(ID=lease), deadline)

    async def lease_keepalive(self, lease: int, *, deadline: float | None = None) -> int:
        """Renew ``lease`` once; returns its TTL as etcd now has it (0: gone)."""
        t = deadline if deadline is not None else self.timeout
        i = self._current
        call = self._conn(i).lease.LeaseKeepAlive(iter([rpc_pb2.LeaseKeepAliveRequest(ID=lease)]), timeout=t)
        try:
            async for resp in call:
                return int(resp.TTL)
        except grpc.aio.AioRpcError as e:
            if e.code() in _NEXT_TIME:
                self.next_endpoint(i)
            raise EtcdError(f"etcd LeaseKeepAlive: {e.details()} ({e.code().name})", code=e.code().name) from None
        finally:
            call.cancel()
        raise EtcdError("etcd LeaseKeepAlive: the stream ended without an answer")

    # --------------------------------------------------------- maintenance

    async def status(self, *, deadline: float | None = None) -> Any:
        return await self._unary("maintenance", "Status", rpc_pb2.StatusRequest(), deadline)

    # --------------------------------------------------------------- watch

    async def watch(
        self, key: bytes, range_end: bytes, *, start_revision: int, requests: asyncio.Queue[Any] | None = None
    ) -> AsyncIterator[Any]:
        """Watch responses for ``[key, range_end)`` from ``start_revision``
        on the current endpoint; raises EtcdError when the stream fails (the
        caller restarts it, from the next revision it needs). ``requests``
        takes further requests for the stream (:func:`progress_request`)."""
        i = self._current
        create = rpc_pb2.WatchCreateRequest(key=key, range_end=range_end, start_revision=start_revision)
        requests = requests if requests is not None else asyncio.Queue()
        requests.put_nowait(rpc_pb2.WatchRequest(create_request=create))

        async def outgoing() -> AsyncIterator[Any]:
            while True:
                yield await requests.get()

        call = self._conn(i).watch.Watch(outgoing())
        try:
            async for resp in call:
                if resp.canceled:
                    reason = resp.cancel_reason or "canceled"
                    raise EtcdError(f"etcd Watch canceled: {reason}", code="COMPACTED" if resp.compact_revision else "")
                yield resp
        except grpc.aio.AioRpcError as e:
            self.next_endpoint(i)
            raise EtcdError(f"etcd Watch: {e.details()} ({e.code().name})", code=e.code().name) from None
        finally:
            call.cancel()

    async def close(self) -> None:
        for conn in self._conns.values():
            await conn.channel.close()
        self._conns.clear()


def progress_request() -> Any:
    """Ask a watch stream for a progress notification: etcd answers once
    every event up to its current revision was sent on the stream."""
    return rpc_pb2.WatchRequest(progress_request=rpc_pb2.WatchProgressRequest())


def is_progress(resp: Any) -> bool:
    return not resp.events and not resp.created and not resp.canceled and not resp.compact_revision


def put(key: bytes, value: bytes, *, lease: int = 0) -> Any:
    return rpc_pb2.RequestOp(request_put=rpc_pb2.PutRequest(key=key, value=value, lease=lease))


def delete(key: bytes) -> Any:
    return rpc_pb2.RequestOp(request_delete_range=rpc_pb2.DeleteRangeRequest(key=key))


def get(key: bytes) -> Any:
    return rpc_pb2.RequestOp(request_range=rpc_pb2.RangeRequest(key=key))


def create_revision_is(key: bytes, revision: int) -> Any:
    """Compare: ``key`` was created at ``revision`` (0: ``key`` does not exist)."""
    return rpc_pb2.Compare(
        key=key, target=rpc_pb2.Compare.CREATE, result=rpc_pb2.Compare.EQUAL, create_revision=revision
    )


def version_at_least(key: bytes, version: int) -> Any:
    return rpc_pb2.Compare(key=key, target=rpc_pb2.Compare.VERSION, result=rpc_pb2.Compare.GREATER, version=version - 1)


def value_is(key: bytes, value: bytes) -> Any:
    return rpc_pb2.Compare(key=key, target=rpc_pb2.Compare.VALUE, result=rpc_pb2.Compare.EQUAL, value=value)
