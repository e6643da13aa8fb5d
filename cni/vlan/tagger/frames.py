"""802.1Q frames and AF_PACKET auxiliary data: pure functions, no I/O.

On receive the kernel moves the outer VLAN tag of a frame into metadata
before AF_PACKET sockets see it (``skb_vlan_untag``), even without 802.1Q
support; a socket with ``PACKET_AUXDATA`` gets it back as
``struct tpacket_auxdata`` (``tp_vlan_tci`` valid when ``tp_status`` has
``TP_STATUS_VLAN_VALID``). A tag can also still be in the frame (inner tags,
frames the kernel did not parse). :func:`untag` reads both ways the same.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Iterable

ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
ETH_ALEN2 = 12  # destination + source MAC: the tag goes right after them
VLAN_HLEN = 4
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 1 << 4
TP_STATUS_VLAN_TPID_VALID = 1 << 6
VID_MASK = 0x0FFF

_AUXDATA = struct.Struct("=IIIHHHH")  # status, len, snaplen, mac, net, vlan_tci, vlan_tpid
_TAG = struct.Struct("!HH")  # TPID, TCI


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AuxData:
    """The parts of ``struct tpacket_auxdata`` the tagger uses."""

    status: int
    length: int
    vlan_tci: int
    vlan_tpid: int

    @property
    def tag(self) -> tuple[int, int] | None:
        """(TPID, TCI) of the tag the kernel took out of the frame, if any."""
        if not self.status & TP_STATUS_VLAN_VALID:
            return None
        tpid = self.vlan_tpid if self.status & TP_STATUS_VLAN_TPID_VALID and self.vlan_tpid else ETH_P_8021Q
        return tpid, self.vlan_tci


def parse_auxdata(ancdata: Iterable[tuple[int, int, bytes]]) -> AuxData | None:
    """The auxdata among ``recvmsg``'s ancillary data (None if absent)."""
    for level, kind, data in ancdata:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(data) >= _AUXDATA.size:
            status, length, _snap, _mac, _net, tci, tpid = _AUXDATA.unpack_from(data)
            return AuxData(status=status, length=length, vlan_tci=tci, vlan_tpid=tpid)
    return None


def pack_auxdata(*, status: int, length: int, vlan_tci: int = 0, vlan_tpid: int = 0) -> bytes:
    """A ``tpacket_auxdata`` as the kernel writes it (for tests)."""
    return _AUXDATA.pack(status, length, length, 0, 0, vlan_tci, vlan_tpid)


def insert_tag(frame: bytes | memoryview, vid: int, *, pcp: int = 0, tpid: int = ETH_P_8021Q) -> bytes:
    """``frame`` with a tag right after its MAC addresses."""
    if len(frame) < ETH_ALEN2 + 2:
        raise ValueError(f"a frame of {len(frame)} bytes has no Ethernet header")
    return b"".join((frame[:ETH_ALEN2], _TAG.pack(tpid, (pcp & 7) << 13 | (vid & VID_MASK)), frame[ETH_ALEN2:]))


def strip_tag(frame: bytes | memoryview) -> tuple[int | None, bytes]:
    """(VLAN id, frame without its outer 802.1Q tag); (None, frame) if the
    frame carries no 802.1Q tag in its bytes."""
    if len(frame) >= ETH_ALEN2 + VLAN_HLEN + 2:
        tpid, tci = _TAG.unpack_from(frame, ETH_ALEN2)
        if tpid == ETH_P_8021Q:
            return tci & VID_MASK, b"".join((frame[:ETH_ALEN2], frame[ETH_ALEN2 + VLAN_HLEN :]))
    return None, bytes(frame)


def wire_frame(frame: bytes | memoryview, aux: AuxData | None) -> bytes:
    """The frame as it was on the wire: the kernel's stripped tag put back."""
    tag = aux.tag if aux is not None else None
    if tag is None:
        return bytes(frame)
    tpid, tci = tag
    return insert_tag(frame, tci & VID_MASK, pcp=tci >> 13, tpid=tpid)


def untag(frame: bytes | memoryview, aux: AuxData | None) -> tuple[int | None, bytes]:
    """(VLAN id of the outer 802.1Q tag, the frame without it) of a received
    frame, wherever the tag is (metadata or bytes); (None, frame) for a frame
    without one (untagged, priority-tagged VLAN 0, an 802.1ad outer tag)."""
    tag = aux.tag if aux is not None else None
    if tag is not None:
        tpid, tci = tag
        return ((tci & VID_MASK) or None) if tpid == ETH_P_8021Q else None, bytes(frame)
    found, inner = strip_tag(frame)
    return (found or None), inner
