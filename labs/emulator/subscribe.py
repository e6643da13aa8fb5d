"""One gNMI Subscribe RPC.

* ONCE: every leaf of every subscription, ``sync_response``, end.
* POLL: nothing until a Poll; each Poll: every leaf, ``sync_response``.
* STREAM: every leaf (unless ``updates_only``), ``sync_response``, then per
  subscription: ON_CHANGE (and TARGET_DEFINED): committed changes as they
  happen, removed leaves as ``Notification.delete``; ``heartbeat_interval``
  re-sends every leaf. SAMPLE: every leaf each ``sample_interval`` (0: the
  minimum, 100 ms); ``suppress_redundant`` sends only what changed, with
  ``heartbeat_interval`` forcing a full sample; leaves gone since the last
  sample are deletes.

A POLL stream ends (OK) when the client closes its sending side; a STREAM
goes on until the client cancels (a client may half-close right after its
SubscriptionList, as pygnmi's ``subscribe()`` does). Values are scalar TypedValues
(leaf-lists as ``leaflist_val``), one Update per leaf, full paths (the
prefix only echoes ``target``). A path with no data yet is fine: its leaves
arrive when they appear. A second SubscriptionList
on one stream is INVALID_ARGUMENT. A subscriber more than
``FEED_DEPTH`` changes behind is ended with RESOURCE_EXHAUSTED; a dropped
stream (fault, reboot) ends with UNAVAILABLE.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Iterable
from typing import TYPE_CHECKING, Any

import grpc
from pygnmi.spec.v080 import gnmi_pb2

from labs.emulator import codec
from labs.emulator.errors import EmulatorError, InvalidRequest, Unsupported
from labs.emulator.status import abort, status_of
from models.oc.path import Elem, Path, covers

if TYPE_CHECKING:
    from labs.emulator.datastore import FeedSubscriber
    from labs.emulator.emulator import Emulator

Json = Any
MIN_INTERVAL = 0.1  # seconds: the shortest sample or heartbeat interval
CHUNK = 500  # updates per Notification
OUT_DEPTH = 256  # responses queued before producers wait for the client

SL = gnmi_pb2.SubscriptionList
_ENCODINGS = (gnmi_pb2.Encoding.JSON_IETF, gnmi_pb2.Encoding.JSON, gnmi_pb2.Encoding.PROTO)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Sub:
    path: Path
    sample: bool  # SAMPLE, else ON_CHANGE
    interval: float  # seconds (SAMPLE)
    heartbeat: float | None
    suppress: bool


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    mode: int
    subs: tuple[Sub, ...]
    updates_only: bool
    target: str


def _seconds(ns: int) -> float:
    return max(MIN_INTERVAL, ns / 1e9)


def parse_request(sl: Any, origins: frozenset[str] = codec.ORIGINS) -> Request:
    if sl.mode not in (SL.STREAM, SL.ONCE, SL.POLL):
        raise InvalidRequest(f"SubscriptionList mode {sl.mode} is not STREAM, ONCE or POLL")
    if sl.encoding not in _ENCODINGS:
        raise Unsupported(f"encoding {gnmi_pb2.Encoding.Name(sl.encoding)} is not supported (JSON_IETF, JSON)")
    if not sl.subscription:
        raise InvalidRequest("the SubscriptionList has no subscription")
    prefix = sl.prefix if sl.HasField("prefix") else None
    subs = []
    for s in sl.subscription:
        sample = s.mode == gnmi_pb2.SubscriptionMode.SAMPLE
        subs.append(
            Sub(
                path=codec.join(prefix, s.path, origins),
                sample=sample,
                interval=_seconds(s.sample_interval),
                heartbeat=_seconds(s.heartbeat_interval) if s.heartbeat_interval else None,
                suppress=sample and s.suppress_redundant,
            )
        )
    return Request(mode=sl.mode, subs=tuple(subs), updates_only=sl.updates_only, target=prefix.target if prefix else "")


class _End:
    pass


@dataclasses.dataclass(frozen=True, slots=True)
class _Abort:
    code: grpc.StatusCode
    message: str


class Stream:
    def __init__(self, emulator: Emulator, context: Any) -> None:
        self._emu = emulator
        self._ctx = context
        self._out: asyncio.Queue[Any] = asyncio.Queue(maxsize=OUT_DEPTH)
        self._req: Request | None = None
        self.done = asyncio.Event()  # set when the RPC has ended

    def abort(self, code: grpc.StatusCode, message: str) -> None:
        """End the stream with a status (from any task on the loop), ahead of
        responses still queued."""
        while not self._out.empty():
            self._out.get_nowait()
        self._out.put_nowait(_Abort(code, message))

    async def run(self, requests: AsyncIterator[Any]) -> None:
        emu, ctx = self._emu, self._ctx
        try:
            await emu.admit("Subscribe", ctx)
            first = await anext(aiter(requests), None)
            if first is None:
                return
            if not first.HasField("subscribe"):
                raise InvalidRequest("the first SubscribeRequest must carry a SubscriptionList")
            self._req = req = parse_request(first.subscribe, emu.platform.origins)
        except EmulatorError as err:
            await abort(ctx, err)
        emu.streams.add(self)
        feed: FeedSubscriber | None = None
        tasks: list[asyncio.Task[None]] = []
        try:
            if req.mode == SL.ONCE:
                for resp in self._dump(req.subs):
                    await ctx.write(resp)
                return
            if req.mode == SL.POLL:
                tasks.append(self._spawn(self._read(requests, poll=True)))
            else:
                feed = emu.datastore.subscribe()  # before the dump: no change falls between
                last = {s: dict(self._leaves(s)) for s in req.subs if s.sample}
                for resp in [_sync()] if req.updates_only else self._dump(req.subs):
                    await ctx.write(resp)
                tasks.append(self._spawn(self._read(requests, poll=False)))
                on_change = [s for s in req.subs if not s.sample]
                if on_change:
                    tasks.append(self._spawn(self._changes(feed, on_change)))
                for s in req.subs:
                    if s.sample:
                        tasks.append(self._spawn(self._sample(s, last[s])))
                    elif s.heartbeat:
                        tasks.append(self._spawn(self._heartbeat(s)))
            while True:
                item = await self._out.get()
                if isinstance(item, _End):
                    return
                if isinstance(item, _Abort):
                    await ctx.abort(item.code, item.message)
                await ctx.write(item)
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await t
            if feed is not None:
                emu.datastore.unsubscribe(feed)
            emu.streams.discard(self)
            self.done.set()

    # -- producers

    def _spawn(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except EmulatorError as err:
                self.abort(*status_of(err))
            except Exception as err:  # noqa: BLE001 - the stream ends with the reason, the server lives on
                self.abort(grpc.StatusCode.INTERNAL, f"subscription failed: {type(err).__name__}: {err}")

        return asyncio.get_running_loop().create_task(guarded())

    async def _read(self, requests: AsyncIterator[Any], *, poll: bool) -> None:
        assert self._req is not None
        async for r in requests:
            if r.HasField("subscribe"):
                raise InvalidRequest("a second SubscriptionList on one Subscribe stream (open a new stream)")
            if r.HasField("poll"):
                if not poll:
                    raise InvalidRequest("Poll on a subscription whose mode is not POLL")
                for resp in self._dump(self._req.subs):
                    await self._out.put(resp)
        if poll:  # no more polls can come; a STREAM goes on (as openconfig/gnmi's server does)
            await self._out.put(_End())

    async def _changes(self, feed: FeedSubscriber, subs: list[Sub]) -> None:
        covered = Covered([s.path for s in subs])
        while True:
            change = await feed.queue.get()
            if feed.overflowed:
                self.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "the subscriber fell too far behind the changes")
                return
            ups = [(p, v) for p, v in change.updates if covered(p)]
            dels = [p for p in change.deletes if covered(p)]
            for resp in self._notifications(ups, dels, change.timestamp):
                await self._out.put(resp)

    async def _sample(self, sub: Sub, last: dict[Path, Json]) -> None:
        loop = asyncio.get_running_loop()
        full_at = loop.time()
        while True:
            await asyncio.sleep(sub.interval)
            now = dict(self._leaves(sub))
            beat = sub.heartbeat is not None and loop.time() - full_at >= sub.heartbeat
            if sub.suppress and not beat:
                ups = [(p, v) for p, v in now.items() if p not in last or last[p] != v]
            else:
                ups, full_at = list(now.items()), loop.time()
            dels = [p for p in last if p not in now]
            last = now
            for resp in self._notifications(ups, dels, time.time_ns()):
                await self._out.put(resp)

    async def _heartbeat(self, sub: Sub) -> None:
        assert sub.heartbeat is not None
        while True:
            await asyncio.sleep(sub.heartbeat)
            for resp in self._notifications(list(self._leaves(sub)), [], time.time_ns()):
                await self._out.put(resp)

    # -- building responses

    def _leaves(self, sub: Sub) -> Iterable[tuple[Path, Json]]:
        return self._emu.datastore.leaves(sub.path)

    def _dump(self, subs: Iterable[Sub]) -> list[Any]:
        leaves: dict[Path, Json] = {}
        for s in subs:
            leaves.update(self._leaves(s))
        return [*self._notifications(list(leaves.items()), [], time.time_ns()), _sync()]

    def _notifications(self, updates: list[tuple[Path, Json]], deletes: list[Path], ts: int) -> list[Any]:
        if not updates and not deletes:
            return []
        self._emu.streamed += len(updates) + len(deletes)
        target = self._req.target if self._req else ""
        prefix = gnmi_pb2.Path(target=target).SerializeToString() if target else None
        qualify = self._emu.platform.qualify_paths
        out = []
        for i in range(0, max(len(updates), 1), CHUNK):
            fields = [codec.update_field(codec.path_bytes(p, qualify=qualify), v) for p, v in updates[i : i + CHUNK]]
            if i == 0:
                fields += [codec.delete_field(codec.path_bytes(p, qualify=qualify)) for p in deletes]
            out.append(codec.subscribe_response(ts, prefix, fields))
        return out


class Covered:
    """Whether a changed path is at or below one of a stream's patterns.

    The patterns (all but those with ``...``, which are asked as they are)
    form a tree of their elements, and a path walks down it one element at a
    time, only along the children its element can match (its name or ``*``):
    a Set streams thousands of leaves, each under keys of its own, so the cost
    per leaf is the path's depth, not the number of patterns."""

    def __init__(self, patterns: list[Path]) -> None:
        self._wild = [p for p in patterns if any(e.name == "..." for e in p.elems)]
        self._root = _Branch()
        for p in patterns:
            if p in self._wild:
                continue
            node = self._root
            for e in p.elems:
                node = node.child(e)
            node.end = True

    def __call__(self, path: Path) -> bool:
        return self._root.covers(path.elems, 0) or any(covers(p, path) for p in self._wild)


