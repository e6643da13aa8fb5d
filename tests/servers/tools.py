"""Where ``make tools`` put the built servers (scripts/tools.py is the one
place that knows the layout)."""

from __future__ import annotations

import importlib.util
import shutil
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("fabricd_tools", ROOT / "scripts" / "tools.py")
assert _spec is not None and _spec.loader is not None
_tools = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tools)


def tool(name: str) -> Path:
    """A built tool; a clear failure (not a skip: make test builds them) when missing."""
    path: Path = _tools.tool_path(name)
    if not path.exists():
        raise AssertionError(f"{name} is not built at {path}: run `make tools` (make test does)")
    return path


def versions() -> dict[str, str]:
    return dict(_tools.versions())


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (bound and released: good enough for tests)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require(binary: str) -> str:
    found = shutil.which(binary)
    if not found:
        raise AssertionError(f"{binary} is not installed")
    return found
