"""fabricd's end of the link to its API front end (``front/``, fabricd-front).

The front end serves gRPC and TLS; every call crosses a socket pair as one
frame, is answered by the same handlers that grpc.aio would run
(:class:`controller.api.handlers.FabricApi`) and goes back as one frame.
Frames are read and written in bursts: one read, one write for whatever is
ready, where grpc.aio took several event-loop callbacks per call.

A frame is ``[u32 length of the rest][u8 type][body]``, little endian; a
byte string is ``[u32 length][bytes]``. Bodies (``front/frame.go`` is the
other end):

- CONFIG (1, fabricd -> front): cert chain, key, client CA (PEM; empty when
  there is no TLS), u32 max request bytes, a FileDescriptorSet (the API's
  proto files, dependencies first), u32 count and per listener u32 fd, u8
  kind (0 plaintext, 1 mutual TLS, 2 TLS for bearer tokens).
- SERVING (2, fabricd -> front): u8 1 serving, 0 not; the front end sends it
  back once its health service answers so.
- CALL (3, front -> fabricd): u64 id, method, u64 ns left before the
  deadline (all ones: none), u32 count and per metadata entry key, value,
  the client certificate (PEM, verified against the client CA; empty: none),
  the request.
- REPLY (4, fabricd -> front): u64 id, u32 status code, message, response
  (a unary call's, when the code is OK).
- MESSAGE (5, fabricd -> front): u64 id, one message of a server stream.
- CANCEL (6, front -> fabricd): u64 id; the caller is gone.
- STOP (7, fabricd -> front): u32 grace in ms.
- READY (8, front -> fabricd): listening.
- TLS (9, fabricd -> front): cert chain, key, client CA (PEM), checked by
  fabricd (controller.api.tlsfiles): the handshakes from now on use them.
  Front -> fabricd: u8 1 taken (0 refused, the old material kept), message.
"""

from __future__ import annotations

import asyncio
import collections
import struct
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import grpc
from google.protobuf import descriptor_pb2
from google.protobuf.message import DecodeError, Message

from controller.log import get_logger
from proto.fabric.v1 import fabric_pb2

log = get_logger("api")

CONFIG, SERVING, CALL, REPLY, MESSAGE, CANCEL, STOP, READY, TLS = range(1, 10)
LISTEN_PLAIN, LISTEN_MTLS, LISTEN_TOKEN = 0, 1, 2
#: the largest frame either side accepts (front/frame.go's maxFrame)
MAX_FRAME = 8 << 20
#: the largest response fabricd sends: a request's limit (4 MiB) with room for the framing
MAX_RESPONSE = MAX_FRAME - (64 << 10)
#: written but not yet taken by the front end: beyond this it is stuck, the link is dropped
MAX_UNSENT = 64 << 20
NO_DEADLINE = (1 << 64) - 1

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_HEAD = struct.Struct("<IB")
_REPLY = struct.Struct("<IBQI")  # length, type, id, code


def _s(b: bytes) -> bytes:
    return _U32.pack(len(b)) + b


def frame(kind: int, body: bytes = b"") -> bytes:
    return _HEAD.pack(len(body) + 1, kind) + body


def _tls(cert_chain: bytes, key: bytes, client_ca: bytes) -> bytes:
    return _s(cert_chain) + _s(key) + _s(client_ca)


def config_frame(
    *,
    cert_chain: bytes,
    key: bytes,
    client_ca: bytes,
    max_request: int,
    descriptors: bytes,
    listeners: Sequence[tuple[int, int]],
) -> bytes:
    body = b"".join((_tls(cert_chain, key, client_ca), _U32.pack(max_request), _s(descriptors)))
    body += _U32.pack(len(listeners)) + b"".join(struct.pack("<IB", fd, kind) for fd, kind in listeners)
    return frame(CONFIG, body)


#: a status message's bytes at most (the handlers' messages are short: they cut values at 80 characters)
MAX_DETAILS = 4096


def reply_frame(call_id: int, code: int, message: str = "", payload: bytes = b"") -> bytes:
    text = message.encode()[:MAX_DETAILS]
    return _REPLY.pack(21 + len(text) + len(payload), REPLY, call_id, code) + _s(text) + _s(payload)


def message_frame(call_id: int, payload: bytes) -> bytes:
    return frame(MESSAGE, _U64.pack(call_id) + _s(payload))


def stop_frame(grace: float) -> bytes:
    """Stop: the calls in flight get ``grace`` seconds, then end."""
    return frame(STOP, _U32.pack(int(grace * 1000)))


