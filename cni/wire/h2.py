"""One HTTP/2 client connection (RFC 9113) on a connected socket, one
request at a time: what a short-lived gRPC client needs.

:meth:`Connection.request` opens the next stream, sends the header block
(split into CONTINUATION frames above the peer's frame size) and the body
(DATA frames within the peer's flow-control windows, waiting for its
WINDOW_UPDATEs), and reads frames until the stream ends: the response
headers, the body and the trailers. On the way it answers what a server
may send at any time: SETTINGS (applied and acknowledged), PING (answered),
WINDOW_UPDATE, GOAWAY, and header blocks of other streams (decoded, to keep
HPACK's table in step). We accept no server push, announce windows as
large as the largest response we take, and give the connection's window
back after each response.

Errors: :class:`StreamReset` (the peer reset our stream), :class:`GoAway`
(the peer will not process our stream: safe to retry elsewhere or later),
:class:`ProtocolError` (the peer broke HTTP/2, or, :class:`TooLarge`, sent
more than we take; the connection is unusable); socket errors and timeouts pass through. Every
wait is bounded by the caller's deadline (``time.monotonic()`` seconds).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time

from cni.wire import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20
HEADER_TABLE_SIZE, ENABLE_PUSH, MAX_CONCURRENT_STREAMS, INITIAL_WINDOW_SIZE, MAX_FRAME_SIZE = 1, 2, 3, 4, 5
MAX_HEADER_LIST_SIZE = 6
DEFAULT_WINDOW = 65535
DEFAULT_FRAME = 16384
MAX_WINDOW = 2**31 - 1
REFUSED_STREAM, CANCEL = 0x7, 0x8
_HEAD = struct.Struct(">BHBBL")  # 24-bit length as (high byte, low 16 bits), type, flags, stream


class H2Error(Exception):
    """Base of this module's errors."""


class ProtocolError(H2Error):
    pass


class TooLarge(ProtocolError):
    """The peer sent more than we take (a response body above ``max_body``)."""


class StreamReset(H2Error):
    def __init__(self, code: int) -> None:
        super().__init__(f"stream reset by the server (HTTP/2 error code {code})")
        self.code = code


class GoAway(H2Error):
    def __init__(self, code: int, debug: bytes) -> None:
        text = debug[:200].decode(errors="replace")
        super().__init__(f"the server is going away (HTTP/2 error code {code}{': ' + text if text else ''})")
        self.code = code


class Response:
    __slots__ = ("body", "headers", "trailers")

    def __init__(self) -> None:
        self.headers: list[tuple[str, str]] | None = None
        self.body = bytearray()
        self.trailers: list[tuple[str, str]] = []


