"""Metrics of the Kubernetes controllers (registry injected). Registered by
the daemon whether or not ``kubernetes.enabled``, so the exposition does not
change shape with a setting; they stay at zero while the controllers are off.
Labels are bounded: resource kinds, NAD states, cleanup reasons, results."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

NAD_STATES = ("ready", "refused", "terminating")


class KubeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.nads = Gauge(
            "fabric_kube_nads",
            "fabric-cni NetworkAttachmentDefinitions by state (ready, refused, terminating)",
            ["state"],
            registry=r,
        )
        self.objects = Gauge(
            "fabric_kube_objects",
            "Kubernetes objects in the watch caches by kind (Pod, Node, NetworkAttachmentDefinition)",
            ["kind"],
            registry=r,
        )
        self.synced = Gauge(
            "fabric_kube_synced",
            "1 once the initial list of every watched resource is complete (cleanup acts only then)",
            registry=r,
        )
        self.watch_restarts = Counter(
            "fabric_kube_watch_restarts",
            "Watches started again from a fresh list, by kind and reason (expired: 410 Gone; "
            "error: the API server failed or could not be reached)",
            ["kind", "reason"],
            registry=r,
        )
        self.cleanups = Counter(
            "fabric_kube_cleanups",
            "Attachments detached because the API says their pod or node is gone, by reason "
            "(pod-gone, pod-finished, node-deleted, node-out-of-service)",
            ["reason"],
            registry=r,
        )
        self.attach_checks = Counter(
            "fabric_kube_attach_checks",
            "Node Attach requests checked against the API server, by result (allowed, refused, unavailable)",
            ["result"],
            registry=r,
        )
        self.nad_refusals = Counter(
            "fabric_kube_nad_refusals",
            "NetworkAttachmentDefinitions refused (a status annotation and an Event each)",
            registry=r,
        )
        for s in NAD_STATES:
            self.nads.labels(s).set(0)
