"""Golden files: compare text against a file; FABRIC_REGEN_GOLDEN=1 rewrites it.

`make golden` regenerates every golden file; review the diff before committing.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parent / "golden"


def regenerating() -> bool:
    return os.environ.get("FABRIC_REGEN_GOLDEN") == "1"


def check_text(path: Path, actual: str) -> None:
    if regenerating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
        return
    assert path.exists(), f"golden file {path} is missing: run `make golden` and review it"
    expected = path.read_text()
    if expected != actual:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"{path} (golden)",
                tofile="actual",
            )
        )
        raise AssertionError(f"output differs from {path}:\n{diff}")


def check_json(path: Path, actual: Any) -> None:
    check_text(path, json.dumps(actual, indent=2, sort_keys=True) + "\n")
