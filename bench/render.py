"""render: the pure core's cost of one attach (state update + render of the
dirty keys + diff against the leaf's current objects), as the fabric and the
intent grow, for each platform renderer (``openconfig``, ``srlinux``) on the
same intent. Goal: work proportional to what changed, so each ratio < 2:

* 1,024 leaves vs 8 leaves (10,000 existing attachments), and
* 1,000,000 vs 10,000 existing attachments (64 leaves).
"""

from __future__ import annotations

import gc
import statistics
import time
from typing import Any

from models.fabric_state import FabricState
from models.ids import NicName, NodeName, PortName, SwitchName, Vni
from models.intent import Attachment, AttachmentId, Network, Placement
from models.platforms.base import LeafInfo, ObjectKey
from models.platforms.registry import renderer
from models.render import all_keys, plan_keys, render_keys
from models.settings import FabricSettings

PORTS = 48
NETWORKS = 2000
PLATFORMS = ("openconfig", "srlinux")


def _att(i: int, net: Network, node: str) -> Attachment:
    return Attachment(
        id=AttachmentId(pod_namespace="bench", pod_name=f"p{i}", pod_uid=f"u{i}", network=net.key, interface="net1"),
        container_id=f"c{i}",
        node=NodeName(node),
        nic=NicName("eth1"),
    )


def build(leaves: int, attachments: int) -> tuple[FabricState, list[Network]]:
    state = FabricState(FabricSettings())
    nets = [Network(namespace="bench", name=f"n{i}", vni=Vni(10_000 + i)) for i in range(NETWORKS)]
    for n in nets:
        state.create_network(n)
    for i in range(attachments):
        leaf = i % leaves
        port = (i // leaves) % PORTS
        # networks per leaf bounded by its VLAN pool: spread them in windows
        net = nets[(leaf * 7 + (i // (leaves * PORTS)) % 300) % NETWORKS]
        state.attach(
            _att(i, net, f"n{leaf}-{port}"),
            Placement(SwitchName(f"leaf{leaf}"), PortName(f"ethernet-1/{port + 1}")),
        )
    return state, nets


def measure(leaves: int, attachments: int, samples: int) -> list[dict[str, Any]]:
    """One intent of that size; a row per platform renderer."""
    t0 = time.perf_counter()
    state, nets = build(leaves, attachments)
    build_s = time.perf_counter() - t0
    return [
        _attach_cost(state, nets, platform, samples) | {"leaves": leaves, "build_s": round(build_s, 1)}
        for platform in PLATFORMS
    ]


def _attach_cost(state: FabricState, nets: list[Network], platform: str, samples: int) -> dict[str, Any]:
    target = SwitchName("leaf0")
    leaf = LeafInfo(name=target, platform=platform, router_id="10.0.0.1")
    # the leaf's current objects: everything it should have now
    per_vlan = renderer(platform).profile.vlan_objects
    rendered = render_keys(state, leaf, all_keys(state, target, per_vlan=per_vlan), {})
    current: dict[ObjectKey, dict[Any, Any]] = {k: dict(v) for k, v in rendered.desired.items() if v}
    gc.collect()
    times = []
    ops_total = 0
    for s in range(samples):
        # a network new on the leaf, so the attach renders and diffs its VNI and port
        a = _att(10_000_000 + s, nets[(NETWORKS // 2 + s * 13) % NETWORKS], "bench-node")
        t = time.perf_counter_ns()
        res = state.attach(a, Placement(target, PortName(f"ethernet-1/{s % PORTS + 1}")))
        r = render_keys(state, leaf, res.dirty.get(target, set()), current)
        ops = plan_keys(leaf, r, current)
        times.append(time.perf_counter_ns() - t)
        ops_total += sum(len(o) for o in ops.values())
        d = state.detach(a.id)
        render_keys(state, leaf, d.dirty.get(target, ()), current)
        state.confirm_removed(target, [Vni(k.vni) for k in d.dirty.get(target, ()) if k.kind == "vni"])
    return {
        "platform": platform,
        "attachments": len(state.attachments),
        "p50_us": round(statistics.median(times) / 1000, 1),
        "p99_us": round(sorted(times)[int(len(times) * 0.99) - 1] / 1000, 1),
        "ops_per_attach": round(ops_total / samples, 2),
    }


def run(*, quick: bool = False) -> dict[str, Any]:
    samples = 300 if quick else 2000
    big = 100_000 if quick else 1_000_000
    sizes = {"8": (8, 10_000), "1024": (1024, 10_000), "10k": (64, 10_000), "big": (64, big)}
    rows = {name: measure(leaves, n, samples) for name, (leaves, n) in sizes.items()}
    table = [
        f"{'platform':>10} {'leaves':>7} {'attachments':>12} {'p50 us':>8} {'p99 us':>8} {'ops':>5} {'build s':>8}"
    ]
    ratios: dict[str, dict[str, float]] = {}
    for i, platform in enumerate(PLATFORMS):
        for name in sizes:
            r = rows[name][i]
            table.append(
                f"{platform:>10} {r['leaves']:>7} {r['attachments']:>12} {r['p50_us']:>8} {r['p99_us']:>8}"
                f" {r['ops_per_attach']:>5} {r['build_s']:>8}"
            )
        leaves_ratio = rows["1024"][i]["p50_us"] / rows["8"][i]["p50_us"]
        intent_ratio = rows["big"][i]["p50_us"] / rows["10k"][i]["p50_us"]
        ratios[platform] = {"leaves": round(leaves_ratio, 2), "attachments": round(intent_ratio, 2)}
        table.append(
            f"{platform}: ratio 1024/8 leaves {leaves_ratio:.2f}, "
            f"{big:,}/10,000 attachments {intent_ratio:.2f} (goal < 2)"
        )
    checks_ok = all(r["ops_per_attach"] > 0 for platform_rows in rows.values() for r in platform_rows)
    return {
        "runs": [r for platform_rows in rows.values() for r in platform_rows],
        "ratios": ratios,
        "table": table,
        "checks_ok": checks_ok,
    }
