"""CNI spec versions and results: parsing, choosing, converting, chaining.

fabric-cni speaks spec 1.1.0 and accepts configs of 0.4.0, 1.0.0 and 1.1.0.
Inside, a result is kept in the 1.1.0 shape (``ips`` without ``version``);
:func:`result_for` writes it in the version a caller asked for:

- 0.4.0: every ``ips[]`` gets ``version`` ("4"/"6"); 1.1.0-only fields go.
- 1.0.0: no ``ips[].version``; 1.1.0-only fields go (interface ``mtu``,
  ``socketPath``, ``pciID``; route ``mtu``, ``advmss``, ``priority``,
  ``table``, ``scope``).
- 1.1.0: as kept.

Delegates (the macvlan and IPAM plugins) get the highest version both sides
speak (Debian's containernetworking-plugins 1.1.1 stop at 1.0.0). Pure.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from cni.plugin.errors import INCOMPATIBLE_VERSION, CniError

SPEC_VERSION = "1.1.0"
SUPPORTED = ("0.4.0", "1.0.0", "1.1.0")
#: what VERSION lists: the versions whose configs and results we handle
ADVERTISED = SUPPORTED

_IFACE_11 = ("mtu", "socketPath", "pciID")
_ROUTE_11 = ("mtu", "advmss", "priority", "table", "scope")


def parse(version: str) -> tuple[int, int, int]:
    """``"1.0.0"`` -> (1, 0, 0); ValueError if it is not X.Y.Z."""
    parts = version.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"{version!r} is not a version X.Y.Z")
    return int(parts[0]), int(parts[1]), int(parts[2])


def require_supported(version: object, field: str = "cniVersion") -> str:
    """The version if we speak it; CniError 1 (naming what we speak) if not."""
    if not isinstance(version, str) or not version:
        raise CniError(INCOMPATIBLE_VERSION, f"{field} is missing: fabric-cni speaks {', '.join(SUPPORTED)}")
    if version not in SUPPORTED:
        raise CniError(
            INCOMPATIBLE_VERSION,
            f"{field} {version!r} is not supported: fabric-cni speaks {', '.join(SUPPORTED)}",
        )
    return version


def choose_delegate_version(theirs: Iterable[str]) -> str | None:
    """The highest version both we and a delegate speak (None: none)."""
    common = [v for v in theirs if v in SUPPORTED]
    return max(common, key=parse) if common else None


def _ip_version(address: str) -> str:
    return "6" if ":" in address else "4"


def normalize(result: Mapping[str, Any]) -> dict[str, Any]:
    """A result of any supported version in the 1.1.0 shape (a copy)."""
    out = copy.deepcopy(dict(result))
    out.pop("cniVersion", None)
    for ip in out.get("ips") or []:
        if isinstance(ip, dict):
            ip.pop("version", None)
    return out


def result_for(result: Mapping[str, Any], version: str) -> dict[str, Any]:
    """A kept (1.1.0-shaped) result written for ``version``."""
    out = normalize(result)
    if version != "1.1.0":
        for iface in out.get("interfaces") or []:
            for key in _IFACE_11:
                iface.pop(key, None)
        for route in out.get("routes") or []:
            for key in _ROUTE_11:
                route.pop(key, None)
    if version == "0.4.0":
        for ip in out.get("ips") or []:
            ip["version"] = _ip_version(str(ip.get("address", "")))
    return {"cniVersion": version, **out}


def chain(prev: Mapping[str, Any] | None, ours: Mapping[str, Any]) -> dict[str, Any]:
    """Our result appended to a chained ``prevResult`` (both 1.1.0-shaped):
    interfaces concatenated, our ``ips[].interface`` indexes shifted past
    the previous interfaces, routes concatenated, DNS kept from before
    unless it was empty."""
    if not prev:
        return normalize(ours)
    before = normalize(prev)
    mine = normalize(ours)
    shift = len(before.get("interfaces") or [])
    ips = list(before.get("ips") or [])
    for ip in mine.get("ips") or []:
        if isinstance(ip.get("interface"), int):
            ip["interface"] += shift
        ips.append(ip)
    out = dict(before)
    out["interfaces"] = [*(before.get("interfaces") or []), *(mine.get("interfaces") or [])]
    out["ips"] = ips
    routes = [*(before.get("routes") or []), *(mine.get("routes") or [])]
    if routes:
        out["routes"] = routes
    out["dns"] = before.get("dns") or mine.get("dns") or {}
    return out
