"""Running fabricctl from async tests: in-process (its real ``main`` in a
thread, so the test's event loop keeps serving the API) or as the installed
console script in a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
import os
import shutil
import sys
import threading
from pathlib import Path
from typing import Any

import yaml

from controller.ctl.main import main

BIN = Path(sys.executable).parent
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("FABRICCTL_")}


@dataclasses.dataclass
class Result:
    code: int
    out: str
    err: str
    raw: bytes = b""

    def json(self) -> Any:
        return json.loads(self.out)

    def yaml(self) -> Any:
        return yaml.safe_load(self.out)


_ONE_AT_A_TIME = threading.Lock()  # in-process runs redirect the one sys.stdout


def _run(argv: list[str]) -> Result:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.StringIO()
    with _ONE_AT_A_TIME, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
        out.flush()
    raw = out.buffer.getvalue()  # type: ignore[attr-defined]
    return Result(code=code, out=raw.decode(errors="replace"), err=err.getvalue(), raw=raw)


async def ctl(server: str, *args: str, tls: tuple[str, ...] = ()) -> Result:
    """``fabricctl --server SERVER [tls flags] ARGS...`` in-process."""
    return await asyncio.to_thread(_run, ["--server", server, *tls, *args])


def script() -> str:
    path = BIN / "fabricctl"
    found = str(path) if path.exists() else shutil.which("fabricctl")
    assert found, "fabricctl is not installed: pip install -e ."
    return found


async def ctl_proc(*args: str, env: dict[str, str] | None = None, within: float = 60) -> Result:
    """The installed console script in a subprocess (real exit codes)."""
    proc = await asyncio.create_subprocess_exec(
        script(),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**CLEAN_ENV, **(env or {})},
    )
    out, err = await asyncio.wait_for(proc.communicate(), within)
    assert proc.returncode is not None
    return Result(code=proc.returncode, out=out.decode(errors="replace"), err=err.decode(), raw=out)
