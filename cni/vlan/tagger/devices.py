"""The tagger's two kinds of Linux devices, opened in the process's own
network namespace: a tap per VLAN and an AF_PACKET socket per trunk.

A tap is not persistent: it lives as long as its file descriptor, so a
tagger that dies, even by SIGKILL, leaves no tap behind (the kernel removes
it, and with it its bridge membership and any macvlan on top).
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import struct

from cni.vlan.protocol import ErrorCode
from cni.vlan.tagger.frames import PACKET_AUXDATA, SOL_PACKET

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000
SIOCGIFFLAGS, SIOCSIFFLAGS, SIOCGIFMTU, SIOCSIFMTU = 0x8913, 0x8914, 0x8921, 0x8922
IFF_UP = 0x1
ETH_P_ALL = 0x0003
ARPHRD_ETHER = 1
PACKET_ADD_MEMBERSHIP, PACKET_MR_PROMISC = 1, 1
PACKET_IGNORE_OUTGOING = 23
SO_RCVBUFFORCE, SO_SNDBUFFORCE = 33, 32
SOCKET_BUFFER = 4 << 20  # bytes; what the kernel may queue per trunk socket


class DeviceError(Exception):
    """Opening a device failed; ``code`` is the control protocol's error code."""

    def __init__(self, message: str, code: ErrorCode = "failed") -> None:
        self.code: ErrorCode = code
        super().__init__(message)


def _ifreq(name: str, fmt: str = "", *values: int) -> bytes:
    return struct.pack("16s" + fmt, name.encode(), *values).ljust(40, b"\0")


def _ioctl_sock() -> socket.socket:
    return socket.socket(socket.AF_INET, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)


def get_mtu(name: str) -> int:
    with _ioctl_sock() as s:
        return int(struct.unpack_from("i", fcntl.ioctl(s, SIOCGIFMTU, _ifreq(name, "i", 0)), 16)[0])


def is_up(name: str) -> bool:
    """Whether ``name`` is administratively up (False when it does not exist)."""
    with _ioctl_sock() as s:
        try:
            flags = struct.unpack_from("H", fcntl.ioctl(s, SIOCGIFFLAGS, _ifreq(name, "H", 0)), 16)[0]
        except OSError:
            return False
    return bool(flags & IFF_UP)


def set_mtu_up(name: str, mtu: int) -> None:
    with _ioctl_sock() as s:
        fcntl.ioctl(s, SIOCSIFMTU, _ifreq(name, "i", mtu))
        flags = struct.unpack_from("H", fcntl.ioctl(s, SIOCGIFFLAGS, _ifreq(name, "H", 0)), 16)[0]
        fcntl.ioctl(s, SIOCSIFFLAGS, _ifreq(name, "H", flags | IFF_UP))


def _why(e: OSError, what: str) -> DeviceError:
    if e.errno in (errno.EPERM, errno.EACCES):
        return DeviceError(f"{what}: {e.strerror} (the tagger needs CAP_NET_ADMIN)", "unsupported")
    return DeviceError(f"{what}: {e.strerror}")


def open_tap(name: str, mtu: int) -> int:
    """A non-blocking tap ``name`` (no packet info), up, with ``mtu``; its fd."""
    try:
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
            raise DeviceError("no /dev/net/tun: the kernel has no tun/tap (CONFIG_TUN)", "unsupported") from None
        raise _why(e, "/dev/net/tun") from None
    try:
        fcntl.ioctl(fd, TUNSETIFF, _ifreq(name, "H", IFF_TAP | IFF_NO_PI))
    except OSError as e:
        os.close(fd)
        if e.errno in (errno.EINVAL, errno.EBUSY):
            raise DeviceError(f"{name} already exists and is not a free tap: pick another name", "invalid") from None
        raise _why(e, f"cannot create tap {name}") from None
    try:
        set_mtu_up(name, mtu)
    except OSError as e:
        os.close(fd)
        raise _why(e, f"cannot set tap {name} up with MTU {mtu}") from None
    return fd


def open_trunk(parent: str) -> socket.socket:
    """A non-blocking AF_PACKET socket on ``parent``: every frame it receives
    (none it sends), tags the kernel stripped as auxdata, the port
    promiscuous (frames for the taps' MACs and the macvlans on them)."""
    try:
        index = socket.if_nametoindex(parent)
    except OSError:
        raise DeviceError(f"{parent}: no such interface in the tagger's network namespace", "invalid") from None
    # protocol 0 until bound: an unbound ETH_P_ALL socket would see every interface's frames
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC, 0)
    try:
        sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        sock.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        for force, plain in ((SO_RCVBUFFORCE, socket.SO_RCVBUF), (SO_SNDBUFFORCE, socket.SO_SNDBUF)):
            try:
                sock.setsockopt(socket.SOL_SOCKET, force, SOCKET_BUFFER)
            except OSError:
                sock.setsockopt(socket.SOL_SOCKET, plain, SOCKET_BUFFER)
        sock.bind((parent, ETH_P_ALL))
        hatype = sock.getsockname()[3]
        if hatype != ARPHRD_ETHER:
            raise DeviceError(f"{parent}: not an Ethernet interface (ARP hardware type {hatype})", "invalid")
        sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, struct.pack("iHH8s", index, PACKET_MR_PROMISC, 0, b""))
    except OSError as e:
        sock.close()
        if e.errno in (errno.ENODEV, errno.ENXIO):
            raise DeviceError(f"{parent}: no such interface in the tagger's network namespace", "invalid") from None
        raise _why(e, f"cannot open {parent} for AF_PACKET") from None
    except DeviceError:
        sock.close()
        raise
    return sock
