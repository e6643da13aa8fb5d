"""gNMI messages <-> the emulator's values: paths and TypedValues.

Paths: ``prefix + path`` joined, module prefixes stripped from element names,
key values canonical (identity prefixes dropped, as in the tree). Origin may
be one the platform accepts (empty or ``openconfig``; SR Linux's native paths:
empty). Paths out carry the module on an element where it changes when the
platform's answers do (SR Linux: ``srl_nokia-interfaces:interface``). Values in: JSON_IETF and JSON (objects or
scalars), scalar TypedValues and ``leaflist_val``. Values out: JSON text for
Get, scalar TypedValues (leaf-lists as ``leaflist_val``) for Subscribe.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from pygnmi.spec.v080 import gnmi_pb2

from labs.emulator.errors import InvalidRequest, Unsupported
from models.oc.path import Elem, Path
from models.oc.schema import MODULE_AT, key_string, strip_module

Json = Any
ORIGINS = frozenset({"", "openconfig"})


def join(prefix: Any, path: Any, origins: frozenset[str] = ORIGINS) -> Path:
    """``prefix`` + ``path`` (gnmi_pb2.Path, prefix may be None) as a Path."""
    origin = ""
    elems: list[Elem] = []
    for part in (prefix, path):
        if part is None:
            continue
        if part.element and not part.elem:
            raise Unsupported(f"{list(part.element)}: Path.element (deprecated) is not supported, use elem")
        if part.origin:
            if origin:
                raise InvalidRequest(f"origin {part.origin!r} given in both the prefix and the path")
            origin = part.origin
        for e in part.elem:
            if not e.name:
                raise InvalidRequest(f"{text(prefix, path)}: a path element has no name")
            elems.append(_elem(e))
    if origin not in origins:
        known = " or ".join(repr(o) if o else "no origin" for o in sorted(origins))
        raise Unsupported(f"origin {origin!r} is not supported (use {known})")
    return Path(tuple(elems))


#: PathElem encoding -> Elem: a Set's paths repeat most of their elements
#: (``network-instance[name=default]``, ``config``); bounded
_ELEMS: dict[bytes, Elem] = {}
_ELEMS_MAX = 16_384


def _elem(e: Any) -> Elem:
    raw = e.SerializeToString(deterministic=True)  # key maps in one order
    got = _ELEMS.get(raw)
    if got is None:
        keys = {k: v if v == "*" else key_string(v) for k, v in e.key.items()}
        got = Elem.of(strip_module(e.name), keys)
        if len(_ELEMS) >= _ELEMS_MAX:
            _ELEMS.clear()
        _ELEMS[raw] = got
    return got


def text(prefix: Any, path: Any) -> str:
    """A request path as the client wrote it (for messages)."""
    parts: list[str] = []
    for part in (prefix, path):
        if part is not None:
            parts.extend(str(Elem.of(e.name, dict(e.key))) for e in part.elem)
    return "/" + "/".join(parts)


def to_proto(path: Path, *, qualify: bool = False, base: Path | None = None) -> Any:
    """A path as a proto; with ``qualify``, each element whose module differs
    from its parent's carries it (``base``: where a relative path starts).

    Built from each element's encoding, made once per distinct element:
    telemetry streams every leaf of every Set, and its elements repeat
    (``config``, ``network-instance[name=default]``); a proto path built
    element by element cost ~19 us a leaf, this ~5."""
    return gnmi_pb2.Path.FromString(path_bytes(path, qualify=qualify, base=base))


def path_bytes(path: Path, *, qualify: bool = False, base: Path | None = None) -> bytes:
    """A gnmi.Path's encoding (see :func:`to_proto`); kept per path, as a
    change streams to each subscription covering it."""
    return _path_bytes(path, qualify, base)


@functools.lru_cache(maxsize=1 << 15)
def _path_bytes(path: Path, qualify: bool, base: Path | None) -> bytes:
    if not qualify:
        return b"".join([_elem_field(e.name, e.keys) for e in path.elems])
    at = base.schema if base is not None else ()
    parts = []
    for e in path.elems:
        at = (*at, e.name)
        module = MODULE_AT.get(at)
        parts.append(_elem_field(f"{module}:{e.name}" if module else e.name, e.keys))
    return b"".join(parts)


@functools.lru_cache(maxsize=1 << 16)
def _elem_field(name: str, keys: tuple[tuple[str, str], ...]) -> bytes:
    """One PathElem as the bytes of a gnmi.Path's ``elem`` field (a path of
    that one element: repeated fields concatenate)."""
    one: bytes = gnmi_pb2.Path(elem=[gnmi_pb2.PathElem(name=name, key=dict(keys))]).SerializeToString(
        deterministic=True
    )
    return one


# ----------------------------------------------------------------- values in

_SCALARS = ("string_val", "int_val", "uint_val", "bool_val", "float_val", "double_val")


def value_in(tv: Any, where: object) -> Json:
    """A TypedValue of a Set as a JSON value; ``where`` names the path (made
    text only for an error)."""
    kind = tv.WhichOneof("value")
    if kind in ("json_ietf_val", "json_val"):
        raw = getattr(tv, kind)
        try:
            return json.loads(raw)
        except ValueError as err:
            raise InvalidRequest(f"{where}: the value is not valid JSON ({err})") from None
    if kind in _SCALARS:
        return getattr(tv, kind)
    if kind == "leaflist_val":
        return [value_in(e, where) for e in tv.leaflist_val.element]
    if kind is None:
        raise InvalidRequest(f"{where}: the update carries no value")
    raise Unsupported(f"{where}: {kind} values are not supported (use json_ietf_val or json_val)")


# ---------------------------------------------------------------- values out


def json_value(value: Json, encoding: int) -> Any:
    data = json.dumps(value, separators=(",", ":")).encode()
    if encoding == gnmi_pb2.Encoding.JSON_IETF:
        return gnmi_pb2.TypedValue(json_ietf_val=data)
    return gnmi_pb2.TypedValue(json_val=data)


def scalar(value: Json) -> Any:
    """A leaf's value as a scalar TypedValue (leaf-lists as leaflist_val)."""
    if isinstance(value, bool):
        return gnmi_pb2.TypedValue(bool_val=value)
    if isinstance(value, int):
        if value < 0:
            return gnmi_pb2.TypedValue(int_val=value)
        return gnmi_pb2.TypedValue(uint_val=value)
    if isinstance(value, float):
        return gnmi_pb2.TypedValue(double_val=value)
    if isinstance(value, list):
        return gnmi_pb2.TypedValue(leaflist_val=gnmi_pb2.ScalarArray(element=[scalar(v) for v in value]))
    if value is None:
        return gnmi_pb2.TypedValue(json_ietf_val=b"null")
    return gnmi_pb2.TypedValue(string_val=str(value))


