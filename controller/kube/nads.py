"""NetworkAttachmentDefinitions are the API: each fabric-cni NAD binds to, or
creates, its fabric network (:func:`models.nad.decide`), carries fabricd's
finalizer while it may have users, and shows its network's state in the
``fabricd.io/status`` annotation.

One pass (:meth:`NadController.sync`) looks at every NAD, after a change or
every ``kubernetes.resync``:

- not fabric-cni: ignored (fabricd's finalizer removed if it put one);
- refused (its config, its claim): a status annotation and a Warning Event
  say why; nothing changes on the fabric;
- bound or created: the finalizer, then the status (network, VNI, EVI,
  attachments, last error);
- being deleted: kept (Terminating, with an Event) while attachments made
  through it remain, and new attaches through it are refused
  (:mod:`controller.kube.checks`); once the last one goes, the network it
  created is deleted and the finalizer removed (also when it was changed to
  another plugin before its deletion);
- gone without the finalizer (removed by hand): the network it created is
  deleted once no attachment uses it.

"Attachments through a NAD": those on its network whose pod selects the NAD
in its networks annotation; for a pod not (or no longer) in the watch cache,
those of the NAD's namespace.
"""

from __future__ import annotations

import json

from controller.kube.cache import Caches
from controller.kube.client import MERGE_PATCH, NADS, KubeClient, KubeConflict, KubeNotFound
from controller.kube.metrics import NAD_STATES, KubeMetrics
from controller.kube.objects import FINALIZER, STATUS_ANNOTATION, NadView
from controller.kube.recorder import ObjectRef, Recorder
from controller.log import get_logger
from controller.service.authz import Caller
from controller.service.fabric import FabricService
from controller.settings.kube import KubernetesSettings
from models.errors import FabricError, Problem
from models.intent import NetworkKey, nad_owner
from models.nad import Bind, ConfigRefused, Create, Refused, decide, parse_config


