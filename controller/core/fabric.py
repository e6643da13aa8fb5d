"""The fabric service: API semantics over the intent, the store and the workers.

Every mutation follows one path: validate (every problem at once) ->
authorize -> resolve node/NIC to a leaf port -> change the in-memory intent
(all or nothing) -> make the touched keys dirty on their leaf's worker ->
write the change durably -> (Attach) wait for the leaf to commit, bounded by
the request's deadline. A store write failure is fatal: the daemon stops and
restarts from what is durable (fail-stop), never acknowledging what is not.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import time
from collections.abc import Callable, Iterable
from typing import Any

from controller.config import Settings
from controller.core.events import EventBus
from controller.core.worker import SwitchWorker
from controller.inventory import Inventory, SwitchConfig
from controller.log import get_logger
from controller.metrics import Metrics
from controller.store import Mutation, Store, StoreError
from models.alloc import VlanAllocation
from models.errors import (
    NotFoundError,
    PermanentError,
    PreconditionError,
    TemporaryError,
    ValidationError,
    raise_if,
)
from models.ids import NicName, NodeName, SwitchName, Vni
from models.intent import Attachment, AttachmentId, Network, NetworkKey, Placement
from models.platforms.base import ObjectKey, port_key, vni_key
from models.state import Dirty, FabricState, PlacedAttachment
from models.validation import attachment_problems, container_id_problems, network_problems
from topology import ChangeKind, TopologySnapshot, placement_changes


class PermissionDenied(PermanentError):
    pass


class AttachmentState(enum.Enum):
    PENDING = "pending"
    READY = "ready"
    CONFLICT = "conflict"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """Who calls: the client certificate's name; operators may do everything,
    a node identity acts only for its own node."""

    identity: str
    operator: bool

    @staticmethod
    def trusted() -> Caller:
        return Caller(identity="", operator=True)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AttachmentView:
    placed: PlacedAttachment
    state: AttachmentState
    reason: str
    created: float


SessionFactory = Callable[..., Any]


class FabricCore:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        inventory: Inventory,
        topology: TopologySnapshot,
        *,
        metrics: Metrics,
        events: EventBus,
        session_factory: SessionFactory | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.events = events
        self.topology = topology
        self.log = get_logger("fabric")
        snap = store.load()
        self.state = FabricState.restore(
            settings.fabric,
            networks=[(n, evi) for n, evi, _ in snap.networks],
            allocations=snap.allocations,
            attachments=[p for p, _ in snap.attachments],
        )
        self.net_created = {n.key: t for n, _, t in snap.networks}
        self.created = {p.attachment.id: t for p, t in snap.attachments}
        #: per attachment, the worker generation that carries its config
        self._gen: dict[AttachmentId, int] = {}
        self.inventory = inventory
        self._session_factory = session_factory
        self.workers: dict[SwitchName, SwitchWorker] = {}
        self.fatal: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()
        #: set by the daemon when discovery runs: True until every switch has synced
        self.discovering: Callable[[], bool] = lambda: False
        self._tasks: set[asyncio.Task[None]] = set()

    # ----------------------------------------------------------- lifecycle

    async def start(self) -> None:
        for cfg in self.inventory.leaves:
            self._start_worker(cfg)
        self.log.info(
            "fabric.started",
            leaves=len(self.workers),
            networks=len(self.state.networks),
            attachments=len(self.state.attachments),
            store=self.store.location,
        )

    def _start_worker(self, cfg: SwitchConfig) -> None:
        kwargs = {"session_factory": self._session_factory} if self._session_factory else {}
        worker = SwitchWorker(cfg, self, **kwargs)
        self.workers[cfg.name] = worker
        worker.start()

    async def stop(self) -> None:
        await asyncio.gather(*(w.stop() for w in self.workers.values()))
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)

    async def reload_inventory(self, inventory: Inventory, topology: TopologySnapshot) -> dict[str, list[SwitchName]]:
        """Restart only the sessions whose connection settings changed; add and
        remove the others by set difference."""
        old = {n: w.cfg for n, w in self.workers.items()}
        new = {s.name: s for s in inventory.leaves}
        removed = sorted(set(old) - set(new))
        added = sorted(set(new) - set(old))
        changed = sorted(
            n for n in set(old) & set(new) if old[n].fingerprint() != new[n].fingerprint() or old[n] != new[n]
        )
        for name in removed:
            await self.workers.pop(name).stop()
        self.inventory = inventory
        self.topology = topology
        for name in changed:
            # the new worker takes the old one's place at once (requests never
            # see the switch missing); it re-reads the switch before any Set
            stale = self.workers[name]
            self._start_worker(new[name])
            await stale.stop()
        for name in added:
            self._start_worker(new[name])
        for name in added + changed:  # a new worker counts generations from scratch
            for aid, placed in self.state.attachments.items():
                if placed.placement is not None and placed.placement.switch == name:
                    self._gen[aid] = 0
        result = {"added": added, "removed": removed, "restarted": changed}
        self.log.info("inventory.reloaded", **{k: ",".join(v) or "-" for k, v in result.items()})
        self.events.publish("switch", "inventory", "reloaded", **{k: ",".join(v) for k, v in result.items()})
        return result

    # ------------------------------------------------------------ storage

    async def _commit(self, mutation: Mutation) -> None:
        t0 = time.perf_counter()
        try:
            await self.store.commit(mutation)
        except StoreError as e:
            self.log.error("store.failed", error=str(e))
            if not self.fatal.done():
                self.fatal.set_result(e)
            raise TemporaryError("the controller's store failed; it is restarting") from None
        self.metrics.store_commit.observe(time.perf_counter() - t0)

    def _background(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _allocation_rows(self, dirty: Dirty, m: Mutation) -> None:
        for switch, keys in dirty.items():
            leaf = self.state.leaves.get(switch)
            for key in keys:
                if key.kind != "vni":
                    continue
                vni = Vni(key.vni)
                vlan = leaf.vlans.vlan_of(vni) if leaf else None
                if vlan is None:
                    m.delete_allocations.append((switch, vni))
                else:
                    releasing = leaf.vlans.is_releasing(vni) if leaf else False
                    m.put_allocations.append(VlanAllocation(switch=switch, vni=vni, vlan=vlan, releasing=releasing))

    def _mark(self, dirty: Dirty) -> dict[SwitchName, int]:
        return {s: self.workers[s].mark(keys) for s, keys in dirty.items() if s in self.workers}

    # WorkerHost callbacks
    def removed(self, switch: SwitchName, vnis: list[Vni]) -> None:
        freed = self.state.confirm_removed(switch, vnis)
        if freed:
            self.log.info("vlans.freed", switch=switch, vlans=",".join(str(v) for _, v in freed))
            m = Mutation(delete_allocations=[(switch, vni) for vni, _ in freed])
            self._background(self._commit_quietly(m))

    async def _commit_quietly(self, m: Mutation) -> None:
        with contextlib.suppress(TemporaryError):  # fatal already signalled
            await self._commit(m)

    def keys_failed(self, switch: SwitchName, failures: dict[ObjectKey, str]) -> None:
        for key, why in failures.items():
            self.events.publish("switch", switch, f"rejected {key}: {why}")

    # ------------------------------------------------------ authorization

    def _deny(self, method: str, why: str) -> PermissionDenied:
        self.metrics.authz_denied.labels(method).inc()
        self.log.warning("authz.denied", method=method, why=why)
        return PermissionDenied(why)

    def require_operator(self, caller: Caller, method: str) -> None:
        if not caller.operator:
            raise self._deny(method, f"{method} needs an operator identity; {caller.identity!r} is a node")

    def _require_node(self, caller: Caller, node: str, method: str) -> None:
        if not caller.operator and caller.identity != node:
            raise self._deny(method, f"identity {caller.identity!r} may not act for node {node!r}")

    # ----------------------------------------------------------- networks

    async def create_network(self, net: Network, caller: Caller) -> tuple[Network, int, bool]:
        self.require_operator(caller, "CreateNetwork")
        raise_if(network_problems(net))
        existing, evi, created = self.state.create_network(net)
        if created:
            now = time.time()
            self.net_created[net.key] = now
            await self._commit(Mutation(put_networks=[(net, evi, now)]))
            self.events.publish("network", str(net.key), "created", vni=net.vni, evi=evi)
        return existing, evi, created

    async def delete_network(self, key: NetworkKey, caller: Caller) -> bool:
        self.require_operator(caller, "DeleteNetwork")
        net = self.state.delete_network(key)
        if net is None:
            return False
        self.net_created.pop(key, None)
        await self._commit(Mutation(delete_networks=[key]))
        self.events.publish("network", str(key), "deleted", vni=net.vni)
        return True

    def apply_topology(self, snap: TopologySnapshot) -> None:
        """A new topology: NICs that moved take their attachments (and VLANs)
        along, or become conflicts; nothing is torn down because a link went
        stale or a NIC went missing."""
        if snap is self.topology:
            return
        changes = placement_changes(self.topology, snap)
        self.topology = snap
        m = Mutation()
        dirty: Dirty = {}
        for ch in changes:
            if ch.kind in (ChangeKind.MOVED, ChangeKind.RESTORED, ChangeKind.ADDED) and ch.new is not None:
                if not self.state.attachments_on_nic(ch.ref.node, ch.ref.nic):
                    continue
                if ch.new.switch not in self.workers:
                    self.log.warning("nic.moved.unmanaged", nic=str(ch.ref), to=str(ch.new))
                    continue
                moved, d = self.state.move_nic(ch.ref.node, ch.ref.nic, ch.new)
                for s, keys in d.items():
                    dirty.setdefault(s, set()).update(keys)
                for placed in moved:
                    m.put_attachments.append((placed, self.created.get(placed.attachment.id, time.time())))
                    if placed.conflict:
                        self.log.warning(
                            "attachment.conflict", attachment=str(placed.attachment.id), why=placed.conflict
                        )
                        self.events.publish("attachment", str(placed.attachment.id), "conflict", reason=placed.conflict)
                self.log.info("nic.moved", nic=str(ch.ref), old=str(ch.old), new=str(ch.new), attachments=len(moved))
            if ch.kind is not ChangeKind.ADDED:
                self.events.publish("topology", str(ch.ref), ch.kind.value, old=ch.old or "", new=ch.new or "")
        if m:
            self._allocation_rows(dirty, m)
            self._mark(dirty)
            for placed, _ in m.put_attachments:
                self._gen[placed.attachment.id] = self._needed(placed)
            self._background(self._commit_quietly(m))
        self.events.publish(
            "topology",
            "fabric",
            f"version {snap.version}",
            links=len(snap.fabric_links) + len(snap.edge_links),
            conflicts=len(snap.conflicts),
        )

    # -------------------------------------------------------- attachments

    def _placement(self, node: NodeName, nic: NicName) -> Placement:
        try:
            placement = self.topology.leaf_port(node, nic)  # raises a NotFoundError naming what is missing
        except NotFoundError as e:
            if self.discovering():
                raise TemporaryError(f"{e}; discovery has not heard from every switch yet") from None
            raise
        if placement.switch not in self.workers:
            raise PreconditionError(
                f"{node}/{nic} is cabled to {placement}, but switch {placement.switch} is not a managed leaf"
            )
        return placement

    async def attach(self, att: Attachment, caller: Caller, *, leaf_wait: float) -> AttachmentView:
        t0 = time.perf_counter()
        raise_if(attachment_problems(att))
        self._require_node(caller, att.node, "Attach")
        net = self.state.network(att.id.network)
        if not net.usable_from(att.id.pod_namespace):
            raise self._deny(
                "Attach",
                f"network {net.key} is not shared and pod namespace {att.id.pod_namespace!r} is not {net.namespace!r}",
            )
        placement = self._placement(att.node, att.nic)
        result = self.state.attach(att, placement)
        now = time.time()
        if not result.replay:
            self.created.setdefault(att.id, now)
            m = Mutation(put_attachments=[(result.placed, self.created[att.id])])
            self._allocation_rows(result.dirty, m)
            self._mark(result.dirty)
            await self._commit(m)
            if result.dirty:
                self.events.publish(
                    "attachment",
                    str(att.id),
                    "attached",
                    switch=placement.switch,
                    port=placement.port,
                    vlan=result.placed.vlan,
                )
        else:
            await self._commit(Mutation())  # a replay answers only what is durable
        worker = self.workers[placement.switch]
        gen = self._gen[att.id] = self._needed(result.placed)
        try:
            await asyncio.wait_for(worker.wait(gen), max(0.0, leaf_wait))
        except TimeoutError:
            why = worker.last_error or f"{worker.pending} change(s) pending"
            raise TemporaryError(
                f"leaf {placement.switch} did not confirm the attachment in time ({why}); it keeps converging"
            ) from None
        view = self.view(self.state.attachments[att.id])
        if view.state is AttachmentState.CONFLICT:
            raise PreconditionError(view.reason)
        if view.state is not AttachmentState.READY:
            raise TemporaryError(view.reason)
        self.metrics.attach_duration.observe(time.perf_counter() - t0)
        return view

    def _needed(self, placed: PlacedAttachment) -> int:
        """The worker generation that carries this attachment's config: the
        last change of its VNI's objects or of its port on the leaf."""
        if placed.placement is None:
            return 0
        worker = self.workers.get(placed.placement.switch)
        if worker is None:
            return 0
        return max(worker.key_gen.get(vni_key(placed.vni), 0), worker.key_gen.get(port_key(placed.placement.port), 0))

    def view(self, placed: PlacedAttachment) -> AttachmentView:
        aid = placed.attachment.id
        created = self.created.get(aid, 0.0)
        if placed.conflict or placed.placement is None:
            return AttachmentView(
                placed=placed, state=AttachmentState.CONFLICT, reason=placed.conflict, created=created
            )
        worker = self.workers.get(placed.placement.switch)
        if worker is None:
            why = f"switch {placed.placement.switch} is not a managed leaf"
            return AttachmentView(placed=placed, state=AttachmentState.PENDING, reason=why, created=created)
        port = port_key(placed.placement.port)
        if port in worker.conflicts:
            return AttachmentView(
                placed=placed, state=AttachmentState.CONFLICT, reason=worker.conflicts[port], created=created
            )
        for key in (port, vni_key(placed.vni)):
            if key in worker.failed:
                why = f"{worker.name} rejected the configuration: {worker.failed[key]}"
                return AttachmentView(placed=placed, state=AttachmentState.PENDING, reason=why, created=created)
        if worker.committed >= self._gen.get(aid, 0):
            return AttachmentView(placed=placed, state=AttachmentState.READY, reason="", created=created)
        why = f"waiting for {worker.name}" + (f" ({worker.last_error})" if worker.last_error else "")
        return AttachmentView(placed=placed, state=AttachmentState.PENDING, reason=why, created=created)

    async def detach(self, aid: AttachmentId, container_id: str, caller: Caller) -> bool:
        placed = self.state.attachments.get(aid)
        if placed is None:
            return False
        self._require_node(caller, placed.attachment.node, "Detach")
        result = self.state.detach(aid, container_id or None)
        if result.removed is None:
            return False
        m = Mutation(delete_attachments=[aid])
        self._allocation_rows(result.dirty, m)
        self._mark(result.dirty)
        self.created.pop(aid, None)
        self._gen.pop(aid, None)
        await self._commit(m)
        self.events.publish("attachment", str(aid), "detached")
        return True

    def get_attachment(self, aid: AttachmentId, caller: Caller) -> AttachmentView:
        placed = self.state.attachments.get(aid)
        if placed is None:
            raise NotFoundError(f"attachment {aid} does not exist")
        self._require_node(caller, placed.attachment.node, "GetAttachment")
        return self.view(placed)

    def check(self, aid: AttachmentId, container_id: str, caller: Caller) -> AttachmentView:
        problems = container_id_problems(container_id)
        if problems:
            raise ValidationError(problems)
        placed = self.state.attachments.get(aid)
        if placed is None or placed.attachment.container_id != container_id:
            raise NotFoundError(f"no attachment {aid} for container {container_id}")
        self._require_node(caller, placed.attachment.node, "Check")
        view = self.view(placed)
        if view.state is not AttachmentState.READY:
            raise PreconditionError(view.reason or f"attachment is {view.state.value}")
        return view

    def list_attachments(
        self, *, node: str = "", network: NetworkKey | None = None, pod_namespace: str = "", switch: str = ""
    ) -> list[AttachmentView]:
        out = []
        for placed in self.state.attachments.values():
            a = placed.attachment
            if node and a.node != node:
                continue
            if network and a.id.network != network:
                continue
            if pod_namespace and a.id.pod_namespace != pod_namespace:
                continue
            if switch and (placed.placement is None or placed.placement.switch != switch):
                continue
            out.append(self.view(placed))
        return sorted(out, key=lambda v: v.placed.attachment.id)

    async def garbage_collect(
        self, node: NodeName, network: NetworkKey, valid: Iterable[tuple[str, str]], caller: Caller
    ) -> list[AttachmentId]:
        """Remove ``node``'s attachments on ``network`` whose (container ID,
        interface) is not in ``valid``; nothing else is touched."""
        self._require_node(caller, node, "GarbageCollect")
        keep = set(valid)
        stale = [
            p.attachment.id
            for p in self.state.attachments.values()
            if p.attachment.node == node
            and p.attachment.id.network == network
            and (p.attachment.container_id, p.attachment.id.interface) not in keep
        ]
        m = Mutation()
        dirty: Dirty = {}
        for aid in stale:
            res = self.state.detach(aid)
            for s, keys in res.dirty.items():
                dirty.setdefault(s, set()).update(keys)
            m.delete_attachments.append(aid)
            self.created.pop(aid, None)
            self._gen.pop(aid, None)
        if stale:
            self._allocation_rows(dirty, m)
            self._mark(dirty)
            await self._commit(m)
            self.events.publish("attachment", f"{node}@{network}", f"garbage collected {len(stale)}")
        return stale
