"""`python -m bench NAME|all [--json FILE]`: run benchmarks, print a table and JSON.

Benchmarks print numbers; they never fail on timing. Correctness checks inside
them do fail (exit 1). Compare ratios from one run: the machine is noisy.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
from typing import Any

#: name -> (module, function(quick: bool) -> results dict with a "table" of lines)
BENCHMARKS = {
    "attach-latency": ("bench.attach", "run_latency"),
    "attach-throughput": ("bench.attach", "run_throughput"),
    "burst": ("bench.burst", "run"),  # 128 attaches at once on one leaf with 20 ms commits, coalescing vs naive
    "discovery": ("bench.discovery", "run"),
    "lldp-flood": ("bench.lldpflood", "run"),
    "emulators": ("bench.emulators", "run"),
    "labup": ("bench.labup", "run"),  # root: fabric-lab up on the Linux dataplane to a converged underlay
    "render": ("bench.render", "run"),
    "resync": ("bench.resync", "run"),
    "scale": ("bench.scale", "run"),
    "vlan": ("bench.vlan", "run"),  # root: the userspace 802.1Q tagger against a plain veth
    "cni": ("bench.cni", "run"),  # root: fabric-cni's start-up overhead and ADD/DEL wall time
    "ha": ("bench.ha", "run"),  # fabricd on a 3-member etcd: failover, attach latency vs SQLite, restart
    "cni-bundle": ("bench.bundle", "run"),  # the PyInstaller fabric-cni: size, glibc floor, VERSION start-up
    "readiness": ("bench.readiness", "run"),  # root: attach at committed vs forwarding on real FRR; EVPN fault
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("name", choices=[*BENCHMARKS, "all"])
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    args = p.parse_args(argv)
    names = list(BENCHMARKS) if args.name == "all" else [args.name]
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": _cpus(), "platform": platform.platform()},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    ok = True
    for name in names:
        module_name, fn = BENCHMARKS[name]
        module = importlib.import_module(module_name)
        t0 = time.perf_counter()
        res = getattr(module, fn)(quick=args.quick)
        res["wall_s"] = round(time.perf_counter() - t0, 1)
        results[name] = res
        ok = ok and res.get("checks_ok", True)
        print(f"\n== {name} ({res['wall_s']} s)")
        for row in res.get("table", []):
            print("  " + row)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    print(json.dumps({k: v for k, v in results.items() if k != "machine"}, default=str)[:4000])
    return 0 if ok else 1


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    sys.exit(main())
