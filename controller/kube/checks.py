"""What the API server can check of a node's Attach (the service's
:class:`controller.service.pods.PodDirectory`, docs/security.md):

- the pod exists with that UID, in that namespace (watch cache, else a GET);
- it runs on the node that asks (``spec.nodeName``);
- for a new attachment: the pod is not finished or being deleted, its
  networks annotation selects a NetworkAttachmentDefinition bound to the
  network (once the NAD controller has seen every NAD), and not only NADs
  that are being deleted.

Pods of namespaces fabricd does not watch are trusted as without Kubernetes.
An API server that cannot be reached fails the check as UNAVAILABLE (the
plugin retries): an unchecked claim is never let through. Refusals are
counted, logged and told as a Warning Event on the pod.
"""

from __future__ import annotations

from controller.kube.cache import Caches
from controller.kube.client import PODS, KubeClient, KubeNotFound, KubeUnavailable
from controller.kube.metrics import KubeMetrics
from controller.kube.nads import NadController
from controller.kube.objects import PodView
from controller.kube.recorder import ObjectRef, Recorder
from controller.log import get_logger
from controller.settings.kube import KubernetesSettings
from models.errors import PermanentError, PermissionDeniedError, PreconditionError, TemporaryError
from models.intent import Attachment, AttachmentId


class PodChecks:
    def __init__(
        self,
        *,
        settings: KubernetesSettings,
        client: KubeClient,
        caches: Caches,
        nads: NadController,
        recorder: Recorder,
        metrics: KubeMetrics,
    ) -> None:
        self._settings = settings
        self._client = client
        self._caches = caches
        self._nads = nads
        self._recorder = recorder
        self._metrics = metrics
        self._log = get_logger("kube.checks")

    def phase(self, aid: AttachmentId) -> str:
        if not self._settings.watches(aid.pod_namespace) or not self._caches.cleanup_synced:
            return ""
        pod = self._caches.pod_by_uid(aid.pod_uid)
        return pod.phase if pod is not None else "Gone"

    async def verify_attach(self, att: Attachment, *, new: bool) -> None:
        aid = att.id
        if not self._settings.verify_attach or not self._settings.watches(aid.pod_namespace):
            return
        try:
            pod = await self._pod(aid)
        except TemporaryError:
            self._metrics.attach_checks.labels("unavailable").inc()
            raise
        try:
            self._check(att, pod, new=new)
        except PermanentError as e:
            self._metrics.attach_checks.labels("refused").inc()
            self._log.warning("kube.attach.refused", attachment=str(aid), node=att.node, why=str(e))
            if pod is not None and pod.uid == aid.pod_uid:  # told on the real pod only
                ref = ObjectRef(api_version="v1", kind="Pod", namespace=pod.namespace, name=pod.name, uid=pod.uid)
                await self._recorder.event(ref, "FabricAttachRefused", str(e), warning=True)
            raise
        self._metrics.attach_checks.labels("allowed").inc()

    async def _pod(self, aid: AttachmentId) -> PodView | None:
        pod = self._caches.pod_by_uid(aid.pod_uid)
        if pod is not None:
            return pod
        try:  # not seen yet (the kubelet may run the plugin before the watch delivers the pod)
            return PodView.of(await self._client.get(PODS, aid.pod_namespace, aid.pod_name))
        except KubeNotFound:
            return None
        except KubeUnavailable as e:
            raise TemporaryError(
                f"cannot check pod {aid.pod_namespace}/{aid.pod_name} with the API server: {e}"
            ) from None

    def _check(self, att: Attachment, pod: PodView | None, *, new: bool) -> None:
        aid = att.id
        name = f"{aid.pod_namespace}/{aid.pod_name}"
        if pod is None or pod.uid != aid.pod_uid or (pod.namespace, pod.name) != (aid.pod_namespace, aid.pod_name):
            raise PermissionDeniedError(f"the API server has no pod {name} with UID {aid.pod_uid}")
        if pod.node != att.node:
            raise PermissionDeniedError(f"pod {name} runs on node {pod.node or '(none)'!r}, not on {att.node!r}")
        if not new:
            return
        if pod.finished or pod.deleting:
            raise PreconditionError(f"pod {name} is {'being deleted' if pod.deleting else pod.phase}")
        if not self._nads.ready:
            return
        via = [ref for ref in pod.nads if self._nads.bound.get(ref) == aid.network]
        if not via:
            names = ", ".join(pod.nads) or "none"
            raise PreconditionError(
                f"pod {name} selects no NetworkAttachmentDefinition bound to network {aid.network} "
                f"(its networks annotation names: {names})"
            )
        if all(ref in self._nads.deleting for ref in via):
            raise PreconditionError(
                f"NetworkAttachmentDefinition {via[0]} is being deleted: no new attachments through it"
            )
