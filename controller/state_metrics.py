"""Scrape-time gauges from the daemon's state (computed on the event loop;
the attachments are counted a chunk at a time, the loop free in between)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable

from prometheus_client.core import CounterMetricFamily, Metric

from controller.metrics import gauge
from controller.reconcile.status import AttachmentState, SessionState
from controller.service.fabric import FabricService
from models.intent import NetworkKey

#: how long a scrape may wait for the event loop (the attachments are counted in chunks)
SCRAPE_TIMEOUT = 10.0


def state_metrics(
    service: FabricService, attachments: Counter[tuple[NetworkKey, AttachmentState]] | None = None
) -> list[Metric]:
    """``attachments``: the counts of ``Attachments.count_states`` (counted
    here, at once, when not given)."""
    out: list[Metric] = []
    statuses = service.fleet.statuses()
    out.append(
        gauge(
            "fabric_switch_connected",
            "1 when the gNMI session to the switch is up and its state verified",
            ["switch"],
            (([s.name], float(s.session is SessionState.CONNECTED)) for s in statuses),
        )
    )
    out.append(
        gauge(
            "fabric_switch_in_sync",
            "1 when the switch has exactly the desired owned config",
            ["switch"],
            (([s.name], float(s.in_sync)) for s in statuses),
        )
    )
    out.append(
        gauge(
            "fabric_pending_changes",
            "Object groups waiting to be applied per switch",
            ["switch"],
            (([s.name], float(s.pending)) for s in statuses),
        )
    )
    out.append(
        gauge(
            "fabric_switch_last_sync_timestamp_seconds",
            "Unix time of the last full pass (read + diff) against the switch; 0 = never",
            ["switch"],
            (([s.name], s.last_sync) for s in statuses),
        )
    )
    out.append(
        gauge(
            "fabric_switch_rejected_objects",
            "Object groups the switch rejected (kept out of its Sets until the intent changes)",
            ["switch"],
            (([s.name], float(s.rejected)) for s in statuses),
        )
    )
    out.append(
        gauge(
            "fabric_switch_held_objects",
            "Object groups of fabricd on the switch that the store has no record of: while above 0 nothing is "
            "changed on the switch (fabricctl switch release)",
            ["switch"],
            (([s.name], float(s.held)) for s in statuses),
        )
    )
    free: list[tuple[list[str], float]] = []
    used: list[tuple[list[str], float]] = []
    state = service.state
    for n in (s.name for s in statuses):
        leaf = state.leaves.get(n)
        free.append(([n], float(leaf.vlans.free if leaf else service.settings.fabric.pool_for(n).size)))
        used.append(([n], float(leaf.vlans.used if leaf else 0)))
    out.append(gauge("fabric_vlan_pool_free", "Free VLANs in the leaf's pool", ["switch"], free))
    out.append(gauge("fabric_vlan_pool_used", "VLANs of the leaf's pool in use (or being released)", ["switch"], used))
    if attachments is None:
        attachments = Counter()
        service.attachments.tally(state.attachments.values(), attachments)
    counts = sorted(((str(net), st.value), c) for (net, st), c in attachments.items())
    out.append(
        gauge(
            "fabric_attachments",
            "Attachments per network and state",
            ["network", "state"],
            (([net, st], float(c)) for (net, st), c in counts),
        )
    )
    out.append(
        gauge(
            "fabric_audit_findings",
            "Findings of the last fabric audit per kind and switch (docs/readiness.md)",
            ["kind", "switch"],
            (([k, sw], float(n)) for (k, sw), n in sorted(service.auditor.counts.items())),
        )
    )
    out.append(gauge("fabric_networks", "Networks", [], [([], float(len(state.networks)))]))
    snap = service.topology
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
    events = CounterMetricFamily(
        "fabric_events_dropped", "Events a slow WatchEvents subscriber lost (its queue was full)"
    )
    events.add_metric([], float(service.events.dropped))
    out.append(events)
    out.append(
        gauge("fabric_event_watchers", "Open WatchEvents streams", [], [([], float(service.events.subscribers))])
    )
    return out


def collector_fn(
    service: Callable[[], FabricService], loop: asyncio.AbstractEventLoop
) -> Callable[[], Iterable[Metric]]:
    """``service()``: the service in use (with HA it changes with the role)."""

    async def scrape() -> list[Metric]:
        svc = service()
        counts = await svc.attachments.count_states()
        return state_metrics(svc, counts)

    def collect() -> Iterable[Metric]:
        future = asyncio.run_coroutine_threadsafe(scrape(), loop)
        try:
            return future.result(SCRAPE_TIMEOUT)
        except TimeoutError:
            future.cancel()  # the scrape fails; its count does not go on without it
            raise

    return collect
