"""The userspace 802.1Q tagger against a plain veth, in one run (root).

    python -m bench vlan [--quick]

Two namespaces joined by a veth pair with a tagger in each
(:func:`labs.dataplane.testbed.trunk_pair`). The same wire carries an untagged
subnet on the veth itself (the baseline) and VLAN 10 through the taggers'
taps. Measured: ping round trip (``ping -i 0.01``) and a TCP transfer of
4 MiB (checked by SHA-256), tagger and baseline, and their ratio. Numbers
only; a transfer that arrives corrupted fails the run.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import statistics
import tempfile
from pathlib import Path
from typing import Any

from labs.dataplane import testbed


def _ping_ms(ns: str, dst: str, count: int) -> dict[str, float]:
    out = testbed.run(["ping", "-n", "-q", "-c", str(count), "-i", "0.01", dst], netns=ns)
    m = re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms", out)
    if not m:
        raise RuntimeError(f"ping {dst}: no summary in {out!r}")
    return {"min": float(m.group(1)), "avg": float(m.group(2)), "max": float(m.group(3))}


def _transfer(pair: testbed.TrunkPair, dst: str, size: int, runs: int) -> tuple[float, bool]:
    """(median MB/s, every copy intact) of ``runs`` transfers B -> A."""
    want = hashlib.sha256(random.Random(7).randbytes(size)).hexdigest()
    rates, intact = [], True
    for _ in range(runs):
        got = testbed.tcp_transfer(pair.b, pair.a, dst, size)
        intact = intact and got["sha256"] == want and got["bytes"] == size
        rates.append(size / got["seconds"] / 1e6)
    return statistics.median(rates), intact


def run(quick: bool = False) -> dict[str, Any]:
    if os.geteuid() != 0:
        return {"skipped": "needs root (network namespaces)", "table": ["skipped: needs root"]}
    pings, size, runs = (10, 1 << 20, 1) if quick else (100, 4 << 20, 3)
    with tempfile.TemporaryDirectory(prefix=testbed.run_prefix()) as tmp, testbed.trunk_pair(Path(tmp)) as pair:
        testbed.ip("addr", "add", "10.99.0.1/24", "dev", "trunk-a", netns=pair.a)
        testbed.ip("addr", "add", "10.99.0.2/24", "dev", "trunk-b", netns=pair.b)
        tap_a = pair.tagger_a.client().ensure("trunk-a", 10)
        tap_b = pair.tagger_b.client().ensure("trunk-b", 10)
        testbed.ip("addr", "add", "10.10.0.1/24", "dev", tap_a, netns=pair.a)
        testbed.ip("addr", "add", "10.10.0.2/24", "dev", tap_b, netns=pair.b)
        for dst in ("10.99.0.2", "10.10.0.2"):  # ARP and the first frames
            testbed.run(["ping", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "2", dst], netns=pair.a)
        ping_veth = _ping_ms(pair.a, "10.99.0.2", pings)
        ping_tagged = _ping_ms(pair.a, "10.10.0.2", pings)
        rate_veth, ok_veth = _transfer(pair, "10.99.0.2", size, runs)
        rate_tagged, ok_tagged = _transfer(pair, "10.10.0.2", size, runs)
        stats = pair.tagger_b.client().stats()["trunk-b"]
    mib = size >> 20
    return {
        "ping_ms": {"veth": ping_veth, "tagger": ping_tagged},
        "transfer_mb_s": {"veth": round(rate_veth, 1), "tagger": round(rate_tagged, 1)},
        "ping_ratio": round(ping_tagged["avg"] / ping_veth["avg"], 1),
        "transfer_ratio": round(rate_tagged / rate_veth, 3),
        "tagger_b_drops": {k: stats[k] for k in ("tx_dropped", "rx_truncated", "errors")},
        "checks_ok": ok_veth and ok_tagged,
        "table": [
            f"ping min/avg (n={pings}): veth {ping_veth['min']:.3f}/{ping_veth['avg']:.3f} ms"
            f"   tagger {ping_tagged['min']:.3f}/{ping_tagged['avg']:.3f} ms",
            f"TCP {mib} MiB (median of {runs}): veth {rate_veth:.1f} MB/s   tagger {rate_tagged:.1f} MB/s"
            f"   ({rate_tagged / rate_veth:.1%} of veth)",
            f"copies intact: {ok_veth and ok_tagged}",
        ],
    }
