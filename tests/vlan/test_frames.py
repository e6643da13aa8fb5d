"""802.1Q tag insert/strip and AF_PACKET auxdata: pure functions."""

from __future__ import annotations

import socket
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cni.vlan.tagger.frames import (
    ETH_P_8021AD,
    ETH_P_8021Q,
    PACKET_AUXDATA,
    SOL_PACKET,
    TP_STATUS_VLAN_TPID_VALID,
    TP_STATUS_VLAN_VALID,
    AuxData,
    insert_tag,
    pack_auxdata,
    parse_auxdata,
    strip_tag,
    untag,
    wire_frame,
)

DST = bytes.fromhex("ffffffffffff")
SRC = bytes.fromhex("020000000001")
ARP = DST + SRC + b"\x08\x06" + bytes(28)
TAGGED_10 = DST + SRC + b"\x81\x00\x00\x0a" + b"\x08\x06" + bytes(28)


def test_insert_tag_puts_tpid_and_tci_after_the_macs():
    assert insert_tag(ARP, 10) == TAGGED_10
    tagged = insert_tag(ARP, 4094, pcp=5)
    assert tagged[12:16] == struct.pack("!HH", 0x8100, 5 << 13 | 4094)
    assert len(tagged) == len(ARP) + 4


def test_strip_tag_returns_the_vlan_and_the_original_frame():
    assert strip_tag(TAGGED_10) == (10, ARP)
    assert strip_tag(insert_tag(ARP, 4094, pcp=7)) == (4094, ARP)


def test_strip_tag_leaves_untagged_and_8021ad_frames_alone():
    assert strip_tag(ARP) == (None, ARP)
    qinq = insert_tag(ARP, 10, tpid=ETH_P_8021AD)
    assert strip_tag(qinq) == (None, qinq)
    assert strip_tag(b"\x00" * 10) == (None, b"\x00" * 10)


def test_insert_tag_refuses_a_frame_without_an_ethernet_header():
    with pytest.raises(ValueError, match="no Ethernet header"):
        insert_tag(b"\x00" * 13, 10)


@given(payload=st.binary(min_size=2, max_size=1600), vid=st.integers(1, 4094), pcp=st.integers(0, 7))
def test_strip_undoes_insert(payload, vid, pcp):
    frame = DST + SRC + payload
    assert strip_tag(insert_tag(frame, vid, pcp=pcp)) == (vid, frame)


def anc(**kw):
    return [(SOL_PACKET, PACKET_AUXDATA, pack_auxdata(**kw))]


def test_parse_auxdata_reads_the_stripped_tag():
    aux = parse_auxdata(anc(status=TP_STATUS_VLAN_VALID, length=60, vlan_tci=10))
    assert aux == AuxData(status=TP_STATUS_VLAN_VALID, length=60, vlan_tci=10, vlan_tpid=0)
    assert aux.tag == (ETH_P_8021Q, 10)  # no TPID_VALID: 802.1Q
    aux = parse_auxdata(
        anc(status=TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID, length=60, vlan_tci=20, vlan_tpid=ETH_P_8021AD)
    )
    assert aux is not None and aux.tag == (ETH_P_8021AD, 20)


def test_parse_auxdata_without_a_tag_or_without_auxdata():
    aux = parse_auxdata(anc(status=0, length=60, vlan_tci=10))
    assert aux is not None and aux.tag is None
    assert parse_auxdata([]) is None
    assert parse_auxdata([(socket.SOL_SOCKET, 1, b"x" * 20)]) is None
    assert parse_auxdata([(SOL_PACKET, PACKET_AUXDATA, b"short")]) is None


def test_untag_takes_the_tag_from_metadata_or_from_the_bytes():
    kernel_stripped = parse_auxdata(anc(status=TP_STATUS_VLAN_VALID, length=len(ARP), vlan_tci=3 << 13 | 10))
    assert untag(ARP, kernel_stripped) == (10, ARP)
    assert untag(TAGGED_10, None) == (10, ARP)
    no_tag = parse_auxdata(anc(status=0, length=len(TAGGED_10)))
    assert untag(TAGGED_10, no_tag) == (10, ARP)
    assert untag(memoryview(TAGGED_10), None) == (10, ARP)


def test_untag_keeps_an_inner_tag_when_the_outer_one_was_in_metadata():
    inner = insert_tag(ARP, 20)
    outer = parse_auxdata(anc(status=TP_STATUS_VLAN_VALID, length=len(inner), vlan_tci=10))
    assert untag(inner, outer) == (10, inner)


def test_untag_finds_no_vlan_in_untagged_priority_tagged_and_8021ad_frames():
    assert untag(ARP, None) == (None, ARP)
    assert untag(insert_tag(ARP, 0, pcp=3), None)[0] is None
    prio = parse_auxdata(anc(status=TP_STATUS_VLAN_VALID, length=len(ARP), vlan_tci=3 << 13))
    assert untag(ARP, prio)[0] is None
    sTag = parse_auxdata(
        anc(status=TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID, length=60, vlan_tci=10, vlan_tpid=ETH_P_8021AD)
    )
    assert untag(ARP, sTag)[0] is None


def test_wire_frame_reinserts_the_tag_the_kernel_stripped():
    aux = parse_auxdata(anc(status=TP_STATUS_VLAN_VALID, length=len(ARP), vlan_tci=5 << 13 | 10))
    wire = wire_frame(ARP, aux)
    assert wire == insert_tag(ARP, 10, pcp=5)
    assert wire_frame(TAGGED_10, None) == TAGGED_10
    assert wire_frame(ARP, parse_auxdata(anc(status=0, length=1))) == ARP
