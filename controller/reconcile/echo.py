"""Recognising our own Sets on the drift subscription.

A worker subscribes ON_CHANGE to the subtrees its owned objects live in; its
own Sets echo back there, sometimes before their SetResponse, sometimes
after the next Set started. A notified change counts as ours when it matches,
leaf by leaf, the Set in flight, what the worker knows the switch has, or one
of its writes of the last seconds; anything else the platform watches is a
foreign change (drift) and asks for a verification pass. Content, not time
windows: an operator's change right after one of our Sets is still seen.

The common case, our own Set echoing back, costs one dict lookup per
notified leaf: the Set in flight and the writes of the last seconds are
also kept flattened, leaf path text -> canonical value (built once per Set,
from what we send), and so are the leaves a Set removes (those of the
objects it deletes and those a replace drops, as we know the switch has
them). A leaf found there with the same value, or deleted when we removed
it, is ours. A port's VLAN list, rewritten whole by every attach on the
port and notified whole, is compared by its bytes when the switch sends it
as a scalar array of numbers (the emulator does): decoding 150 VLANs
element by element cost more than the rest of the notification. A leaf
outside what the platform watches (the VTEP's operational state streamed
in the same subtrees) is then let go; any other leaf takes the general walk
over objects (a leaf we wrote earlier and still have, a value that is not
ours). Paths are read with the notification's prefix, which switches such
as SR Linux use for the common part.
"""

from __future__ import annotations

import collections
import functools
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from controller.gnmi.convert import MalformedValue, elem_name, from_pb, leaf_text, prefixes, uint_array, untyped
from models.diff import SetOps
from models.oc.path import Path, escape_key
from models.oc.schema import key_string, list_keys, strip_module
from models.oc.tree import canonical
from models.platforms.base import ObjectKey

Json = Any
#: how long a notification may trail the Set it echoes
ECHO_WINDOW = 5.0
#: in the recent leaves: a leaf we removed
GONE = object()
#: a notification with more updates and deletes than this is not read: it counts as foreign, and the
#: verification pass that follows reads the switch (one notification of 200,000 updates, well inside the gNMI
#: message limit, held the event loop for seconds)
MAX_UPDATES = 4096


