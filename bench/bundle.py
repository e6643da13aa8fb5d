"""The bundled fabric-cni (``make plugin``: PyInstaller --onedir) against the
venv's console script: size on disk, files, the oldest glibc it needs, and
start-up time of ``CNI_COMMAND=VERSION`` (which imports no grpc: the
interpreter and the plugin's entry).

    python -m bench cni-bundle [--quick]

Numbers only: the first run of each is reported apart (cold page cache for
a bundle just built is not guaranteed: it says "first"), then the median and
p90 of the rest."""

from __future__ import annotations

import importlib.util
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = str(Path(sys.executable).parent / "fabric-cni")


def nodeimage() -> Any:
    """scripts/nodeimage.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("fabricd_nodeimage", ROOT / "scripts" / "nodeimage.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _times(exe: str, n: int) -> list[float]:
    env = {**os.environ, "CNI_COMMAND": "VERSION"}
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        p = subprocess.run([exe], env=env, capture_output=True, check=False)
        out.append((time.perf_counter() - t0) * 1000)
        if p.returncode != 0 or b"supportedVersions" not in p.stdout:
            raise SystemExit(f"{exe}: VERSION failed: {p.stdout[:200]!r} {p.stderr[:200]!r}")
    return out


def _size(d: Path) -> tuple[int, int]:
    files = [f for f in d.rglob("*") if f.is_file() and not f.is_symlink()]
    return sum(f.stat().st_size for f in files), len(files)


def run(quick: bool = False) -> dict[str, Any]:
    ni = nodeimage()
    plugin = Path(ni.build_plugin())
    n = 5 if quick else 30
    size, files = _size(plugin)
    res: dict[str, Any] = {"bundle": str(plugin), "bundle_bytes": size, "bundle_files": files}
    res["glibc_floor"] = ni.glibc_floor(plugin)
    table = [f"bundle: {size / 1e6:.1f} MB in {files} files, needs glibc >= {res['glibc_floor'].split('_')[1]}"]
    for name, exe in (("bundle", str(plugin / "fabric-cni")), ("script", SCRIPT)):
        t = _times(exe, n + 1)
        rest = sorted(t[1:])
        res[name] = {"first_ms": round(t[0], 1), "median_ms": round(statistics.median(rest), 1),
                     "p90_ms": round(rest[int(len(rest) * 0.9) - 1], 1)}  # fmt: skip
        r = res[name]
        table.append(f"VERSION {name}: median {r['median_ms']} ms, p90 {r['p90_ms']} ms (first {r['first_ms']} ms)")
    res["table"] = table
    return res
