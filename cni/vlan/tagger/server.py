"""The userspace 802.1Q tagger process, one per network namespace::

    python -m cni.vlan.tagger --socket PATH [--pid-file PATH] [--log FILE]

For kernels without CONFIG_VLAN_8021Q: it gives VLAN V of a trunk port as a
tap device (``<parent>v<vlan>``), tagging and untagging in userspace
(:mod:`cni.vlan.tagger.forward`). Clients ask for VLANs over the control socket
``--socket`` (the protocol: :mod:`cni.vlan.protocol`; the client:
:class:`cni.vlan.client.TaggerVlanBackend`).

Start-up: refuses a socket path another tagger answers on, replaces a stale
one, listens (mode 0600), then writes ``--pid-file`` (atomically): a client
that gets an answer on the socket talks to a tagger that is ready. SIGTERM
or SIGINT: closes every tap (the kernel removes them) and trunk socket,
removes the socket and the pid file (if still its own), exits 0. Start-up
failures exit 1 with the reason on stderr. Unix socket and pid file paths
are shared by all network namespaces: give every tagger its own.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import os
import signal
import socket
import sys
from pathlib import Path

from cni.vlan import protocol
from cni.vlan.protocol import MAX_LINE, PROTOCOL_VERSION, netns_id
from cni.vlan.tagger.forward import Tagger

log = logging.getLogger("cni.vlan.tagger")
SUN_PATH_MAX = 107


class StartError(Exception):
    pass


def bind_control(path: Path) -> socket.socket:
    """A listening-ready unix socket at ``path``; a stale socket file there
    is replaced, a live one (another tagger) is a StartError."""
    if len(os.fsencode(path)) > SUN_PATH_MAX:
        raise StartError(f"socket path {path}: longer than {SUN_PATH_MAX} bytes (a unix socket limit)")
    if path.is_socket():
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(path))
            except OSError:
                path.unlink(missing_ok=True)  # nobody listens: left by a tagger that was killed
            else:
                raise StartError(f"socket {path}: another process serves it (another tagger?)")
    elif path.exists():
        raise StartError(f"socket path {path}: exists and is not a socket; not replacing it")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        sock.bind(str(path))
        path.chmod(0o600)
    except OSError as e:
        sock.close()
        raise StartError(f"socket {path}: cannot bind: {e.strerror}") from None
    return sock


def write_pid_file(path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(f"{os.getpid()}\n")
    os.replace(tmp, path)


def answer(tagger: Tagger, line: bytes) -> bytes:
    """One request line -> one answer line (never raises for a bad request)."""
    try:
        req = protocol.parse_request(line)
        if isinstance(req, protocol.Ensure):
            ifname, created = tagger.ensure(req)
            return protocol.ok(ifname=ifname, created=created)
        if isinstance(req, protocol.Release):
            return protocol.ok(released=tagger.release(req))
        if req.op == "list":
            return protocol.ok(vlans=tagger.vlans())
        if req.op == "stats":
            return protocol.ok(parents=tagger.stats())
        vlans = tagger.vlans()
        return protocol.ok(
            pid=os.getpid(),
            netns=tagger.netns,
            version=PROTOCOL_VERSION,
            parents=len({v["parent"] for v in vlans}),
            vlans=len(vlans),
        )
    except protocol.ProtocolError as e:
        return protocol.error(str(e), e.code)
    except Exception as e:  # a bug must not take every VLAN down: answer it and log it
        log.exception("request failed: %r", line[:200])
        return protocol.error(f"internal error: {type(e).__name__}: {e}", "failed")


async def _client(tagger: Tagger, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            try:
                line = await reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as e:
                if e.partial.strip():
                    writer.write(answer(tagger, e.partial))
                    await writer.drain()
                return
            except asyncio.LimitOverrunError:
                writer.write(protocol.error(f"request longer than {MAX_LINE} bytes"))
                await writer.drain()
                return
            if line.strip():
                writer.write(answer(tagger, line))
                await writer.drain()
    except (ConnectionError, OSError):
        return
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()


async def serve(sock_path: Path, pid_file: Path | None) -> int:
    try:
        sock = bind_control(sock_path)
    except StartError as e:
        sys.stderr.write(f"vlan tagger: {e}\n")
        return 1
    bound = os.stat(sock_path).st_ino
    loop = asyncio.get_running_loop()
    tagger = Tagger(loop, netns=netns_id())
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = await asyncio.start_unix_server(lambda r, w: _client(tagger, r, w), sock=sock, limit=MAX_LINE + 1)
    try:
        if pid_file is not None:
            write_pid_file(pid_file)
        log.info("ready pid=%d socket=%s netns=%d", os.getpid(), sock_path, tagger.netns)
        await stop.wait()
        log.info("stopping: %d VLANs", len(tagger.vlans()))
    finally:
        server.close()
        tagger.close()
        _remove_own(sock_path, pid_file, bound)
    log.info("stopped")
    return 0


def _remove_own(sock_path: Path, pid_file: Path | None, inode: int) -> None:
    """Remove the socket and pid file if they are still ours (a successor
    may have taken over the paths)."""
    with contextlib.suppress(OSError):
        if os.stat(sock_path).st_ino == inode:
            sock_path.unlink()
    if pid_file is not None:
        with contextlib.suppress(OSError, ValueError):
            if int(pid_file.read_text()) == os.getpid():
                pid_file.unlink()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m cni.vlan.tagger",
        description="Userspace 802.1Q tagger: VLANs of trunk ports as tap devices (one process per network namespace).",
    )
    p.add_argument("--socket", required=True, type=Path, help="the control socket (unix stream, JSON lines)")
    p.add_argument("--pid-file", type=Path, help="written once the socket listens; removed on exit")
    p.add_argument("--log", type=Path, help="log file (appended; default stderr)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    args = p.parse_args(argv)
    handler: logging.Handler = logging.FileHandler(args.log) if args.log else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s tagger[%(process)d] %(message)s"))
    logging.basicConfig(level=args.log_level.upper(), handlers=[handler])
    try:
        return asyncio.run(serve(args.socket.absolute(), args.pid_file.absolute() if args.pid_file else None))
    except OSError as e:
        sys.stderr.write(f"vlan tagger: {e.strerror or e} ({errno.errorcode.get(e.errno or 0, '?')})\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
