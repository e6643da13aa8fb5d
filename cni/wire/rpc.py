"""gRPC unary calls over :mod:`cni.wire.h2` (gRPC over HTTP/2:
PROTOCOL-HTTP2.md in grpc/grpc).

A :class:`Channel` holds at most one connection to its target, opened on the
first call (a unix socket or TCP, with TLS when given: ALPN ``h2``, the
server's certificate checked against the CA and the expected name, and the
client's certificate for mutual TLS) and opened again after a failure.
:meth:`Channel.unary` sends the request message with ``grpc-timeout`` and
returns the response message, or raises :class:`RpcError` with the status
the server answered, or the one grpcio would report for what happened
instead:

====================================================  ====================
what happened                                         status
====================================================  ====================
connect refused, no socket, TLS handshake failed,     UNAVAILABLE
connection lost, GOAWAY, stream refused
the deadline passed                                   DEADLINE_EXCEEDED
stream cancelled                                      CANCELLED
HTTP status other than 200                            its gRPC mapping
a response too large                                  RESOURCE_EXHAUSTED
HTTP/2 or gRPC broken by the server                   INTERNAL
====================================================  ====================

The connection is closed and dropped after any of these but a status the
server answered, so a retry starts afresh.
"""

from __future__ import annotations

import socket
import ssl
import time

from cni.wire import h2

CODES = (
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
    "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
)  # fmt: skip
#: HTTP status -> gRPC status when a response is not gRPC's (http-grpc-status-mapping.md)
HTTP_CODES = {400: "INTERNAL", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "UNIMPLEMENTED",
              429: "UNAVAILABLE", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "UNAVAILABLE"}  # fmt: skip
MAX_MESSAGE = 4 * 1024 * 1024  # grpcio's default receive limit
MAX_DETAILS = 4096  # characters of a status message kept


class RpcError(Exception):
    """A call's status other than OK: ``code`` is its name (``UNAVAILABLE``), ``details`` its message."""

    def __init__(self, code: str, details: str) -> None:
        super().__init__(f"{code}: {details}")
        self.code = code
        self.details = details


def parse_target(target: str) -> tuple[str | tuple[str, int], str]:
    """(where to connect: a unix path or (host, port), the authority)."""
    if target.startswith("unix:"):
        path = target[len("unix://") :] if target.startswith("unix://") else target[len("unix:") :]
        return path, "localhost"
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"target {target!r} is not unix:///path or HOST:PORT")
    return (host[1:-1] if host.startswith("[") else host, int(port)), target


