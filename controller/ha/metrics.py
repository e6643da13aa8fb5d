"""The HA gauges and counters, computed at scrape time (also with SQLite,
where the one fabricd always leads, in term 0)."""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, Metric

from controller.ha.election import Role
from controller.ha.node import HaNode
from controller.metrics import gauge


def ha_metrics(node: HaNode | None) -> list[Metric]:
    leads = node is None or node.election.role is Role.LEADER
    leader = node.election.leader if node is not None else None
    out: list[Metric] = [
        gauge(
            "fabric_ha_leader",
            "1 while this fabricd leads (runs the switch workers and writes the intent)",
            [],
            [([], float(leads))],
        ),
        gauge(
            "fabric_ha_term",
            "the leader's term as this fabricd knows it (0: none known, or SQLite)",
            [],
            [([], float(leader.term if leader else 0))],
        ),
        gauge(
            "fabric_ha_replica_age_seconds",
            "follower: seconds since its copy of the intent was last confirmed current (0 on the leader)",
            [],
            [([], 0.0 if leads or node is None else max(0.0, min(node.replica.age, 1e9)))],
        ),
    ]
    terms = CounterMetricFamily("fabric_ha_terms", "terms this fabricd was elected leader in", labels=[])
    terms.add_metric([], float(node.election.terms_led if node is not None else 1))
    out.append(terms)
    forwarded = CounterMetricFamily(
        "fabric_ha_forwarded",
        "requests a follower forwarded to the leader, by method and gRPC code",
        labels=["method", "code"],
    )
    for (method, code), n in sorted((node.forwarded if node is not None else {}).items()):
        forwarded.add_metric([method, code], float(n))
    out.append(forwarded)
    return out
