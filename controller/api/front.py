"""The API served by fabricd-front, fabricd's API front end in Go.

fabricd binds the listeners (the same addresses, permissions and errors as
with grpc.aio) and starts ``fabricd-front`` with them and one end of a socket
pair; the front end serves gRPC and TLS and hands each call over the pair to
the handlers here (:mod:`controller.api.link`). When the front end stops
unexpectedly, the calls in flight fail and fabricd starts another on the same
listeners (its connections are reset, clients retry as with any server
restart; new connections wait in the listeners' backlog until it takes them).

``api.front_end`` chooses: ``go`` (this; fabricd refuses to start without the
binary), ``python`` (grpc.aio, :mod:`controller.api.server`) or ``auto`` (the
default: this when the binary is installed, else grpc.aio with a warning).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from controller.api import link
from controller.api.server import prepare_unix_path
from controller.api.tlsfiles import ServerTLS
from controller.backoff import Backoff
from controller.log import get_logger
from controller.settings.address import Address

log = get_logger("api")

BINARY = "fabricd-front"
READY_TIMEOUT = 20.0  # s: a cold start of the binary on a busy host
MAX_REQUEST = 4 * 1024 * 1024
STDERR_LINE = 2048


class FrontEndError(RuntimeError):
    """The front end cannot be started (no binary, a listener cannot be bound, it did not come up)."""


def find_binary(configured: str = "") -> Path | None:
    """``api.front_end_binary``, else fabricd-front beside the Python interpreter (a virtualenv's bin), else
    on PATH; None when there is none."""
    if configured:
        return Path(configured).absolute()
    beside = Path(sys.executable).parent / BINARY
    if beside.exists():
        return beside
    found = shutil.which(BINARY)
    return Path(found).absolute() if found else None


def _bind(addr: Address) -> list[socket.socket]:
    """The listening sockets of one listener: a unix socket; a TCP listener on
    every address its host resolves to (``localhost`` may be 127.0.0.1 and ::1:
    a client may try either), all on one port (``:0``: the port the first got).
    ``[::]`` is one dual-stack socket. Nothing stays bound when one fails."""
    socks: list[socket.socket] = []
    try:
        if addr.kind == "unix":
            prepare_unix_path(addr.target)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            socks.append(sock)
            sock.bind(addr.target)
            os.chmod(addr.target, 0o660)
            sock.listen(1024)
            return socks
        host, _, port = addr.target.rpartition(":")
        host = host.strip("[]")
        seen: set[tuple[int, str | int]] = set()
        for family, _, _, _, sockaddr in socket.getaddrinfo(
            host or None, int(port), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        ):
            if (family, sockaddr[0]) in seen or (host == "::" and seen):
                continue  # "::" is dual stack: its one socket takes IPv4 too
            seen.add((family, sockaddr[0]))
            at = socks[0].getsockname()[1] if socks else int(port)
            socks.append(
                socket.create_server(
                    (sockaddr[0], at),
                    family=family,
                    backlog=1024,
                    dualstack_ipv6=family == socket.AF_INET6 and host == "::",
                )
            )
        return socks
    except OSError as e:
        for sock in socks:
            sock.close()
        raise FrontEndError(f"api listener {addr}: cannot listen: {e}") from None


class FrontServer:
    """The API served by fabricd-front: ``bound``, ``set_serving`` and ``stop`` as ApiServer's."""

    def __init__(
        self, servicer: object, binary: Path, listeners: Sequence[tuple[Address, int]], tls: ServerTLS | None
    ) -> None:
        self._table = link.methods(servicer)
        self._binary = binary
        self._tls = tls
        self._plan = listeners
        #: every listening socket, with the kind of its listener
        self._sockets: list[tuple[socket.socket, int]] = []
        self.bound: list[Address] = []
        self._serving = False
        self._stopping = False
        self._link: link.Link | None = None
        self._lost: asyncio.Future[None] | None = None
        self._stderr_task: asyncio.Task[None] | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self.restarts = 0

    async def start(self) -> None:
        try:
            for addr, kind in self._plan:
                socks = _bind(addr)
                self._sockets += [(sock, kind) for sock in socks]
                self.bound.append(addr.on_port(socks[0].getsockname()[1]) if addr.kind == "tcp" else addr)
            await self._spawn()
        except BaseException:
            self._close_sockets()
            raise
        self._supervisor = asyncio.get_running_loop().create_task(self._supervise())
        log.info(
            "api.listening",
            addresses=",".join(str(a) for a in self.bound),
            tls=self._tls is not None,
            front_end=str(self._binary),
        )

    async def _spawn(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        fds = [s.fileno() for s, _ in self._sockets]
        try:
            proc = await asyncio.create_subprocess_exec(
                str(self._binary),
                "-link",
                str(theirs.fileno()),
                pass_fds=[theirs.fileno(), *fds],
                # one P: fabricd hands it calls from one event loop, and a second P mostly spins (measured:
                # docs/performance.md); nothing of fabricd's environment (it may hold secrets)
                env={"GOMAXPROCS": "1"},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,  # a terminal's Ctrl-C is fabricd's to handle: it stops the front end
            )
        except OSError as e:
            ours.close()
            raise FrontEndError(f"api.front_end: cannot run {self._binary}: {e}") from None
        finally:
            theirs.close()
        try:
            await self._connect(proc, ours, [(s.fileno(), kind) for s, kind in self._sockets])
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise

    async def _connect(
        self, proc: asyncio.subprocess.Process, ours: socket.socket, listeners: list[tuple[int, int]]
    ) -> None:
        loop = asyncio.get_running_loop()
        self._proc = proc
        lost: asyncio.Future[None] = loop.create_future()

        def on_lost(_: Exception | None) -> None:
            if not lost.done():
                lost.set_result(None)

        try:
            _, protocol = await loop.create_connection(lambda: link.Link(self._table, on_lost), sock=ours)
        except BaseException:
            ours.close()
            raise
        self._link = protocol
        self._lost = lost
        self._stderr_task = loop.create_task(self._stderr(proc))
        tls = self._tls
        try:
            protocol.send(
                link.config_frame(
                    cert_chain=tls.cert_chain if tls else b"",
                    key=tls.private_key if tls else b"",
                    client_ca=(tls.client_ca or b"") if tls else b"",
                    max_request=MAX_REQUEST,
                    descriptors=link.descriptor_set(),
                    listeners=listeners,
                )
            )
            try:
                async with asyncio.timeout(READY_TIMEOUT):
                    await asyncio.shield(protocol.ready)
            except (TimeoutError, ConnectionError) as e:
                raise FrontEndError(f"api.front_end: {self._binary} did not come up: {e or 'timed out'}") from None
            await protocol.serving(self._serving)
        except BaseException:
            protocol.close()
            raise

    async def _stderr(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        while True:
            try:
                line = await proc.stderr.readline()
            except ValueError:  # a line over the stream's limit: dropped (the reader moved past it)
                line = b"(a line too long to log)\n"
            if not line:
                return
            log.warning("front.stderr", line=line[:STDERR_LINE].decode(errors="replace").rstrip())

    async def _supervise(self) -> None:
        retry = Backoff(0.5, 30.0)
        while not self._stopping:
            proc = self._proc
            assert proc is not None
            assert self._lost is not None
            waiting: set[asyncio.Future[Any]] = {asyncio.ensure_future(proc.wait()), self._lost}
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if self._stopping:
                return
            if self._link is not None:
                self._link.close()
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            code = await proc.wait()
            log.error("front.exited", code=code, restarts=self.restarts)
            while not self._stopping:
                await asyncio.sleep(retry.next())
                try:
                    await self._spawn()
                except FrontEndError as e:
                    log.error("front.restart_failed", error=str(e))
                    continue
                self.restarts += 1
                retry.reset()
                log.warning("front.restarted", restarts=self.restarts)
                break

    async def set_serving(self, serving: bool) -> None:
        """Returns once the front end's health service answers so (as grpc.aio's does)."""
        self._serving = serving
        if self._link is not None:
            async with asyncio.timeout(READY_TIMEOUT):
                await self._link.serving(serving)

    async def update_tls(self, tls: ServerTLS) -> None:
        """New TLS material (checked by controller.api.tlsfiles): every
        handshake from now on uses it, and so does a restarted front end;
        established connections keep theirs. FrontEndError when the front
        end refuses it (it keeps the old)."""
        if self._tls is None:
            raise ValueError("the API serves no TLS")
        previous, self._tls = self._tls, tls
        if self._link is None or self._link.closed:
            return  # the front end being restarted takes it with its config
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                refused = await self._link.tls(tls.cert_chain, tls.private_key, tls.client_ca or b"")
        except ConnectionError:
            return  # it died meanwhile: restarted with the new material
        except TimeoutError:
            raise FrontEndError(f"api.front_end: {self._binary} did not take the new TLS material in time") from None
        if refused:
            self._tls = previous
            raise FrontEndError(f"api.front_end: refused the new TLS material: {refused}")

    async def stop(self, grace: float | None = 5.0) -> None:
        self._stopping = True
        wait = 0.0 if grace is None else grace  # as grpc.aio: None ends the calls in flight at once
        proc = self._proc
        if self._link is not None and proc is not None and proc.returncode is None:
            self._link.send(link.stop_frame(wait))
            # the front end closes its copies of the listeners now; with ours closed too new connections are
            # refused at once (as with grpc.aio), not queued for a server that will not take them
            self._close_sockets()
            try:
                async with asyncio.timeout(wait + 2.0):
                    await proc.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if self._link is not None:
            self._link.close()
        for task in (self._supervisor, self._stderr_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._close_sockets()

    def _close_sockets(self) -> None:
        for sock, _ in self._sockets:
            sock.close()
        self._sockets.clear()
        for addr in self.bound:
            if addr.kind == "unix":
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(addr.target)


async def start_front(
    servicer: object,
    listeners: Sequence[Address],
    *,
    binary: Path,
    tls: ServerTLS | None = None,
    token_listeners: Sequence[Address] = (),
) -> FrontServer:
    """Bind every listener and start fabricd-front on them (see start_server for the listener kinds)."""
    if not listeners:
        raise ValueError("at least one listener is needed")
    if token_listeners and tls is None:
        raise ValueError("token listeners need TLS")
    # as grpc.aio: a client CA given (even an empty one, which then verifies no one) means mutual TLS
    kind = link.LISTEN_PLAIN if tls is None else link.LISTEN_MTLS if tls.client_ca is not None else link.LISTEN_TOKEN
    plan = [(a, kind) for a in listeners] + [(a, link.LISTEN_TOKEN) for a in token_listeners]
    server = FrontServer(servicer, binary, plan, tls)
    await server.start()
    return server
