#!/usr/bin/env python3
"""Build fabricd-front (front/, fabricd's API front end in Go) and install it
beside a virtual environment's Python, where fabricd looks for it.

    scripts/front.py build [DIR NAME] build into the cache, print the binary's path (exit 3: no Go)
    scripts/front.py install [VENV]   build, then copy into VENV/bin (default .venv)

The binary is cached in ~/.cache/fabricd/build (FABRIC_BUILD_CACHE), keyed by
a hash of its sources; a cold build downloads grpc-go from the Go module
proxy (~1 minute). ``build DIR NAME`` builds another Go module of the
checkout the same way (the bench's grpc-go floor server, bench/floorgo).
Without a Go toolchain, install says so and leaves fabricd on grpc.aio
(``api.front_end: auto``); exit status 0.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from nodeimage import cache  # the build cache the plugin's bundle shares (this script's directory is on sys.path)

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "front"
NAME = "fabricd-front"
BUILD_TIMEOUT = 900.0  # s: a cold module cache on a slow proxy


class NoToolchain(Exception):
    pass


def source_digest(source: Path = SOURCE) -> str:
    digest = hashlib.sha256()
    for path in sorted(source.iterdir()):
        if path.suffix == ".go" or path.name in ("go.mod", "go.sum"):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def build(source: Path = SOURCE, name: str = NAME) -> Path:
    """The binary of the Go module in ``source`` as it is, built if the cache
    has none. Raises NoToolchain without ``go``, CalledProcessError when the
    build fails (go's messages on stderr)."""
    binary = cache() / f"{name}-{source_digest(source)}" / name
    if binary.exists():
        return binary
    if shutil.which("go") is None:
        raise NoToolchain("no Go toolchain (go) on PATH")
    partial = binary.parent.with_name(binary.parent.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # a build that did not finish
    partial.mkdir(parents=True)
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=readonly -modcacherw -buildvcs=false"}
    subprocess.run(
        ["go", "build", "-trimpath", "-o", str(partial / name), "."],
        cwd=source,
        env=env,
        check=True,
        timeout=BUILD_TIMEOUT,
    )
    shutil.rmtree(binary.parent, ignore_errors=True)
    partial.rename(binary.parent)
    return binary


def install(venv: Path) -> int:
    try:
        binary = build()
    except NoToolchain as e:
        print(f"front: {e}: fabricd serves its API from Python (api.front_end: auto)", file=sys.stderr)
        return 0
    target = venv / "bin" / NAME
    if target.exists() and target.read_bytes() == binary.read_bytes():
        return 0
    partial = target.with_name(NAME + ".partial")
    shutil.copy2(binary, partial)
    partial.replace(target)
    print(f"front: installed {target}")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["build"] and len(argv) in (1, 3):
        try:
            print(build(*((ROOT / argv[1], argv[2]) if len(argv) == 3 else ())))
        except NoToolchain as e:
            print(f"front: {e}", file=sys.stderr)
            return 3
        return 0
    if argv[:1] == ["install"] and len(argv) <= 2:
        return install(Path(argv[1] if len(argv) == 2 else ".venv"))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
