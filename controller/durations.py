"""Durations in settings files: ``10s``, ``500ms``, ``5m``, ``1h`` or seconds."""

from __future__ import annotations

import re

_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: object) -> float:
    """Seconds; raises ValueError saying why (the caller names field and value)."""
    if isinstance(value, bool):
        raise ValueError("is not a duration (e.g. 10s, 500ms, 5m)")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("is negative")
        return float(value)
    m = _RE.match(str(value))
    if not m:
        raise ValueError("is not a duration (e.g. 10s, 500ms, 5m)")
    return float(m.group(1)) * _UNIT[m.group(2)]
