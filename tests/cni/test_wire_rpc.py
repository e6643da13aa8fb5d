"""cni.wire's gRPC unary client against real grpcio servers in this process
(unix socket and TCP, insecure and mutual TLS), and against a hostile
server speaking raw HTTP/2: every status and message comes back as the
server said it; deadlines, flow control both ways, reconnection, large and
too-large messages; what a hostile or broken peer can do ends in a named
status, within the deadline and the size bounds."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from concurrent import futures
from pathlib import Path

import grpc
import pytest

from cni.wire import h2
from cni.wire.rpc import CODES, MAX_MESSAGE, Channel, RpcError, tls_context
from labs.run.certs import create_ca, issue_client_cert, issue_server_cert, write_pair

METHOD = "/test.Wire/Call"


def _handler(request: bytes, context: grpc.ServicerContext) -> bytes:
    """The request says what to do (JSON, or raw bytes to echo)."""
    if not request.startswith(b"{"):
        return request
    doc = json.loads(request)
    if doc.get("sleep"):
        time.sleep(doc["sleep"])
    if doc.get("trailers"):
        context.set_trailing_metadata(tuple(doc["trailers"]))
    if doc.get("metadata"):
        return json.dumps(sorted((k, v) for k, v in context.invocation_metadata() if not k.startswith(":"))).encode()
    if doc.get("peer"):
        return json.dumps(context.auth_context().get("x509_common_name", [b""])[0].decode()).encode()
    if doc.get("remaining"):
        return str(context.time_remaining()).encode()
    if doc.get("code"):
        context.abort(getattr(grpc.StatusCode, doc["code"]), doc.get("details", ""))
    return b"x" * doc.get("size", 0)


class Server:
    def __init__(
        self, tmp: Path, *, tls: grpc.ServerCredentials | None = None, tcp: bool = False, small_windows: bool = False
    ) -> None:
        options = [("grpc.max_receive_message_length", 8 << 20), ("grpc.max_send_message_length", 8 << 20)]
        if small_windows:  # a stream window of 1 KB: the client must wait for the server's WINDOW_UPDATEs
            options += [("grpc.http2.lookahead_bytes", 1024), ("grpc.http2.bdp_probe", 0)]
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=options)
        handler = grpc.unary_unary_rpc_method_handler(_handler)
        self.server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.Wire", {"Call": handler})])
        addr = "127.0.0.1:0" if tcp else f"unix://{tmp}/api.sock"
        port = self.server.add_secure_port(addr, tls) if tls else self.server.add_insecure_port(addr)
        self.target = f"127.0.0.1:{port}" if tcp else addr
        self.server.start()

    def stop(self) -> None:
        self.server.stop(None)


@pytest.fixture
def channels():
    """Channel(...), closed after the test."""
    opened: list[Channel] = []

    def open_(*args, **kw) -> Channel:  # type: ignore[no-untyped-def]
        opened.append(Channel(*args, **kw))
        return opened[-1]

    yield open_
    for ch in opened:
        ch.close()


@pytest.fixture
def servers(tmp_path):
    started: list[Server] = []

    def start(**kw) -> Server:  # type: ignore[no-untyped-def]
        s = Server(tmp_path, **kw)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def call(ch: Channel, doc: dict | bytes, timeout: float = 10.0) -> bytes:  # type: ignore[type-arg]
    return ch.unary(METHOD, doc if isinstance(doc, bytes) else json.dumps(doc).encode(), timeout)


@pytest.mark.parametrize("tcp", [False, True])
def test_calls_and_every_status_with_its_message(servers, channels, tcp):
    s = servers(tcp=tcp)
    ch = channels(s.target)
    assert call(ch, b"\x00\x01hello") == b"\x00\x01hello"
    details = "naïve 100% «détails» /\\ \n\t 日本 🚀 %2F"
    for code in CODES[1:]:
        with pytest.raises(RpcError) as err:
            call(ch, {"code": code, "details": details})
        assert (err.value.code, err.value.details) == (code, details)
    assert call(ch, {"size": 3}) == b"xxx"  # the connection survives answered errors


def test_the_deadline_travels_and_holds(servers, channels):
    s = servers()
    ch = channels(s.target)
    assert 0 < float(call(ch, {"remaining": True}, timeout=3.0)) <= 3.0  # grpc-timeout reached the server
    t = time.monotonic()
    with pytest.raises(RpcError) as err:
        call(ch, {"sleep": 3}, timeout=0.5)
    assert err.value.code == "DEADLINE_EXCEEDED" and time.monotonic() - t < 2.5
    assert call(ch, {"size": 1}) == b"x"  # a new connection after the lost one


@pytest.mark.parametrize("small_windows", [False, True])
def test_flow_control_both_ways_and_the_size_bound(servers, channels, small_windows):
    s = servers(small_windows=small_windows)
    ch = channels(s.target)
    big = bytes(range(256)) * 12_000  # 3 MB: far beyond the 64 KB windows a connection starts with
    assert call(ch, big, timeout=30) == big
    assert len(call(ch, {"size": MAX_MESSAGE}, timeout=30)) == MAX_MESSAGE
    assert len(call(ch, {"size": MAX_MESSAGE}, timeout=30)) == MAX_MESSAGE  # windows given back
    with pytest.raises(RpcError) as err:
        call(ch, {"size": MAX_MESSAGE + 1}, timeout=30)
    assert err.value.code == "RESOURCE_EXHAUSTED"
    assert call(ch, {"size": 2}) == b"xx"


def test_many_calls_churn_the_servers_header_table(servers, channels):
    """grpcio indexes what it sends (HPACK's dynamic table) and Huffman-codes
    it: trailers that differ on every call keep the table moving."""
    s = servers()
    ch = channels(s.target)
    for i in range(300):
        trailers = [(f"x-t{i % 7}", f"v{i}" * (i % 40)), ("x-same", "s" * 100)]
        with pytest.raises(RpcError) as err:
            call(ch, {"code": "NOT_FOUND", "details": f"call {i} ✓", "trailers": trailers})
        assert err.value.details == f"call {i} ✓"
        assert call(ch, {"size": i % 5}) == b"x" * (i % 5)


def test_unreachable_and_reconnect(servers, channels, tmp_path):
    with pytest.raises(RpcError) as err:
        call(channels(f"unix://{tmp_path}/none.sock"), b"x")
    assert err.value.code == "UNAVAILABLE" and "failed to connect" in err.value.details
    s = servers()
    ch = channels(s.target)
    assert call(ch, b"a") == b"a"
    s.stop()
    with pytest.raises(RpcError) as err:
        call(ch, b"b")
    assert err.value.code == "UNAVAILABLE"
    s2 = servers()  # the same socket path again, as a restarted fabricd
    assert s2.target == s.target
    assert call(ch, b"c") == b"c"


def test_metadata_reaches_the_server(servers, channels):
    s = servers()
    ch = channels(s.target, metadata=(("authorization", "Bearer t0k3n"),), user_agent="fabric-cni")
    md = dict(json.loads(call(ch, {"metadata": True})))
    assert md["authorization"] == "Bearer t0k3n" and md["user-agent"].startswith("fabric-cni")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca, other = create_ca("wire test CA"), create_ca("another CA")
    write_pair(d, "ca", ca)
    write_pair(d, "other", other)
    write_pair(d, "server", issue_server_cert(ca, "fabricd"))
    write_pair(d, "server1", issue_client_cert(ca, "server1", role="node"))
    write_pair(d, "intruder", issue_client_cert(other, "server1", role="node"))
    return d


def _server_creds(pki: Path) -> grpc.ServerCredentials:
    pair = ((pki / "server.key").read_bytes(), (pki / "server.crt").read_bytes())
    ca = (pki / "ca.crt").read_bytes()
    return grpc.ssl_server_credentials([pair], root_certificates=ca, require_client_auth=True)


@pytest.mark.parametrize("tcp", [False, True])
def test_mutual_tls(servers, channels, pki, tcp):
    s = servers(tls=_server_creds(pki), tcp=tcp)
    ca = (pki / "ca.crt").read_bytes()

    def channel(who: str, *, ca: bytes = ca, name: str = "fabricd") -> Channel:
        ctx = tls_context(ca=ca, cert=str(pki / f"{who}.crt"), key=str(pki / f"{who}.key"))
        return channels(s.target, tls=ctx, server_name=name)

    assert json.loads(call(channel("server1"), {"peer": True})) == "server1"  # the server saw our certificate
    refused = {
        "a certificate of another CA": channel("intruder"),
        "a server our CA did not sign": channel("server1", ca=(pki / "other.crt").read_bytes()),
        "a server of another name": channel("server1", name="not-fabricd"),
    }
    for why, ch in refused.items():
        with pytest.raises(RpcError) as err:
            call(ch, {"peer": True}, timeout=5)
        assert err.value.code == "UNAVAILABLE", why
    plain = channels(s.target)  # no TLS against a TLS server
    with pytest.raises(RpcError) as err:
        call(plain, b"x", timeout=5)
    assert err.value.code in ("UNAVAILABLE", "INTERNAL")


# ---------------------------------------------------------------- hostile


class Hostile:
    """A unix-socket server that reads the client's preface and request,
    then sends ``reply`` (raw bytes) and keeps the connection open."""

    def __init__(self, tmp: Path, reply: bytes) -> None:
        self.path = str(tmp / "hostile.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.reply = reply
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        self.conns.append(conn)
        conn.settimeout(5)
        try:
            conn.recv(65536)
            conn.sendall(self.reply)
        except OSError:
            pass

    def close(self) -> None:
        for c in self.conns:
            c.close()
        self.sock.close()


def _headers(stream: int, headers: list[tuple[str, str]], flags: int = h2.END_HEADERS) -> bytes:
    from cni.wire import hpack

    return h2._frame(h2.HEADERS, flags, stream, hpack.encode(headers))


OK_HEADERS = [(":status", "200"), ("content-type", "application/grpc")]
SETTINGS = h2._frame(h2.SETTINGS, 0, 0, b"")


@pytest.mark.parametrize(
    ("reply", "code", "why"),
    [
        (struct.pack(">BHBBL", 0xFF, 0xFFFF, h2.DATA, 0, 1), "INTERNAL", "a frame of 16777215 octets"),
        (SETTINGS + _headers(1, OK_HEADERS, 0) + h2._frame(h2.CONTINUATION, 0, 1, b"\x00\x01a\x01b" * 3000) * 30,
         "INTERNAL", "header block above"),
        (SETTINGS + _headers(1, OK_HEADERS) + h2._frame(h2.DATA, 0, 1, b"\0" * 16384) * 300,
         "RESOURCE_EXHAUSTED", "response body above"),
        (SETTINGS + _headers(1, [*OK_HEADERS, ("grpc-status", "0")], h2.END_HEADERS | h2.END_STREAM),
         "INTERNAL", "OK without a response message"),
        (SETTINGS + _headers(1, [(":status", "503")], h2.END_HEADERS | h2.END_STREAM),
         "UNAVAILABLE", "HTTP status 503"),
        (SETTINGS + _headers(1, OK_HEADERS) + h2._frame(h2.DATA, h2.END_STREAM, 1, b"\0\0\0\0\1x"),
         "INTERNAL", "without a grpc-status"),
        (SETTINGS + h2._frame(h2.RST_STREAM, 0, 1, struct.pack(">L", 7)), "UNAVAILABLE", "reset"),
        (SETTINGS + h2._frame(h2.GOAWAY, 0, 0, struct.pack(">LL", 0, 0) + b"bye"), "UNAVAILABLE", "going away"),
        (SETTINGS + h2._frame(h2.PUSH_PROMISE, h2.END_HEADERS, 1, b"\0\0\0\2"), "INTERNAL", "unexpected frame"),
        (SETTINGS + h2._frame(h2.WINDOW_UPDATE, 0, 0, struct.pack(">L", 2**31 - 1)), "INTERNAL", "above 2^31-1"),
        (SETTINGS + b"\x00\x00", "DEADLINE_EXCEEDED", "in time"),  # half a frame, then silence
        (b"", "DEADLINE_EXCEEDED", "in time"),  # silence
        (SETTINGS + _headers(1, [(":status", "200"), ("grpc-status", "99")], h2.END_HEADERS | h2.END_STREAM),
         "UNKNOWN", ""),
    ],
)  # fmt: skip
def test_a_hostile_server_ends_in_a_named_status_within_bounds(tmp_path, channels, reply, code, why):
    server = Hostile(tmp_path, reply)
    try:
        t = time.monotonic()
        with pytest.raises(RpcError) as err:
            channels(f"unix://{server.path}").unary(METHOD, b"x", 1.0)
        assert (err.value.code, why in err.value.details) == (code, True), err.value
        assert time.monotonic() - t < 3
    finally:
        server.close()


def test_a_server_that_closes_mid_call_is_unavailable(tmp_path, channels):
    path = str(tmp_path / "closing.sock")
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(1)

    def serve() -> None:
        conn, _ = lsock.accept()
        conn.recv(65536)
        conn.sendall(SETTINGS + b"\x00\x00\x10")
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    with pytest.raises(RpcError) as err:
        channels(f"unix://{path}").unary(METHOD, b"x", 5.0)
    assert err.value.code == "UNAVAILABLE" and "lost" in err.value.details
    lsock.close()


class Scripted:
    """A unix-socket server running ``script(conn, n)`` for its n-th connection."""

    def __init__(self, tmp: Path, script) -> None:  # type: ignore[no-untyped-def]
        self.path = str(tmp / "scripted.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self.script = script
        self.errors: list[BaseException] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        n = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(10)
            try:
                assert _exact(conn, len(h2.PREFACE)) == h2.PREFACE
                self.script(conn, n)
            except BaseException as e:  # reported by the test
                self.errors.append(e)
            finally:
                conn.close()
            n += 1


def _exact(conn: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("client closed")
        buf += chunk
    return buf


def _client_frame(conn: socket.socket) -> tuple[int, int, int, bytes]:
    high, low, kind, flags, stream = struct.unpack(">BHBBL", _exact(conn, 9))
    n = high << 16 | low
    return kind, flags, stream, _exact(conn, n) if n else b""


def _ok(stream: int, message: bytes) -> bytes:
    trailers = _headers(stream, [("grpc-status", "0")], h2.END_HEADERS | h2.END_STREAM)
    body = b"\0" + len(message).to_bytes(4, "big") + message
    return _headers(stream, OK_HEADERS) + h2._frame(h2.DATA, 0, stream, body) + trailers


def test_the_connection_window_is_respected(tmp_path, channels):
    """Streams may take 1 MB here, the connection only its first 65,535
    octets until the server opens it: the client waits for that."""
    got: dict[str, int] = {}

    def script(conn: socket.socket, _: int) -> None:
        conn.sendall(h2._frame(h2.SETTINGS, 0, 0, struct.pack(">HL", h2.INITIAL_WINDOW_SIZE, 1 << 20)))
        data = 0
        while data < h2.DEFAULT_WINDOW:
            kind, _, _, payload = _client_frame(conn)
            data += len(payload) if kind == h2.DATA else 0
        conn.settimeout(0.5)
        with contextlib.suppress(TimeoutError):  # nothing more may come before the WINDOW_UPDATE
            while True:
                kind, _, _, payload = _client_frame(conn)
                data += len(payload) if kind == h2.DATA else 0
        got["before"] = data
        conn.settimeout(10)
        conn.sendall(h2._frame(h2.WINDOW_UPDATE, 0, 0, struct.pack(">L", 1 << 20)))
        while True:
            kind, flags, _, payload = _client_frame(conn)
            data += len(payload) if kind == h2.DATA else 0
            if kind == h2.DATA and flags & h2.END_STREAM:
                break
        got["after"] = data
        conn.sendall(_ok(1, b"done"))

    server = Scripted(tmp_path, script)
    assert channels(f"unix://{server.path}").unary(METHOD, b"y" * 200_000, 10.0) == b"done"
    assert not server.errors
    assert got == {"before": h2.DEFAULT_WINDOW, "after": 200_005}


def test_after_a_deadline_mid_frame_the_next_call_starts_afresh(tmp_path, channels):
    def script(conn: socket.socket, n: int) -> None:
        _client_frame(conn)  # our SETTINGS
        if n == 0:
            conn.sendall(h2._frame(h2.SETTINGS, 0, 0, b"") + _ok(1, b"first")[:20])  # half a response
            time.sleep(2)
            return
        while _client_frame(conn)[0] != h2.DATA:
            pass
        conn.sendall(h2._frame(h2.SETTINGS, 0, 0, b"") + _ok(1, b"second"))
        time.sleep(0.5)

    server = Scripted(tmp_path, script)
    ch = channels(f"unix://{server.path}")
    with pytest.raises(RpcError) as err:
        ch.unary(METHOD, b"x", 0.5)
    assert err.value.code == "DEADLINE_EXCEEDED"
    assert ch.unary(METHOD, b"x", 5.0) == b"second"
