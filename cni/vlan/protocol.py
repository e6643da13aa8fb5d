"""The tagger's control protocol, both ends: the client's requests encoded
and answers read (:func:`encode_request`, :func:`parse_response`, used by
:class:`cni.vlan.client.TaggerVlanBackend`), the tagger's requests parsed and
checked and answers encoded (:func:`parse_request`, :func:`ok`,
:func:`error`). Pure (no I/O) but for :func:`netns_id`.

A unix stream socket (its path is the tagger's ``--socket``); each request
is one line of JSON (UTF-8, ``\\n``-terminated, at most 1 MiB), each answer
one line; a connection may carry many requests, answered in order.

=========  ==========================================  ===========================================
op         request fields                               answer (besides ``"ok": true``)
=========  ==========================================  ===========================================
ensure     parent, vlan (1..4094), name? netns?         ifname, created (false: it existed)
release    parent, vlan, netns?                         released (false: there was nothing)
list                                                    vlans: [{parent, vlan, ifname}]
stats                                                   parents: {PARENT: {counters, vlans: {VID: {...}}}}
ping                                                    pid, netns, version, parents, vlans
=========  ==========================================  ===========================================

``name`` defaults to the name of the tap the VLAN has, else
``cni.vlan.names.vlan_ifname(parent, vlan)`` (``eth1v10``); ensuring a VLAN
under another name than the one it has is an error.
``netns``: the inode of the client's network namespace
(``stat -L -c %i /proc/self/ns/net``); if given and not the tagger's, the
request is refused, so no tap appears in a namespace its client is not in.

Parent counters: ``rx`` frames received on the trunk, ``rx_untagged`` and
``rx_unknown_vlan`` of those dropped (no 802.1Q tag; a VLAN not served),
``rx_truncated``, ``tx`` frames sent on the trunk, ``tx_dropped`` (the
trunk's queue was full), ``errors``. Per VLAN: ``ifname``, ``to_tap``,
``from_tap``, ``tap_dropped``.

Errors: ``{"ok": false, "code": CODE, "error": "MESSAGE"}`` where CODE is
``invalid`` (a bad request: names the field and value), ``unsupported``
(the host cannot: no /dev/net/tun, no CAP_NET_ADMIN) or ``failed``.
Example::

    > {"op": "ensure", "parent": "trunk-a", "vlan": 10}
    < {"ok": true, "ifname": "trunk-av10", "created": true}
    > {"op": "ensure", "parent": "trunk-a", "vlan": 5000}
    < {"ok": false, "code": "invalid", "error": "VLAN 5000 of trunk-a: VLAN id 5000: not an integer in 1..4094"}
"""

# No `from __future__ import annotations` here: typing.NamedTuple would compile each field's string
# annotation at every plugin start (cni/README.md, Start-up).
import json
import os
from typing import Any, Literal, NamedTuple

from cni.vlan.errors import VlanError, VlanInvalid, VlanUnsupported
from cni.vlan.names import ifname_problem, vlan_problem

PROTOCOL_VERSION = 1
MAX_LINE = 1 << 20  # a control-protocol line longer than this is an error
ErrorCode = Literal["invalid", "unsupported", "failed"]
OPS = ("ensure", "release", "list", "stats", "ping")


# -- the client's end ----------------------------------------------------


def netns_id() -> int:
    """The inode of this process's network namespace (``net:[N]``)."""
    return os.stat("/proc/self/ns/net").st_ino


def encode_request(op: str, **fields: Any) -> bytes:
    return json.dumps({"op": op, **fields}, separators=(",", ":")).encode() + b"\n"


def parse_response(line: bytes, *, parent: str | None = None, vlan: int | None = None) -> dict[str, Any]:
    """The answer's fields if ``ok``; else the VlanError its ``code`` names."""
    try:
        doc = json.loads(line)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("ok"), bool):
        raise VlanError(
            f"the tagger answered something that is not a response: {line[:200]!r}", parent=parent, vlan=vlan
        )
    if doc["ok"]:
        return doc
    error = str(doc.get("error") or "the tagger gave no reason")
    error = error.removeprefix(f"VLAN {vlan} of {parent}: ")  # said once, by VlanError
    cls = {"invalid": VlanInvalid, "unsupported": VlanUnsupported}.get(str(doc.get("code")), VlanError)
    raise cls(f"tagger: {error}", parent=parent, vlan=vlan)


# -- the tagger's end ----------------------------------------------------


class ProtocolError(Exception):
    """A request that cannot be served; ``code`` goes into the answer."""

    def __init__(self, message: str, code: ErrorCode = "invalid") -> None:
        self.code: ErrorCode = code
        super().__init__(message)


class Ensure(NamedTuple):
    parent: str
    vlan: int
    name: str | None  # None: the tap it has, or vlan_ifname(parent, vlan) for a new one
    netns: int | None = None


class Release(NamedTuple):
    parent: str
    vlan: int
    netns: int | None = None


class Query(NamedTuple):
    op: Literal["list", "stats", "ping"]


Request = Ensure | Release | Query


def parse_request(line: bytes) -> Request:
    """One request line -> a Request; ProtocolError naming every problem."""
    if len(line) > MAX_LINE:
        raise ProtocolError(f"request longer than {MAX_LINE} bytes")
    try:
        doc = json.loads(line)
    except ValueError as e:
        raise ProtocolError(f"not JSON: {e}") from None
    if not isinstance(doc, dict):
        raise ProtocolError(f"a request is a JSON object, got {type(doc).__name__}")
    op = doc.get("op")
    if op not in OPS:
        what = f"op {op!r}: not" if "op" in doc else "op: required,"
        raise ProtocolError(f"{what} one of {', '.join(OPS)}")
    known = {"op"} | ({"parent", "vlan", "netns"} if op in ("ensure", "release") else set())
    known |= {"name"} if op == "ensure" else set()
    problems = [f"unknown field {k!r}" for k in doc if k not in known]
    if op in ("list", "stats", "ping"):
        if problems:
            raise ProtocolError(f"{op}: " + "; ".join(problems))
        return Query(op=op)
    parent, vlan, netns = doc.get("parent"), doc.get("vlan"), doc.get("netns")
    for field in ("parent", "vlan"):
        if field not in doc:
            problems.append(f"{field}: required")
    if "parent" in doc and (problem := ifname_problem(parent)):
        problems.append(problem.replace("interface name", "parent", 1))
    if "vlan" in doc and (problem := vlan_problem(vlan)):
        problems.append(problem)
    if netns is not None and (isinstance(netns, bool) or not isinstance(netns, int)):
        problems.append(f"netns {netns!r}: not an inode number")
    name = doc.get("name")
    if op == "ensure" and name is not None and (problem := ifname_problem(name)):
        problems.append(problem.replace("interface name", "name", 1))
    if problems:
        named = isinstance(parent, str) and isinstance(vlan, int) and not isinstance(vlan, bool)
        where = f"VLAN {vlan} of {parent}" if named else op
        raise ProtocolError(f"{where}: " + "; ".join(problems))
    assert isinstance(parent, str) and isinstance(vlan, int)
    if op == "release":
        return Release(parent=parent, vlan=vlan, netns=netns)
    return Ensure(parent=parent, vlan=vlan, name=name, netns=netns)


def ok(**fields: Any) -> bytes:
    return _line({"ok": True, **fields})


def error(message: str, code: ErrorCode = "invalid") -> bytes:
    return _line({"ok": False, "code": code, "error": message})


def _line(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode() + b"\n"
