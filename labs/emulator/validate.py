"""Fast validation of a Set: the op paths before anything changes, then what
the Set wrote (the subtrees under its anchors) against the declared schema
of the switch's platform (:class:`Validation`: the OpenConfig subset of
:mod:`labs.emulator.schema` with the rules of :mod:`labs.emulator.rules`, or
SR Linux's native subset, :mod:`labs.emulator.srlinux`).

Every problem is a string ``"<path>: <what is wrong, naming the value>"``;
callers collect them all and reject the Set once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

from labs.emulator import schema as oc_schema
from labs.emulator.rules import check_rules
from labs.emulator.rules_index import RuleIndex
from labs.emulator.schema import Container, Leaf, LeafList, ListNode, Node, SchemaMiss, lookup
from labs.emulator.txn import Op
from models.oc.path import Elem, Path, key_pairs
from models.oc.schema import key_string
from models.oc.tree import KeyedList, Tree

#: the semantic rules over a whole configuration: (root, the Set's anchors or
#: None for everything, the leaves the Set deleted) -> problems; with an
#: ``index`` the rules also get ``index=`` (the committed configuration's)
Rules = Callable[..., list[str]]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Validation:
    """What a platform's datastore checks a Set against."""

    schema: Container
    state_members: frozenset[str]
    rules: Rules
    #: the committed configuration's index the rules read (None: they need none)
    index: Callable[[dict[str, Any]], RuleIndex] | None = None

    def check_op(self, op: Op) -> list[str]:
        return check_op(op, self)

    def check_written(self, tree: Tree, anchors: Iterable[Path]) -> list[str]:
        return check_written(tree, anchors, self)


OPENCONFIG = Validation(
    schema=oc_schema.ROOT,
    state_members=oc_schema.STATE_MEMBERS,
    rules=check_rules,
    index=RuleIndex.build,
)


def check_op(op: Op, v: Validation = OPENCONFIG) -> list[str]:
    """Problems with an op's path alone (before anything is applied)."""
    if op.kind != "delete" and op.path.has_wildcards:
        return [f"{op.path}: wildcards are only allowed in delete paths"]
    try:
        lookup(op.path, v.schema, v.state_members)
    except SchemaMiss as miss:
        return [f"{miss.at}: {miss.reason}"]
    elems = op.path.elems
    if op.kind == "delete" and len(elems) >= 2 and elems[-1].name in elems[-2].key_map:
        return [f"{op.path}: a list key cannot be deleted (delete the entry)"]
    return []


def check_written(tree: Tree, anchors: Iterable[Path], v: Validation = OPENCONFIG) -> list[str]:
    """Schema problems in the subtrees under ``anchors`` of the result."""
    out: list[str] = []
    entries: set[Path] = set()  # list entries holding an anchor, checked once (most anchors share one)
    for anchor in anchors:
        node = tree.get(anchor)
        if node is None:
            continue
        _enclosing_entry(tree, anchor, out, v, entries)
        schema = lookup(anchor, v.schema, v.state_members)
        if schema is not None:
            _walk(schema, node, anchor, out, v.state_members)
    return out


#: where the walk is, made into a Path only for a message: the anchor's Path,
#: or (where, member name), or (where, list name, the entry's key pairs); a
#: walk over a few hundred written leaves would otherwise build a Path and an
#: Elem per node for nothing
Loc = Path | tuple[Any, ...]


def _path(loc: Loc) -> Path:
    elems: list[Elem] = []
    while not isinstance(loc, Path):
        elems.append(Elem(loc[1]) if len(loc) == 2 else Elem(loc[1], loc[2]))
        loc = loc[0]
    return Path((*loc.elems, *reversed(elems)), loc.origin)


def _key_pairs(loc: Loc) -> tuple[tuple[str, str], ...]:
    """The list keys of the last element (none if it is not a list entry)."""
    if isinstance(loc, Path):
        return loc.elems[-1].keys if loc.elems else ()
    return loc[2] if len(loc) == 3 else ()


def _enclosing_entry(tree: Tree, anchor: Path, out: list[str], v: Validation, done: set[Path]) -> None:
    """A write inside a list entry must keep the entry's key leaves equal to its key."""
    for i in range(len(anchor.elems) - 1, 0, -1):
        if anchor.elems[i - 1].keys:
            entry_path = Path(anchor.elems[:i])
            if entry_path in done:
                return
            done.add(entry_path)
            schema = lookup(entry_path, v.schema, v.state_members)
            entry = tree.get(entry_path)
            if isinstance(schema, ListNode) and isinstance(entry, dict):
                _entry_keys(schema, entry, entry_path, out)
            return


def _entry_keys(schema: ListNode, entry: dict[str, Any], at: Loc, out: list[str]) -> None:
    want = dict(_key_pairs(at))
    config = entry.get("config")
    for k in schema.keys:
        for where, holder in (("", entry), ("config/", config)):
            if not isinstance(holder, dict) or k not in holder:
                continue
            v = holder[k]
            if isinstance(v, dict | list) or key_string(v) != key_string(want.get(k, "")):
                out.append(f"{_path(at)}/{where}{k}: {v!r} differs from the list key {k}={want.get(k)}")


def _walk(schema: Node, value: Any, at: Loc, out: list[str], state: frozenset[str]) -> None:
    if isinstance(schema, Leaf):
        if isinstance(value, dict | list):
            out.append(f"{_path(at)}: expected a leaf value, got {_kind(value)}")
            return
        reason = schema.type.check(value)
        if reason:
            out.append(f"{_path(at)}: {reason}")
    elif isinstance(schema, LeafList):
        if not isinstance(value, list):
            out.append(f"{_path(at)}: expected a leaf-list (a JSON array), got {_kind(value)}")
            return
        for v in value:
            reason = schema.type.check(v) if not isinstance(v, dict | list) else f"{_kind(v)} is not a value"
            if reason:
                out.append(f"{_path(at)}: {reason}")
    elif isinstance(schema, ListNode):
        if _key_pairs(at):
            _entry(schema, value, at, out, state)
        elif isinstance(value, KeyedList):
            parent, name = (Path(at.elems[:-1], at.origin), at.elems[-1].name) if isinstance(at, Path) else at
            for kt, entry in value.items():
                _entry(schema, entry, (parent, name, key_pairs(schema.keys, kt)), out, state)
        elif value != []:
            out.append(f"{_path(at)}: expected a list (a JSON array of objects), got {_kind(value)}")
    else:
        _container(schema, value, at, out, state)


def _entry(schema: ListNode, entry: Any, at: Loc, out: list[str], state: frozenset[str]) -> None:
    if isinstance(entry, dict) and not isinstance(entry, KeyedList):
        _entry_keys(schema, entry, at, out)
    _container(schema.entry, entry, at, out, state)


def _container(schema: Container, value: Any, at: Loc, out: list[str], state: frozenset[str]) -> None:
    if not isinstance(value, dict) or isinstance(value, KeyedList):
        out.append(f"{_path(at)}: expected a container (a JSON object), got {_kind(value)}")
        return
    children = schema.children
    for name, child in value.items():
        sub = children.get(name)
        if sub is None:
            reason = "state data (config false) cannot be written" if name in state else "not in the supported schema"
            out.append(f"{_path((at, name))}: {reason}")
        else:
            _walk(sub, child, (at, name), out, state)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a list" if isinstance(value, KeyedList) else "an object"
    if isinstance(value, list):
        return "an array"
    return repr(value)
