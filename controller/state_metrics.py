"""Scrape-time gauges from the daemon's state (computed on the event loop)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable

from prometheus_client.core import Metric

from controller.core.fabric import FabricCore
from controller.core.worker import SessionState
from controller.httpd import on_loop
from controller.metrics import gauge


def state_metrics(core: FabricCore) -> list[Metric]:
    out: list[Metric] = []
    workers = sorted(core.workers.items())
    out.append(
        gauge(
            "fabric_switch_connected",
            "1 when the gNMI session to the switch is up and its state verified",
            ["switch"],
            (([n], float(w.status is SessionState.CONNECTED)) for n, w in workers),
        )
    )
    out.append(
        gauge(
            "fabric_switch_in_sync",
            "1 when the switch has exactly the desired owned config",
            ["switch"],
            (([n], float(w.in_sync)) for n, w in workers),
        )
    )
    out.append(
        gauge(
            "fabric_pending_changes",
            "Object groups waiting to be applied per switch",
            ["switch"],
            (([n], float(w.pending)) for n, w in workers),
        )
    )
    pools: list[tuple[list[str], float]] = []
    for n, _ in workers:
        leaf = core.state.leaves.get(n)
        pools.append(([n], float(leaf.vlans.free if leaf else core.settings.fabric.pool_for(n).size)))
    out.append(gauge("fabric_vlan_pool_free", "Free VLANs in the leaf's pool", ["switch"], pools))
    counts: Counter[tuple[str, str]] = Counter()
    for placed in core.state.attachments.values():
        counts[(str(placed.attachment.id.network), core.view(placed).state.value)] += 1
    out.append(
        gauge(
            "fabric_attachments",
            "Attachments per network and state",
            ["network", "state"],
            (([net, st], float(c)) for (net, st), c in sorted(counts.items())),
        )
    )
    out.append(gauge("fabric_networks", "Networks", [], [([], float(len(core.state.networks)))]))
    snap = core.topology
    links = Counter("fabric" for _ in snap.fabric_links) + Counter("edge" for _ in snap.edge_links)
    out.append(
        gauge(
            "fabric_topology_links",
            "Links in the topology graph",
            ["kind"],
            (([k], float(links.get(k, 0))) for k in ("fabric", "edge")),
        )
    )
    stale = sum(1 for f in snap.fabric_links if f.stale) + sum(1 for e in snap.edge_links if e.stale)
    out.append(
        gauge(
            "fabric_topology_stale_links",
            "Links whose switch session is lost beyond the hold time",
            [],
            [([], float(stale))],
        )
    )
    out.append(
        gauge(
            "fabric_topology_conflicts",
            "Disagreements between topology sources",
            [],
            [([], float(len(snap.conflicts)))],
        )
    )
    out.append(
        gauge("fabric_topology_version", "Version of the topology snapshot in use", [], [([], float(snap.version))])
    )
    return out


def collector_fn(core: FabricCore, loop: asyncio.AbstractEventLoop) -> Callable[[], Iterable[Metric]]:
    def collect() -> Iterable[Metric]:
        result = on_loop(loop, lambda: state_metrics(core))
        assert isinstance(result, list)
        return result

    return collect
