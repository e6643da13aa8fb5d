"""Fixtures for the emulator tests: hosts of real emulators on 127.0.0.1:0
and the plain pygnmi client (sync: run it in a worker thread)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import pytest
from pygnmi.client import gNMIclient

from labs.emulator import Emulator, EmulatorHost
from labs.emulator.codec import join
from tests.labs.emulator import ocdocs

DEADLINE = 30.0  # generous: the machine is 2 noisy cores


def client(emu: Emulator, **kw: Any) -> gNMIclient:
    """A pygnmi client of an emulator (plaintext unless told otherwise)."""
    host, port = emu.address.rsplit(":", 1)
    kw.setdefault("insecure", emu.spec.tls is None)
    kw.setdefault("gnmi_timeout", 10)
    if emu.spec.credentials is not None:
        kw.setdefault("username", emu.spec.credentials.username)
        kw.setdefault("password", emu.spec.credentials.password)
    return gNMIclient(target=(host, int(port)), **kw)


async def in_thread(fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    return await asyncio.to_thread(fn, *args, **kw)


async def wait_for(cond: Callable[[], Any], what: str, within: float = DEADLINE) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.02)


class Client:
    """A connected pygnmi client whose subscriptions end at teardown.

    pygnmi's subscription thread re-raises the CANCELLED of its closed
    channel: tests using this fixture ignore PytestUnhandledThreadExceptionWarning
    (they assert what they receive, not how pygnmi's thread ends)."""

    def __init__(self, gc: Client) -> None:
        self.gc = gc
        self.subs: list[Any] = []

    async def subscribe(self, req: dict[str, Any]) -> Any:
        sub = await in_thread(self.gc.subscribe2, subscribe=req)
        self.subs.append(sub)
        return sub

    async def set(self, **kw: Any) -> Any:
        return await in_thread(self.gc.set, encoding="json_ietf", **kw)


@pytest.fixture
async def gc(sw1: Emulator) -> AsyncIterator[Client]:
    c = Client(client(sw1))
    await in_thread(c.gc.connect)
    yield c
    # A STREAM lasts until its channel closes (the emulator, like real targets,
    # ignores a half-close): close the channel, then let pygnmi's threads end.
    await in_thread(c.gc.close)
    for sub in c.subs:
        await in_thread(sub.close)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests streaming with pygnmi (the ``gc`` fixture) ignore the CANCELLED
    its subscription threads re-raise when their channel closes."""
    mark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
    for item in items:
        if "gc" in getattr(item, "fixturenames", ()):
            item.add_marker(mark)


@pytest.fixture
async def host() -> AsyncIterator[EmulatorHost]:
    async with EmulatorHost.start([ocdocs.spec("sw1"), ocdocs.spec("sw2")]) as h:
        yield h


@pytest.fixture
def sw1(host: EmulatorHost) -> Emulator:
    return host["sw1"]


class RawStream:
    """A Subscribe stream on grpc.aio with pygnmi's stubs, for what pygnmi's
    client cannot show (errors mid-stream, leaflist_val, raw responses)."""

    def __init__(self, address: str, first: Any, *, metadata: Any = None) -> None:
        from pygnmi.spec.v080 import gnmi_pb2_grpc

        self.channel = grpc.aio.insecure_channel(address)
        self._q: asyncio.Queue[Any] = asyncio.Queue()
        self._q.put_nowait(first)
        self.call = gnmi_pb2_grpc.gNMIStub(self.channel).Subscribe(self._requests(), metadata=metadata)
        self._pending: asyncio.Future[Any] | None = None

    async def _requests(self) -> Any:
        while True:
            r = await self._q.get()
            if r is None:
                return
            yield r

    def send(self, request: Any) -> None:
        self._q.put_nowait(request)

    async def next(self, within: float = DEADLINE) -> Any:
        """The next response; TimeoutError leaves the read pending (cancelling
        a grpc.aio read would cancel the RPC)."""
        if self._pending is None:
            self._pending = asyncio.ensure_future(self.call.read())
        done, _ = await asyncio.wait({self._pending}, timeout=within)
        if not done:
            raise TimeoutError(f"no response within {within}s")
        fut, self._pending = self._pending, None
        return fut.result()

    async def paths(self, within: float, until: str = "") -> list[str]:
        """The paths (with the notification's prefix) of every update and delete
        received within ``within`` seconds, or until one of them holds ``until``."""
        out: list[str] = []
        loop = asyncio.get_running_loop()
        end = loop.time() + within
        while (left := end - loop.time()) > 0:
            try:
                r = await self.next(left)
            except TimeoutError:
                break
            n = r.update
            prefix = n.prefix if n.HasField("prefix") else None
            out += [str(join(prefix, p)) for p in (*(u.path for u in n.update), *n.delete)]
            if until and any(until in p for p in out):
                break
        return out

    async def until_sync(self) -> list[Any]:
        out = []
        while True:
            r = await self.next()
            if r.sync_response:
                return out
            out.append(r)

    async def close(self) -> None:
        self.call.cancel()
        if self._pending is not None:
            await asyncio.wait({self._pending})
            if not self._pending.cancelled():
                self._pending.exception()  # retrieved: the RPC was cancelled on purpose
        await self.channel.close()
