"""cni.wire's HPACK decoder against an independent encoder (the ``hpack``
package, python-hyper's, a test dependency): random header lists over many
blocks of one connection, with and without Huffman coding, indexing (the
dynamic table filling, evicting and resized) and never-indexed literals;
its static table and Huffman code as RFC 7541 has them; and what a hostile
server could send, which fails only as HpackError, within bounds."""

from __future__ import annotations

import contextlib

import hpack as ref
import pytest
from hpack.huffman import HuffmanEncoder
from hpack.huffman_constants import REQUEST_CODES, REQUEST_CODES_LENGTH
from hpack.table import HeaderTable
from hypothesis import given, settings
from hypothesis import strategies as st

from cni.wire import hpack, huffman

names = st.sampled_from([":status", "content-type", "grpc-status", "grpc-message", "x-a", "x-b", "user-agent"])
values = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=255), max_size=300)
blocks = st.lists(
    st.tuples(
        st.lists(st.tuples(names | st.text(alphabet="abcdefgh-", min_size=1, max_size=20), values), max_size=10),
        st.booleans(),  # Huffman
        st.sampled_from([None, 0, 64, 256, 4096]),  # a table size the encoder moves to first
    ),
    max_size=15,
)


@settings(max_examples=300)
@given(blocks)
def test_blocks_of_one_connection_decode_as_encoded(seq):
    enc, dec = ref.Encoder(), hpack.Decoder()
    for headers, huff, size in seq:
        if size is not None:
            enc.header_table_size = size
        encoded = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in headers]
        assert dec.decode(enc.encode(encoded, huffman=huff)) == headers
    assert dec._size <= dec.max_size


def test_never_indexed_and_sensitive_fields():
    enc, dec = ref.Encoder(), hpack.Decoder()
    secret = ref.NeverIndexedHeaderTuple("authorization", "Bearer x")
    assert dec.decode(enc.encode([secret, ("a", "b")])) == [("authorization", "Bearer x"), ("a", "b")]
    assert dec._table[0] == ("a", "b")  # only the indexable one entered the table


@given(st.lists(st.tuples(st.text(alphabet="abc-:", min_size=1, max_size=30), values), max_size=10))
def test_what_we_encode_the_reference_decodes(headers):
    out = ref.Decoder().decode(hpack.encode(headers), raw=True)
    assert [(n.decode("latin-1"), v.decode("latin-1")) for n, v in out] == headers


def test_the_static_table_and_huffman_code_are_rfc_7541s():
    assert tuple((n.decode(), v.decode()) for n, v in HeaderTable.STATIC_TABLE) == hpack.STATIC
    assert list(huffman.LENGTHS) == list(REQUEST_CODES_LENGTH)
    enc = HuffmanEncoder(REQUEST_CODES, REQUEST_CODES_LENGTH)
    every = bytes(range(256)) * 3
    assert huffman.decode(enc.encode(every)) == every


@pytest.mark.parametrize(
    ("block", "why"),
    [
        (b"\x80", "index 0"),
        (b"\xbf\x80\x01", "neither table"),  # index 190, dynamic table empty
        (b"\x3f\xe2\x1f", "4097 above the 4096 announced"),  # a size update to 31 + 98 + (31 << 7)
        (b"\x82\x20", "after a field"),
        (b"\x00\x85\xff\xff\xff\xff\xff\x00", "EOS"),  # a name of five 0xff octets: 30 ones is EOS
        (b"\x00\x81\x00\x00", "padding"),  # Huffman '0' (00000) then padding of zeros
        (b"\x00\x05ab", "string of 5 octets"),
        (b"\x7f\xff\xff\xff\xff\xff\x01", "integer too large"),
        (b"\x00", "truncated string"),
    ],
)
def test_broken_blocks_are_named(block, why):
    with pytest.raises(hpack.HpackError, match=why):
        hpack.Decoder().decode(block)


def test_the_header_list_is_bounded():
    big = ref.Encoder().encode([("x-" + str(i), "v" * 1000) for i in range(80)], huffman=False)
    with pytest.raises(hpack.HpackError, match="header list above"):
        hpack.Decoder(max_list=64 * 1024).decode(big)


@settings(max_examples=1000)
@given(st.binary(max_size=100))
def test_hostile_blocks_fail_only_as_hpack_errors(block):
    with contextlib.suppress(hpack.HpackError):
        hpack.Decoder().decode(block)
