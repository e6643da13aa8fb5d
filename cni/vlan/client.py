"""The tagger backend: a client of the userspace 802.1Q tagger
(``python -m cni.vlan.tagger``, one per network namespace), which gives each
VLAN as a tap device ``<parent>v<vlan>``. One request per connection, in
the wire protocol of :mod:`cni.vlan.protocol`.
"""

from __future__ import annotations

import errno
import os
import socket
from typing import Any

from cni.vlan.errors import VlanError, VlanInvalid, VlanUnreachable
from cni.vlan.names import check_request, ifname_problem
from cni.vlan.protocol import MAX_LINE, encode_request, netns_id, parse_response


class TaggerVlanBackend:
    """Taps ``<parent>v<vlan>`` made by the tagger listening on ``socket_path``.

    ``same_netns``: the request carries this process's network namespace and
    the tagger refuses it if it serves another one (the seam's promise: the
    interface is in the caller's namespace). The lab runner, which drives
    taggers of node namespaces from the root namespace, turns it off.
    """

    name = "tagger"

    def __init__(self, socket_path: str | os.PathLike[str], *, timeout: float = 10.0, same_netns: bool = True) -> None:
        self.socket_path = os.fspath(socket_path)
        self.timeout = timeout
        self.same_netns = same_netns

    def call(self, op: str, *, parent: str | None = None, vlan: int | None = None, **fields: Any) -> dict[str, Any]:
        """One request on a fresh connection; the answer (or a VlanError)."""
        if parent is not None:
            fields["parent"] = parent
        if vlan is not None:
            fields["vlan"] = vlan
        if self.same_netns and op in ("ensure", "release"):
            fields["netns"] = netns_id()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as s:
                s.settimeout(self.timeout)
                s.connect(self.socket_path)
                s.sendall(encode_request(op, **fields))
                line = _read_line(s)
        except (TimeoutError, OSError) as e:
            why = "timed out" if isinstance(e, TimeoutError) else (e.strerror or str(e))
            raise VlanUnreachable(
                f"the tagger at {self.socket_path} does not answer ({why}); is `python -m cni.vlan.tagger "
                f"--socket {self.socket_path}` running in this network namespace?",
                parent=parent,
                vlan=vlan,
            ) from None
        return parse_response(line, parent=parent, vlan=vlan)

    def ensure(self, parent: str, vlan: int, *, ifname: str | None = None) -> str:
        """``ifname``: another name for the tap than :func:`vlan_ifname`'s."""
        check_request(parent, vlan)
        extra = {}
        if ifname is not None:
            if problem := ifname_problem(ifname):
                raise VlanInvalid(problem, parent=parent, vlan=vlan)
            extra["name"] = ifname
        answer = self.call("ensure", parent=parent, vlan=vlan, **extra)
        name = answer.get("ifname")
        if not isinstance(name, str):
            raise VlanError(f"the tagger's answer names no interface: {answer}", parent=parent, vlan=vlan)
        return name

    def release(self, parent: str, vlan: int) -> None:
        check_request(parent, vlan)
        self.call("release", parent=parent, vlan=vlan)

    def list(self) -> list[dict[str, Any]]:
        """[{parent, vlan, ifname}] the tagger serves."""
        return list(self.call("list").get("vlans", []))

    def stats(self) -> dict[str, Any]:
        """Frame counters per parent and VLAN (see :mod:`cni.vlan.protocol`)."""
        return dict(self.call("stats").get("parents", {}))

    def ping(self) -> dict[str, Any]:
        return self.call("ping")


def _read_line(s: socket.socket) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionResetError(errno.ECONNRESET, "the tagger closed the connection without an answer")
        chunks.append(chunk)
        size += len(chunk)
        if b"\n" in chunk:
            return b"".join(chunks).split(b"\n", 1)[0]
        if size > MAX_LINE:
            raise OSError(errno.EMSGSIZE, f"answer longer than {MAX_LINE} bytes")
