"""The tagger's state and data path, on an asyncio loop (readers only: no
threads, no busy loop, no queues of our own).

Trunk -> tap: a frame received on the trunk (never one sent from this host:
PACKET_IGNORE_OUTGOING, and the packet type checked too) whose outer 802.1Q
tag, in metadata or in the bytes, names VLAN V goes, without that tag, to
V's tap; untagged frames and unserved VLANs are dropped and counted.
Tap -> trunk: a frame the kernel sends out of V's tap gets the tag V (TPID
0x8100, priority 0) and goes out of the trunk.

Nothing is buffered beyond the kernel's queues: a frame that does not fit
(the tap's or the trunk's queue is full) is dropped and counted, as a switch
would. Each reader handles at most ``BATCH`` frames per wake-up so that one
busy port cannot starve the others or the control socket.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import logging
import os
import socket
from typing import Any

from cni.vlan.names import vlan_ifname
from cni.vlan.protocol import Ensure, ProtocolError, Release
from cni.vlan.tagger import devices
from cni.vlan.tagger.frames import insert_tag, parse_auxdata, untag

log = logging.getLogger("cni.vlan.tagger")

BATCH = 64
FRAME_BUFFER = 65536
#: how often a trunk that went down is looked at until it is up again or gone
DOWN_RECHECK_S = 0.2
ANC_SIZE = socket.CMSG_SPACE(20)  # struct tpacket_auxdata
PACKET_OUTGOING = 4


@dataclasses.dataclass(slots=True)
class VlanCounters:
    to_tap: int = 0
    from_tap: int = 0
    tap_dropped: int = 0


@dataclasses.dataclass(slots=True)
class TrunkCounters:
    rx: int = 0
    rx_untagged: int = 0
    rx_unknown_vlan: int = 0
    rx_truncated: int = 0
    tx: int = 0
    tx_dropped: int = 0
    errors: int = 0


@dataclasses.dataclass(slots=True, kw_only=True)
class Tap:
    vlan: int
    ifname: str
    fd: int
    counters: VlanCounters = dataclasses.field(default_factory=VlanCounters)


@dataclasses.dataclass(slots=True, kw_only=True)
class Trunk:
    name: str
    index: int
    mtu: int
    sock: socket.socket
    taps: dict[int, Tap] = dataclasses.field(default_factory=dict)
    counters: TrunkCounters = dataclasses.field(default_factory=TrunkCounters)
    buf: bytearray = dataclasses.field(default_factory=lambda: bytearray(FRAME_BUFFER))
    #: down: looked at every DOWN_RECHECK_S until it is up again or gone
    watched: bool = False


class Tagger:
    """Every trunk and tap of one tagger process (its network namespace)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, *, netns: int) -> None:
        self._loop = loop
        self.netns = netns
        self._trunks: dict[str, Trunk] = {}
        self._tapbuf = bytearray(FRAME_BUFFER)  # one reader runs at a time

    # -- control -----------------------------------------------------------

    def _check_netns(self, req: Ensure | Release) -> None:
        if req.netns is not None and req.netns != self.netns:
            raise ProtocolError(
                f"VLAN {req.vlan} of {req.parent}: this tagger serves network namespace net:[{self.netns}], "
                f"the request comes from net:[{req.netns}]: talk to the tagger of your own namespace"
            )

    def ensure(self, req: Ensure) -> tuple[str, bool]:
        """(tap name, created) for VLAN ``req.vlan`` of ``req.parent``."""
        self._check_netns(req)
        where = f"VLAN {req.vlan} of {req.parent}"
        trunk = self._trunks.get(req.parent)
        have = trunk.taps.get(req.vlan) if trunk else None
        if have is not None:
            if req.name not in (None, have.ifname):
                raise ProtocolError(f"{where} is already served as {have.ifname}, not {req.name}")
            return have.ifname, False
        name = req.name or vlan_ifname(req.parent, req.vlan)
        for other in self._trunks.values():
            for tap in other.taps.values():
                if tap.ifname == name:
                    raise ProtocolError(f"{where}: {name} already serves VLAN {tap.vlan} of {other.name}")
        new_trunk = trunk is None
        try:
            if trunk is None:
                trunk = self._open_trunk(req.parent)
            fd = devices.open_tap(name, trunk.mtu)
        except devices.DeviceError as e:
            if new_trunk and trunk is not None:
                self._close_trunk(trunk)
            raise ProtocolError(f"{where}: {e}", e.code) from None
        tap = Tap(vlan=req.vlan, ifname=name, fd=fd)
        trunk.taps[req.vlan] = tap
        self._loop.add_reader(fd, self._from_tap, trunk, tap)
        log.info("ensure parent=%s vlan=%d ifname=%s mtu=%d", req.parent, req.vlan, name, trunk.mtu)
        return name, True

    def release(self, req: Release) -> bool:
        self._check_netns(req)
        trunk = self._trunks.get(req.parent)
        tap = trunk.taps.get(req.vlan) if trunk else None
        if trunk is None or tap is None:
            return False
        self._close_tap(trunk, tap)
        log.info("release parent=%s vlan=%d ifname=%s", req.parent, req.vlan, tap.ifname)
        return True

    def vlans(self) -> list[dict[str, Any]]:
        return [
            {"parent": t.name, "vlan": v.vlan, "ifname": v.ifname}
            for t in sorted(self._trunks.values(), key=lambda t: t.name)
            for v in sorted(t.taps.values(), key=lambda v: v.vlan)
        ]

    def stats(self) -> dict[str, Any]:
        return {
            t.name: {
                **dataclasses.asdict(t.counters),
                "vlans": {str(v.vlan): {"ifname": v.ifname, **dataclasses.asdict(v.counters)} for v in t.taps.values()},
            }
            for t in self._trunks.values()
        }

    def close(self) -> None:
        """Close every tap (the kernel removes them) and trunk socket."""
        for trunk in list(self._trunks.values()):
            for tap in list(trunk.taps.values()):
                self._close_tap(trunk, tap)
            self._close_trunk(trunk)

    def _open_trunk(self, parent: str) -> Trunk:
        sock = devices.open_trunk(parent)
        try:
            mtu = devices.get_mtu(parent)
        except OSError as e:
            sock.close()
            raise devices.DeviceError(f"{parent}: cannot read its MTU: {e.strerror}") from None
        trunk = Trunk(name=parent, index=socket.if_nametoindex(parent), mtu=mtu, sock=sock)
        self._trunks[parent] = trunk
        self._loop.add_reader(sock.fileno(), self._from_trunk, trunk)
        log.info("trunk open parent=%s mtu=%d", parent, mtu)
        return trunk

    def _close_tap(self, trunk: Trunk, tap: Tap) -> None:
        self._loop.remove_reader(tap.fd)
        os.close(tap.fd)
        trunk.taps.pop(tap.vlan, None)
        if not trunk.taps:
            self._close_trunk(trunk)

    def _close_trunk(self, trunk: Trunk) -> None:
        if self._trunks.get(trunk.name) is trunk:
            del self._trunks[trunk.name]
        if trunk.sock.fileno() >= 0:
            self._loop.remove_reader(trunk.sock.fileno())
            trunk.sock.close()
            log.info("trunk closed parent=%s counters=%s", trunk.name, dataclasses.asdict(trunk.counters))

    # -- data path ---------------------------------------------------------

    def _from_trunk(self, trunk: Trunk) -> None:
        c = trunk.counters
        view = memoryview(trunk.buf)
        for _ in range(BATCH):
            try:
                n, anc, flags, addr = trunk.sock.recvmsg_into([trunk.buf], ANC_SIZE)
            except BlockingIOError:
                return
            except OSError as e:
                self._trunk_error(trunk, e)
                return
            if addr[2] == PACKET_OUTGOING:
                continue
            c.rx += 1
            if flags & socket.MSG_TRUNC:
                c.rx_truncated += 1
                continue
            vid, frame = untag(view[:n], parse_auxdata(anc))
            if vid is None:
                c.rx_untagged += 1
                continue
            tap = trunk.taps.get(vid)
            if tap is None:
                c.rx_unknown_vlan += 1
                continue
            try:
                os.write(tap.fd, frame)
                tap.counters.to_tap += 1
            except OSError:  # full (EAGAIN), down (EIO): dropped, as on a wire
                tap.counters.tap_dropped += 1

    def _from_tap(self, trunk: Trunk, tap: Tap) -> None:
        view = memoryview(self._tapbuf)
        for _ in range(BATCH):
            try:
                n = os.readv(tap.fd, [self._tapbuf])
            except BlockingIOError:
                return
            except OSError as e:  # the tap was deleted under us
                log.warning("tap gone parent=%s vlan=%d ifname=%s error=%s", trunk.name, tap.vlan, tap.ifname, e)
                self._close_tap(trunk, tap)
                return
            tap.counters.from_tap += 1
            try:
                trunk.sock.send(insert_tag(view[:n], tap.vlan))
                trunk.counters.tx += 1
            except (BlockingIOError, InterruptedError):
                trunk.counters.tx_dropped += 1
            except OSError as e:
                if e.errno not in (errno.ENOBUFS, errno.ENETDOWN):
                    trunk.counters.errors += 1
                trunk.counters.tx_dropped += 1

    def _trunk_error(self, trunk: Trunk, e: OSError) -> None:
        trunk.counters.errors += 1
        if self._still_there(trunk):  # down for a while (ENETDOWN): the socket comes back with it
            log.warning("trunk error parent=%s error=%s", trunk.name, e)
            if not trunk.watched:
                # the socket reports the link going down once (ENETDOWN), not its removal after that: a delete
                # whose down we saw while the name still resolved would go unnoticed (`ip link del` races us)
                trunk.watched = True
                self._loop.call_later(DOWN_RECHECK_S, self._recheck, trunk)
            return
        self._trunk_gone(trunk)

    def _recheck(self, trunk: Trunk) -> None:
        """A trunk that went down: gone, back up, or still down (look again)."""
        if self._trunks.get(trunk.name) is not trunk:
            return  # closed meanwhile
        if not self._still_there(trunk):
            self._trunk_gone(trunk)
        elif devices.is_up(trunk.name):
            trunk.watched = False
        else:
            self._loop.call_later(DOWN_RECHECK_S, self._recheck, trunk)

    @staticmethod
    def _still_there(trunk: Trunk) -> bool:
        try:
            return socket.if_nametoindex(trunk.name) == trunk.index
        except OSError:
            return False

    def _trunk_gone(self, trunk: Trunk) -> None:
        log.warning("trunk gone parent=%s: closing its %d taps", trunk.name, len(trunk.taps))
        for tap in list(trunk.taps.values()):
            self._close_tap(trunk, tap)
        self._close_trunk(trunk)
