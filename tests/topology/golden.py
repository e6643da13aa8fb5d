"""Golden files under ``tests/golden/topology/`` (see tests/golden_util.py)."""

from __future__ import annotations

from tests.golden_util import GOLDEN, check_text


def assert_golden(relpath: str, actual: str) -> None:
    check_text(GOLDEN / "topology" / relpath, actual)
