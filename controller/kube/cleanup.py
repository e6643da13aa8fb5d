"""Pods and Nodes are the truth for cleanup: an attachment whose pod is gone
(no pod of its UID), has Succeeded or Failed, or whose Node is deleted or
tainted ``node.kubernetes.io/out-of-service``, is detached once it has been
so for ``kubernetes.pod_grace``. No CNI DEL or GC is needed.

Absence counts only while the Pod and Node caches hold a complete list
(:attr:`Caches.cleanup_synced`): never before the first list, never while a
watch is being restarted. Only attachments of watched namespaces are
touched. The grace clock of an attachment restarts whenever its pod and node
are seen fine again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from controller.chunks import slices
from controller.kube.cache import Caches
from controller.kube.metrics import KubeMetrics
from controller.log import get_logger
from controller.service.authz import Caller
from controller.service.fabric import FabricService
from controller.settings.kube import KubernetesSettings
from models.errors import FabricError
from models.fabric_state import PlacedAttachment
from models.intent import AttachmentId

#: attachments looked at per step of the event loop in a sync
SYNC_CHUNK = 5000


class Cleanup:
    def __init__(
        self,
        settings: KubernetesSettings,
        service: FabricService,
        caches: Caches,
        metrics: KubeMetrics,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._service = service
        self._caches = caches
        self._metrics = metrics
        self._clock = clock
        self._log = get_logger("kube.cleanup")
        #: attachment -> (since when it looks orphaned, why)
        self._since: dict[AttachmentId, tuple[float, str]] = {}

    def why(self, placed: PlacedAttachment) -> str:
        """Why the attachment looks orphaned ("" when it does not)."""
        a = placed.attachment
        node = self._caches.node(a.node)
        if node is None:
            return "node-deleted"
        if node.out_of_service:
            return "node-out-of-service"
        pod = self._caches.pod_by_uid(a.id.pod_uid)
        if pod is None:
            return "pod-gone"
        if pod.finished:
            return "pod-finished"
        return ""

    async def sync(self) -> None:
        if not self._caches.cleanup_synced:
            return
        now = self._clock()
        due: list[tuple[AttachmentId, str]] = []
        seen: set[AttachmentId] = set()
        async for part in slices(list(self._service.state.attachments.values()), SYNC_CHUNK):
            for placed in part:
                aid = placed.attachment.id
                if self._service.state.attachments.get(aid) is not placed:
                    continue  # detached or replaced while the loop was free: the next sync sees it as it is
                if not self._settings.watches(aid.pod_namespace):
                    continue
                why = self.why(placed)
                if not why:
                    continue
                seen.add(aid)
                since, _ = self._since.setdefault(aid, (now, why))
                if now - since >= self._settings.pod_grace:
                    due.append((aid, why))
        for aid in set(self._since) - seen:
            del self._since[aid]
        for aid, why in due:
            try:
                removed = await self._service.attachments.detach(aid, "", Caller.trusted())
            except FabricError as e:
                self._log.warning("kube.cleanup.failed", attachment=str(aid), reason=why, error=str(e))
                continue
            self._since.pop(aid, None)
            if removed:
                self._metrics.cleanups.labels(why).inc()
                self._log.info("kube.cleanup.detached", attachment=str(aid), reason=why)

    def pending(self) -> int:
        """Attachments waiting out their grace."""
        return len(self._since)
