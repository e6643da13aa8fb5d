"""The naming rule of VLAN interfaces and the checks of a request (pure).

``<parent><sep><vlan>``: ``eth1v10`` (the tagger's tap, not to be taken for
a VLAN device) or ``eth1.10`` (the kernel's 802.1Q sub-interface), cut to
Linux's 15 characters deterministically.
"""

from __future__ import annotations

import zlib

from cni.vlan.errors import VlanInvalid

IFNAMSIZ = 16  # with the terminating NUL: names have at most 15 characters
VLAN_MIN, VLAN_MAX = 1, 4094
KERNEL_SEP = "."  # eth1.10: the kernel's 802.1Q sub-interface
TAGGER_SEP = "v"  # eth1v10: the tagger's tap (not to be taken for a VLAN device)


def ifname_problem(name: object) -> str | None:
    """Why ``name`` is not a valid Linux interface name (None if it is)."""
    if not isinstance(name, str) or not name:
        return f"interface name {name!r}: not a non-empty string"
    if len(name.encode()) >= IFNAMSIZ:
        return f"interface name {name!r}: longer than {IFNAMSIZ - 1} bytes"
    if name in (".", "..") or any(c in "/:" or c.isspace() for c in name):
        return f"interface name {name!r}: '/', ':', white space, '.' and '..' are not allowed"
    return None


def vlan_problem(vlan: object) -> str | None:
    """Why ``vlan`` is not a usable VLAN id (None if it is)."""
    if isinstance(vlan, bool) or not isinstance(vlan, int) or not VLAN_MIN <= vlan <= VLAN_MAX:
        return f"VLAN id {vlan!r}: not an integer in {VLAN_MIN}..{VLAN_MAX}"
    return None


def check_request(parent: object, vlan: object) -> None:
    """Raise VlanInvalid naming every problem of (parent, vlan)."""
    problems = [p for p in (ifname_problem(parent), vlan_problem(vlan)) if p]
    if problems:
        raise VlanInvalid("; ".join(problems), parent=str(parent), vlan=vlan if isinstance(vlan, int) else None)


def vlan_ifname(parent: str, vlan: int, *, sep: str = TAGGER_SEP) -> str:
    """The one naming rule: ``<parent><sep><vlan>`` (``eth1v10``, ``eth1.10``);
    when that exceeds 15 characters, the parent is cut and 4 hex digits of
    its CRC-32 keep names of different parents apart:
    ``enx00e04c680001`` + 10 -> ``enx00e043f2av10`` (deterministic)."""
    tail = f"{sep}{vlan}"
    name = parent + tail
    if len(name.encode()) < IFNAMSIZ:
        return name
    digest = f"{zlib.crc32(parent.encode()) & 0xFFFF:04x}"
    keep = IFNAMSIZ - 1 - len(tail) - len(digest)
    return parent.encode()[:keep].decode(errors="ignore") + digest + tail