def descriptor_set() -> bytes:
    """The API's proto files and their imports, dependencies first."""
    out = descriptor_pb2.FileDescriptorSet()
    seen: set[str] = set()

    def add(fd: Any) -> None:
        if fd.name in seen:
            return
        seen.add(fd.name)
        for dep in fd.dependencies:
            add(dep)
        fd.CopyToProto(out.file.add())

    add(fabric_pb2.DESCRIPTOR)
    return out.SerializeToString()


class MalformedFrame(Exception):
    pass


class _Reader:
    __slots__ = ("b", "i")

    def __init__(self, b: bytes) -> None:
        self.b = b
        self.i = 0

    def take(self, n: int) -> bytes:
        j = self.i + n
        if j > len(self.b):
            raise MalformedFrame("a frame shorter than its fields")
        v = self.b[self.i : j]
        self.i = j
        return v

    def u32(self) -> int:
        return int(_U32.unpack(self.take(4))[0])

    def u64(self) -> int:
        return int(_U64.unpack(self.take(8))[0])

    def bytes(self) -> bytes:
        return self.take(self.u32())


class Aborted(Exception):
    """A handler's ``context.abort``: the call ends with this status."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self.code = code
        self.details = details


class CallContext:
    """What the handlers read of a call (grpc.aio's ServicerContext has the same methods)."""

    __slots__ = ("_cert", "_deadline", "_metadata")

    def __init__(self, metadata: tuple[tuple[str, str | bytes], ...], cert: bytes, deadline: float | None) -> None:
        self._metadata = metadata
        self._cert = cert
        self._deadline = deadline

    def invocation_metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        return self._metadata

    def auth_context(self) -> dict[str, list[bytes]]:
        return {"x509_pem_cert": [self._cert]} if self._cert else {}

    def time_remaining(self) -> float | None:
        return None if self._deadline is None else max(0.0, self._deadline - time.monotonic())

    async def abort(self, code: grpc.StatusCode, details: str = "") -> None:
        raise Aborted(code, details)


Handler = Callable[[Message, CallContext], Any]


class Method:
    __slots__ = ("handler", "request", "streaming")

    def __init__(self, handler: Handler, request: type[Message], streaming: bool) -> None:
        self.handler = handler
        self.request = request
        self.streaming = streaming


def methods(servicer: Any) -> dict[str, Method]:
    """``/fabric.v1.Fabric/Attach`` -> the servicer's handler and request type."""
    service = fabric_pb2.DESCRIPTOR.services_by_name["Fabric"]
    out = {}
    for m in service.methods:
        request = getattr(fabric_pb2, m.input_type.name)
        out[f"/{service.full_name}/{m.name}"] = Method(getattr(servicer, m.name), request, m.server_streaming)
    return out


class Link(asyncio.Protocol):
    """The socket pair's fabricd end: calls in, answers out."""

    def __init__(self, table: Mapping[str, Method], on_lost: Callable[[Exception | None], None]) -> None:
        self._table = table
        self._on_lost = on_lost
        self._buf = bytearray()
        self._out: list[bytes] = []
        self._transport: asyncio.Transport | None = None
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._acks: collections.deque[asyncio.Future[None]] = collections.deque()
        self._tls_acks: collections.deque[asyncio.Future[str]] = collections.deque()
        self.closed = False

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        for task in list(self._tasks.values()):
            task.cancel()  # nobody is left to answer
        self._tasks.clear()
        while self._acks:
            self._acks.popleft().cancel()
        while self._tls_acks:
            self._tls_acks.popleft().cancel()
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("the front end closed the link before it was ready"))
        self._on_lost(exc)

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        at = 0
        try:
            while len(buf) - at >= 5:
                n, kind = _HEAD.unpack_from(buf, at)
                if n < 1 or n > MAX_FRAME:
                    raise MalformedFrame(f"a frame of {n} bytes (at most {MAX_FRAME})")
                end = at + 4 + n
                if len(buf) < end:
                    break
                self._frame(kind, bytes(buf[at + 5 : end]))  # a copy: buf is cut below
                at = end
        except MalformedFrame as e:
            log.error("front.link_malformed", error=str(e))
            self.close()
            return
        finally:
            del buf[:at]

    # -- out

    def send(self, data: bytes) -> None:
        if self.closed:
            return
        if not self._out:
            asyncio.get_running_loop().call_soon(self._flush)
        self._out.append(data)

    def _flush(self) -> None:
        out, self._out = self._out, []
        if self._transport is None or self.closed or not out:
            return
        self._transport.write(b"".join(out))
        if self._transport.get_write_buffer_size() > MAX_UNSENT:
            log.error("front.link_stuck", unsent=self._transport.get_write_buffer_size())
            self.close()

    async def serving(self, serving: bool) -> None:
        """Tell the front end the health status; returns once it serves it (or the link is gone)."""
        if self.closed:
            return
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._acks.append(ack)
        self.send(frame(SERVING, bytes([serving])))
        await asyncio.wait({ack})  # the link closing cancels ack and ends this wait; a cancel of ours is ours

    async def tls(self, cert_chain: bytes, key: bytes, client_ca: bytes) -> str:
        """New TLS material for the front end's handshakes: "" once it took
        it, else why it refused it (it keeps the old). ConnectionError when
        the link is gone."""
        if self.closed:
            raise ConnectionError("the link to the front end is closed")
        ack: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._tls_acks.append(ack)
        self.send(frame(TLS, _tls(cert_chain, key, client_ca)))
        try:
            return await asyncio.shield(ack)
        except asyncio.CancelledError:
            if ack.cancelled():  # the link closed, not our caller
                raise ConnectionError("the link to the front end closed") from None
            raise

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    # -- in

    def _frame(self, kind: int, body: bytes) -> None:
        if kind == CALL:
            self._call(_Reader(body))
        elif kind == CANCEL:
            task = self._tasks.pop(_Reader(body).u64(), None)
            if task is not None:
                task.cancel()
        elif kind == SERVING:
            if self._acks:
                self._acks.popleft().set_result(None)
        elif kind == TLS:
            r = _Reader(body)
            taken, message = r.take(1)[0] == 1, r.bytes().decode(errors="replace")
            if self._tls_acks:
                self._tls_acks.popleft().set_result("" if taken else message or "refused")
        elif kind == READY:
            if not self.ready.done():
                self.ready.set_result(None)
        else:
            raise MalformedFrame(f"a frame of type {kind} from the front end")

    def _call(self, r: _Reader) -> None:
        call_id = r.u64()
        method = r.bytes().decode(errors="replace")
        left = r.u64()
        metadata = []
        for _ in range(r.u32()):
            key = r.bytes().decode(errors="replace")
            value = r.bytes()
            metadata.append((key, value if key.endswith("-bin") else value.decode(errors="replace")))
        cert = r.bytes()
        payload = r.take(r.u32())
        m = self._table.get(method)
        if m is None:  # the front end serves the same service: a version mismatch
            self.send(reply_frame(call_id, grpc.StatusCode.UNIMPLEMENTED.value[0], f"method {method} is not served"))
            return
        try:
            request = m.request.FromString(payload)
        except DecodeError:
            self.send(reply_frame(call_id, grpc.StatusCode.INVALID_ARGUMENT.value[0], "request: not a valid message"))
            return
        deadline = None if left == NO_DEADLINE else time.monotonic() + left / 1e9
        ctx = CallContext(tuple(metadata), cert, deadline)
        self._tasks[call_id] = asyncio.get_running_loop().create_task(self._answer(call_id, m, request, ctx))

    async def _answer(self, call_id: int, m: Method, request: Message, ctx: CallContext) -> None:
        code, text, payload = 0, "", b""
        try:
            if not m.streaming:
                payload = (await m.handler(request, ctx)).SerializeToString()
                if len(payload) > MAX_RESPONSE:
                    code = grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
                    text, payload = f"response of {len(payload)} bytes (at most {MAX_RESPONSE})", b""
            else:
                stream = m.handler(request, ctx)
                try:
                    async for message in stream:
                        data = message.SerializeToString()
                        if len(data) > MAX_RESPONSE:
                            raise Aborted(
                                grpc.StatusCode.RESOURCE_EXHAUSTED,
                                f"stream message of {len(data)} bytes (at most {MAX_RESPONSE})",
                            )
                        self.send(message_frame(call_id, data))
                finally:
                    await stream.aclose()  # now, not when the collector finds it: a subscription ends with it
        except Aborted as e:
            code, text = e.code.value[0], e.details
        except asyncio.CancelledError:
            self._tasks.pop(call_id, None)
            raise  # the caller is gone: nothing to answer
        except Exception as e:  # the handlers answer their errors; this is a bug
            log.exception("request.failed", method="front", error=repr(e))
            code, text = grpc.StatusCode.UNKNOWN.value[0], "internal error; see the controller log"
        self._tasks.pop(call_id, None)
        self.send(reply_frame(call_id, code, text, payload))
