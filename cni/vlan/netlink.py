"""A minimal rtnetlink client: get, add, bring up and delete links.

Just what the VLAN seam needs (and what the CNI plugin's macvlan will), with
the kernel's own words on failure: requests ask for extended acks, so a
:class:`NetlinkError` carries the errno *and* the kernel's message (such as
``Unknown device type``). Imports only the standard library's C modules: the
CNI plugin is a short-lived process. A socket talks to the network namespace
of the thread that opened it.
"""

from __future__ import annotations

import contextlib
import errno as errno_
import os
import socket
import struct
from collections.abc import Iterator
from typing import NamedTuple

RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK = 16, 17, 18
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
NLMSGERR_ATTR_MSG = 1
SOL_NETLINK, NETLINK_CAP_ACK, NETLINK_EXT_ACK = 270, 10, 11
NLA_F_NESTED = 0x8000
IFLA_IFNAME, IFLA_MTU, IFLA_LINK, IFLA_LINKINFO = 3, 4, 5, 18
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
IFF_UP = 0x1

_NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
_IFINFOMSG = struct.Struct("=BxHiII")  # family, type, index, flags, change
_RTA = struct.Struct("=HH")  # len, type


class NetlinkError(OSError):
    """A request the kernel refused: ``errno`` and ``kernel_message`` (the
    extended ack, "" if the kernel gave none)."""

    def __init__(self, errno: int, kernel_message: str = "") -> None:
        self.kernel_message = kernel_message
        text = os.strerror(errno) + (f" ({kernel_message})" if kernel_message else "")
        super().__init__(errno, text)


class Link(NamedTuple):
    """A link as RTM_GETLINK tells it (a NamedTuple, not a dataclass: the
    dataclasses module alone would double the CNI plugin's import time)."""

    ifindex: int
    name: str
    flags: int
    mtu: int
    link: int  # the parent's index (VLAN, macvlan), 0 if none
    kind: str  # "vlan", "macvlan", "veth", "tun", ... ("" for plain devices)
    info_data: dict[int, bytes]  # IFLA_INFO_DATA attributes of the kind, raw

    @property
    def up(self) -> bool:
        return bool(self.flags & IFF_UP)


def attr(kind: int, payload: bytes) -> bytes:
    """One netlink attribute, padded to 4 bytes."""
    length = _RTA.size + len(payload)
    return _RTA.pack(length, kind) + payload + b"\0" * (-length % 4)


def nested(kind: int, *attrs: bytes) -> bytes:
    return attr(kind | NLA_F_NESTED, b"".join(attrs))


def parse_attrs(data: bytes | memoryview) -> Iterator[tuple[int, bytes]]:
    """(type without flags, payload) of each attribute in ``data``."""
    view = memoryview(data)
    off = 0
    while off + _RTA.size <= len(view):
        length, kind = _RTA.unpack_from(view, off)
        if length < _RTA.size:
            break
        yield kind & ~NLA_F_NESTED & 0xFFFF, bytes(view[off + _RTA.size : off + length])
        off += (length + 3) & ~3


def _cstr(payload: bytes) -> str:
    return payload.split(b"\0", 1)[0].decode(errors="replace")


def parse_error(payload: bytes, flags: int) -> tuple[int, str]:
    """(errno, kernel message) of an NLMSG_ERROR payload; errno 0 is an ack."""
    (err,) = struct.unpack_from("=i", payload)
    message = ""
    if flags & NLM_F_ACK_TLVS:
        # with NETLINK_CAP_ACK the original request is cut to its header
        skip = 4 + _NLMSGHDR.size
        if not flags & NLM_F_CAPPED and len(payload) >= skip:
            skip = 4 + _NLMSGHDR.unpack_from(payload, 4)[0]
        for kind, value in parse_attrs(payload[skip:]):
            if kind == NLMSGERR_ATTR_MSG:
                message = _cstr(value)
    return -err, message


