"""Golden files: compare, or rewrite them with FABRIC_UPDATE_GOLDEN=1."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("FABRIC_UPDATE_GOLDEN") == "1":
        path.write_text(text)
        return
    assert path.exists(), f"{path} missing: run with FABRIC_UPDATE_GOLDEN=1 and review it"
    want = path.read_text()
    if text != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), text.splitlines(True), str(path), "now"))
        raise AssertionError(
            f"{name} differs from the golden file (FABRIC_UPDATE_GOLDEN=1 rewrites it):\n{diff}"
        )
