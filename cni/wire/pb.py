"""Protocol buffers' wire format (proto3), enough for fabric-cni's messages.

Encoding: one function per field kind, each returning the field's bytes (a
proto3 scalar at its default value is not written; a present sub-message is,
even when empty); a message is the concatenation of its fields.

Decoding: :func:`parse` reads a message into :class:`Fields`, keyed by field
number, and the typed getters check the wire type. As protobuf does, the
last value of a scalar wins, repeated sub-messages of one field merge, and
unknown fields are skipped. A malformed message raises :class:`DecodeError`.
"""

from __future__ import annotations

VARINT, I64, LEN, I32 = 0, 1, 2, 5
_MASK64 = (1 << 64) - 1


class DecodeError(ValueError):
    """The bytes are not the protobuf message they claim to be."""


def varint(n: int) -> bytes:
    n &= _MASK64  # negative int32/int64 take ten bytes, as protobuf writes them
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return varint(field << 3 | wire)


def uint(field: int, value: int) -> bytes:
    """A uint32/uint64/enum/bool field."""
    return _key(field, VARINT) + varint(value) if value else b""


def string(field: int, value: str) -> bytes:
    return length_delimited(field, value.encode()) if value else b""


def length_delimited(field: int, body: bytes) -> bytes:
    """A sub-message (always written: presence matters) or bytes."""
    return _key(field, LEN) + varint(len(body)) + body


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise DecodeError("truncated varint")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result & _MASK64, pos
        shift += 7
        if shift >= 70:
            raise DecodeError("varint longer than 10 bytes")


class Fields:
    """A parsed message: each field number's values, in order, with their wire type."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[int, list[tuple[int, int | bytes]]]) -> None:
        self._values = values

    def _all(self, field: int, wire: int) -> list[int | bytes]:
        out = []
        for w, v in self._values.get(field, ()):
            if w != wire:
                raise DecodeError(f"field {field}: wire type {w}, expected {wire}")
            out.append(v)
        return out

    def uint(self, field: int) -> int:
        values = self._all(field, VARINT)
        return int(values[-1]) if values else 0

    def bool(self, field: int) -> bool:
        return self.uint(field) != 0

    def bytes(self, field: int) -> bytes:
        values = self._all(field, LEN)
        return bytes(values[-1]) if values else b""

    def str(self, field: int) -> str:
        try:
            return self.bytes(field).decode()
        except UnicodeDecodeError:
            raise DecodeError(f"field {field}: a string that is not UTF-8") from None

    def msg(self, field: int) -> Fields:
        """The sub-message (all occurrences merged; empty when absent)."""
        return parse(b"".join(bytes(v) for v in self._all(field, LEN)))

    def msgs(self, field: int) -> list[Fields]:
        return [parse(bytes(v)) for v in self._all(field, LEN)]


def parse(data: bytes) -> Fields:
    values: dict[int, list[tuple[int, int | bytes]]] = {}
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise DecodeError("field number 0")
        value: int | bytes
        if wire == VARINT:
            value, pos = _read_varint(data, pos)
        elif wire == LEN:
            n, pos = _read_varint(data, pos)
            if n > len(data) - pos:
                raise DecodeError(f"field {field}: {n} bytes announced, {len(data) - pos} left")
            value, pos = data[pos : pos + n], pos + n
        elif wire in (I64, I32):
            n = 8 if wire == I64 else 4
            if n > len(data) - pos:
                raise DecodeError(f"field {field}: truncated fixed{n * 8}")
            value, pos = int.from_bytes(data[pos : pos + n], "little"), pos + n
        else:
            raise DecodeError(f"field {field}: wire type {wire} (groups are not proto3)")
        values.setdefault(field, []).append((wire, value))
    return Fields(values)
