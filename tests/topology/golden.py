"""Golden files under ``tests/golden/topology/``.

``FABRIC_REGEN_GOLDEN=1 pytest tests/topology`` (or ``make golden``) rewrites
them; review the diff before committing. A mismatch fails with a unified diff.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "topology"


def regenerating() -> bool:
    return os.environ.get("FABRIC_REGEN_GOLDEN", "") not in ("", "0")


def assert_golden(relpath: str, actual: str) -> None:
    path = GOLDEN / relpath
    if regenerating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
        return
    if not path.exists():
        pytest.fail(f"golden file {path} is missing: run with FABRIC_REGEN_GOLDEN=1 to create it")
    expected = path.read_text()
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"golden/{relpath}",
                tofile="actual",
            )
        )
        pytest.fail(
            f"output differs from golden/{relpath} (FABRIC_REGEN_GOLDEN=1 rewrites it):\n{diff}",
            pytrace=False,
        )
