"""A watch that expires (410 Gone) lists again and never takes anything for
deleted: against a real kube-apiserver of its own, without the watch cache
and compacting etcd every 2 s, so an old resourceVersion is really gone."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from controller.kube.client import PODS, KubeClient, KubeExpired
from controller.kube.controller import KubeControllers
from controller.kube.metrics import KubeMetrics
from controller.service.pods import NoPods
from models.intent import NetworkKey
from tests.controller.fabric import eventually
from tests.k8s.fabric import attach_as_node, attachment, kube_fabric
from tests.k8s.kube import NAD_CRD, NODES, fabric_nad, node_doc, pod_doc, status
from tests.servers.apiserver import ApiServer, kube_apiserver

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def compacting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    tmp = tmp_path_factory.mktemp("kube-compacting")
    with kube_apiserver(tmp, "--watch-cache=false", "--etcd-compaction-interval=2s") as api:
        api.apply(NAD_CRD)
        api.kubectl("wait", "--for=condition=Established", "crd/network-attachment-definitions.k8s.cni.cncf.io")
        api.apply(*(node_doc(n) for n in NODES))
        yield api


class _StaleFirstList(KubeClient):
    """The real client, but the first list of each kind and namespace hands
    back a resourceVersion the API server has long forgotten: the watch
    that follows answers 410 Gone."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.listed: set[tuple[str, str | None]] = set()

    async def list(self, resource, namespace=None):
        items, version = await super().list(resource, namespace)
        if (resource.kind, namespace) not in self.listed:
            self.listed.add((resource.kind, namespace))
            return items, "1"
        return items, version


async def test_an_expired_watch_relists_and_detaches_nothing(tmp_path, compacting):
    kube = compacting
    namespaces = [kube.namespace("expiry-a"), kube.namespace("expiry-b")]
    ns = namespaces[0]

    async def connect(kubeconfig, *, context=""):
        real = await KubeClient.connect(kubeconfig, context=context)
        return _StaleFirstList(real._api, server=real.server)

    # the raw behaviour the reflector relies on: a watch from a forgotten version is 410 Gone, once etcd
    # compacted past it (the API server compacts every 2 s; a watch that ends by its timeout is not yet)
    client = await KubeClient.connect(kube.kubeconfig)

    async def expired() -> bool:
        try:
            async for _ in client.watch(PODS, ns, "1", server_timeout=1):
                pass
        except KubeExpired:
            return True
        return False

    try:
        await eventually(expired, within=120, what="a watch from resourceVersion 1 answers 410 Gone")
    finally:
        await client.close()

    kube.apply(pod_doc(ns, "p1", "server1", "blue"))
    async with kube_fabric(tmp_path, kube, namespaces) as fab:  # the network and the attachment first
        kube.apply(fabric_nad(ns, "blue", VNI="5001"))
        await eventually(lambda: status(kube, ns, "blue").get("state") == "Ready", what="NAD blue ready")
        key = NetworkKey(ns, "blue")
        await attach_as_node(fab.service, attachment(kube, ns, "p1", key, node="server1"))

    # fabricd again, its controllers started by hand on the stale client
    async with kube_fabric(tmp_path, kube, namespaces, enabled=False, pod_grace="0.1s") as fab:
        svc = fab.service
        assert len(svc.state.attachments) == 1
        settings = dataclasses.replace(svc.settings.kubernetes, enabled=True)
        metrics = KubeMetrics(CollectorRegistry())
        ctl = KubeControllers(settings, svc, metrics, connect=connect)
        await ctl.start()
        try:
            await eventually(lambda: metrics.watch_restarts.labels("Pod", "expired")._value.get() >= 1, what="410 seen")
            await eventually(lambda: ctl.caches.cleanup_synced, what="relisted")
            await eventually(lambda: ctl.nads.ready, what="NAD pass ran")
            # several cleanup passes later, the attachment of the live pod is still there
            for _ in range(3):
                await ctl.cleanup.sync()
            assert len(svc.state.attachments) == 1
            assert metrics.cleanups.labels("pod-gone")._value.get() == 0
        finally:
            await ctl.stop()
        assert isinstance(svc.ctx.pods, NoPods)  # stopped: the service trusts nodes again