def parse_link(payload: bytes) -> Link:
    _family, _type, index, flags, _change = _IFINFOMSG.unpack_from(payload)
    name, mtu, link, kind, data = "", 0, 0, "", {}
    for key, value in parse_attrs(payload[_IFINFOMSG.size :]):
        if key == IFLA_IFNAME:
            name = _cstr(value)
        elif key == IFLA_MTU:
            (mtu,) = struct.unpack("=I", value[:4])
        elif key == IFLA_LINK:
            (link,) = struct.unpack("=I", value[:4])
        elif key == IFLA_LINKINFO:
            for ikey, ivalue in parse_attrs(value):
                if ikey == IFLA_INFO_KIND:
                    kind = _cstr(ivalue)
                elif ikey == IFLA_INFO_DATA:
                    data = dict(parse_attrs(ivalue))
    return Link(ifindex=index, name=name, flags=flags, mtu=mtu, link=link, kind=kind, info_data=data)


class Rtnl:
    """One NETLINK_ROUTE socket in the caller's network namespace; use it
    as a context manager. Methods raise :class:`NetlinkError`."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, socket.NETLINK_ROUTE)
        for opt in (NETLINK_CAP_ACK, NETLINK_EXT_ACK):
            with contextlib.suppress(OSError):  # an old kernel: errors without the kernel's message
                self._sock.setsockopt(SOL_NETLINK, opt, 1)
        self._sock.bind((0, 0))
        self._seq = 0

    def __enter__(self) -> Rtnl:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._sock.close()

    def request(self, msg_type: int, flags: int, body: bytes) -> list[bytes]:
        """Send one request with an ack; the payloads of its answers."""
        self._seq += 1
        seq = self._seq
        header = _NLMSGHDR.pack(_NLMSGHDR.size + len(body), msg_type, flags | NLM_F_REQUEST | NLM_F_ACK, seq, 0)
        self._sock.send(header + body)
        answers: list[bytes] = []
        while True:
            data = self._sock.recv(65536)
            off = 0
            while off + _NLMSGHDR.size <= len(data):
                length, kind, mflags, mseq, _pid = _NLMSGHDR.unpack_from(data, off)
                if length < _NLMSGHDR.size:
                    raise NetlinkError(errno_.EPROTO, "malformed netlink answer")
                payload = data[off + _NLMSGHDR.size : off + length]
                off += (length + 3) & ~3
                if mseq != seq:
                    continue
                if kind == NLMSG_ERROR:
                    err, message = parse_error(payload, mflags)
                    if err:
                        raise NetlinkError(err, message)
                    return answers
                if kind == NLMSG_DONE:
                    return answers
                answers.append(payload)

    def get_link(self, name: str) -> Link | None:
        """The link called ``name``; None if there is none."""
        body = _IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0) + attr(IFLA_IFNAME, name.encode() + b"\0")
        try:
            answers = self.request(RTM_GETLINK, 0, body)
        except NetlinkError as e:
            if e.errno == errno_.ENODEV:
                return None
            raise
        return parse_link(answers[0]) if answers else None

    def add_link(self, name: str | None, kind: str, *, link: int = 0, data: bytes = b"") -> None:
        """Create a link of ``kind`` (fails with EEXIST if ``name`` exists).
        ``data``: the kind's IFLA_INFO_DATA attributes, encoded."""
        attrs = attr(IFLA_IFNAME, name.encode() + b"\0") if name else b""
        if link:
            attrs += attr(IFLA_LINK, struct.pack("=I", link))
        info = attr(IFLA_INFO_KIND, kind.encode())
        if data:
            info += nested(IFLA_INFO_DATA, data)
        body = _IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0) + attrs + nested(IFLA_LINKINFO, info)
        self.request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, body)

    def set_up(self, index: int) -> None:
        self.request(RTM_NEWLINK, 0, _IFINFOMSG.pack(socket.AF_UNSPEC, 0, index, IFF_UP, IFF_UP))

    def delete_link(self, index: int) -> None:
        self.request(RTM_DELLINK, 0, _IFINFOMSG.pack(socket.AF_UNSPEC, 0, index, 0, 0))
