"""render: the pure core's cost of one attach (state update + render of the
dirty keys + diff against the leaf's current objects), as the fabric and the
intent grow, for each platform renderer (``openconfig``, ``srlinux``) on the
same intent. Goal: work proportional to what changed, so each ratio < 2:

* 1,024 leaves vs 8 leaves (10,000 existing attachments), and
* 1,000,000 vs 10,000 existing attachments (64 leaves).

The two sides of each ratio are built first and then timed in alternating
chunks, so that a shared host's slow phase does not fall on one side only.
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


class _Sampler:
    """One intent and one platform: attaches timed a chunk at a time (so the
    two sides of a ratio can take turns on a noisy host)."""

    def __init__(self, state: FabricState, nets: list[Network], platform: str) -> None:
        self.state, self.nets = state, nets
        self.leaf = LeafInfo(name=SwitchName("leaf0"), platform=platform, router_id="10.0.0.1")
        # the leaf's current objects: everything it should have now
        per_vlan = renderer(platform).profile.vlan_objects
        keys = all_keys(state, self.leaf.name, per_vlan=per_vlan)
        rendered = render_keys(state, self.leaf, keys, {})
        self.current: dict[ObjectKey, dict[Any, Any]] = {k: dict(v) for k, v in rendered.desired.items() if v}
        self.times: list[int] = []
        self.ops_total = 0

    def sample(self, n: int) -> None:
        state, leaf, current, target = self.state, self.leaf, self.current, self.leaf.name
        for _ in range(n):
            s = len(self.times)
            # a network new on the leaf, so the attach renders and diffs its VNI and port
            a = _att(10_000_000 + s, self.nets[(NETWORKS // 2 + s * 13) % NETWORKS], "bench-node")
            t = time.perf_counter_ns()
            res = state.attach(a, Placement(target, PortName(f"ethernet-1/{s % PORTS + 1}")))
            r = render_keys(state, leaf, res.dirty.get(target, set()), current)
            ops = plan_keys(leaf, r, current)
            self.times.append(time.perf_counter_ns() - t)
            self.ops_total += sum(len(o) for o in ops.values())
            d = state.detach(a.id)
            render_keys(state, leaf, d.dirty.get(target, ()), current)
            state.confirm_removed(target, [Vni(k.vni) for k in d.dirty.get(target, ()) if k.kind == "vni"])

    def row(self) -> dict[str, Any]:
        times = sorted(self.times)
        return {
            "platform": self.leaf.platform,
            "attachments": len(self.state.attachments),
            "p50_us": round(statistics.median(times) / 1000, 1),
            "p99_us": round(times[int(len(times) * 0.99) - 1] / 1000, 1),
            "ops_per_attach": round(self.ops_total / len(times), 2),
        }


def measure_pair(
    small: tuple[int, int], large: tuple[int, int], samples: int, turns: int = 10
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Both intents (leaves, attachments) built, then for each platform their
    attaches timed in ``turns`` alternating chunks: the host's slow and fast
    phases fall on both sides of the ratio. The heap is collected and frozen
    once both are built, as fabricd does once it is up (controller.heap)."""
    built = []
    for leaves, attachments in (small, large):
        t0 = time.perf_counter()
        state, nets = build(leaves, attachments)
        built.append((state, nets, leaves, round(time.perf_counter() - t0, 1)))
    gc.collect()
    gc.freeze()
    try:
        rows: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
        for platform in PLATFORMS:
            samplers = [_Sampler(state, nets, platform) for state, nets, _, _ in built]
            for _ in range(turns):
                for sampler in samplers:
                    sampler.sample(samples // turns)
            for out, sampler, (_, _, leaves, build_s) in zip(rows, samplers, built, strict=True):
                out.append(sampler.row() | {"leaves": leaves, "build_s": build_s})
        return rows
    finally:
        gc.unfreeze()


def run(*, quick: bool = False) -> dict[str, Any]:
    samples = 300 if quick else 2000
    big = 100_000 if quick else 1_000_000
    sizes = {"8": (8, 10_000), "1024": (1024, 10_000), "10k": (64, 10_000), "big": (64, big)}
    rows: dict[str, list[dict[str, Any]]] = {}
    rows["8"], rows["1024"] = measure_pair(sizes["8"], sizes["1024"], samples)
    rows["10k"], rows["big"] = measure_pair(sizes["10k"], sizes["big"], samples)
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
