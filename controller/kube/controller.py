"""The Kubernetes controllers as one component the daemon starts and stops
(with high availability: on the leader only).

:meth:`KubeControllers.start` connects (kubeconfig or in-cluster), starts a
supervised list+watch per resource and namespace (NADs and Pods in each
watched namespace, or all; Nodes), the NAD controller and the cleanup loop,
and puts the attach checks into the service. :meth:`stop` undoes all of it:
the service is back to trusting nodes, nothing is left running.

Both loops run after every change their caches see (coalesced) and at least
every ``kubernetes.resync``; the NAD loop also after every attachment and
network event of the service (its status counts attachments).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from controller.kube.cache import Caches
from controller.kube.checks import PodChecks
from controller.kube.cleanup import Cleanup
from controller.kube.client import NADS, NODES, PODS, KubeClient, Resource, sleep_or
from controller.kube.metrics import KubeMetrics
from controller.kube.nads import NadController
from controller.kube.objects import NadView, NodeView, PodView, node_aliases
from controller.kube.recorder import Recorder
from controller.kube.reflector import Reflector
from controller.log import get_logger
from controller.service.fabric import FabricService
from controller.service.pods import NoPods
from controller.settings.kube import KubernetesSettings
from controller.supervise import Tasks

Connect = Callable[..., Awaitable[KubeClient]]
#: LLDP system name (lower case) -> Kubernetes node name, from the Node objects
OnNodes = Callable[[Mapping[str, str]], None]
COALESCE = 0.05
T = TypeVar("T")


class KubeControllers:
    def __init__(
        self,
        settings: KubernetesSettings,
        service: FabricService,
        metrics: KubeMetrics,
        *,
        on_nodes: OnNodes | None = None,
        connect: Connect = KubeClient.connect,
    ) -> None:
        self.settings = settings
        self.service = service
        self.metrics = metrics
        self._on_nodes = on_nodes
        self._connect = connect
        self._log = get_logger("kube")
        self._tasks = Tasks("kube", service.metrics)
        self._client: KubeClient | None = None
        self._nad_wake = asyncio.Event()
        self._cleanup_wake = asyncio.Event()
        self._hostnames: dict[str, str] = {}
        self._refused_aliases: list[str] = []
        self.caches: Caches | None = None
        self.nads: NadController | None = None
        self.cleanup: Cleanup | None = None
        self.checks: PodChecks | None = None

    async def start(self) -> None:
        s = self.settings
        client = await self._connect(s.kubeconfig, context=s.context)
        self._client = client
        namespaces: tuple[str | None, ...] = s.namespaces or (None,)

        caches = Caches(
            nads=[self._reflector(client, NADS, ns, NadView.of) for ns in namespaces],
            pods=[self._reflector(client, PODS, ns, PodView.of) for ns in namespaces],
            nodes=self._reflector(client, NODES, None, NodeView.of),
        )
        self.caches = caches
        recorder = Recorder(client, self._log)
        self.nads = NadController(
            settings=s, service=self.service, client=client, caches=caches, recorder=recorder, metrics=self.metrics
        )
        self.cleanup = Cleanup(s, self.service, caches, self.metrics)
        self.checks = PodChecks(
            settings=s, client=client, caches=caches, nads=self.nads, recorder=recorder, metrics=self.metrics
        )
        for r in caches.reflectors:
            self._tasks.loop(f"watch:{r.resource.kind}:{r.namespace or '*'}", r.run, on_failure=r.failed)
        self._tasks.loop("nads", self._nad_loop)
        self._tasks.loop("cleanup", self._cleanup_loop)
        self._tasks.loop("service-events", self._follow_service)
        self.service.ctx.pods = self.checks
        self._log.info(
            "kube.started",
            server=client.server,
            namespaces=",".join(s.namespaces) or "*",
            grants=",".join(sorted(s.grants)) or "-",
            pod_grace=s.pod_grace,
        )

    def _reflector(
        self, client: KubeClient, resource: Resource, namespace: str | None, parse: Callable[[Mapping[str, Any]], T]
    ) -> Reflector[T]:
        return Reflector(
            client=client,
            resource=resource,
            namespace=namespace,
            parse=parse,
            on_change=self._changed,
            metrics=self.metrics,
            log=self._log,
        )

    async def stop(self) -> None:
        self.service.ctx.pods = NoPods()
        await self._tasks.stop()
        if self._client is not None:
            await self._client.close()
            self._client = None
        self.metrics.synced.set(0)
        self._log.info("kube.stopped")

    def _changed(self) -> None:
        caches = self.caches
        if caches is None:
            return
        caches.changed()
        self._nad_wake.set()
        self._cleanup_wake.set()
        self.metrics.objects.labels("Pod").set(caches.pod_count())
        self.metrics.objects.labels("Node").set(len(caches.nodes.items))
        self.metrics.objects.labels("NetworkAttachmentDefinition").set(sum(len(r.items) for r in caches.nads))
        self.metrics.synced.set(float(caches.nads_synced and caches.cleanup_synced))
        self._identity(caches)

    def _identity(self, caches: Caches) -> None:
        """Node objects feed the topology's identity map (LLDP system name ->
        node name) when the names differ."""
        names, refused = node_aliases(caches.nodes.items.values())
        if refused != self._refused_aliases:
            self._refused_aliases = refused
            for why in refused:
                self._log.warning("kube.node.alias_refused", why=why)
        if names != self._hostnames:
            self._hostnames = names
            if self._on_nodes is not None:
                self._on_nodes(dict(names))

    async def _nad_loop(self) -> None:
        assert self.nads is not None
        while True:
            self._nad_wake.clear()
            await self.nads.sync()
            if await sleep_or(self._nad_wake, self.settings.resync):
                await asyncio.sleep(COALESCE)  # let a burst of changes land in one pass

    async def _cleanup_loop(self) -> None:
        assert self.cleanup is not None
        while True:
            self._cleanup_wake.clear()
            await self.cleanup.sync()
            wait = self.settings.resync
            if self.cleanup.pending():
                wait = min(wait, max(0.25, self.settings.pod_grace / 4))
            if await sleep_or(self._cleanup_wake, wait):
                await asyncio.sleep(COALESCE)

    async def _follow_service(self) -> None:
        async for _ in self.service.events.subscribe(("attachment", "network")):
            self._nad_wake.set()


async def controllers_for(
    settings: KubernetesSettings, service: FabricService, metrics: KubeMetrics, **kw: object
) -> KubeControllers | None:
    """Started controllers when ``kubernetes.enabled``, else None."""
    if not settings.enabled:
        return None
    ctl = KubeControllers(settings, service, metrics, **kw)  # type: ignore[arg-type]
    try:
        await ctl.start()
    except BaseException:
        with contextlib.suppress(Exception):
            await ctl.stop()
        raise
    return ctl


__all__ = ["KubeControllers", "controllers_for"]
