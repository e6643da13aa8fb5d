"""Prometheus metrics of fabricd (registry injected; no global state).

Counters and histograms are updated where things happen; gauges that mirror
state (sessions, attachments, pools) are computed at scrape time by
:class:`StateCollector` from a callback, so they can never drift from the
state. Labels stay bounded: switches, networks, states, gRPC codes; never pods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from controller import __version__

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: the phases of an attach: a fast leaf's take well under a millisecond
PHASE_BUCKETS = (0.0001, 0.00025, 0.0005, *LATENCY_BUCKETS)
#: ``fabric_attach_phase_seconds``: where an attach's time goes, in order
ATTACH_PHASES = ("intake", "queued", "set", "after")


class Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        r = registry
        self.set_duration = Histogram(
            "fabric_gnmi_set_duration_seconds",
            "gNMI Set round trip per switch",
            ["switch"],
            registry=r,
            buckets=LATENCY_BUCKETS,
        )
        self.set_errors = Counter(
            "fabric_gnmi_set_errors", "gNMI Set failures per switch and gRPC code", ["switch", "code"], registry=r
        )
        self.attach_duration = Histogram(
            "fabric_attach_duration_seconds",
            "Attach from API receive to leaf commit",
            registry=r,
            buckets=LATENCY_BUCKETS,
        )
        self.attach_phase = Histogram(
            "fabric_attach_phase_seconds",
            "An Attach that changed its leaf, by phase: intake (checked, placed, its VLAN allocated, the "
            "change marked for the leaf's worker); when a Set of its own carried it, also queued (until that "
            "Set left: a Set ahead of it in flight, the store hand-off, the worker's wake-up, render and diff), "
            "set (that Set's round trip) and after (from its answer to the reply: a slower store commit, "
            "readiness forwarding); those four add up to the attach's fabric_attach_duration_seconds",
            ["phase"],
            registry=r,
            buckets=PHASE_BUCKETS,
        )
        #: its series by phase, bound once (an attach observes up to four)
        self.attach_phases = {p: self.attach_phase.labels(p) for p in ATTACH_PHASES}
        self.drift_events = Counter(
            "fabric_drift_events", "Out-of-band changes of owned config found on a switch", ["switch"], registry=r
        )
        self.reconcile = Counter(
            "fabric_reconcile",
            "Reconcile passes per switch and result (applied, noop, error)",
            ["switch", "result"],
            registry=r,
        )
        self.store_commit = Histogram(
            "fabric_store_commit_seconds",
            "Durable store commit (one group of mutations)",
            registry=r,
            buckets=LATENCY_BUCKETS,
        )
        self.authz_denied = Counter(
            "fabric_authz_denied", "API requests refused by authorization", ["method"], registry=r
        )
        self.api_tls_reloads = Counter(
            "fabric_api_tls_reloads",
            "The API's TLS files read again after they changed (or on SIGHUP): applied, or refused (the material "
            "in use kept; the log says why)",
            ["result"],
            registry=r,
        )
        self.api_tls_expiry = Gauge(
            "fabric_api_tls_expiry_timestamp_seconds",
            "Unix time the API's TLS material in use expires: the serving certificate (serving), the client CA's "
            "earliest certificate (client_ca)",
            ["certificate"],
            registry=r,
        )
        self.worker_restarts = Counter(
            "fabric_worker_restarts", "Per-switch workers restarted after a crash", ["switch"], registry=r
        )
        self.task_crashes = Counter(
            "fabric_task_crashes",
            "Background tasks that failed with an unexpected error (logged with a traceback, then restarted)",
            ["component"],
            registry=r,
        )
        self.session_connects = Counter(
            "fabric_gnmi_session_connects", "gNMI sessions (re)established per switch", ["switch"], registry=r
        )
        self.lldp_updates = Counter(
            "fabric_lldp_updates", "LLDP neighbour updates and deletes received per switch", ["switch"], registry=r
        )
        self.lldp_dropped = Counter(
            "fabric_lldp_dropped",
            "LLDP neighbour updates dropped by the bounds per switch (too many ports or neighbours, values too long)",
            ["switch", "reason"],
            registry=r,
        )
        self.lldp_throttled = Counter(
            "fabric_lldp_throttled_seconds",
            "Time an LLDP stream was held back because its switch streamed beyond topology.lldp_rate",
            ["switch"],
            registry=r,
        )
        self.api_requests = Counter(
            "fabric_api_requests",
            "Unary API requests answered, per method and gRPC status code",
            ["method", "code"],
            registry=r,
        )
        self.api_duration = Histogram(
            "fabric_api_request_duration_seconds",
            "Unary API request handling time per method (Attach includes the wait for the leaf)",
            ["method"],
            registry=r,
            buckets=LATENCY_BUCKETS,
        )


StateFn = Callable[[], Iterable[Metric]]


class StateCollector(Collector):
    """Scrape-time gauges from the daemon's state."""

    def __init__(self, fn: StateFn) -> None:
        self.fn = fn

    def collect(self) -> Iterable[Metric]:
        info = InfoMetricFamily("fabric_build", "fabricd build information")
        info.add_metric([], {"version": __version__})
        yield info
        yield from self.fn()


def gauge(name: str, doc: str, labels: list[str], samples: Iterable[tuple[list[str], float]]) -> GaugeMetricFamily:
    g = GaugeMetricFamily(name, doc, labels=labels)
    for values, value in samples:
        g.add_metric(values, value)
    return g
