"""CNI spec versions and results: parsing, choosing, converting, chaining.

fabric-cni speaks spec 1.1.0 and accepts configs of every version the
reference plugins accept (0.1.0 to 1.1.0). Inside, a result is kept in the
1.1.0 shape (``ips`` without ``version``); :func:`result_for` writes it in
the shape of the version a caller asked for (libcni's types 020, 040, 100):

- 0.1.0, 0.2.0: ``{"cniVersion", "ip4": {"ip", "gateway", "routes"},
  "ip6": {...}, "dns"}``: the first address of each family, the routes by
  the family of their destination, no interfaces. Such a result needs an
  address (libcni refuses one without): :class:`NoAddress` otherwise.
- 0.3.0, 0.3.1, 0.4.0: ``interfaces``, ``ips`` with ``version`` ("4"/"6")
  and the ``interface`` index, ``routes``, ``dns``; 1.1.0-only fields go.
- 1.0.0: no ``ips[].version``; 1.1.0-only fields go (interface ``mtu``,
  ``socketPath``, ``pciID``; route ``mtu``, ``advmss``, ``priority``,
  ``table``, ``scope``).
- 1.1.0: as kept.

Commands the spec added later are refused for older configs as the
reference plugins' skel refuses them (error 1): CHECK before 0.4.0, GC and
STATUS before 1.1.0 (:func:`require_command`).

Delegates (the macvlan and IPAM plugins) get the highest version both sides
speak from 0.4.0 on, the first with CHECK and a ``prevResult`` on DEL
(Debian's containernetworking-plugins 1.1.1 stop at 1.0.0). Pure.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from cni.plugin.errors import INCOMPATIBLE_VERSION, CniError

SPEC_VERSION = "1.1.0"
SUPPORTED = ("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")
#: what VERSION lists: the versions whose configs and results we handle
ADVERTISED = SUPPORTED
#: what we speak with delegates
DELEGATE = ("0.4.0", "1.0.0", "1.1.0")
#: the first version of each command the spec added after ADD and DEL
SINCE = {"CHECK": "0.4.0", "GC": "1.1.0", "STATUS": "1.1.0"}

_IFACE_11 = ("mtu", "socketPath", "pciID")
_ROUTE_11 = ("mtu", "advmss", "priority", "table", "scope")


class NoAddress(ValueError):
    """A result without an address cannot be written as 0.1.0 or 0.2.0."""


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
            f"{field} {version[:20]!r} is not supported: fabric-cni speaks {', '.join(SUPPORTED)}",
        )
    return version


def require_command(command: str, version: str) -> None:
    """CniError 1 when ``command`` is not defined for a config of ``version``
    (what the reference plugins answer; libcni does not even ask)."""
    since = SINCE.get(command)
    if since is not None and parse(version) < parse(since):
        raise CniError(
            INCOMPATIBLE_VERSION,
            f"config version does not allow {command}: cniVersion {version} has no {command} "
            f"(the spec added it in {since})",
        )


def choose_delegate_version(theirs: Iterable[str]) -> str | None:
    """The highest version both we and a delegate speak (None: none)."""
    common = [v for v in theirs if v in DELEGATE]
    return max(common, key=parse) if common else None


def _ip_version(address: str) -> str:
    return "6" if ":" in address else "4"


def normalize(result: Mapping[str, Any]) -> dict[str, Any]:
    """A result of any supported version in the 1.1.0 shape (a copy)."""
    out = copy.deepcopy(dict(result))
    out.pop("cniVersion", None)
    if "ip4" in out or "ip6" in out:
        return _from_020(out)
    for ip in out.get("ips") or []:
        if isinstance(ip, dict):
            ip.pop("version", None)
    return out


def _from_020(old: dict[str, Any]) -> dict[str, Any]:
    ips: list[dict[str, Any]] = []
    routes: list[dict[str, Any]] = []
    for family in ("ip4", "ip6"):
        conf = old.get(family)
        if not isinstance(conf, dict):
            continue
        ip = {"address": conf.get("ip", "")}
        if conf.get("gateway"):
            ip["gateway"] = conf["gateway"]
        ips.append(ip)
        routes += [r for r in conf.get("routes") or [] if isinstance(r, dict)]
    out: dict[str, Any] = {"ips": ips, "dns": old.get("dns") or {}}
    if routes:
        out["routes"] = routes
    return out


def result_for(result: Mapping[str, Any], version: str) -> dict[str, Any]:
    """A kept (1.1.0-shaped) result written for ``version``; NoAddress for
    0.1.0/0.2.0 without an address."""
    out = normalize(result)
    if version != "1.1.0":
        for iface in out.get("interfaces") or []:
            for key in _IFACE_11:
                iface.pop(key, None)
        for route in out.get("routes") or []:
            for key in _ROUTE_11:
                route.pop(key, None)
    if version in ("0.1.0", "0.2.0"):
        return {"cniVersion": version, **_to_020(out)}
    if parse(version) < parse("1.0.0"):
        for ip in out.get("ips") or []:
            ip["version"] = _ip_version(str(ip.get("address", "")))
    return {"cniVersion": version, **out}


def _to_020(kept: dict[str, Any]) -> dict[str, Any]:
    """libcni's convertTo02x: the first address of each family; routes go
    with the family of their destination; DNS as it is."""
    out: dict[str, Any] = {}
    for ip in kept.get("ips") or []:
        family = "ip6" if _ip_version(str(ip.get("address", ""))) == "6" else "ip4"
        if family not in out:
            out[family] = {"ip": ip.get("address", "")}
            if ip.get("gateway"):
                out[family]["gateway"] = ip["gateway"]
    if not out:
        raise NoAddress("a 0.1.0/0.2.0 result needs an IP address, and the IPAM plugin gave none")
    for route in kept.get("routes") or []:
        family = "ip6" if _ip_version(str(route.get("dst", ""))) == "6" else "ip4"
        if family in out:
            out[family].setdefault("routes", []).append({k: route[k] for k in ("dst", "gw") if k in route})
    out["dns"] = kept.get("dns") or {}
    return out


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
