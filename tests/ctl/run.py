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


async def eventually(check: Any, *, within: float = 30.0, what: str = "") -> Any:
    """Wait for a condition with a generous deadline (as tests/controller/fabric.py,
    which needs the emulator to import)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(0.05)
    raise AssertionError(f"not true within {within}s: {what or check}")


def attach_req(
    pod: str, network: str = "blue", *, node: str = "server1", nic: str = "eth1", container: str = "c1"
) -> Any:
    """An AttachRequest as fabric-cni sends it."""
    from proto.fabric.v1 import fabric_pb2

    return fabric_pb2.AttachRequest(
        id=fabric_pb2.AttachmentId(
            pod_namespace="default",
            pod_name=pod,
            pod_uid=f"{pod}-uid",
            network=fabric_pb2.NetworkRef(namespace="default", name=network),
            interface="net1",
        ),
        container_id=container,
        node=node,
        nic=nic,
    )