class EchoFilter:
    def __init__(self, current: Callable[[], Mapping[ObjectKey, Mapping[Path, Json]]]) -> None:
        self._current = current
        self._inflight: dict[str, Json] = {}  # the Set in flight: object path -> value (None: deleted)
        self._index: dict[str, tuple[ObjectKey, Path]] = {}  # object path -> where it is in `current`
        self._history: dict[str, collections.deque[tuple[float, Json]]] = {}  # our recent writes per object
        # what we write, flattened: leaf path text -> canonical value
        self._inflight_leaves: dict[str, Json] = {}
        self._flat: dict[str, list[tuple[str, Json]]] = {}  # object path -> its leaves, of the last Set sent
        self._sent: dict[str, Json] = {}  # object path -> the value the last Set sent there
        self._gone: dict[str, list[str]] = {}  # object path -> the leaves the last Set sent removes
        self._inflight_gone: set[str] = set()
        self._pending: SetOps | None = None  # the Set in flight, its leaves not flattened yet
        self._recent_leaves: dict[str, collections.deque[tuple[float, Json]]] = {}
        self.malformed = 0  # undecodable values seen (ignored: no evidence of drift)
        self.oversized = 0  # notifications over MAX_UPDATES taken for foreign unread

    def reset(self, current: Mapping[ObjectKey, Mapping[Path, Json]]) -> None:
        """The switch was read afresh."""
        self._index = {str(p): (k, p) for k, objs in current.items() for p in objs}

    def sending(self, ops: SetOps) -> None:
        """A Set is about to leave. Its objects are indexed now; their leaves
        are flattened when the first notification asks or the Set returns,
        whichever comes first: not before the Set leaves (a large Set's
        leaves took milliseconds that every attach in it waited for)."""
        self._inflight = {str(p): None for p in ops.deletes}
        self._inflight.update((str(p), v) for p, v in ops.replaces)
        self._pending = ops

    def _flatten_pending(self) -> None:
        """The Set in flight, flattened, against what we know the switch has
        before it (run before the worker commits the Set to ``current``)."""
        ops, self._pending = self._pending, None
        if ops is None:
            return
        last, last_sent = self._flat, self._sent
        self._flat, self._sent, self._gone = {}, {}, {}
        for p in ops.deletes:
            text = str(p)
            old = self._known(text)
            if old is not None:
                self._gone[text] = _texts(last, last_sent, text, p, old)
        for p, v in ops.replaces:
            text = str(p)
            self._flat[text] = new = written(text, p, v)
            self._sent[text] = v
            old = self._known(text)
            if old is not None:
                kept = {t for t, _ in new}
                self._gone[text] = [t for t in _texts(last, last_sent, text, p, old) if t not in kept]
        self._inflight_leaves = {t: c for leaves in self._flat.values() for t, c in leaves}
        self._inflight_gone = {t for leaves in self._gone.values() for t in leaves}

    def _known(self, text: str) -> Json:
        """What we know the switch has at this object path (None: nothing known)."""
        entry = self._index.get(text)
        return None if entry is None else self._current().get(entry[0], {}).get(entry[1])

    def sent(self) -> None:
        """The Set returned (the caller commits it before it next awaits)."""
        self._flatten_pending()
        self._inflight = {}
        self._inflight_leaves = {}
        self._inflight_gone = set()

    def committed(self, key: ObjectKey, ops: SetOps) -> None:
        now = time.monotonic()
        for p in ops.deletes:
            text = str(p)
            self._index.pop(text, None)
            self._remember(text, now, None)
            self._remember_leaves(((leaf, GONE) for leaf in self._gone.get(text, ())), now)
        for p, v in ops.replaces:
            text = str(p)
            self._index[text] = (key, p)
            self._remember(text, now, v)
            flat = self._flat.get(text)
            self._remember_leaves(flat if flat is not None else written(text, p, v), now)
            self._remember_leaves(((leaf, GONE) for leaf in self._gone.get(text, ())), now)
        if len(self._recent_leaves) > 50_000:
            self._recent_leaves = {k: d for k, d in self._recent_leaves.items() if now - d[-1][0] < ECHO_WINDOW}

    def _remember_leaves(self, leaves: Iterable[tuple[str, Json]], now: float) -> None:
        for leaf, c in leaves:
            past = self._recent_leaves.get(leaf)
            if past is None:
                self._recent_leaves[leaf] = past = collections.deque(maxlen=4)
            past.append((now, c))

    def _remember(self, text: str, now: float, value: Json) -> None:
        past = self._history.setdefault(text, collections.deque(maxlen=4))
        past.append((now, value))
        if len(self._history) > 20_000:
            self._history = {k: d for k, d in self._history.items() if d and now - d[-1][0] < ECHO_WINDOW}

    def _echoed(self, text: str, value: Any, deleted: bool) -> bool:
        """The fast, sufficient test: a leaf (its path text) of what we just
        sent or wrote in the last seconds, with that value; or one that we
        just removed or removed in the last seconds, deleted."""
        if self._pending is not None:
            self._flatten_pending()
        now = time.monotonic()
        if deleted:
            if text in self._inflight_gone:
                return True
            past = self._recent_leaves.get(text)
            return past is not None and any(c is GONE and now - t < ECHO_WINDOW for t, c in past)
        want = canonical(value)
        if text in self._inflight_leaves and self._inflight_leaves[text] == want:
            return True
        past = self._recent_leaves.get(text)
        return past is not None and any(c == want and now - t < ECHO_WINDOW for t, c in past)

    def foreign(self, notification: Any, watches: Callable[[Path], bool]) -> bool:
        """True when the notification holds a change of something ``watches``
        covers that is not ours."""
        if len(notification.update) + len(notification.delete) > MAX_UPDATES:
            self.oversized += 1
            return True
        prefix = notification.prefix if notification.HasField("prefix") else None
        head = list(prefix.elem) if prefix is not None else []
        head_text = leaf_text(prefix) if head else ""
        if self._pending is not None:
            self._flatten_pending()
        items: list[tuple[Any, str, Any, bool]] = []
        for u in notification.update:
            text = head_text + leaf_text(u.path)
            if u.val.WhichOneof("value") == "leaflist_val" and self._echoed_array(text, u.val):
                continue  # our VLAN list, recognised by its bytes
            try:
                items.append((u.path, text, untyped(u.val), False))
            except MalformedValue:
                self.malformed += 1
        items += [(p, head_text + leaf_text(p), None, True) for p in notification.delete]
        for pb, text, value, deleted in items:
            if self._echoed(text, value, deleted) or not watches(from_pb(pb, prefix)):
                continue
            if not self.ours([*head, *pb.elem], value, deleted):
                return True
        return False

    def _echoed_array(self, text: str, tv: Any) -> bool:
        """A leaf-list notified as a scalar array that is, byte for byte, the
        list of numbers we sent or wrote lately (see ``uint_array``): what is
        in flight first, then our writes of the last seconds, newest first,
        those of the same length only."""
        count = len(tv.leaflist_val.element)
        wants = [self._inflight_leaves.get(text)]
        now = time.monotonic()
        wants += [c for t, c in reversed(self._recent_leaves.get(text, ())) if now - t < ECHO_WINDOW]
        raw = None
        for want in wants:
            if type(want) is list and len(want) == count:
                encoded = uint_array(want)
                if encoded is not None:
                    raw = tv.leaflist_val.SerializeToString() if raw is None else raw
                    if encoded == raw:
                        return True
        return False

    def ours(self, elems: Sequence[Any], value: Any, deleted: bool) -> bool:
        """The general walk: ``elems`` (proto path elements, the prefix's
        first) under an object in flight, known or written lately."""
        texts = list(prefixes(elems))
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
            rest = elems[depth + 1 :]
            for obj in candidates:
                found, leaf = _walk(obj, rest)
                if (not found) if deleted else (found and canonical(leaf) == canonical(value)):
                    return True
            return False
        return False


