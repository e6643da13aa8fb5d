"""Golden files under ``tests/golden/labs/`` (see tests/golden_util.py)."""

from __future__ import annotations

from tests.golden_util import GOLDEN, check_text


def check_golden(name: str, text: str) -> None:
    check_text(GOLDEN / "labs" / name, text)
