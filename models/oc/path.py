"""gNMI paths as typed values.

A path is a tuple of elements; an element is a name and its list keys. The
text form is the gNMI path convention: ``/a/b[k=v][k2=v2]/c``. Key values may
contain ``/`` (``interface[name=ethernet-1/1]``); ``]`` and ``\\`` inside a
value are escaped with ``\\``. ``*`` as a name or key value and ``...`` as a
name are wildcards (Get/Subscribe only).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence


class PathError(ValueError):
    """A path string or element that does not parse."""


def _keep_hash(value: Elem | Path, identity: tuple[object, ...]) -> int:
    """Hash a frozen value once: paths are dict keys on every hot path (never 0: 0 means not yet)."""
    h = hash(identity) or 1
    object.__setattr__(value, "_hash", h)
    return h


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class Elem:
    name: str
    keys: tuple[tuple[str, str], ...] = ()
    #: the hash, computed when first asked (0: not yet); paths are dict keys everywhere
    _hash: int = dataclasses.field(default=0, init=False, repr=False, compare=False)

    def __hash__(self) -> int:
        return self._hash or _keep_hash(self, (self.name, self.keys))

    @staticmethod
    def of(name: str, keys: Mapping[str, object] | None = None) -> Elem:
        return Elem(name, tuple(sorted((k, str(v)) for k, v in (keys or {}).items())))

    @staticmethod
    def entry(name: str, names: Sequence[str], values: Sequence[str]) -> Elem:
        """A list entry's element from its key names and its canonical key
        tuple (a tree's ``KeyedList`` key): :meth:`of` without its dict and
        ``str`` per value, for walks over every entry of a tree."""
        return Elem(name, key_pairs(names, values))

    @property
    def key_map(self) -> dict[str, str]:
        return dict(self.keys)

    def __str__(self) -> str:
        return self.name + "".join(f"[{k}={_escape(v)}]" for k, v in self.keys)


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class Path:
    elems: tuple[Elem, ...] = ()
    origin: str = ""
    _hash: int = dataclasses.field(default=0, init=False, repr=False, compare=False)
    #: the text form, made when first asked: object paths are named by it in
    #: every echo-filter step and every message
    _text: str = dataclasses.field(default="", init=False, repr=False, compare=False)

    def __hash__(self) -> int:
        return self._hash or _keep_hash(self, (self.elems, self.origin))

    @staticmethod
    def parse(text: str) -> Path:
        return parse(text)

    def __str__(self) -> str:
        if self._text:
            return self._text
        body = "/" + "/".join(str(e) for e in self.elems)
        text = f"{self.origin}:{body}" if self.origin else body
        object.__setattr__(self, "_text", text)
        return text

    def __truediv__(self, other: Elem | str | Path) -> Path:
        if isinstance(other, Path):
            return Path(self.elems + other.elems, self.origin)
        if isinstance(other, str):
            return Path(self.elems + parse(other).elems, self.origin)
        return Path((*self.elems, other), self.origin)

    def __len__(self) -> int:
        return len(self.elems)

    def __iter__(self) -> Iterator[Elem]:
        return iter(self.elems)

    @property
    def parent(self) -> Path:
        return Path(self.elems[:-1], self.origin)

    @property
    def schema(self) -> tuple[str, ...]:
        """The element names: the path in the schema, without list keys."""
        return tuple(e.name for e in self.elems)

    def startswith(self, prefix: Path) -> bool:
        n = len(prefix.elems)
        return self.elems[:n] == prefix.elems

    def relative_to(self, prefix: Path) -> Path:
        if not self.startswith(prefix):
            raise PathError(f"{self} is not under {prefix}")
        return Path(self.elems[len(prefix.elems) :])

    @property
    def has_wildcards(self) -> bool:
        for e in self.elems:  # loops, not nested generators: asked for every op of every Set
            if e.name in ("*", "..."):
                return True
            for _, v in e.keys:
                if v == "*":
                    return True
        return False


ROOT = Path()


def key_pairs(names: Sequence[str], values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """An element's keys (as :attr:`Elem.keys` holds them) from key names and
    string values given in the same order."""
    return tuple(sorted(zip(names, values, strict=True)))


def escape_key(value: str) -> str:
    """A key value as it appears in a path's text form."""
    return _escape(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("]", "\\]")


def parse(text: str) -> Path:
    """Parse ``[origin:]/a/b[k=v]/c``. Raises PathError naming the problem."""
    origin = ""
    body = text.strip()
    if body and not body.startswith("/"):
        head, sep, rest = body.partition(":")
        if sep and "/" not in head and "[" not in head and rest.startswith("/"):
            origin, body = head, rest
    elems: list[Elem] = []
    for raw in _split(body, text):
        elems.append(_parse_elem(raw, text))
    return Path(tuple(elems), origin)


def _split(body: str, text: str) -> Iterator[str]:
    """Split on '/' outside of [...] (key values may contain '/')."""
    depth = 0
    cur: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and depth:
            cur.append(body[i : i + 2])
            i += 2
            continue
        if c == "[" and not depth:
            depth = 1
        elif c == "]":
            if not depth:
                raise PathError(f"{text!r}: unbalanced ']'")
            depth = 0
        if c == "/" and not depth:
            if cur:
                yield "".join(cur)
            cur = []
        else:
            cur.append(c)
        i += 1
    if depth:
        raise PathError(f"{text!r}: unterminated '['")
    if cur:
        yield "".join(cur)


def _parse_elem(raw: str, text: str) -> Elem:
    name, _, rest = raw.partition("[")
    if not name:
        raise PathError(f"{text!r}: empty element name in {raw!r}")
    keys: dict[str, str] = {}
    rest = "[" + rest if rest else ""
    i = 0
    while i < len(rest):
        if rest[i] != "[":
            raise PathError(f"{text!r}: expected '[' in {raw!r}")
        j = i + 1
        buf: list[str] = []
        while j < len(rest) and rest[j] != "]":
            if rest[j] == "\\" and j + 1 < len(rest):
                buf.append(rest[j + 1])
                j += 2
                continue
            buf.append(rest[j])
            j += 1
        if j >= len(rest):
            raise PathError(f"{text!r}: unterminated key in {raw!r}")
        k, eq, v = "".join(buf).partition("=")
        if not eq or not k:
            raise PathError(f"{text!r}: key {''.join(buf)!r} is not NAME=VALUE")
        if k in keys:
            raise PathError(f"{text!r}: key {k!r} given twice in {raw!r}")
        keys[k] = v
        i = j + 1
    return Elem.of(name, keys)


def matches(pattern: Path, path: Path) -> bool:
    """True when ``path`` is matched by ``pattern`` (``*``, ``...`` and ``*``
    key values are wildcards; keys missing from a pattern element match any
    value). A pattern matches a path of exactly its depth, except ``...``."""
    return _match(pattern.elems, path.elems)


def _match(pat: tuple[Elem, ...], elems: tuple[Elem, ...]) -> bool:
    if not pat:
        return not elems
    head, rest = pat[0], pat[1:]
    if head.name == "...":
        return any(_match(rest, elems[i:]) for i in range(len(elems) + 1))
    if not elems:
        return False
    e = elems[0]
    if head.name not in ("*", e.name):
        return False
    have = e.key_map
    for k, v in head.keys:
        if v != "*" and have.get(k) != v:
            return False
    return _match(rest, elems[1:])


def covers(pattern: Path, path: Path) -> bool:
    """True when ``path`` is at or below something ``pattern`` matches (a
    subscription to a container covers the leaves under it)."""
    if any(e.name == "..." for e in pattern.elems):
        return matches(pattern, path) or matches(pattern / Elem("..."), path)
    n = len(pattern.elems)
    return len(path.elems) >= n and _match(pattern.elems, path.elems[:n])