class _Branch:
    """One element position of :class:`Covered`'s tree: children by the
    pattern element's name (``*`` too), each with the keys it asks for."""

    __slots__ = ("children", "end")

    def __init__(self) -> None:
        self.children: dict[str, list[tuple[tuple[tuple[str, str], ...], _Branch]]] = {}
        self.end = False  # a pattern ends here: everything at or below is covered

    def child(self, e: Elem) -> _Branch:
        keys = tuple((k, v) for k, v in e.keys if v != "*")  # a * key matches any value, or none
        for have, node in self.children.setdefault(e.name, []):
            if have == keys:
                return node
        node = _Branch()
        self.children[e.name].append((keys, node))
        return node

    def covers(self, elems: tuple[Elem, ...], i: int) -> bool:
        if self.end:
            return True
        if i == len(elems):
            return False
        e = elems[i]
        for name in (e.name, "*"):
            for keys, node in self.children.get(name, ()):
                if keys and not _has_keys(e, keys):
                    continue
                if node.covers(elems, i + 1):
                    return True
        return False


def _has_keys(e: Elem, keys: tuple[tuple[str, str], ...]) -> bool:
    have = e.keys  # a few (name, value) pairs
    return all(kv in have for kv in keys)


def _sync() -> Any:
    return gnmi_pb2.SubscribeResponse(sync_response=True)
