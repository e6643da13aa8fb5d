"""HPACK header compression (RFC 7541) for one HTTP/2 client connection.

:class:`Decoder` reads the server's header blocks in full: indexed fields,
literals with and without indexing, Huffman-coded strings, the dynamic table
and its size updates (never above what we announced). Its state lives as
long as the connection, so every block the server sends is decoded in
order, even one for a stream we no longer read.

:func:`encode` writes our request headers as literals that never touch the
dynamic table (no state to keep on our side; the ``authorization`` value as
"never indexed", so that no intermediary stores it). Names and values are
``str`` holding octets (latin-1), as HTTP/2 carries them.
"""

from __future__ import annotations

from collections import deque

from cni.wire import huffman

#: RFC 7541 Appendix A; index 1 is STATIC[0]
STATIC: tuple[tuple[str, str], ...] = (
    (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"), (":path", "/index.html"),
    (":scheme", "http"), (":scheme", "https"), (":status", "200"), (":status", "204"), (":status", "206"),
    (":status", "304"), (":status", "400"), (":status", "404"), (":status", "500"), ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""), ("accept", ""),
    ("access-control-allow-origin", ""), ("age", ""), ("allow", ""), ("authorization", ""),
    ("cache-control", ""), ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""),
    ("content-length", ""), ("content-location", ""), ("content-range", ""), ("content-type", ""),
    ("cookie", ""), ("date", ""), ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""),
    ("if-match", ""), ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""),
    ("if-unmodified-since", ""), ("last-modified", ""), ("link", ""), ("location", ""), ("max-forwards", ""),
    ("proxy-authenticate", ""), ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""),
    ("retry-after", ""), ("server", ""), ("set-cookie", ""), ("strict-transport-security", ""),
    ("transfer-encoding", ""), ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
)  # fmt: skip
ENTRY_OVERHEAD = 32  # octets an entry counts beyond its name and value (section 4.1)
DEFAULT_TABLE_SIZE = 4096
SENSITIVE = frozenset({"authorization"})


class HpackError(ValueError):
    """A header block that cannot be decoded: the connection is unusable."""


def _int(data: bytes, pos: int, prefix: int) -> tuple[int, int]:
    """The integer at ``pos`` with a ``prefix``-bit prefix (section 5.1)."""
    mask = (1 << prefix) - 1
    value = data[pos] & mask
    pos += 1
    if value < mask:
        return value, pos
    shift = 0
    while True:
        if pos >= len(data):
            raise HpackError("truncated integer")
        b = data[pos]
        pos += 1
        value += (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
        if shift > 28:
            raise HpackError("integer too large")


def _string(data: bytes, pos: int) -> tuple[str, int]:
    if pos >= len(data):
        raise HpackError("truncated string")
    coded = data[pos] & 0x80
    n, pos = _int(data, pos, 7)
    if n > len(data) - pos:
        raise HpackError(f"string of {n} octets, {len(data) - pos} left")
    raw = data[pos : pos + n]
    if coded:
        try:
            raw = huffman.decode(raw)
        except huffman.HuffmanError as e:
            raise HpackError(f"Huffman string: {e}") from None
    return raw.decode("latin-1"), pos + n


class Decoder:
    def __init__(self, *, table_size: int = DEFAULT_TABLE_SIZE, max_list: int = 64 * 1024) -> None:
        self.limit = table_size  # what we announced (SETTINGS_HEADER_TABLE_SIZE)
        self.max_size = table_size  # what the encoder chose, at most the limit
        self.max_list = max_list
        self._table: deque[tuple[str, str]] = deque()  # newest first
        self._size = 0

    def _entry(self, index: int) -> tuple[str, str]:
        if 1 <= index <= len(STATIC):
            return STATIC[index - 1]
        dyn = index - len(STATIC) - 1
        if 0 <= dyn < len(self._table):
            return self._table[dyn]
        raise HpackError(f"index {index} is in neither table (dynamic holds {len(self._table)})")

    def _evict(self, room: int = 0) -> None:
        while self._table and self._size + room > self.max_size:
            name, value = self._table.pop()
            self._size -= len(name) + len(value) + ENTRY_OVERHEAD

    def _add(self, name: str, value: str) -> None:
        size = len(name) + len(value) + ENTRY_OVERHEAD
        self._evict(size)
        if size <= self.max_size:  # larger than the table: it empties the table (section 4.4)
            self._table.appendleft((name, value))
            self._size += size

    def decode(self, block: bytes) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        listed = 0
        pos = 0
        while pos < len(block):
            b = block[pos]
            if b & 0x80:  # indexed field
                index, pos = _int(block, pos, 7)
                name, value = self._entry(index)
            elif b & 0xE0 == 0x20:  # dynamic table size update
                if headers:
                    raise HpackError("a table size update after a field")
                size, pos = _int(block, pos, 5)
                if size > self.limit:
                    raise HpackError(f"table size {size} above the {self.limit} announced")
                self.max_size = size
                self._evict()
                continue
            else:  # literal: with incremental indexing (01), without (0000) or never indexed (0001)
                indexing = b & 0xC0 == 0x40
                index, pos = _int(block, pos, 6 if indexing else 4)
                if index:
                    name = self._entry(index)[0]
                else:
                    name, pos = _string(block, pos)
                value, pos = _string(block, pos)
                if indexing:
                    self._add(name, value)
            listed += len(name) + len(value) + ENTRY_OVERHEAD
            if listed > self.max_list:
                raise HpackError(f"header list above {self.max_list} octets")
            headers.append((name, value))
        return headers


def _literal(value: str) -> bytes:
    raw = value.encode("latin-1")
    return _prefixed(len(raw), 7, 0) + raw


def _prefixed(value: int, prefix: int, flags: int) -> bytes:
    mask = (1 << prefix) - 1
    if value < mask:
        return bytes([flags | value])
    out = bytearray([flags | mask])
    value -= mask
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def encode(headers: list[tuple[str, str]]) -> bytes:
    """Literals with a literal name, without indexing (never indexed for
    :data:`SENSITIVE` names)."""
    out = bytearray()
    for name, value in headers:
        out.append(0x10 if name in SENSITIVE else 0x00)
        out += _literal(name) + _literal(value)
    return bytes(out)