def _texts(
    last: Mapping[str, list[tuple[str, Json]]], last_sent: Mapping[str, Json], text: str, path: Path, old: Json
) -> list[str]:
    """The leaves of ``old``, what the switch has at ``text``: taken from the
    last Set's when it wrote this very value (a port's VLAN list is written
    again Set after Set), else flattened now."""
    if last_sent.get(text) is old and text in last:
        leaves = last[text]
        return [t for t, _ in leaves[: len(leaves) - len(entry_keys(path))]]  # its own, not its parents' keys
    return [t for t, _ in flatten(text, path.schema, old)]


def written(text: str, path: Path, value: Json) -> list[tuple[str, Json]]:
    """What a switch notifies for an object we write at ``path`` (``text``):
    its leaves and the key leaves of the entries above it."""
    return [*flatten(text, path.schema, value), *entry_keys(path)]


def flatten(text: str, schema: tuple[str, ...], value: Json) -> list[tuple[str, Json]]:
    """Every leaf under an object we write, as (path text, canonical value),
    named as a switch's notification names it (see ``leaf_text``). A list
    whose keys the schema tables do not know is left out (the general walk
    handles its leaves)."""
    out: list[tuple[str, Json]] = []
    _flatten_into(out, text, schema, value)
    return out


def _flatten_into(out: list[tuple[str, Json]], text: str, schema: tuple[str, ...], value: Json) -> None:
    # one list for the whole object, not a generator per level: a leaf eight levels down was re-yielded
    # eight times (a 240-object Set's leaves took most of the first echo's time)
    if not isinstance(value, dict):
        out.append((text, canonical(value)))
        return
    for raw, child in value.items():
        name = strip_module(raw) if ":" in raw else raw
        sub = (*schema, name)
        if isinstance(child, list) and child and isinstance(child[0], dict):
            keys = list_keys(sub)
            if keys is None:
                continue
            names = sorted(k for k, _ in keys)
            for entry in child:
                if not isinstance(entry, dict) or any(k not in entry for k in names):
                    continue
                at = "".join(f"[{k}={escape_key(key_string(entry[k]))}]" for k in names)
                _flatten_into(out, f"{text}/{name}{at}", sub, entry)
        elif isinstance(child, dict):
            _flatten_into(out, f"{text}/{name}", sub, child)
        else:
            out.append((f"{text}/{name}", canonical(child)))


class _KeyText(str):
    """A list entry's key as its path names it: equal to the notified key
    leaf in whatever type it comes (a uint key is notified as a number)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return str.__eq__(self, other if isinstance(other, str) else key_string(other))

    __hash__ = str.__hash__


def entry_keys(path: Path) -> tuple[tuple[str, Json], ...]:
    """The key leaves of the list entries above an object: writing it creates
    those a switch did not have yet (``network-instance[name=default]`` with
    the first base objects), and the switch notifies their key leaves too."""
    return _entry_keys(Path(path.elems[:-1]))


@functools.lru_cache(maxsize=1 << 12)
def _entry_keys(parent: Path) -> tuple[tuple[str, Json], ...]:
    # parents repeat: every VNI's objects sit under network-instance[name=default] or one of a few lists
    out: list[tuple[str, Json]] = []
    text = ""
    for e in parent.elems:
        text += "/" + str(e)
        out += [(f"{text}/{k}", _KeyText(v)) for k, v in e.keys]
    return tuple(out)


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
