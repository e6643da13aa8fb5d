"""Printing: aligned tables for people, JSON and YAML for programs.

JSON and YAML print the same plain data (lists as arrays, enum values in
lower case, times as RFC 3339 UTC strings or null); tables are for reading.
"""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO


def table(header: Sequence[str], rows: Sequence[Sequence[object]], *, empty: str = "") -> str:
    if not rows and empty:
        return empty + "\n"
    cells = [[str(c) for c in header], *([("-" if c in ("", None) else str(c)) for c in r] for r in rows)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines) + "\n"


def dump(data: Any, fmt: str) -> str:
    if fmt == "yaml":
        import yaml

        return str(yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True))
    return json.dumps(data, indent=2) + "\n"


def emit(text: str, stream: TextIO | None = None) -> None:
    (stream or sys.stdout).write(text)
    (stream or sys.stdout).flush()


def ts(seconds: int, nanos: int = 0) -> str | None:
    """A protobuf Timestamp as RFC 3339 (None when unset)."""
    if not seconds and not nanos:
        return None
    t = datetime.datetime.fromtimestamp(seconds + nanos / 1e9, tz=datetime.UTC)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ago(seconds: int, now: float) -> str:
    """``12s ago``, ``3m ago``, ``never``."""
    if not seconds:
        return "never"
    delta = max(0, int(now - seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if delta >= size:
            return f"{delta // size}{unit} ago"
    return f"{delta}s ago"
