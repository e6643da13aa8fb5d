"""Fast validation of a Set: the op paths before anything changes, then what
the Set wrote (the subtrees under its anchors) against the declared schema.
The semantic rules over the whole result live in :mod:`labs.emulator.rules`.

Every problem is a string ``"<path>: <what is wrong, naming the value>"``;
callers collect them all and reject the Set once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from labs.emulator.schema import STATE_MEMBERS, Container, Leaf, LeafList, ListNode, Node, SchemaMiss, lookup
from labs.emulator.txn import Op
from models.oc.path import Elem, Path
from models.oc.schema import key_string
from models.oc.tree import KeyedList, Tree


def check_op(op: Op) -> list[str]:
    """Problems with an op's path alone (before anything is applied)."""
    if op.kind != "delete" and op.path.has_wildcards:
        return [f"{op.path}: wildcards are only allowed in delete paths"]
    try:
        lookup(op.path)
    except SchemaMiss as miss:
        return [f"{miss.at}: {miss.reason}"]
    elems = op.path.elems
    if op.kind == "delete" and len(elems) >= 2 and elems[-1].name in elems[-2].key_map:
        return [f"{op.path}: a list key cannot be deleted (delete the entry)"]
    return []


def check_written(tree: Tree, anchors: Iterable[Path]) -> list[str]:
    """Schema problems in the subtrees under ``anchors`` of the result."""
    out: list[str] = []
    for anchor in anchors:
        node = tree.get(anchor)
        if node is None:
            continue
        _enclosing_entry(tree, anchor, out)
        schema = lookup(anchor)
        if schema is not None:
            _walk(schema, node, anchor, out)
    return out


def _enclosing_entry(tree: Tree, anchor: Path, out: list[str]) -> None:
    """A write inside a list entry must keep the entry's key leaves equal to its key."""
    for i in range(len(anchor.elems) - 1, 0, -1):
        if anchor.elems[i - 1].keys:
            entry_path = Path(anchor.elems[:i])
            schema = lookup(entry_path)
            entry = tree.get(entry_path)
            if isinstance(schema, ListNode) and isinstance(entry, dict):
                _entry_keys(schema, entry, entry_path, out)
            return


def _entry_keys(schema: ListNode, entry: dict[str, Any], at: Path, out: list[str]) -> None:
    want = at.elems[-1].key_map
    config = entry.get("config")
    for k in schema.keys:
        for where, holder in (("", entry), ("config/", config)):
            if not isinstance(holder, dict) or k not in holder:
                continue
            v = holder[k]
            if isinstance(v, dict | list) or key_string(v) != key_string(want.get(k, "")):
                out.append(f"{at}/{where}{k}: {v!r} differs from the list key {k}={want.get(k)}")


def _walk(schema: Node, value: Any, at: Path, out: list[str]) -> None:
    if isinstance(schema, Leaf):
        if isinstance(value, dict | list):
            out.append(f"{at}: expected a leaf value, got {_kind(value)}")
            return
        reason = schema.type.check(value)
        if reason:
            out.append(f"{at}: {reason}")
    elif isinstance(schema, LeafList):
        if not isinstance(value, list):
            out.append(f"{at}: expected a leaf-list (a JSON array), got {_kind(value)}")
            return
        for v in value:
            reason = schema.type.check(v) if not isinstance(v, dict | list) else f"{_kind(v)} is not a value"
            if reason:
                out.append(f"{at}: {reason}")
    elif isinstance(schema, ListNode):
        if at.elems and at.elems[-1].keys:
            _entry(schema, value, at, out)
        elif isinstance(value, KeyedList):
            name = at.elems[-1].name
            for kt, entry in value.items():
                elem = Elem.of(name, dict(zip(schema.keys, kt, strict=True)))
                _entry(schema, entry, Path((*at.elems[:-1], elem)), out)
        elif value != []:
            out.append(f"{at}: expected a list (a JSON array of objects), got {_kind(value)}")
    else:
        _container(schema, value, at, out)


def _entry(schema: ListNode, entry: Any, at: Path, out: list[str]) -> None:
    if isinstance(entry, dict) and not isinstance(entry, KeyedList):
        _entry_keys(schema, entry, at, out)
    _container(schema.entry, entry, at, out)


def _container(schema: Container, value: Any, at: Path, out: list[str]) -> None:
    if not isinstance(value, dict) or isinstance(value, KeyedList):
        out.append(f"{at}: expected a container (a JSON object), got {_kind(value)}")
        return
    for name, child in value.items():
        sub = schema.children.get(name)
        if sub is None:
            reason = (
                "state data (config false) cannot be written"
                if name in STATE_MEMBERS
                else "not in the supported schema"
            )
            out.append(f"{at / Elem(name)}: {reason}")
        else:
            _walk(sub, child, at / Elem(name), out)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a list" if isinstance(value, KeyedList) else "an object"
    if isinstance(value, list):
        return "an array"
    return repr(value)
