"""fabricd-front for tests: built from front/ as it is (scripts/front.py build, cached by the sources'
hash), and the settings that make a fabricd use it or grpc.aio."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
FRONT_ENDS = ("python", "go")


@functools.cache
def _build() -> tuple[int, str, str]:
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "front.py"), "build"],
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return run.returncode, run.stdout.strip(), run.stderr.strip()


def front_binary() -> Path:
    """The binary; the test skips, saying why, where there is no Go toolchain."""
    code, out, err = _build()
    if code == 3:
        pytest.skip(f"fabricd-front cannot be built here: {err}")
    assert code == 0, err
    return Path(out)


def front_api(front_end: str, **api: Any) -> dict[str, Any]:
    """``api`` settings served by ``front_end`` (``go``: this checkout's fabricd-front, whatever is installed)."""
    if front_end == "go":
        return {"front_end": "go", "front_end_binary": str(front_binary()), **api}
    return {"front_end": front_end, **api}
