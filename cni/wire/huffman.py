"""HPACK's Huffman code (RFC 7541, section 5.2 and Appendix B), decoding only.

The code is canonical (codes of one length are consecutive, in symbol
order, and each length's first code follows the previous length's last), so
the code lengths below are the whole table: the codes are rebuilt from them
once, at import. Symbol 256 is EOS, which a string must never contain; a
string ends with fewer than 8 padding bits, all ones (EOS's prefix).
"""

from __future__ import annotations

EOS = 256

#: the code length in bits of each symbol 0..256 (RFC 7541 Appendix B)
LENGTHS = (
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,  # 0-15
    28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,  # 16-31
    6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,  # 32-47
    5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,  # 48-63
    13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,  # 64-79
    7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,  # 80-95
    15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,  # 96-111
    6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,  # 112-127
    20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,  # 128-143
    24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,  # 144-159
    22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,  # 160-175
    21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,  # 176-191
    26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,  # 192-207
    19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,  # 208-223
    20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,  # 224-239
    26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,  # 240-255
    30,  # 256 (EOS)
)  # fmt: skip


def _canonical() -> tuple[list[int], list[int], list[int], list[int]]:
    """(first code, count, offset into symbols) per length, and the symbols
    in code order."""
    symbols = sorted(range(EOS + 1), key=lambda s: (LENGTHS[s], s))
    longest = max(LENGTHS)
    count = [0] * (longest + 1)
    for length in LENGTHS:
        count[length] += 1
    first = [0] * (longest + 1)
    offset = [0] * (longest + 1)
    code = at = 0
    for length in range(1, longest + 1):
        code = (code + count[length - 1]) << 1
        first[length], offset[length] = code, at
        at += count[length]
    return first, count, offset, symbols


_FIRST, _COUNT, _OFFSET, _SYMBOLS = _canonical()
_LONGEST = len(_FIRST) - 1


class HuffmanError(ValueError):
    """Not a valid Huffman-coded string."""


def decode(data: bytes) -> bytes:
    out = bytearray()
    code = length = 0
    for byte in data:
        for shift in range(7, -1, -1):
            code = code << 1 | (byte >> shift) & 1
            length += 1
            index = code - _FIRST[length]
            if index < _COUNT[length]:
                symbol = _SYMBOLS[_OFFSET[length] + index]
                if symbol == EOS:
                    raise HuffmanError("EOS inside a string")
                out.append(symbol)
                code = length = 0
            elif length == _LONGEST:
                raise HuffmanError("no symbol has this code")
    if length > 7 or code != (1 << length) - 1:
        raise HuffmanError("the padding is not a prefix of EOS")
    return bytes(out)
