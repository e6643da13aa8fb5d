"""The emulator host process (the contract in ``labs/files/spec.py``)::

    python -m labs.emulator.host_process --specs SPECS.json --ready READY.json

Starts every switch of SPECS.json (``specs_to_json`` output) and the admin
service on its ``admin`` address, then writes READY.json atomically:
``{"pid": N, "switches": {"sw1": "127.0.0.1:PORT", ...}, "admin": ADDRESS}``.
Serves until SIGTERM (or SIGINT), stops everything and exits 0. A start-up
failure exits non-zero with the reason on stderr and no READY file.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from labs.emulator.errors import EmulatorError
from labs.emulator.host import EmulatorHost
from labs.files.spec import SwitchSpec, specs_from_json

log = logging.getLogger("labs.emulator.host_process")


def write_ready(path: Path, doc: dict[str, Any]) -> None:
    """Write a JSON file atomically (temp file in the same directory, fsync, rename)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, indent=2, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


async def serve(specs: list[SwitchSpec], admin: str, ready: Path) -> int:
    try:
        host = await EmulatorHost.create(specs, admin=admin)
    except EmulatorError as err:
        sys.stderr.write(f"emulator host: {err}\n")
        return 1
    # the switches' start-up objects (grpc, protobuf, every day-0 tree) go where the
    # collector no longer walks them, before anyone is told the host is ready: its full
    # collections paused every switch of the host mid-burst, a pause no real switch has
    gc.collect()
    gc.freeze()
    try:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            write_ready(ready, {"pid": os.getpid(), "switches": host.addresses, "admin": host.admin_address})
        except OSError as err:
            sys.stderr.write(f"emulator host: cannot write {ready}: {err}\n")
            return 1
        log.info("ready: %d switches, admin on %s", len(host), host.admin_address)
        await stop.wait()
        log.info("stopping")
    finally:
        await host.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m labs.emulator.host_process",
        description="Serve one gNMI switch emulator per spec (the host process of labs/files/spec.py).",
    )
    p.add_argument("--specs", required=True, type=Path, help="specs_to_json output")
    p.add_argument("--ready", required=True, type=Path, help="written once every switch listens")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    args = p.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    try:
        specs, admin = specs_from_json(args.specs.read_text())
    except (OSError, ValueError, KeyError, TypeError) as err:
        sys.stderr.write(f"emulator host: cannot read {args.specs}: {type(err).__name__}: {err}\n")
        return 2
    return asyncio.run(serve(specs, admin, args.ready))


if __name__ == "__main__":
    sys.exit(main())