# ------------------------------------------------------ telemetry, encoded
#
# A Set streams every leaf it changes to every subscription that covers it:
# thousands of leaves for a large Set. Building a gnmi.Update message per leaf
# (a Path, a TypedValue, then copies into the Notification) cost more than the
# Set itself; the notification is instead written in protobuf's wire format
# from cached parts (each element's and each scalar value's encoding) and
# parsed once, in C, per SubscribeResponse. (fabric-cni's cni.wire.pb writes
# the same format; labs take only cni.vlan from cni, so the few lines below
# are the emulator's own.) Field numbers: gnmi.proto
# (SubscribeResponse.update = 1; Notification timestamp = 1, prefix = 2,
# update = 4, delete = 5; Update path = 1, val = 3); tests/labs/emulator/
# test_codec.py holds the result equal to the message built field by field.


def _field(number: int, data: bytes) -> bytes:
    """A length-delimited field (a sub-message: written even when empty)."""
    n = len(data)
    tag = number << 3 | 2  # field numbers below 16: one byte
    if n < 0x80:  # most: a leaf's path, value and Update
        return bytes((tag, n)) + data
    head = bytearray((tag,))
    while n > 0x7F:
        head.append((n & 0x7F) | 0x80)
        n >>= 7
    head.append(n)
    return bytes(head) + data


def value_bytes(value: Json) -> bytes:
    """:func:`scalar`'s encoding (kept per distinct scalar: values repeat)."""
    if isinstance(value, str | int):  # bool is an int: the type is part of the key (floats: -0.0 == 0.0)
        return _scalar_bytes(type(value).__name__, value)
    out: bytes = scalar(value).SerializeToString()
    return out


@functools.lru_cache(maxsize=1 << 14)
def _scalar_bytes(_: str, value: Json) -> bytes:
    out: bytes = scalar(value).SerializeToString()
    return out


def update_field(path: bytes, value: Json) -> bytes:
    """One ``Notification.update`` field: an Update of ``path`` (its
    :func:`path_bytes`) with ``value`` as :func:`scalar` makes it. The path's
    field and a scalar's field are kept (a change streams every leaf of a
    Set: 3.9 -> 1.2 us a leaf)."""
    if isinstance(value, str | int):  # bool is an int: the type is part of the key, as in value_bytes
        return _field(4, _path_field(path) + _scalar_field(type(value).__name__, value))
    return _field(4, _path_field(path) + _field(3, value_bytes(value)))


@functools.lru_cache(maxsize=1 << 15)
def _path_field(path: bytes) -> bytes:
    return _field(1, path)


@functools.lru_cache(maxsize=1 << 14)
def _scalar_field(kind: str, value: Json) -> bytes:
    return _field(3, _scalar_bytes(kind, value))


def delete_field(path: bytes) -> bytes:
    """One ``Notification.delete`` field."""
    return _field(5, path)


def subscribe_response(timestamp: int, prefix: bytes | None, fields: list[bytes]) -> Any:
    """A SubscribeResponse carrying one Notification of ``fields``
    (:func:`update_field`, :func:`delete_field`); ``prefix``: a path's encoding."""
    head = gnmi_pb2.Notification(timestamp=timestamp).SerializeToString()  # a varint: protobuf's own
    if prefix is not None:
        head += _field(2, prefix)
    return gnmi_pb2.SubscribeResponse.FromString(_field(1, head + b"".join(fields)))
