"""A configuration tree with gNMI Set/Get semantics (pure).

Containers are dicts keyed by member name (module prefixes stripped), YANG
lists are :class:`KeyedList` (canonical key tuple -> entry), leaf-lists are
Python lists, leaves are JSON scalars. JSON_IETF goes in with
:func:`from_json` and comes out with :func:`to_json`; list keys come from
:mod:`models.oc.schema`.

Set semantics (gNMI spec 3.4): ``replace`` makes the subtree at a path exactly
the given value; ``update`` merges (leaf-lists are replaced); ``delete``
removes a subtree and succeeds when it is missing. Empty containers left by a
delete are pruned, list entries are not.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from models.oc.path import ROOT, Elem, Path
from models.oc.schema import (
    MODULE_AT,
    SchemaPath,
    canonical_identity,
    key_string,
    list_keys,
    strip_module,
)

Json = Any
Node = dict[str, Any]


class TreeError(ValueError):
    """A value or path that does not fit the tree (bad JSON shape, missing
    list key, a key mismatch); the message names the path."""

    def __init__(self, path: Path | SchemaPath | str, message: str) -> None:
        where = path if isinstance(path, str) else _fmt(path)
        super().__init__(f"{where}: {message}")
        self.path = where


def _fmt(path: Path | SchemaPath) -> str:
    if isinstance(path, Path):
        return str(path)
    return "/" + "/".join(path)


class KeyedList(dict[tuple[str, ...], Node]):
    """A YANG list: canonical key tuple -> entry (entries hold their key leaves)."""

    __slots__ = ()


# --------------------------------------------------------------------- JSON in


def from_json(value: Json, schema: SchemaPath) -> Any:
    """Convert a JSON_IETF value found at ``schema`` into tree form."""
    if isinstance(value, dict):
        node: Node = {}
        for raw, child in value.items():
            name = strip_module(raw)
            node[name] = _member(child, (*schema, name))
        return node
    if isinstance(value, list):
        return _member(value, schema)
    return value


def _member(value: Json, schema: SchemaPath) -> Any:
    if isinstance(value, list):
        if any(isinstance(v, dict) for v in value):
            return _keyed(value, schema)
        return list(value)
    if isinstance(value, dict):
        return from_json(value, schema)
    return value


def _keyed(entries: list[Json], schema: SchemaPath) -> KeyedList:
    keys = list_keys(schema)
    if keys is None:
        raise TreeError(schema, "a list fabricd does not know the keys of")
    out = KeyedList()
    for entry in entries:
        if not isinstance(entry, dict):
            raise TreeError(schema, f"list entry {entry!r} is not an object")
        node = from_json(entry, schema)
        missing = [k for k, _ in keys if k not in node]
        if missing:
            raise TreeError(schema, f"list entry lacks its key {', '.join(missing)}")
        kt = tuple(key_string(node[k]) for k, _ in keys)
        if kt in out:
            raise TreeError(schema, f"duplicate list entry {dict(zip([k for k, _ in keys], kt, strict=True))}")
        out[kt] = node
    return out


# -------------------------------------------------------------------- JSON out


def to_json(node: Any, schema: SchemaPath = (), *, qualify: bool = True) -> Json:
    """Tree form -> JSON_IETF. With ``qualify``, member names carry their
    module where the module changes (see MODULE_AT)."""
    if isinstance(node, KeyedList):
        return [to_json(node[k], schema, qualify=qualify) for k in sorted(node, key=_sort_key)]
    if isinstance(node, dict):
        out: dict[str, Json] = {}
        for name, child in node.items():
            child_schema = (*schema, name)
            module = MODULE_AT.get(child_schema) if qualify else None
            out[f"{module}:{name}" if module else name] = to_json(child, child_schema, qualify=qualify)
        return out
    if isinstance(node, list):
        return list(node)
    return node


def _sort_key(key: tuple[str, ...]) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(k)) if k.isdigit() else (1, k) for k in key)


# ----------------------------------------------------------------- navigation


def _entry_key(elem: Elem, schema: SchemaPath, path: Path) -> tuple[str, ...]:
    key = _entry_keys.get((elem, schema))
    if key is None:
        key = _checked_entry_key(elem, schema, path)
        if len(_entry_keys) >= _ENTRY_KEYS_MAX:
            _entry_keys.clear()
        _entry_keys[(elem, schema)] = key
    return key


#: (element, schema path) -> its entry key: every descent into a list looks one up (four per written object
#: in the emulator), and reading the element's keys against the schema's cost ~3 us; bounded, then restarted
_entry_keys: dict[tuple[Elem, SchemaPath], tuple[str, ...]] = {}
_ENTRY_KEYS_MAX = 1 << 14


def _checked_entry_key(elem: Elem, schema: SchemaPath, path: Path) -> tuple[str, ...]:
    keys = list_keys(schema)
    if keys is None:
        raise TreeError(path, f"{elem.name} is not a list fabricd knows")
    given = elem.key_map
    if set(given) != {k for k, _ in keys}:
        want = ", ".join(k for k, _ in keys)
        raise TreeError(path, f"{elem.name} needs exactly the keys [{want}], got {sorted(given)}")
    return tuple(key_string(given[k]) for k, _ in keys)


def _new_entry(elem: Elem, schema: SchemaPath) -> Node:
    keys = list_keys(schema) or ()
    given = elem.key_map
    node: Node = {}
    for k, typ in keys:
        try:
            node[k] = typ(given[k])
        except ValueError:
            node[k] = given[k]
    return node


class Tree:
    """A configuration (or state) tree. Mutations raise TreeError and leave
    the tree unchanged on a bad path or value."""

    __slots__ = ("root",)

    def __init__(self, root: Node | None = None) -> None:
        self.root: Node = root if root is not None else {}

    @staticmethod
    def from_json(value: Json) -> Tree:
        node = from_json(value, ())
        if not isinstance(node, dict):
            raise TreeError("/", "the root must be an object")
        return Tree(node)

    def to_json(self, path: Path | None = None, *, qualify: bool = True) -> Json:
        if path is None or not path.elems:
            return to_json(self.root, (), qualify=qualify)
        node = self.get(path)
        return None if node is None else to_json(node, path.schema, qualify=qualify)

    def copy(self) -> Tree:
        return Tree(copy.deepcopy(self.root))

    # -- reads

    def get(self, path: Path) -> Any:
        """The node at an exact path (no wildcards), or None."""
        found, node = self._descend(path)
        return node if found == len(path.elems) else None

    def present(self, path: Path) -> int:
        """How many of ``path``'s first elements name a node: the longest
        prefix that :meth:`get` finds, in one descent (not one per prefix)."""
        return self._descend(path)[0]

    def _descend(self, path: Path) -> tuple[int, Any]:
        """(n, node): the first n elements of ``path`` name ``node``, the
        n + 1st none (a wrong set of list keys raises TreeError, naming the
        path up to that element)."""
        node: Any = self.root
        schema: SchemaPath = ()
        last = len(path.elems) - 1
        for i, elem in enumerate(path.elems):
            schema = (*schema, elem.name)
            if not isinstance(node, dict) or isinstance(node, KeyedList):
                return i, node
            child = node.get(elem.name)
            if child is None:
                return i, node
            if elem.keys:
                if not isinstance(child, KeyedList):
                    return i, node
                try:
                    key = _entry_key(elem, schema, path)
                except TreeError:
                    _entry_key(elem, schema, Path(path.elems[: i + 1]))  # raises, naming the path up to here
                    raise
                child = child.get(key)
                if child is None:
                    return i, node
            elif isinstance(child, KeyedList) and i != last:
                return i + 1, child  # a whole list, named without keys: nothing below it is addressable
            node = child
        return len(path.elems), node

    def find(self, pattern: Path) -> list[tuple[Path, Any]]:
        """Every (path, node) matching a pattern with ``*`` names, ``*`` or
        missing key values, and ``...``."""
        out: list[tuple[Path, Any]] = []
        self._find(self.root, (), Path((), pattern.origin), pattern.elems, out)
        return out

    def _find(
        self, node: Any, schema: SchemaPath, at: Path, rest: tuple[Elem, ...], out: list[tuple[Path, Any]]
    ) -> None:
        if not rest:
            out.append((at, node))
            return
        head = rest[0]
        if head.name == "...":
            self._find(node, schema, at, rest[1:], out)
            for name, child, cschema, cpath in _children(node, schema, at):
                del name
                self._find(child, cschema, cpath, rest, out)
            return
        if not isinstance(node, dict) or isinstance(node, KeyedList):
            return
        names = list(node) if head.name == "*" else [head.name]
        for name in names:
            child = node.get(name)
            if child is None:
                continue
            cschema = (*schema, name)
            if isinstance(child, KeyedList):
                keys = list_keys(cschema) or ()
                want = head.key_map
                for kt, entry in child.items():
                    kv = dict(zip([k for k, _ in keys], kt, strict=True))
                    if all(v == "*" or key_string(v) == kv.get(k) for k, v in want.items()):
                        self._find(entry, cschema, at / Elem.of(name, kv), rest[1:], out)
            elif not head.keys:
                self._find(child, cschema, at / Elem(name), rest[1:], out)

    # -- writes

    def replace(self, path: Path, value: Json) -> None:
        if not path.elems:
            node = from_json(value, ())
            if not isinstance(node, dict):
                raise TreeError(path, "the root must be replaced by an object")
            self.root = node
            return
        self.put(path, self._converted(path, value))

    def update(self, path: Path, value: Json) -> None:
        new = self._converted(path, value)
        if not path.elems:
            if not isinstance(new, dict):
                raise TreeError(path, "the root must be updated with an object")
            _merge(self.root, new)
            return
        parent, last, schema = self._parent(path, create=True)
        assert parent is not None
        if last.keys:
            lst = parent.get(last.name)
            if not isinstance(lst, KeyedList):
                lst = KeyedList()
                parent[last.name] = lst
            key = _entry_key(last, schema, path)
            if key in lst:
                _merge(lst[key], new)
            else:
                lst[key] = new
        else:
            old = parent.get(last.name)
            if isinstance(old, dict) and isinstance(new, dict):
                _merge(old, new)
            else:
                parent[last.name] = new

    def delete(self, path: Path) -> bool:
        """Delete the subtree at a path; True if something was removed."""
        if path.has_wildcards:
            found = [p for p, _ in self.find(path)]
            for p in found:
                self.delete(p)
            return bool(found)
        if not path.elems:
            had = bool(self.root)
            self.root = {}
            return had
        parent, last, schema = self._parent(path, create=False)
        if parent is None:
            return False
        if last.keys:
            lst = parent.get(last.name)
            if not isinstance(lst, KeyedList):
                return False
            removed = lst.pop(_entry_key(last, schema, path), None) is not None
            if not lst:
                del parent[last.name]
        else:
            removed = parent.pop(last.name, None) is not None
        if removed:
            self._prune(path.parent)
        return removed

    def put(self, path: Path, node: Any) -> None:
        """Install a node that is already in tree form (taken from a tree, not
        JSON) at an exact path, creating its parents: restores a subtree saved
        before a change (undo). No conversion, no checks of the node."""
        if not path.elems:
            if not isinstance(node, dict) or isinstance(node, KeyedList):
                raise TreeError(path, "the root must be a container")
            self.root = node
            return
        parent, last, schema = self._parent(path, create=True)
        assert parent is not None
        if last.keys:
            lst = parent.get(last.name)
            if not isinstance(lst, KeyedList):
                lst = KeyedList()
                parent[last.name] = lst
            lst[_entry_key(last, schema, path)] = node
        else:
            parent[last.name] = node

    # -- helpers

    def _converted(self, path: Path, value: Json) -> Any:
        """Check the whole path and convert the value before anything changes."""
        if path.has_wildcards:
            raise TreeError(path, "wildcards are not allowed here")
        schema = path.schema
        for i, elem in enumerate(path.elems):
            if elem.keys:
                _entry_key(elem, schema[: i + 1], path)
        new = from_json(value, schema) if isinstance(value, dict | list) else value
        last = path.elems[-1] if path.elems else None
        if last is not None and last.keys:
            if not isinstance(new, dict):
                raise TreeError(path, "a list entry must be an object")
            want = _new_entry(last, schema)
            for k, v in want.items():
                if k in new and key_string(new[k]) != key_string(v):
                    raise TreeError(path, f"key {k}={new[k]!r} in the value differs from the path's {v!r}")
                new.setdefault(k, v)
        return new

    def _parent(self, path: Path, *, create: bool) -> tuple[Node | None, Elem, SchemaPath]:
        """The container holding the last element (created on demand)."""
        if path.has_wildcards:
            raise TreeError(path, "wildcards are not allowed here")
        node: Node = self.root
        schema: SchemaPath = ()
        for elem in path.elems[:-1]:
            schema = (*schema, elem.name)
            child = node.get(elem.name)
            if elem.keys:
                if child is None:
                    if not create:
                        return None, path.elems[-1], (*path.schema,)
                    child = KeyedList()
                    node[elem.name] = child
                if not isinstance(child, KeyedList):
                    raise TreeError(path, f"{elem.name} is not a list")
                key = _entry_key(elem, schema, path)
                entry = child.get(key)
                if entry is None:
                    if not create:
                        return None, path.elems[-1], path.schema
                    entry = _new_entry(elem, schema)
                    child[key] = entry
                node = entry
            else:
                if child is None:
                    if not create:
                        return None, path.elems[-1], path.schema
                    child = {}
                    node[elem.name] = child
                if isinstance(child, KeyedList) or not isinstance(child, dict):
                    raise TreeError(path, f"{elem.name} is a list or a leaf, not a container")
                node = child
        return node, path.elems[-1], path.schema

    def _prune(self, path: Path) -> None:
        """Remove empty containers from ``path`` upwards (never list entries)."""
        while path.elems and not path.elems[-1].keys:
            node = self.get(path)
            if node is None or (isinstance(node, dict) and not isinstance(node, KeyedList) and not node):
                parent = self.get(path.parent) if len(path.elems) > 1 else self.root
                if isinstance(parent, dict) and not isinstance(parent, KeyedList):
                    parent.pop(path.elems[-1].name, None)
                path = path.parent
            else:
                return


def _merge(old: Node, new: Node) -> None:
    for name, value in new.items():
        cur = old.get(name)
        if isinstance(cur, KeyedList) and isinstance(value, KeyedList):
            for k, entry in value.items():
                if k in cur:
                    _merge(cur[k], entry)
                else:
                    cur[k] = entry
        elif isinstance(cur, dict) and isinstance(value, dict) and not isinstance(value, KeyedList):
            _merge(cur, value)
        else:
            old[name] = value


def _children(node: Any, schema: SchemaPath, at: Path) -> Iterator[tuple[str, Any, SchemaPath, Path]]:
    if isinstance(node, KeyedList) or not isinstance(node, dict):
        return
    for name, child in node.items():
        cschema = (*schema, name)
        if isinstance(child, KeyedList):
            keys = [k for k, _ in list_keys(cschema) or ()]
            for kt, entry in child.items():
                yield name, entry, cschema, at / Elem.entry(name, keys, kt)
        else:
            yield name, child, cschema, at / Elem(name)


# ------------------------------------------------------------ leaves, compare


def leaves(node: Any, at: Path = ROOT) -> Iterator[tuple[Path, Json]]:
    """Every leaf (scalar or whole leaf-list) under a node, with its path."""
    if not isinstance(node, dict):
        yield at, node
    elif not isinstance(node, KeyedList):
        out: list[tuple[Path, Json]] = []
        _leaves_into(node, at.elems, at.schema, at.origin, out)
        yield from out


def _leaves_into(node: Node, elems: tuple[Elem, ...], schema: SchemaPath, origin: str, out: list[Any]) -> None:
    """The walk of :func:`leaves`, without a generator or a Path per level:
    it runs over every leaf a Set writes (a few thousand per burst)."""
    for name, child in node.items():
        cschema = (*schema, name)
        if isinstance(child, KeyedList):
            keys = [k for k, _ in list_keys(cschema) or ()]
            for kt, entry in child.items():
                at = (*elems, Elem.entry(name, keys, kt))
                if isinstance(entry, dict) and not isinstance(entry, KeyedList):
                    _leaves_into(entry, at, cschema, origin, out)
                else:
                    out.append((Path(at, origin), entry))
        elif isinstance(child, dict):
            _leaves_into(child, (*elems, _plain(name)), cschema, origin, out)
        else:
            out.append((Path((*elems, _plain(name)), origin), child))


#: member name -> its key-less Elem (paths share them); bounded, then restarted
_PLAIN: dict[str, Elem] = {}
_PLAIN_MAX = 1 << 12


def _plain(name: str) -> Elem:
    elem = _PLAIN.get(name)
    if elem is None:
        if len(_PLAIN) >= _PLAIN_MAX:
            _PLAIN.clear()
        elem = _PLAIN[name] = Elem(name)
    return elem


_INT = {int}


def canonical(node: Any) -> Any:
    """A form for comparing configurations from different sources: member
    prefixes and identity prefixes removed, leaf-lists sorted."""
    if isinstance(node, KeyedList):
        return {k: canonical(v) for k, v in node.items()}
    if isinstance(node, dict):
        return {strip_module(k): canonical(v) for k, v in node.items()}
    if isinstance(node, list):
        if set(map(type, node)) <= _INT:  # leaf-lists of numbers (VLAN lists): the hot case, checked in C
            return sorted(node)
        items = [canonical(v) for v in node]
        if all(type(v) is str for v in items):
            return sorted(items)
        return sorted(items, key=lambda v: (str(type(v)), str(v)))
    if isinstance(node, str):
        return canonical_identity(node)
    return node