class NadController:
    def __init__(
        self,
        *,
        settings: KubernetesSettings,
        service: FabricService,
        client: KubeClient,
        caches: Caches,
        recorder: Recorder,
        metrics: KubeMetrics,
    ) -> None:
        self._settings = settings
        self._service = service
        self._client = client
        self._caches = caches
        self._recorder = recorder
        self._metrics = metrics
        self._log = get_logger("kube.nads")
        #: NAD ``ns/name`` -> the network it is bound to (read by the attach checks)
        self.bound: dict[str, NetworkKey] = {}
        #: NADs being deleted (no new attaches through them)
        self.deleting: set[str] = set()
        #: True once a pass ran over a complete list
        self.ready = False

    async def sync(self) -> None:
        if not self._caches.nads_synced:
            return
        bound: dict[str, NetworkKey] = {}
        deleting: set[str] = set()
        states = dict.fromkeys(NAD_STATES, 0)
        for nad in list(self._caches.all_nads()):
            try:
                state, key = await self._one(nad)
            except (KubeConflict, KubeNotFound):
                continue  # changed or gone meanwhile: the watch brings it back
            except FabricError as e:
                self._log.warning("kube.nad.failed", nad=nad.ref, error=str(e))
                continue
            if key is not None:
                bound[nad.ref] = key
            if nad.deleting:
                deleting.add(nad.ref)
            if state:
                states[state] += 1
        self.bound, self.deleting, self.ready = bound, deleting, True
        for state, n in states.items():
            self._metrics.nads.labels(state).set(n)
        await self._orphans()

    async def _orphans(self) -> None:
        """A network whose NAD is gone without fabricd's finalizer (someone removed it by hand, then deleted the
        NAD) has nobody left to delete it, and `network delete` refuses a NAD's network: it is deleted here once
        no attachment uses it, as after its NAD's own deletion. Only in watched namespaces (their NADs are all
        in the cache), only after a complete list."""
        present = {nad_owner(n.namespace, n.name) for n in self._caches.all_nads()}
        state = self._service.state
        for net in list(state.networks.values()):
            if not net.owner.startswith("kubernetes:") or net.owner in present:
                continue
            if not self._settings.watches(net.namespace) or state.attachment_count(net.key):
                continue
            try:
                await self._service.networks.delete(net.key, Caller.trusted(), owner=net.owner)
            except FabricError as e:
                self._log.warning("kube.nad.orphan_kept", network=str(net.key), error=str(e))
                continue
            self._log.warning("kube.nad.orphan_deleted", network=str(net.key), owner=net.owner)

    def users(self, nad: NadView, key: NetworkKey) -> int:
        n = 0
        for placed in self._service.state.attachments.values():
            aid = placed.attachment.id
            if aid.network != key:
                continue
            pod = self._caches.pod_by_uid(aid.pod_uid)
            if (nad.ref in pod.nads) if pod is not None else aid.pod_namespace == nad.namespace:
                n += 1
        return n

    async def _one(self, nad: NadView) -> tuple[str, NetworkKey | None]:
        owned = self._owned(nad)
        try:
            request = parse_config(nad.config)
        except ConfigRefused as e:
            return await self._refuse(nad, e.problems, owned)
        if request is None:
            if nad.deleting and owned is not None:
                # changed to another plugin after it created its network, then deleted: its network goes as
                # any NAD's does (it kept the finalizer for that); before, it stayed Terminating for ever
                return await self._deleting(nad, owned, owned)
            if FINALIZER in nad.finalizers and owned is None:
                await self._finalizer(nad, add=False)
            return "", None
        decision = decide(
            nad.namespace, nad.name, request, self._service.state.networks, self._settings.granted(nad.namespace)
        )
        key = owned or (decision.network if isinstance(decision, Bind) else None)
        if nad.deleting:
            return await self._deleting(nad, key, owned)
        if isinstance(decision, Refused):
            return await self._refuse(nad, decision.problems, owned)
        if isinstance(decision, Create):
            if FINALIZER not in nad.finalizers:
                await self._finalizer(nad, add=True)  # before the network: a deleted NAD never leaves one behind
            await self._service.networks.create(decision.network, Caller.trusted())
            key = decision.network.key
            self._log.info("kube.nad.created", nad=nad.ref, network=str(key), vni=decision.network.vni)
            await self._recorder.event(
                self._ref(nad),
                "NetworkCreated",
                f"created fabric network {key} (VNI {decision.network.vni})",
                warning=False,
            )
        elif FINALIZER not in nad.finalizers:
            await self._finalizer(nad, add=True)
            await self._recorder.event(self._ref(nad), "NetworkBound", f"bound to fabric network {key}", warning=False)
        assert key is not None
        await self._status(nad, self._network_status(key, "Ready", ""))
        return "ready", key

    async def _deleting(
        self, nad: NadView, key: NetworkKey | None, owned: NetworkKey | None
    ) -> tuple[str, NetworkKey | None]:
        if FINALIZER not in nad.finalizers:
            return "", None
        users = self.users(nad, key) if key is not None else 0
        if users:
            why = f"{users} attachment(s) of network {key} were made through it; kept until they go, new ones refused"
            await self._status(nad, self._network_status(key, "Terminating", why) if key else {})
            await self._recorder.event(self._ref(nad), "InUse", why, warning=True)
            return "terminating", key
        if owned is not None:
            try:
                await self._service.networks.delete(owned, Caller.trusted(), owner=nad_owner(nad.namespace, nad.name))
            except FabricError as e:  # other NADs' pods still on it: keep the NAD until they go
                why = f"network {owned} cannot be deleted yet: {e}"
                await self._status(nad, self._network_status(owned, "Terminating", why))
                await self._recorder.event(self._ref(nad), "InUse", why, warning=True)
                return "terminating", owned
            self._log.info("kube.nad.network_deleted", nad=nad.ref, network=str(owned))
        await self._finalizer(nad, add=False)
        self._log.info("kube.nad.released", nad=nad.ref)
        return "", None

    async def _refuse(
        self, nad: NadView, problems: tuple[Problem, ...], owned: NetworkKey | None
    ) -> tuple[str, NetworkKey | None]:
        message = "; ".join(str(p) for p in problems)
        if nad.deleting:
            return await self._deleting(nad, owned, owned)
        doc: dict[str, object] = {"state": "Refused", "error": message}
        if owned is not None:
            doc = self._network_status(owned, "Refused", message)
        if await self._status(nad, doc):
            self._metrics.nad_refusals.inc()
            self._log.warning("kube.nad.refused", nad=nad.ref, why=message)
        await self._recorder.event(self._ref(nad), "Refused", message, warning=True)
        return "refused", owned

    def _owned(self, nad: NadView) -> NetworkKey | None:
        owner = nad_owner(nad.namespace, nad.name)
        for net in self._service.state.networks.values():
            if net.owner == owner:
                return net.key
        return None

    def _network_status(self, key: NetworkKey, state: str, error: str) -> dict[str, object]:
        net = self._service.state.networks.get(key)
        if net is None:
            return {"state": state, "network": str(key), "error": error or f"network {key} does not exist"}
        return {
            "state": state,
            "network": str(key),
            "owner": net.owner,
            "vni": net.vni,
            "evi": self._service.state.evis.evi_of(net.vni) or 0,
            "attachments": self._service.state.attachment_count(key),
            "error": error,
        }

    async def _status(self, nad: NadView, doc: dict[str, object]) -> bool:
        """Write the status annotation if it changed; True if it did."""
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        if text == nad.status:
            return False
        body = {"metadata": {"annotations": {STATUS_ANNOTATION: text}}}
        await self._client.patch(NADS, nad.namespace, nad.name, body, content_type=MERGE_PATCH)
        return True

    async def _finalizer(self, nad: NadView, *, add: bool) -> None:
        """Add or remove fabricd's finalizer, only on the version read (the
        patch carries the resourceVersion: a concurrent change answers 409 and
        the next pass reads again, so other finalizers are never lost)."""
        want = [f for f in nad.finalizers if f != FINALIZER] + ([FINALIZER] if add else [])
        body = {"metadata": {"resourceVersion": nad.resource_version, "finalizers": want}}
        await self._client.patch(NADS, nad.namespace, nad.name, body, content_type=MERGE_PATCH)

    @staticmethod
    def _ref(nad: NadView) -> ObjectRef:
        return ObjectRef(
            api_version="k8s.cni.cncf.io/v1",
            kind="NetworkAttachmentDefinition",
            namespace=nad.namespace,
            name=nad.name,
            uid=nad.uid,
        )
