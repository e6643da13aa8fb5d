"""Leaf types of the supported OpenConfig subset.

Each type checks one JSON_IETF value and returns ``None`` when it fits, or a
reason naming the value (``"5000 is out of range 1..4094"``); callers prefix
the path. Identities are accepted with or without their module prefix; a
prefix naming another module is an error. 64-bit integers may come as
strings (RFC 7951), narrower ones must be JSON numbers.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Callable
from typing import Any, Protocol

Json = Any


class LeafType(Protocol):
    def check(self, value: Json) -> str | None: ...


@dataclasses.dataclass(frozen=True, slots=True)
class Str:
    pattern: str | None = None
    what: str = "a string"
    length: tuple[int, int] | None = None  # (min, max) characters

    def check(self, value: Json) -> str | None:
        if not isinstance(value, str):
            return f"{value!r} is not a string"
        if self.length is not None and not self.length[0] <= len(value) <= self.length[1]:
            return f"{value!r} is not {self.length[0]}..{self.length[1]} characters long"
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            return f"{value!r} is not {self.what}"
        return None


@dataclasses.dataclass(frozen=True, slots=True)
class UInt:
    lo: int
    hi: int
    wide: bool = False  # uint64/int64: RFC 7951 encodes them as strings

    def check(self, value: Json) -> str | None:
        v = value
        if self.wide and isinstance(v, str) and re.fullmatch(r"-?[0-9]+", v):
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int):
            return f"{value!r} is not an integer"
        if not self.lo <= v <= self.hi:
            return f"{value!r} is out of range {self.lo}..{self.hi}"
        return None


@dataclasses.dataclass(frozen=True, slots=True)
class Bool:
    def check(self, value: Json) -> str | None:
        return None if isinstance(value, bool) else f"{value!r} is not a boolean (true or false)"


@dataclasses.dataclass(frozen=True, slots=True)
class Enum:
    values: tuple[str, ...]

    def check(self, value: Json) -> str | None:
        if isinstance(value, str) and value in self.values:
            return None
        return f"{value!r} is not one of {', '.join(self.values)}"


@dataclasses.dataclass(frozen=True, slots=True)
class Identity:
    module: str
    values: tuple[str, ...]
    #: accepted without its module prefix: RFC 7951 allows that only when the
    #: identity is defined in the leaf's own module (False: the prefix is required)
    bare: bool = True

    def check(self, value: Json) -> str | None:
        if not isinstance(value, str):
            return f"{value!r} is not an identity of {self.module}"
        prefix, sep, name = value.rpartition(":")
        if sep and prefix != self.module:
            return f"{value!r}: {name} is an identity of {self.module}, not of {prefix}"
        if not sep and not self.bare:
            return (
                f"{value!r} needs its module: {self.module}:{value} (the identity is of another module than the leaf)"
            )
        if name not in self.values:
            return f"{value!r} is not one of {', '.join(self.values)} ({self.module})"
        return None

    @staticmethod
    def name(value: Json) -> Json:
        """The identity without its module prefix (other values unchanged)."""
        return value.rpartition(":")[2] if isinstance(value, str) else value


@dataclasses.dataclass(frozen=True, slots=True)
class Predicate:
    """A type given by a predicate: ``what`` completes "VALUE is not ..."."""

    ok: Callable[[Json], bool]
    what: str

    def check(self, value: Json) -> str | None:
        return None if self.ok(value) else f"{value!r} is not {self.what}"


@dataclasses.dataclass(frozen=True, slots=True)
class Union:
    members: tuple[LeafType, ...]
    what: str

    def check(self, value: Json) -> str | None:
        if any(m.check(value) is None for m in self.members):
            return None
        return f"{value!r} is not {self.what}"


# ------------------------------------------------------------- predicates


def _int_text(text: str, lo: int, hi: int) -> bool:
    return text.isdigit() and lo <= int(text) <= hi


def is_ipv4(value: Json) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def is_ip(value: Json) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


U16, U32 = 65535, 4294967295


def _admin_pair(text: str) -> bool:
    """``2-byte-ASN:4-byte``, ``IPv4:2-byte`` or ``4-byte-ASN:2-byte``."""
    head, sep, tail = text.rpartition(":")
    if not sep or not head:
        return False
    if is_ipv4(head):
        return _int_text(tail, 0, U16)
    return (_int_text(head, 0, U16) and _int_text(tail, 0, U32)) or (
        _int_text(head, 0, U32) and _int_text(tail, 0, U16)
    )


def is_route_distinguisher(value: Json) -> bool:
    return isinstance(value, str) and _admin_pair(value)


def is_route_target(value: Json) -> bool:
    if not isinstance(value, str):
        return False
    for prefix in ("route-target:", "route-origin:"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    return _admin_pair(value)


def is_vlan_range(value: Json) -> bool:
    if not isinstance(value, str):
        return False
    lo, sep, hi = value.partition("..")
    return bool(sep) and _int_text(lo, 1, 4094) and _int_text(hi, 1, 4094) and int(lo) < int(hi)


def is_evi(value: Json) -> bool:
    return isinstance(value, str) and _int_text(value, 1, 16777215)


# ------------------------------------------------------------ the types used

STRING = Str()
BOOL = Bool()
UINT8 = UInt(0, 255)
UINT16 = UInt(0, U16)
UINT32 = UInt(0, U32)
UINT64 = UInt(0, 2**64 - 1, wide=True)
VLAN_ID = UInt(1, 4094)
VNI = UInt(1, 16777215)
EVI = Predicate(is_evi, "an EVI (a string of 1..16777215)")
IPV4 = Predicate(is_ipv4, "an IPv4 address")
IP = Predicate(is_ip, "an IP address")
AUTO = Enum(("AUTO",))
RD = Predicate(is_route_distinguisher, "a route distinguisher (ASN:N or IPv4:N)")
RD_OR_AUTO = Union((RD, AUTO), "a route distinguisher (ASN:N or IPv4:N) or AUTO")
RT_OR_AUTO = Union(
    (Predicate(is_route_target, "a route target"), AUTO),
    "a route target ([route-target:]ASN:N or IPv4:N) or AUTO",
)
TRUNK_VLAN = Union((VLAN_ID, Predicate(is_vlan_range, "a VLAN range")), "a VLAN id 1..4094 or a range 'a..b'")