def tls_context(*, ca: bytes | None, cert: str | None, key: str | None) -> ssl.SSLContext:
    """A client context: the server checked against ``ca`` (else the system's
    roots), our certificate ``cert``/``key`` (files) when given."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca is not None:
        ctx.load_verify_locations(cadata=ca.decode("ascii", errors="replace"))
    else:
        ctx.load_default_certs()
    if cert is not None:
        ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["h2"])
    return ctx


class Channel:
    def __init__(
        self,
        target: str,
        *,
        tls: ssl.SSLContext | None = None,
        server_name: str | None = None,
        metadata: tuple[tuple[str, str], ...] = (),
        user_agent: str = "fabric-cni",
    ) -> None:
        self.target = target
        self.where, self.authority = parse_target(target)
        self.tls = tls
        self.server_name = server_name
        self.metadata = metadata
        self.user_agent = user_agent
        self._conn: h2.Connection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Channel:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _socket(self, deadline: float) -> socket.socket:
        where = self.where
        if isinstance(where, str):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.settimeout(h2.left(deadline))
                sock.connect(where)
            except BaseException:
                sock.close()
                raise
            return sock
        sock = socket.create_connection(where, timeout=h2.left(deadline))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _connect(self, deadline: float) -> h2.Connection:
        try:
            sock = self._socket(deadline)
        except TimeoutError:
            raise RpcError("DEADLINE_EXCEEDED", f"connecting to {self.target}: the deadline passed") from None
        except OSError as e:
            raise RpcError("UNAVAILABLE", f"failed to connect to {self.target}: {e.strerror or e}") from None
        if self.tls is None:
            return h2.Connection(sock, max_body=MAX_MESSAGE + 5)
        name = self.server_name or (self.authority.rpartition(":")[0].strip("[]") or "localhost")
        try:
            sock.settimeout(h2.left(deadline))
            tls_sock = self.tls.wrap_socket(sock, server_hostname=name)
        except TimeoutError:
            sock.close()
            raise RpcError("DEADLINE_EXCEEDED", f"TLS handshake with {self.target}: the deadline passed") from None
        except (ssl.SSLError, ssl.CertificateError, OSError) as e:
            sock.close()
            raise RpcError("UNAVAILABLE", f"TLS handshake with {self.target} failed: {_ssl_reason(e)}") from None
        if tls_sock.selected_alpn_protocol() not in (None, "h2"):
            tls_sock.close()
            raise RpcError("UNAVAILABLE", f"{self.target} does not speak HTTP/2 (ALPN)")
        return h2.Connection(tls_sock, max_body=MAX_MESSAGE + 5)

    def unary(self, method: str, request: bytes, timeout: float) -> bytes:
        """Call ``method`` (``/package.Service/Method``) with a serialized
        request; the serialized response."""
        deadline = time.monotonic() + timeout
        if self._conn is not None and not self._conn.usable:
            self.close()
        if self._conn is None:
            self._conn = self._connect(deadline)
        headers = [
            (":method", "POST"),
            (":scheme", "https" if self.tls is not None else "http"),
            (":path", method),
            (":authority", self.authority),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
            ("grpc-timeout", f"{max(1, int(timeout * 1000))}m"),
            ("grpc-accept-encoding", "identity"),
            ("user-agent", self.user_agent),
            *self.metadata,
        ]
        body = b"\0" + len(request).to_bytes(4, "big") + request
        try:
            response = self._conn.request(headers, body, deadline)
        except TimeoutError:
            self.close()
            raise RpcError("DEADLINE_EXCEEDED", f"{method}: no answer from {self.target} in time") from None
        except h2.StreamReset as e:
            self.close()
            code = {h2.REFUSED_STREAM: "UNAVAILABLE", h2.CANCEL: "CANCELLED"}.get(e.code, "INTERNAL")
            raise RpcError(code, f"{method}: {e}") from None
        except h2.GoAway as e:
            self.close()
            raise RpcError("UNAVAILABLE", f"{method}: {self.target}: {e}") from None
        except h2.TooLarge as e:
            self.close()
            raise RpcError("RESOURCE_EXHAUSTED", f"{method}: {self.target}: {e}") from None
        except (h2.ProtocolError, ValueError) as e:  # hpack's errors are ValueErrors
            self.close()
            raise RpcError("INTERNAL", f"{method}: HTTP/2 from {self.target}: {e}") from None
        except (ssl.SSLError, OSError) as e:
            self.close()
            raise RpcError("UNAVAILABLE", f"{method}: connection to {self.target} lost: {_ssl_reason(e)}") from None
        return _message(method, response)


def _message(method: str, response: h2.Response) -> bytes:
    headers = dict(response.headers or ())
    status = headers.get(":status", "")
    if status != "200":
        code = HTTP_CODES.get(int(status), "UNKNOWN") if status.isdigit() else "INTERNAL"
        raise RpcError(code, f"{method}: HTTP status {status or 'missing'}")
    trailers = dict(response.trailers) if response.trailers else headers  # trailers-only: all in the headers
    if "grpc-status" not in trailers:
        raise RpcError("INTERNAL", f"{method}: the response ended without a grpc-status")
    code_text = trailers["grpc-status"]
    code = CODES[int(code_text)] if code_text.isdigit() and int(code_text) < len(CODES) else "UNKNOWN"
    if code != "OK":
        raise RpcError(code, _percent_decoded(trailers.get("grpc-message", ""))[:MAX_DETAILS])
    if not headers.get("content-type", "").startswith("application/grpc"):
        raise RpcError("UNKNOWN", f"{method}: content-type {headers.get('content-type')!r} is not gRPC's")
    body = bytes(response.body)
    if len(body) < 5:
        raise RpcError("INTERNAL", f"{method}: OK without a response message")
    if body[0] != 0:
        raise RpcError("INTERNAL", f"{method}: a compressed response message (we accept identity only)")
    n = int.from_bytes(body[1:5], "big")
    if n > MAX_MESSAGE:
        raise RpcError("RESOURCE_EXHAUSTED", f"{method}: a response message of {n} bytes (at most {MAX_MESSAGE})")
    if len(body) != 5 + n:
        raise RpcError("INTERNAL", f"{method}: a unary response of {len(body)} bytes, not one message of {n}")
    return body[5:]


def _percent_decoded(text: str) -> str:
    """grpc-message is UTF-8 percent-encoded (bytes outside 0x20-0x7E and '%')."""
    if "%" not in text:
        return text
    from urllib.parse import unquote  # only for such a message: not at every start

    return unquote(text, errors="replace")


def _ssl_reason(e: BaseException) -> str:
    return str(getattr(e, "reason", None) or getattr(e, "strerror", None) or e)
