"""fabricctl's exit codes and the one place gRPC errors become messages.

=====  ==================================================================
code   meaning
=====  ==================================================================
0      done
1      fabricd refused or failed the request (invalid argument, already
       exists, failed precondition, exhausted, internal); ``health``: not
       SERVING; a local tool failed (graphviz)
2      usage: bad command line, flags or local files (argparse's code)
3      fabricd cannot be reached or is unavailable (no socket, connection
       refused, TLS handshake failed, deadline exceeded, shutting down)
4      not found (also ``network delete`` / ``attachment detach`` of
       something that does not exist, unless ``--ignore-not-found``)
5      not allowed: no or an unknown client identity (UNAUTHENTICATED), or
       the identity may not do that (PERMISSION_DENIED)
130    interrupted (Ctrl-C); ``events`` ends with 0 on Ctrl-C
=====  ==================================================================
"""

from __future__ import annotations

from typing import Any

OK = 0
FAILED = 1
USAGE = 2
UNREACHABLE = 3
NOT_FOUND = 4
DENIED = 5
INTERRUPTED = 130

EXIT_CODES_HELP = """\
exit codes:
  0    done
  1    fabricd refused or failed the request; health: not SERVING
  2    usage: bad command line, flags or local files
  3    fabricd cannot be reached or is unavailable (retry later)
  4    not found
  5    not allowed (no or an unknown client identity, or permission denied)
  130  interrupted (events: Ctrl-C ends with 0)"""


class CtlError(Exception):
    """A failure to report as ``fabricctl: <message>`` with exit ``code``."""

    def __init__(self, message: str, code: int = FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _connect_failure(details: str, *, tls: bool) -> str | None:
    """Why a channel could not connect (with what to do), or None when the
    server itself answered UNAVAILABLE. ``details`` is grpc's text."""
    d = details.lower()
    if "no such file or directory" in d:
        return "no socket there; is it running?"
    if "connection refused" in d:
        return "connection refused; is it running?"
    if "wrong_version_number" in d:
        return "it does not speak TLS: drop --ca/--cert/--key"
    if "hostname verification" in d or "no match found for server name" in d:
        return "its certificate does not name that address: pass --server-name (the name in its certificate)"
    if "certificate_verify_failed" in d or "handshake failed" in d:
        return "the TLS handshake failed: is fabricd's certificate signed by --ca?"
    # grpc.aio closes the socket on a missing or foreign client certificate; Go's TLS (fabricd-front) sends an
    # alert after the handshake, which grpc reports as data it could not unwrap
    if "socket closed" in d or (tls and "tsi_data_corrupted" in d):
        if not tls:
            return "it closed the connection: it probably serves TLS, pass --ca, --cert and --key"
        return "it closed the TLS handshake: it needs a client certificate (--cert/--key) signed by its client CA"
    if "failed to connect" in d or "connect failed" in d or "dns" in d:
        return "connection failed; is it running and is the address right?"
    return None


def from_rpc(error: Any, server: str, *, tls: bool) -> CtlError:
    """Translate a ``grpc.RpcError`` into a message a person can act on."""
    code = error.code()
    name = code.name if code is not None else "UNKNOWN"
    details = (error.details() or "").strip()
    if name == "UNAVAILABLE":
        why = _connect_failure(details, tls=tls)
        if why is not None:
            return CtlError(f"cannot reach fabricd at {server}: {why} ({name})", UNREACHABLE)
        return CtlError(f"fabricd at {server} is unavailable: {details}; retry later ({name})", UNREACHABLE)
    if name == "DEADLINE_EXCEEDED":
        return CtlError(
            f"fabricd at {server} did not answer in time ({name}); check it, or raise --timeout", UNREACHABLE
        )
    if name == "NOT_FOUND":
        return CtlError(f"not found: {details} ({name})", NOT_FOUND)
    if name == "UNAUTHENTICATED":
        return CtlError(
            f"not authenticated: {details} ({name}); fabricd needs a client certificate: pass --cert and --key",
            DENIED,
        )
    if name == "PERMISSION_DENIED":
        return CtlError(
            f"permission denied: {details} ({name}); fabricctl acts as the name (CN) of its client certificate, "
            "which must be listed in fabricd's api.operators",
            DENIED,
        )
    if name == "INTERNAL":
        return CtlError(f"fabricd failed: {details} ({name})", FAILED)
    return CtlError(f"fabricd refused the request: {details} ({name})", FAILED)
