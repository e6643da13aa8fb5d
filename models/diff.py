"""The minimal gNMI changes from what a switch has to what it should have.

``diff(current, desired)`` compares owned objects (path -> value) and yields
a :class:`SetOps`: ``delete`` for objects that should no longer exist,
``replace`` for objects that are missing or differ. Unchanged objects produce
nothing. The ops of one switch go out as one SetRequest (one transaction):
deletes first, then replaces, as gNMI orders them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from models.oc.path import Path
from models.oc.tree import Tree, canonical

Json = Any
Normalize = Callable[[Path, Json], Any]


def _default_normalize(path: Path, value: Json) -> Any:
    del path
    return canonical(value)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SetOps:
    deletes: tuple[Path, ...] = ()
    replaces: tuple[tuple[Path, Json], ...] = ()
    updates: tuple[tuple[Path, Json], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.deletes or self.replaces or self.updates)

    def __len__(self) -> int:
        return len(self.deletes) + len(self.replaces) + len(self.updates)

    def __add__(self, other: SetOps) -> SetOps:
        return SetOps(
            deletes=self.deletes + other.deletes,
            replaces=self.replaces + other.replaces,
            updates=self.updates + other.updates,
        )


EMPTY = SetOps()


def diff(current: Mapping[Path, Json], desired: Mapping[Path, Json], normalize: Normalize | None = None) -> SetOps:
    norm = normalize or _default_normalize
    deletes = tuple(sorted(p for p in current if p not in desired))
    replaces = tuple(
        (p, v)
        for p, v in sorted(desired.items())
        # identical values (what we wrote ourselves) need no normalising
        if p not in current or (current[p] != v and norm(p, current[p]) != norm(p, v))
    )
    return SetOps(deletes=deletes, replaces=replaces)


def apply(tree: Tree, ops: SetOps) -> None:
    """Apply ops to a tree with gNMI Set semantics (delete, replace, update)."""
    for path in ops.deletes:
        tree.delete(path)
    for path, value in ops.replaces:
        tree.replace(path, value)
    for path, value in ops.updates:
        tree.update(path, value)


def apply_objects(objects: dict[Path, Json], ops: SetOps) -> None:
    """Apply ops to an owned-object map (the controller's view of a switch)."""
    for path in ops.deletes:
        objects.pop(path, None)
    for path, value in ops.replaces:
        objects[path] = value


def joined(per_key: Mapping[Any, SetOps]) -> SetOps:
    """The SetOps of every key, in key order, as one."""
    ops = SetOps()
    for key in sorted(per_key):
        ops = ops + per_key[key]
    return ops
