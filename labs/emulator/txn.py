"""Set transactions on a tree: apply in order with an undo log, roll back
exactly, and turn what changed into leaf-level updates and deletes.

Cheap by construction: ``replace`` and ``delete`` keep the node they detach
(no copy), only ``update`` of an existing node copies that node. What a Set
touched is its *anchors*: for each op the highest node it created, or its
path. Leaves under the anchors are read before each op and after the last one;
their difference is the :class:`Change` subscribers see.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

from models.oc.path import Elem, Path
from models.oc.schema import list_keys
from models.oc.tree import KeyedList, Tree, leaves

Json = Any
OpKind = Literal["delete", "replace", "update"]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Op:
    kind: OpKind
    path: Path
    value: Json = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """Leaf-level effect of one committed transaction (config or state)."""

    timestamp: int  # ns since the epoch
    updates: tuple[tuple[Path, Json], ...] = ()
    deletes: tuple[Path, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.updates or self.deletes)


def leaf_items(node: Any, at: Path) -> Iterator[tuple[Path, Json]]:
    """Every leaf under a node, also when the node is a whole list."""
    if isinstance(node, KeyedList):
        names = [k for k, _ in list_keys(at.schema) or ()]
        last = at.elems[-1].name
        for kt, entry in node.items():
            yield from leaves(entry, Path((*at.elems[:-1], Elem.entry(last, names, kt))))
    elif node is not None:
        yield from leaves(node, at)


def _same(a: Json, b: Json) -> bool:
    return type(a) is type(b) and a == b


def first_missing(tree: Tree, path: Path) -> Path | None:
    """The shortest prefix of ``path`` with no node, or None if it exists."""
    n = tree.present(path)
    return None if n == len(path.elems) else Path(path.elems[: n + 1])


class Applied:
    """Ops applied to a live tree, not yet committed: ``rollback`` or ``change``."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self._undo: list[Callable[[], None]] = []
        self._anchors: dict[Path, None] = {}
        #: the anchors as a trie of elements (an anchor's node holds it under None): finds an
        #: anchor's covering or covered anchors in one descent, without a Path per prefix
        self._trie: dict[Elem | None, Any] = {}
        self._covered: set[Path] = set()  # anchors under an anchor touched after them
        self._before: dict[Path, Json] = {}
        self._change: Change | None = None  # computed once all ops are applied

    @property
    def anchors(self) -> list[Path]:
        """Anchors not under another anchor, in the order they were touched."""
        # an anchor is never added under an earlier one (``_touch``): only a later one covers it
        return [a for a in self._anchors if a not in self._covered]

    def rollback(self) -> None:
        while self._undo:
            self._undo.pop()()

    def change(self, timestamp: int) -> Change:
        """What the ops changed, leaf by leaf (computed once: call it after
        the last op)."""
        if self._change is None:
            self._change = self._compute()
        return dataclasses.replace(self._change, timestamp=timestamp)

    def _compute(self) -> Change:
        after: dict[Path, Json] = {}
        for anchor in self.anchors:
            after.update(leaf_items(self.tree.get(anchor), anchor))
        before = self._before
        updates = tuple((p, v) for p, v in after.items() if p not in before or not _same(before[p], v))
        deletes = tuple(p for p in before if p not in after)
        return Change(timestamp=0, updates=updates, deletes=deletes)

    # -- applying

    def _touch(self, anchor: Path, *, exists: bool = True) -> None:
        """Read the leaves under ``anchor`` before an op changes them (none:
        ``exists`` False, the op creates it), unless an earlier op touched the
        region: then they were read already."""
        node = self._trie
        for elem in anchor.elems:
            if None in node:
                return  # under an earlier anchor: its leaves were read before that op
            node = node.setdefault(elem, {})
        if None in node:
            return
        inner = _marked(node) if node else []
        if exists:
            for p, v in leaf_items(self.tree.get(anchor), anchor):
                if not any(p.startswith(a) for a in inner):
                    self._before.setdefault(p, v)
        node.clear()  # everything below is covered by this anchor now
        node[None] = anchor
        self._anchors[anchor] = None
        self._covered.update(inner)

    def apply(self, op: Op) -> None:
        """Apply one op (raises TreeError with the tree as it was before it)."""
        self._change = None
        tree = self.tree
        if op.kind == "delete":
            targets = [p for p, _ in tree.find(op.path)] if op.path.has_wildcards else [op.path]
            for path in targets:
                old = tree.get(path)
                if old is None:
                    continue
                self._touch(path)
                self._undo.append(_putter(tree, path, old))
                tree.delete(path)
            return
        # The undo is logged before the mutation: a tree error part-way still
        # leaves an exact way back.
        write = tree.replace if op.kind == "replace" else tree.update
        missing = first_missing(tree, op.path)
        if missing is not None:
            self._touch(missing, exists=False)
            self._undo.append(_deleter(tree, missing))
            write(op.path, op.value)
            return
        self._touch(op.path)
        old = tree.get(op.path)
        # replace detaches the old node, keep it as is; update merges into it
        self._undo.append(_putter(tree, op.path, old if op.kind == "replace" else copy.deepcopy(old)))
        write(op.path, op.value)


def _marked(node: dict[Elem | None, Any]) -> list[Path]:
    """The anchors at or below a trie node."""
    out: list[Path] = []
    stack = [node]
    while stack:
        n = stack.pop()
        for k, v in n.items():
            if k is None:
                out.append(v)
            else:
                stack.append(v)
    return out


def _putter(tree: Tree, path: Path, node: Any) -> Callable[[], None]:
    return lambda: tree.put(path, node)


def _deleter(tree: Tree, path: Path) -> Callable[[], None]:
    def undo() -> None:
        tree.delete(path)

    return undo


def apply_all(tree: Tree, ops: Sequence[Op]) -> Applied:
    """Apply ops in the given order; on an error everything is rolled back
    and the error raised."""
    applied = Applied(tree)
    try:
        for op in ops:
            applied.apply(op)
    except BaseException:
        applied.rollback()
        raise
    return applied
