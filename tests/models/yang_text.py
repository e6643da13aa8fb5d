"""YANG strings as YANG reads them (RFC 7950 6.1.3), for comparing the
``must`` expressions of fabricd's deviation module with Nokia's: a
double-quoted string loses, on each continuation line, the indentation up to
and including its opening quote's column and each line's trailing
whitespace; escapes are resolved; ``+`` concatenates; single quotes keep
everything."""

from __future__ import annotations

import re
from pathlib import Path

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _double(text: str, i: int) -> tuple[str, int]:
    """The value of the double-quoted string whose quote is at ``i``, and the index after it."""
    column = i - (text.rfind("\n", 0, i) + 1)
    j, raw = i + 1, []
    while text[j] != '"':
        if text[j] == "\\":
            raw.append(_ESCAPES[text[j + 1]])
            j += 2
        else:
            raw.append(text[j])
            j += 1
    lines = "".join(raw).split("\n")
    out = []
    for k, raw_line in enumerate(lines):
        text_line = raw_line
        if k:
            n = 0
            while n < len(raw_line) and n <= column and raw_line[n] in " \t":
                n += 1
            text_line = raw_line[n:]
        out.append(text_line.rstrip(" \t") if k < len(lines) - 1 else text_line)
    return "\n".join(out), j + 1


def string_at(text: str, i: int) -> tuple[str, int]:
    """The (possibly concatenated) YANG string starting at or after ``i``."""
    parts = []
    while True:
        while text[i] in " \t\r\n":
            i += 1
        if text[i] == "'":
            j = text.index("'", i + 1)
            parts.append(text[i + 1 : j])
            i = j + 1
        elif text[i] == '"':
            value, i = _double(text, i)
            parts.append(value)
        else:
            raise ValueError(f"no YANG string at {text[i : i + 30]!r}")
        k = i
        while text[k] in " \t\r\n":
            k += 1
        if text[k] != "+":
            return "".join(parts), i
        i = k + 1


def musts(text: str) -> list[tuple[str, str | None]]:
    """Every ``must`` of a YANG text: (expression, error-message or None)."""
    out = []
    for m in re.finditer(r"\bmust\s+(?=['\"])", text):
        expression, end = string_at(text, m.end())
        message = None
        tail = re.match(r"\s*\{\s*error-message\s+", text[end : end + 200])
        if tail:
            message, _ = string_at(text, end + tail.end())
        out.append((expression, message))
    return out


def nokia_musts(root: Path) -> dict[str, set[str]]:
    """Every expression of Nokia's models -> the error-messages it is given."""
    out: dict[str, set[str]] = {}
    for yang in (root / "srl_nokia" / "models").rglob("*.yang"):
        for expression, message in musts(yang.read_text()):
            out.setdefault(expression, set())
            if message is not None:
                out[expression].add(message)
    return out
