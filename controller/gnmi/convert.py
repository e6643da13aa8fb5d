"""Conversions between fabricd's typed paths/values and gNMI messages.

Path element names from a switch may carry their YANG module
(``srl_nokia-interfaces:interface``, as SR Linux sends them): they are read
without it, here, once; fabricd's own paths carry none.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator
from typing import Any

from pygnmi.spec.v080 import gnmi_pb2

from models.diff import SetOps
from models.oc.path import Elem, Path
from models.oc.schema import strip_module

Json = Any


def to_pb(path: Path) -> gnmi_pb2.Path:
    """A path as a (new) proto, parsed from its encoding made once per path:
    a Set names the same objects again and again, and a proto built element
    by element cost 16 us an object path, this 1.4 (a 190-op Set: 7.8 -> 3.7 ms)."""
    return gnmi_pb2.Path.FromString(_pb_bytes(path))


@functools.lru_cache(maxsize=1 << 14)
def _pb_bytes(path: Path) -> bytes:
    pb = gnmi_pb2.Path(origin=path.origin, elem=[gnmi_pb2.PathElem(name=e.name, key=dict(e.keys)) for e in path.elems])
    raw: bytes = pb.SerializeToString(deterministic=True)
    return raw


def from_pb(path: gnmi_pb2.Path, prefix: gnmi_pb2.Path | None = None) -> Path:
    if prefix is None or not (prefix.elem or prefix.element or prefix.origin):  # a prefix of only a target
        return _path(path)
    return Path(_path(prefix).elems + _path(path).elems, prefix.origin or path.origin)


#: a path's encoding -> the path: a switch notifies the same leaves again and
#: again (one serialisation and a lookup: ~1.3 us for an 8-element leaf); bounded
_PATHS: dict[bytes, Path] = {}
_PATHS_MAX = 1 << 14


def _path(path: gnmi_pb2.Path) -> Path:
    raw = path.SerializeToString(deterministic=True)
    got = _PATHS.get(raw)
    if got is None:
        got = Path(_elems_of(path, raw), path.origin)
        if len(_PATHS) >= _PATHS_MAX:
            _PATHS.clear()
        _PATHS[raw] = got
    return got


def _elems_of(path: gnmi_pb2.Path, raw: bytes) -> tuple[Elem, ...]:
    """A new path's elements (``raw``: its encoding), by its parent and its
    last element (:func:`_split`): 9 -> 4 us for an 8-element LLDP leaf."""
    if not path.elem:
        return Path.parse("/" + "/".join(path.element)).elems if path.element else ()  # deprecated string form
    cut = _split(path, raw)
    if cut is None:
        return _typed(path.elem)
    return (*_parent(cut[0]), _elem(cut[1]))


def _split(path: gnmi_pb2.Path, raw: bytes) -> tuple[bytes, bytes] | None:
    """(the parent's encoding, the last element's) of a path of two or more
    elements and no target (``raw``: its encoding); else None. The leaves of
    one notification share their parent (an LLDP neighbour's nine leaves, a
    VNI's objects): a path first seen costs two serialisations and two
    lookups, not one of each per element."""
    elems = path.elem
    if len(elems) < 2 or path.target:
        return None
    last = elems[-1].SerializeToString(deterministic=True)
    # fields serialise in number order (element, origin, elem, target): with no
    # target, the encoding ends with the last element's field (tag, length, bytes)
    n = len(last)
    field = 1 + max(1, (n.bit_length() + 6) // 7) + n  # tag (field 3, length-delimited), length varint, bytes
    return raw[:-field], last


@functools.lru_cache(maxsize=1 << 14)
def _parent(raw: bytes) -> tuple[Elem, ...]:
    """The elements of a path (all but a leaf's last), by its encoding."""
    return _typed(gnmi_pb2.Path.FromString(raw).elem)


def _typed(elems: Iterable[gnmi_pb2.PathElem]) -> tuple[Elem, ...]:
    return tuple(_elem(e.SerializeToString(deterministic=True)) for e in elems)


@functools.lru_cache(maxsize=1 << 16)
def _elem(raw: bytes) -> Elem:
    """One element, by its serialised bytes (see :func:`_elem_text`): a
    typed element built element by element cost 3x this lookup, and every
    notification repeats elements (LLDP's hundreds of neighbours at start-up)."""
    e = gnmi_pb2.PathElem.FromString(raw)
    return Elem.of(strip_module(e.name), dict(e.key))


def prefixes(elems: Iterable[gnmi_pb2.PathElem]) -> Iterator[str]:
    """The text form (as ``str(Path)``) of every prefix of a proto path's
    elements, shortest first, without building typed paths (a hot path:
    telemetry)."""
    text = ""
    for e in elems:
        text += "/" + _elem_text(e.SerializeToString(deterministic=True))
        yield text


def leaf_text(path: gnmi_pb2.Path) -> str:
    """The text form of a proto path (the last of :func:`prefixes`), by the
    path's serialised bytes: a switch notifies the same leaves Set after Set,
    and one serialisation and a lookup cost a ninth of reading the elements
    one by one (8.7 -> 0.95 us for an EVPN leaf); a new one by its parent
    (:func:`_split`)."""
    raw = path.SerializeToString(deterministic=True)
    got = _TEXTS.get(raw)
    if got is None:
        cut = _split(path, raw)
        got = _text(path.elem) if cut is None else _parent_text(cut[0]) + "/" + _elem_text(cut[1])
        if len(_TEXTS) >= _TEXTS_MAX:
            _TEXTS.clear()
        _TEXTS[raw] = got
    return got


#: a path's encoding -> its text form (:func:`leaf_text`); bounded
_TEXTS: dict[bytes, str] = {}
_TEXTS_MAX = 1 << 14


@functools.lru_cache(maxsize=1 << 14)
def _parent_text(raw: bytes) -> str:
    return _text(gnmi_pb2.Path.FromString(raw).elem)


def _text(elems: Iterable[gnmi_pb2.PathElem]) -> str:
    return "".join(["/" + _elem_text(e.SerializeToString(deterministic=True)) for e in elems])


@functools.lru_cache(maxsize=1 << 16)
def _elem_text(raw: bytes) -> str:
    """One element's text form, by its serialised bytes: telemetry repeats the
    same few elements (``config``, ``network-instance[name=default]``), and
    reading a proto element's name and key map costs more than this lookup."""
    e = gnmi_pb2.PathElem.FromString(raw)
    name = elem_name(e)
    if not e.key:
        return name
    keys = e.key
    return name + "".join(f"[{k}={_escape(keys[k])}]" for k in sorted(keys))


def elem_name(elem: gnmi_pb2.PathElem) -> str:
    """A proto path element's name without its module."""
    name: str = elem.name
    return strip_module(name) if ":" in name else name


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("]", "\\]") if ("]" in value or "\\" in value) else value


def typed(value: Json) -> gnmi_pb2.TypedValue:
    return gnmi_pb2.TypedValue(json_ietf_val=json.dumps(value, separators=(",", ":")).encode())


class MalformedValue(ValueError):
    """A value a switch sent that does not decode (e.g. invalid JSON)."""


_decode = json.JSONDecoder().decode
_UNSEEN = object()
#: a JSON scalar's encoding -> its value: telemetry repeats a few values ("UP",
#: true, "INTERFACE_NAME"); bounded in entries and in the size of each
_SCALARS: dict[bytes, Json] = {}
_SCALARS_MAX = 1 << 14
#: YANG's decimal64 has at most 18 fraction digits; gNMI's Decimal64 carries a uint32
DECIMAL_PRECISION_MAX = 18
_SCALAR_MAX = 128


def untyped(tv: gnmi_pb2.TypedValue) -> Json:
    kind = tv.WhichOneof("value")
    if kind in ("json_ietf_val", "json_val"):
        raw = getattr(tv, kind)
        if not raw:
            return None
        got = _SCALARS.get(raw, _UNSEEN)
        if got is not _UNSEEN:
            return got
        try:
            got = _decode(raw.decode())  # JSON in gNMI is UTF-8: no encoding sniffing per leaf
        except (ValueError, UnicodeDecodeError) as e:
            raise MalformedValue(f"{kind} is not JSON: {e}") from None
        except RecursionError:  # '[' nested deeper than the parser goes, in a few kB
            raise MalformedValue(f"{kind} is nested too deeply") from None
        if isinstance(got, str | int | float | bool) and len(raw) <= _SCALAR_MAX:  # immutable: may be shared
            if len(_SCALARS) >= _SCALARS_MAX:
                _SCALARS.clear()
            _SCALARS[raw] = got
        return got
    if kind == "leaflist_val":
        return [untyped(e) for e in tv.leaflist_val.element]
    if kind == "decimal_val":
        precision = tv.decimal_val.precision
        if precision > DECIMAL_PRECISION_MAX:  # 10**precision of a uint32 held the event loop for minutes
            raise MalformedValue(f"decimal_val precision {precision} is above {DECIMAL_PRECISION_MAX} (YANG decimal64)")
        return tv.decimal_val.digits / (10**precision)
    if kind in ("bytes_val", "proto_bytes", "any_val"):
        return None
    return getattr(tv, kind) if kind else None


def uint_array(values: Json) -> bytes | None:
    """The serialised ScalarArray (a TypedValue's ``leaflist_val``) of
    ``values`` as unsigned integers (``uint_val``), in this order; None when
    ``values`` is not a list of such integers. Equal bytes are equal values:
    a switch that notifies VLAN lists this way is recognised by one
    comparison instead of reading the array element by element (60 us for
    156 VLANs, a twentieth of that here). Each element is protobuf's own
    encoding, kept per number."""
    if type(values) is not list or set(map(type, values)) != {int}:
        return None
    try:
        return b"".join([_UINTS[v] if v in _UINTS else _uint_element(v) for v in values])
    except ValueError:  # negative, or above 64 bits: never a uint_val
        return None


def _uint_element(v: int) -> bytes:
    out: bytes = gnmi_pb2.ScalarArray(element=[gnmi_pb2.TypedValue(uint_val=v)]).SerializeToString()
    if v < _UINTS_MAX:  # VLAN ids and the like: a bounded table
        _UINTS[v] = out
    return out


_UINTS: dict[int, bytes] = {}
_UINTS_MAX = 1 << 16


def set_request(ops: SetOps) -> gnmi_pb2.SetRequest:
    return gnmi_pb2.SetRequest(
        delete=[to_pb(p) for p in ops.deletes],
        replace=[gnmi_pb2.Update(path=to_pb(p), val=typed(v)) for p, v in ops.replaces],
        update=[gnmi_pb2.Update(path=to_pb(p), val=typed(v)) for p, v in ops.updates],
    )


def notification_items(n: gnmi_pb2.Notification) -> Iterator[tuple[str, Path, Json]]:
    """("update", path, value) and ("delete", path, None) of a notification."""
    prefix = n.prefix if n.HasField("prefix") else None
    for p in n.delete:
        yield "delete", from_pb(p, prefix), None
    for u in n.update:
        yield "update", from_pb(u.path, prefix), untyped(u.val)
