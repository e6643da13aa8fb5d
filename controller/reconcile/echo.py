"""Recognising our own Sets on the drift subscription.

A worker subscribes ON_CHANGE to the subtrees its owned objects live in; its
own Sets echo back there, sometimes before their SetResponse, sometimes
after the next Set started. A notified change counts as ours when it matches,
leaf by leaf, the Set in flight, what the worker knows the switch has, or one
of its writes of the last seconds; anything else the platform watches is a
foreign change (drift) and asks for a verification pass. Content, not time
windows: an operator's change right after one of our Sets is still seen.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable, Mapping
from typing import Any

from controller.gnmi.convert import MalformedValue, elem_name, from_pb, prefixes, untyped
from models.diff import SetOps
from models.oc.path import Path
from models.oc.tree import canonical
from models.platforms.base import ObjectKey

Json = Any
#: how long a notification may trail the Set it echoes
ECHO_WINDOW = 5.0


class EchoFilter:
    def __init__(self, current: Callable[[], Mapping[ObjectKey, Mapping[Path, Json]]]) -> None:
        self._current = current
        self._inflight: dict[str, Json] = {}  # the Set in flight: object path -> value (None: deleted)
        self._index: dict[str, tuple[ObjectKey, Path]] = {}  # object path -> where it is in `current`
        self._history: dict[str, collections.deque[tuple[float, Json]]] = {}  # our recent writes per object
        self.malformed = 0  # undecodable values seen (ignored: no evidence of drift)

    def reset(self, current: Mapping[ObjectKey, Mapping[Path, Json]]) -> None:
        """The switch was read afresh."""
        self._index = {str(p): (k, p) for k, objs in current.items() for p in objs}

    def sending(self, ops: SetOps) -> None:
        self._inflight = {str(p): None for p in ops.deletes}
        self._inflight.update((str(p), v) for p, v in ops.replaces)

    def sent(self) -> None:
        """The Set returned (the caller commits it before it next awaits)."""
        self._inflight = {}

    def committed(self, key: ObjectKey, ops: SetOps) -> None:
        now = time.monotonic()
        for p in ops.deletes:
            self._index.pop(str(p), None)
            self._remember(str(p), now, None)
        for p, v in ops.replaces:
            self._index[str(p)] = (key, p)
            self._remember(str(p), now, v)

    def _remember(self, text: str, now: float, value: Json) -> None:
        past = self._history.setdefault(text, collections.deque(maxlen=4))
        past.append((now, value))
        if len(self._history) > 20_000:
            self._history = {k: d for k, d in self._history.items() if d and now - d[-1][0] < ECHO_WINDOW}

    def foreign(self, notification: Any, watches: Callable[[Path], bool]) -> bool:
        """True when the notification holds a change of something ``watches``
        covers that is not ours."""
        prefix = notification.prefix if notification.HasField("prefix") else None
        items: list[tuple[Any, Any, bool]] = []
        for u in notification.update:
            try:
                items.append((u.path, untyped(u.val), False))
            except MalformedValue:
                self.malformed += 1
        items += [(p, None, True) for p in notification.delete]
        return any(not self.ours(pb, value, deleted) and watches(from_pb(pb, prefix)) for pb, value, deleted in items)

    def ours(self, pb: Any, value: Any, deleted: bool) -> bool:
        texts = list(prefixes(pb))
        now = time.monotonic()
        current = self._current()
        for depth in range(len(texts) - 1, -1, -1):
            text = texts[depth]
            candidates = []
            if text in self._inflight:
                candidates.append(self._inflight[text])
            if text in self._index:
                key, path = self._index[text]
                candidates.append(current.get(key, {}).get(path))
            candidates += [v for t, v in self._history.get(text, ()) if now - t < ECHO_WINDOW]
            if not candidates and text not in self._history:
                continue
            rest = pb.elem[depth + 1 :]
            for obj in candidates:
                found, leaf = _walk(obj, rest)
                if (not found) if deleted else (found and canonical(leaf) == canonical(value)):
                    return True
            return False
        return False


def _walk(node: Any, elems: Any) -> tuple[bool, Any]:
    """Follow proto path elements into an unqualified JSON object; (found, value)."""
    if node is None:
        return False, None
    for e in elems:
        if not isinstance(node, dict):
            return False, None
        name = elem_name(e)
        child = node.get(name)
        if child is None:
            child = next((v for k, v in node.items() if k.endswith(":" + name)), None)
        if child is None:
            return False, None
        if e.key:
            if not isinstance(child, list):
                return False, None
            want = dict(e.key)
            child = next(
                (x for x in child if isinstance(x, dict) and all(_same(x.get(k), v) for k, v in want.items())), None
            )
            if child is None:
                return False, None
        node = child
    return True, node


def _same(value: Any, text: str) -> bool:
    return value is not None and canonical(str(value)) == canonical(text)