class Connection:
    def __init__(self, sock: socket.socket, *, max_body: int, max_header_list: int = 64 * 1024) -> None:
        self.sock = sock
        self.max_body = max_body
        self.max_header_list = max_header_list
        self.decoder = hpack.Decoder(max_list=max_header_list)
        self.next_stream = 1
        self.peer_frame = DEFAULT_FRAME
        self.peer_initial = DEFAULT_WINDOW
        self.send_window = DEFAULT_WINDOW  # the connection's, towards the peer
        self.stream_window = 0  # the open stream's, towards the peer
        self.going_away: int | None = None  # the last stream the peer will process
        self._recv_window = max_body + 4096  # per stream and, once raised below, for the connection
        self._pending = b""
        settings = struct.pack(">HLHLHL", ENABLE_PUSH, 0, INITIAL_WINDOW_SIZE, self._recv_window,
                               MAX_HEADER_LIST_SIZE, max_header_list)  # fmt: skip
        raise_conn = struct.pack(">L", self._recv_window - DEFAULT_WINDOW)
        self._out = PREFACE + _frame(SETTINGS, 0, 0, settings) + _frame(WINDOW_UPDATE, 0, 0, raise_conn)

    @property
    def usable(self) -> bool:
        return self.going_away is None and self.next_stream < 2**31

    # ------------------------------------------------------------ socket

    def _send(self, data: bytes, deadline: float) -> None:
        self.sock.settimeout(left(deadline))
        self.sock.sendall(self._out + data)
        self._out = b""

    def _read(self, n: int, deadline: float) -> bytes:
        buf = self._pending
        while len(buf) < n:
            self.sock.settimeout(left(deadline))
            chunk = self.sock.recv(max(65536, n - len(buf)))
            if not chunk:
                raise ConnectionResetError("the server closed the connection")
            buf += chunk
        self._pending = buf[n:]
        return buf[:n]

    def _frame(self, deadline: float) -> tuple[int, int, int, bytes]:
        high, low, kind, flags, stream = _HEAD.unpack(self._read(9, deadline))
        length = high << 16 | low
        if length > DEFAULT_FRAME:  # we never announce a larger SETTINGS_MAX_FRAME_SIZE
            raise ProtocolError(f"a frame of {length} octets (at most {DEFAULT_FRAME})")
        return kind, flags, stream & 0x7FFFFFFF, self._read(length, deadline) if length else b""

    # ------------------------------------------------------------ request

    def request(self, headers: list[tuple[str, str]], body: bytes, deadline: float) -> Response:
        if not self.usable:
            raise GoAway(0, b"no new streams on this connection")
        sid = self.next_stream
        self.next_stream += 2
        self.stream_window = self.peer_initial
        block = hpack.encode(headers)
        frames = []
        for i in range(0, max(len(block), 1), self.peer_frame):
            last = i + self.peer_frame >= len(block)
            flags = END_HEADERS if last else 0
            frames.append(_frame(HEADERS if i == 0 else CONTINUATION, flags, sid, block[i : i + self.peer_frame]))
        self._send(b"".join(frames), deadline)
        response = Response()
        sent = 0
        while sent < len(body) or not body:
            n = min(len(body) - sent, self.peer_frame, self.send_window, self.stream_window)
            if n <= 0 and body:
                if self._step(sid, response, deadline):  # the server answered before taking the whole body
                    self._out += _frame(RST_STREAM, 0, sid, struct.pack(">L", 0))  # NO_ERROR: we stop sending
                    return response
                continue
            end = sent + n >= len(body)
            self._send(_frame(DATA, END_STREAM if end else 0, sid, body[sent : sent + n]), deadline)
            self.send_window -= n
            self.stream_window -= n
            sent += n
            if end:
                break
        while not self._step(sid, response, deadline):
            pass
        return response

    def _step(self, sid: int, response: Response, deadline: float) -> bool:
        """Read and handle one frame: True when stream ``sid`` has ended."""
        kind, flags, stream, payload = self._frame(deadline)
        if kind == DATA:
            data = _unpad(payload, flags)
            self._give_back(len(payload), deadline)
            if stream != sid:
                return False
            if len(response.body) + len(data) > self.max_body:
                raise TooLarge(f"a response body above {self.max_body} octets")
            response.body += data
            return bool(flags & END_STREAM)
        if kind == HEADERS:
            block = self._header_block(stream, flags, payload, deadline)
            fields = self.decoder.decode(block)
            if stream != sid:
                return False
            if response.headers is None:
                response.headers = fields
            else:
                response.trailers = fields
            return bool(flags & END_STREAM)
        if kind == RST_STREAM:
            if len(payload) != 4:
                raise ProtocolError("RST_STREAM of the wrong size")
            if stream == sid:
                raise StreamReset(int.from_bytes(payload, "big"))
            return False
        if kind == SETTINGS:
            self._settings(stream, flags, payload, deadline)
        elif kind == PING:
            if len(payload) != 8 or stream:
                raise ProtocolError("PING of the wrong size or on a stream")
            if not flags & ACK:
                self._send(_frame(PING, ACK, 0, payload), deadline)
        elif kind == GOAWAY:
            if len(payload) < 8:
                raise ProtocolError("GOAWAY too short")
            last, code = struct.unpack(">LL", payload[:8])
            self.going_away = last & 0x7FFFFFFF
            if sid > self.going_away:
                raise GoAway(code, payload[8:])
        elif kind == WINDOW_UPDATE:
            if len(payload) != 4:
                raise ProtocolError("WINDOW_UPDATE of the wrong size")
            increment = int.from_bytes(payload, "big") & 0x7FFFFFFF
            if stream == 0:
                self.send_window += increment
            elif stream == sid:
                self.stream_window += increment
            if max(self.send_window, self.stream_window) > MAX_WINDOW:
                raise ProtocolError("a flow-control window above 2^31-1")
        elif kind in (PUSH_PROMISE, CONTINUATION):
            raise ProtocolError(f"an unexpected frame of type {kind}")
        return False  # PRIORITY and unknown types are ignored

    def _header_block(self, stream: int, flags: int, payload: bytes, deadline: float) -> bytes:
        payload = _unpad(payload, flags)
        if flags & PRIORITY_FLAG:
            payload = payload[5:]
        block = payload
        while not flags & END_HEADERS:
            kind, flags, cont_stream, more = self._frame(deadline)
            if kind != CONTINUATION or cont_stream != stream:
                raise ProtocolError("a header block interrupted by another frame")
            block += more
            if len(block) > self.max_header_list:
                raise ProtocolError(f"a header block above {self.max_header_list} octets")
        return block

    def _settings(self, stream: int, flags: int, payload: bytes, deadline: float) -> None:
        if stream or len(payload) % 6:
            raise ProtocolError("SETTINGS on a stream or of the wrong size")
        if flags & ACK:
            return
        for i in range(0, len(payload), 6):
            key, value = struct.unpack(">HL", payload[i : i + 6])
            if key == INITIAL_WINDOW_SIZE:
                if value > MAX_WINDOW:
                    raise ProtocolError("SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1")
                self.stream_window += value - self.peer_initial
                self.peer_initial = value
            elif key == MAX_FRAME_SIZE:
                if not DEFAULT_FRAME <= value <= 2**24 - 1:
                    raise ProtocolError(f"SETTINGS_MAX_FRAME_SIZE {value}")
                self.peer_frame = value
        self._send(_frame(SETTINGS, ACK, 0, b""), deadline)

    def _give_back(self, n: int, deadline: float) -> None:
        """Keep the connection's receive window open (streams are new each
        request and start with the whole window)."""
        if n:
            self._out += _frame(WINDOW_UPDATE, 0, 0, struct.pack(">L", n))
            if len(self._out) > 4096:
                self._send(b"", deadline)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def _frame(kind: int, flags: int, stream: int, payload: bytes) -> bytes:
    n = len(payload)
    return _HEAD.pack(n >> 16, n & 0xFFFF, kind, flags, stream) + payload


def _unpad(payload: bytes, flags: int) -> bytes:
    if not flags & PADDED:
        return payload
    if not payload or payload[0] >= len(payload):
        raise ProtocolError("padding longer than the frame")
    return payload[1 : len(payload) - payload[0]]


def left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the deadline passed")
    return left
