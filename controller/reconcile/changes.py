"""A worker's pending changes and generations (no I/O, one event loop).

Every change of desired state marks its keys with the next generation. A
pass takes changes in order (all of them when coalescing, else the oldest
one: one Set per change, the benchmark baseline) and, once the switch
committed them, raises ``committed`` to the last generation it took; waiters
for a generation are released then. Each key remembers the generation of its
last change, and each attachment the generation that carries its objects.
The last passes are remembered with their Set's times (:class:`Pass`),
so that an attach can say how long it waited for its Set to leave and how
long that Set took (``fabric_attach_phase_seconds``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
from collections.abc import Hashable, Iterable

from models.platforms.base import ObjectKey

#: passes remembered with their Set's times (an attach asks for its own as soon as it is released)
PASSES_KEPT = 64


@dataclasses.dataclass(frozen=True, slots=True)
class Pass:
    """A pass that sent a Set: when the Set left and when the switch answered
    it (``time.perf_counter`` seconds)."""

    set_started: float
    set_returned: float


class Changes:
    def __init__(self, *, coalesce: bool) -> None:
        self.coalesce = coalesce
        self.generation = 0
        self.committed = -1
        #: changes not yet taken by a pass, oldest first
        self._queue: collections.deque[tuple[int, set[ObjectKey]]] = collections.deque()
        self._dirty: set[ObjectKey] = set()
        #: the generation of each key's last change
        self._key_gen: dict[ObjectKey, int] = {}
        #: per attachment (any hashable id), the generation that carries its objects
        self._needs: dict[Hashable, int] = {}
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        #: (the generation a pass committed, its Set's times or None: no Set), oldest first
        self._passes: collections.deque[tuple[int, Pass | None]] = collections.deque(maxlen=PASSES_KEPT)
        self._forgotten = -1  # the newest generation of a pass no longer remembered

    # ------------------------------------------------------------ changes

    @property
    def dirty(self) -> frozenset[ObjectKey]:
        return frozenset(self._dirty)

    def __len__(self) -> int:
        return len(self._dirty)

    def mark(self, keys: Iterable[ObjectKey]) -> int:
        """These keys' desired state changed; returns the new generation."""
        batch = set(keys)
        self.generation += 1
        for key in batch:
            self._key_gen[key] = self.generation
        self._queue.append((self.generation, batch))
        self._dirty |= batch
        return self.generation

    def take(self) -> tuple[set[ObjectKey], int]:
        """The keys of the next pass and the generation they complete: every
        pending change when coalescing, else the oldest one."""
        if self.coalesce or len(self._queue) <= 1:
            return self.take_all()
        generation, keys = self._queue.popleft()
        self._dirty = set().union(*(k for _, k in self._queue))
        return keys, generation

    def take_all(self) -> tuple[set[ObjectKey], int]:
        keys, generation = self._dirty, self.generation
        self._queue.clear()
        self._dirty = set()
        return keys, generation

    def restore(self, keys: set[ObjectKey], generation: int) -> None:
        """A pass did not apply what it took: pending again, ahead of newer changes."""
        if keys:
            self._queue.appendleft((generation, set(keys)))
            self._dirty |= keys

    # ------------------------------------------------------- generations

    def needed(self, keys: Iterable[ObjectKey]) -> int:
        """The generation that carries the current desired state of ``keys``."""
        return max((self._key_gen.get(k, 0) for k in keys), default=0)

    def track(self, owner: Hashable, keys: Iterable[ObjectKey]) -> int:
        gen = self._needs[owner] = self.needed(keys)
        return gen

    def forget(self, owner: Hashable) -> None:
        self._needs.pop(owner, None)

    def carried(self, owner: Hashable) -> bool:
        """The switch committed what ``owner`` needs (untracked owners need
        the first full pass of this worker)."""
        return self.committed >= self._needs.get(owner, 0)

    def commit(self, generation: int, sent: Pass | None = None) -> None:
        """The switch committed every change up to ``generation``; ``sent``:
        the Set that carried them (None: the pass needed no Set)."""
        self.committed = max(self.committed, generation)
        if len(self._passes) == PASSES_KEPT:
            self._forgotten = self._passes[0][0]
        self._passes.append((generation, sent))  # a pass without a Set too: it is the carrier of its changes
        for gen, fut in list(self._waiters):
            if gen <= self.committed and not fut.done():
                fut.set_result(None)

    def carrier(self, generation: int) -> Pass | None:
        """The Set of the pass that committed ``generation`` (None: a pass
        without a Set, or one no longer remembered)."""
        if generation <= self._forgotten:
            return None
        found: Pass | None = None
        for gen, sent in reversed(self._passes):
            if gen < generation:
                break
            found = sent
        return found

    async def wait(self, generation: int) -> None:
        """Returns once ``generation`` is committed (callers bound it with their deadline)."""
        if self.committed >= generation:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((generation, fut))
        try:
            await fut
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove((generation, fut))
