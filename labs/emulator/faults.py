"""Fault rules and RPC counters of one switch, and the gate every gNMI RPC
passes after it is counted: matching delays, then the first matching failure.

A rule matches some gNMI methods (none given: all of Capabilities, Get, Set,
Subscribe) and lasts for ``count`` matching calls and/or ``duration``
seconds (neither: until cleared). A delay far longer than the client's
deadline is a hung RPC; :meth:`Faults.clear` releases delays in progress.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import itertools
import time
from collections.abc import Callable, Iterable

import grpc

from labs.emulator.errors import InjectedFault

METHODS = ("Capabilities", "Get", "Set", "Subscribe")


def methods_of(names: Iterable[str]) -> frozenset[str]:
    """Method names, case-insensitive; ValueError naming an unknown one."""
    by_lower = {m.lower(): m for m in METHODS}
    out = set()
    for name in names:
        if name.lower() not in by_lower:
            raise ValueError(f"unknown gNMI method {name!r} (known: {', '.join(METHODS)})")
        out.add(by_lower[name.lower()])
    return frozenset(out)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FailRpcs:
    """Fail matching RPCs with ``code`` and ``message``."""

    methods: frozenset[str] = frozenset()
    code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE
    message: str = "injected fault"
    count: int | None = None
    duration: float | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Delay:
    """Hold matching RPCs for ``seconds`` before serving them."""

    seconds: float
    methods: frozenset[str] = frozenset()
    count: int | None = None
    duration: float | None = None


Fault = FailRpcs | Delay


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Counters:
    """RPCs received (before faults and authentication) and Set outcomes."""

    capabilities: int = 0
    get: int = 0
    set: int = 0
    subscribe: int = 0
    sets_committed: int = 0
    sets_rejected: int = 0
    set_ops: int = 0  # delete/replace/update ops in committed Sets


@dataclasses.dataclass(slots=True)
class _Active:
    id: int
    fault: Fault
    remaining: int | None
    deadline: float | None


class Faults:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._rules: list[_Active] = []
        self._ids = itertools.count(1)
        self._released: asyncio.Event | None = None
        self._counts: collections.Counter[str] = collections.Counter()

    # -- rules

    def add(self, fault: Fault) -> int:
        if fault.count is not None and fault.count < 1:
            raise ValueError(f"count {fault.count} must be at least 1 (or None: no limit)")
        if fault.duration is not None and fault.duration <= 0:
            raise ValueError(f"duration {fault.duration} must be positive (or None: until cleared)")
        if isinstance(fault, Delay) and fault.seconds < 0:
            raise ValueError(f"delay {fault.seconds} must not be negative")
        deadline = None if fault.duration is None else self._clock() + fault.duration
        rule = _Active(next(self._ids), fault, fault.count, deadline)
        self._rules.append(rule)
        return rule.id

    def clear(self) -> int:
        """Remove every rule and release delayed RPCs; returns how many rules."""
        n = len(self._rules)
        self._rules.clear()
        if self._released is not None:
            self._released.set()
            self._released = None
        return n

    @property
    def active(self) -> list[Fault]:
        self._expire()
        return [r.fault for r in self._rules]

    def _expire(self) -> None:
        now = self._clock()
        self._rules = [r for r in self._rules if r.deadline is None or r.deadline > now]

    def _take(self, method: str, kind: type[Fault], *, first: bool = False) -> list[Fault]:
        """Matching rules of a kind (every one, or the first), each charged one call."""
        self._expire()
        out: list[Fault] = []
        for rule in list(self._rules):
            f = rule.fault
            if isinstance(f, kind) and (not f.methods or method in f.methods):
                out.append(f)
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                if first:
                    break
        return out

    # -- the gate

    def received(self, method: str) -> None:
        self._counts[method.lower()] += 1

    async def gate(self, method: str) -> None:
        """Apply matching delays, then the first matching failure."""
        delay = sum(f.seconds for f in self._take(method, Delay) if isinstance(f, Delay))
        if delay > 0:
            if self._released is None:
                self._released = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._released.wait()
        for f in self._take(method, FailRpcs, first=True):
            if isinstance(f, FailRpcs):
                raise InjectedFault(f.code, f.message)

    # -- counters

    def count_set(self, *, committed: bool, ops: int) -> None:
        if committed:
            self._counts["sets_committed"] += 1
            self._counts["set_ops"] += ops
        else:
            self._counts["sets_rejected"] += 1

    def counters(self) -> Counters:
        return Counters(**{f.name: self._counts[f.name] for f in dataclasses.fields(Counters)})

    def reset_counters(self) -> Counters:
        before = self.counters()
        self._counts.clear()
        return before
