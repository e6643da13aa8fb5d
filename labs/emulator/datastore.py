"""One switch's data: running config, state, and the change feed.

The config is a :class:`models.oc.tree.Tree` that only ever holds a valid
configuration: a Set is applied to it in place with an undo log
(:mod:`labs.emulator.txn`), checked (:mod:`labs.emulator.validate`,
:mod:`labs.emulator.rules`), then committed or rolled back exactly. State
(LLDP neighbours, interface status) is a second tree written by the
dataplane and by faults. Every commit, config or state, is published as one
:class:`Change` of leaf-level updates and deletes to every feed subscriber;
a rejected Set publishes nothing. All of it runs on one event loop thread,
so a commit is atomic for readers without locks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from labs.emulator.errors import ConfigRejected
from labs.emulator.txn import Applied, Change, Op, apply_all, leaf_items
from labs.emulator.validate import OPENCONFIG, Validation
from models.oc.path import Path
from models.oc.tree import Tree, TreeError

Json = Any
View = Literal["config", "state", "all"]

#: changes a subscriber may fall behind before its stream is ended
FEED_DEPTH = 4096


class FeedSubscriber:
    """A queue of committed changes; ``overflowed`` once it fell too far behind."""

    def __init__(self, depth: int) -> None:
        self.queue: asyncio.Queue[Change] = asyncio.Queue(maxsize=depth)
        self.overflowed = False

    def offer(self, change: Change) -> None:
        try:
            self.queue.put_nowait(change)
        except asyncio.QueueFull:
            self.overflowed = True


class Datastore:
    """``validation``: the platform's schema and rules (OpenConfig unless given)."""

    def __init__(self, config: Tree, validation: Validation = OPENCONFIG) -> None:
        self.config = config
        self.state = Tree()
        self.validation = validation
        self._index = validation.index(config.root) if validation.index else None
        self._subscribers: set[FeedSubscriber] = set()

    # -- validation and commits

    def prepare(self, ops: Sequence[Op]) -> Applied:
        """Apply ops to the live config and check the result; on a problem
        roll back and raise ConfigRejected naming every problem. The caller
        commits or rolls back before it awaits anything."""
        v = self.validation
        problems = [p for op in ops for p in v.check_op(op)]
        if problems:
            raise ConfigRejected(problems)
        try:
            applied = apply_all(self.config, ops)
        except TreeError as err:
            raise ConfigRejected([str(err)]) from None
        anchors = applied.anchors
        deleted = applied.change(0).deletes  # kept: commit reuses it
        extra = {} if self._index is None else {"index": self._index}
        problems = v.check_written(self.config, anchors) + v.rules(self.config.root, anchors, deleted, **extra)
        if problems:
            applied.rollback()
            raise ConfigRejected(problems)
        return applied

    def commit(self, applied: Applied) -> Change:
        change = applied.change(time.time_ns())
        if change:
            if self._index is not None:
                self._index.committed(self.config.root, [*(p for p, _ in change.updates), *change.deletes])
            self._publish(change)
        return change

    def set(self, ops: Sequence[Op]) -> Change:
        return self.commit(self.prepare(ops))

    def write_state(self, ops: Sequence[Op]) -> Change:
        """Apply ops to the state tree (no validation) and publish the change."""
        change = apply_all(self.state, ops).change(time.time_ns())
        if change:
            self._publish(change)
        return change

    def reset(self, config: Tree) -> None:
        """Replace config and state wholesale (a reboot); publishes nothing:
        the streams that would see it are dropped by the caller."""
        self.config = config
        self.state = Tree()
        validation = self.validation
        self._index = validation.index(config.root) if validation.index else None

    # -- the feed

    def subscribe(self, depth: int = FEED_DEPTH) -> FeedSubscriber:
        sub = FeedSubscriber(depth)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: FeedSubscriber) -> None:
        self._subscribers.discard(sub)

    def _publish(self, change: Change) -> None:
        for sub in list(self._subscribers):
            sub.offer(change)

    # -- reads

    def trees(self, view: View) -> tuple[Tree, ...]:
        if view == "config":
            return (self.config,)
        if view == "state":
            return (self.state,)
        return (self.config, self.state)

    def find(self, pattern: Path, view: View) -> dict[Path, Any]:
        """Nodes matching a pattern (``*``, ``...``, omitted keys), config and
        state merged where both have data at one path."""
        out: dict[Path, Any] = {}
        for tree in self.trees(view):
            for path, node in tree.find(pattern):
                out[path] = overlay(out[path], node) if path in out else node
        return out

    def leaves(self, pattern: Path, view: View = "all") -> Iterator[tuple[Path, Json]]:
        for tree in self.trees(view):
            for path, node in tree.find(pattern):
                yield from leaf_items(node, path)


def overlay(a: Any, b: Any) -> Any:
    """``a`` and ``b`` merged into new containers (lists by key); a wins on
    leaves. Neither input is changed."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = type(a)(a)
        for k, v in b.items():
            out[k] = overlay(a[k], v) if k in a else v
        return out
    return a
