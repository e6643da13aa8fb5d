"""Attachments: Attach, Detach, Check, Get, List and GarbageCollect.

Every mutation follows one path: validate (every problem at once) ->
authorize -> resolve node/NIC to a leaf port -> change the in-memory intent
(all or nothing) -> mark the touched keys on their leaf's worker -> write the
change durably -> (Attach) wait for the leaf to commit, bounded by the
request's deadline. An attachment's state is its leaf worker's answer.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import heapq
import operator
import time
from collections.abc import Iterable, Sequence

from controller.chunks import slices
from controller.metrics import Metrics
from controller.reconcile.changes import Pass
from controller.reconcile.readiness import Views, readiness_of
from controller.reconcile.status import AttachmentState
from controller.reconcile.worker import SwitchWorker
from controller.service.authz import Caller
from controller.service.context import Context
from controller.service.durable import allocation_rows
from controller.store import Mutation
from models.errors import (
    NotFoundError,
    PreconditionError,
    QuotaExceededError,
    SupersededError,
    TemporaryError,
    ValidationError,
    raise_if,
)
from models.fabric_state import Dirty, PlacedAttachment, merge_dirty
from models.ids import NicName, NodeName
from models.intent import Attachment, AttachmentId, NetworkKey, Placement
from models.readiness import describe
from models.validation import attachment_problems, container_id_problems


def order(aid: AttachmentId) -> tuple[str, str, str, str, str, str]:
    """The order attachments are listed in (their id, field by field)."""
    return (aid.pod_namespace, aid.pod_name, aid.pod_uid, aid.network.namespace, aid.network.name, aid.interface)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AttachmentView:
    placed: PlacedAttachment
    state: AttachmentState
    reason: str
    created: float
    #: the pod's phase from the Kubernetes API ("" unknown)
    pod_phase: str = ""


class Attachments:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._views = Views()

    # ------------------------------------------------------------ queries

    def view(self, placed: PlacedAttachment) -> AttachmentView:
        aid = placed.attachment.id
        state, reason = self.state(placed)
        return AttachmentView(
            placed=placed,
            state=state,
            reason=reason,
            created=self._ctx.created.get(aid, 0.0),
            pod_phase=self._ctx.pods.phase(aid),
        )

    def state(self, placed: PlacedAttachment) -> tuple[AttachmentState, str]:
        """The attachment's state, and why when it is not ready."""
        if placed.conflict or placed.placement is None:
            return AttachmentState.CONFLICT, placed.conflict
        worker = self._ctx.fleet.get(placed.placement.switch)
        if worker is None:
            why = self._ctx.follower or f"switch {placed.placement.switch} is not a managed leaf"
            return AttachmentState.PENDING, why
        state, reason = worker.attachment_state(placed.attachment.id, placed.placement.port, placed.vni)
        if state is AttachmentState.READY and self._forwarding(placed):
            fleet = self._ctx.fleet
            missing = self._views.gaps(fleet, self._ctx.state, fleet.generation, placed.placement.switch, placed.vni)
            if missing:
                return AttachmentState.PENDING, describe(missing)
        return state, reason

    def tally(
        self, placed: Iterable[PlacedAttachment], counts: collections.Counter[tuple[NetworkKey, AttachmentState]]
    ) -> None:
        """Count attachments per (network, state) into ``counts``."""
        state = self.state
        for p in placed:
            counts[(p.attachment.id.network, state(p)[0])] += 1

    async def count_states(self, chunk: int = 2000) -> collections.Counter[tuple[NetworkKey, AttachmentState]]:
        """Attachments per (network, state), ``chunk`` at a time with the loop
        free in between: a metrics scrape of 100,000 attachments held the loop
        (and every Attach) for over a second. The attachments are those of
        the start; their states are read as each chunk is counted."""
        counts: collections.Counter[tuple[NetworkKey, AttachmentState]] = collections.Counter()
        async for part in slices(list(self._ctx.state.attachments.values()), chunk):
            self.tally(part, counts)
        return counts

    def _forwarding(self, placed: PlacedAttachment) -> bool:
        net = self._ctx.state.networks.get(placed.attachment.id.network)
        return net is not None and readiness_of(net, self._ctx.settings) == "forwarding"

    def _owned(self, aid: AttachmentId, caller: Caller, method: str) -> PlacedAttachment | None:
        """The attachment if the caller may see and change it: its owning node
        or an operator. Another node's attachment is answered exactly like a
        missing one (ids must not be probed across nodes); the refusal is
        still counted and logged."""
        placed = self._ctx.state.attachments.get(aid)
        if placed is None:
            return None
        if not caller.operator and caller.identity != placed.attachment.node:
            self._ctx.authz.deny(method, f"identity {caller.identity!r} does not own attachment {aid}")
            return None
        return placed

    async def get(self, aid: AttachmentId, caller: Caller) -> AttachmentView:
        await self._ctx.durable.barrier()  # answer only what is durable
        placed = self._owned(aid, caller, "GetAttachment")
        if placed is None:
            raise NotFoundError(f"attachment {aid} does not exist")
        return self.view(placed)

    async def check(self, aid: AttachmentId, container_id: str, caller: Caller) -> AttachmentView:
        problems = container_id_problems(container_id)
        if problems:
            raise ValidationError(problems)
        await self._ctx.durable.barrier()
        placed = self._owned(aid, caller, "Check")
        if placed is None or placed.attachment.container_id != container_id:
            raise NotFoundError(f"no attachment {aid} for container {container_id}")
        view = self.view(placed)
        if view.state is not AttachmentState.READY:
            raise PreconditionError(view.reason or f"attachment is {view.state.value}")
        return view

    async def page(
        self,
        *,
        size: int,
        after: tuple[str, ...] | None = None,
        node: str = "",
        network: NetworkKey | None = None,
        pod_namespace: str = "",
        switch: str = "",
        chunk: int = 5000,
    ) -> tuple[list[AttachmentView], tuple[str, ...] | None]:
        """At most ``size`` attachments matching the filters, in the order
        of ``order``, after ``after``; and the key of the last one when more
        follow. A node's own come from the per-NIC index; any other listing
        is one pass over a snapshot of the attachments keeping the ``size``
        smallest, ``chunk`` at a time with the loop free in between (the old
        sorted list of all of them held the loop for 3 s at 100,000, and the
        answer was more than a gRPC message may carry). An attachment gone
        while the page is made is left out of it."""
        state = self._ctx.state
        if node:
            candidates: Sequence[PlacedAttachment] = state.attachments_of(NodeName(node))
        else:
            candidates = list(state.attachments.values())
        matches: list[tuple[tuple[str, ...], PlacedAttachment]] = []
        async for part in slices(candidates, chunk):
            for placed in part:
                aid = placed.attachment.id
                if network and aid.network != network:
                    continue
                if pod_namespace and aid.pod_namespace != pod_namespace:
                    continue
                if switch and (placed.placement is None or placed.placement.switch != switch):
                    continue
                key = order(aid)
                if after is None or key > after:
                    matches.append((key, placed))
        found = heapq.nsmallest(size + 1, matches, key=operator.itemgetter(0))
        last = found[size - 1][0] if len(found) > size else None
        views: list[AttachmentView] = []
        async for pairs in slices(found[:size], chunk // 5):  # a view costs about five times a match
            views += [self.view(p) for _, p in pairs if state.attachments.get(p.attachment.id) is p]
        return views, last

    # ---------------------------------------------------------- mutations

    def _placement(self, node: NodeName, nic: NicName) -> Placement:
        ctx = self._ctx
        try:
            placement = ctx.topology.leaf_port(node, nic)  # raises a NotFoundError naming what is missing
        except NotFoundError as e:
            if ctx.discovering():
                raise TemporaryError(f"{e}; discovery has not heard from every switch yet") from None
            raise
        if placement.switch not in ctx.fleet:
            raise PreconditionError(
                f"{node}/{nic} is cabled to {placement}, but switch {placement.switch} is not a managed leaf"
            )
        return placement

    async def attach(self, att: Attachment, caller: Caller, *, leaf_wait: float) -> AttachmentView:
        ctx = self._ctx
        t0 = time.perf_counter()
        raise_if(attachment_problems(att))
        ctx.authz.require_node(caller, att.node, "Attach")
        net = ctx.state.network(att.id.network)
        if not net.usable_from(att.id.pod_namespace):
            raise ctx.authz.deny(
                "Attach",
                f"network {net.key} is not shared and pod namespace {att.id.pod_namespace!r} is not {net.namespace!r}",
            )
        previous = ctx.state.attachments.get(att.id)
        if previous is not None and previous.attachment.node != att.node and not caller.operator:
            # pod UIDs are not secrets: an id alone never moves another node's attachment
            raise ctx.authz.deny("Attach", f"attachment {att.id} belongs to another node")
        if not caller.operator:
            # with Kubernetes on: the API confirms the pod, its UID, namespace and node (docs/security.md)
            await ctx.pods.verify_attach(att, new=previous is None or previous.attachment != att)
        if previous is None or previous.attachment.node != att.node:
            limit = ctx.settings.fabric.max_attachments_per_node
            held = ctx.state.node_attachment_count(att.node)
            if held >= limit:
                raise QuotaExceededError(
                    f"node {att.node} holds {held} attachments, the most one node may hold "
                    "(fabric.max_attachments_per_node)"
                )
        placement = self._placement(att.node, att.nic)
        worker = ctx.fleet.get(placement.switch)
        assert worker is not None  # _placement checked it
        if not worker.claimed:
            await self._custody(worker, t0 + leaf_wait)
        result = ctx.state.attach(att, placement)
        m = None
        if not result.replay:
            ctx.created.setdefault(att.id, time.time())
            m = Mutation(put_attachments=[(result.placed, ctx.created[att.id])])
            allocation_rows(ctx.state, result.dirty, m)
            ctx.fleet.mark(result.dirty)
            self._moved_off(previous, placement)
        # the generation that carries this attachment is the one of its keys now, taken before the write awaits:
        # the later attaches of a burst on one NIC each change the port's VLANs, and this one does not wait for
        # their Sets too
        generation = worker.track(att.id, placement.port, result.placed.vni)
        marked = time.perf_counter()
        if m is None:
            await ctx.durable.barrier()  # a replay answers only what is durable
        else:
            await ctx.durable.commit(m)
            if result.dirty:
                ctx.events.publish(
                    "attachment",
                    str(att.id),
                    "attached",
                    switch=placement.switch,
                    port=placement.port,
                    vlan=result.placed.vlan,
                )
        try:
            async with asyncio.timeout(max(0.0, t0 + leaf_wait - time.perf_counter())):  # no task, as wait_for made
                await worker.wait(generation)
        except TimeoutError:
            raise TemporaryError(
                f"leaf {placement.switch} did not confirm the attachment in time ({worker.why_waiting()}); "
                "it keeps converging"
            ) from None
        sent = worker.carrier(generation) if m is not None else None  # asked at once: passes are forgotten
        placed = ctx.state.attachments.get(att.id)
        if placed is None or placed.attachment != att:
            # a Detach (the runtime's DEL after an ADD that timed out) or a newer
            # Attach of the same id changed it while this one waited for the leaf
            what = "detached" if placed is None else f"replaced (container {placed.attachment.container_id})"
            raise SupersededError(f"attachment {att.id} was {what} while waiting for leaf {placement.switch}")
        view = self.view(placed)
        if view.state is AttachmentState.PENDING and self._forwarding(placed):
            view = await self._forwards(placed, view, deadline=t0 + leaf_wait)
        if view.state is AttachmentState.CONFLICT:
            raise PreconditionError(view.reason)
        if view.state is not AttachmentState.READY:
            raise TemporaryError(view.reason)
        done = time.perf_counter()
        ctx.metrics.attach_duration.observe(done - t0)
        if m is not None:
            _phases(ctx.metrics, t0, marked, sent, done)
        return view

    @staticmethod
    async def _custody(worker: SwitchWorker, deadline: float) -> None:
        """A leaf the store has not claimed takes an attachment only once a read found no object of fabricd on it
        that the store has no record of (its VLANs could be someone's: worker.py, "custody")."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, deadline - time.perf_counter())):
                await worker.checked.wait()
        held = worker.held()
        if held:
            raise PreconditionError(held)
        if not worker.claimed:
            raise TemporaryError(
                f"leaf {worker.name} has not been read yet (its first read checks it for objects of fabricd "
                f"that this store has no record of): {worker.why_waiting()}"
            )

    async def _forwards(self, placed: PlacedAttachment, view: AttachmentView, *, deadline: float) -> AttachmentView:
        """Readiness ``forwarding``: wait (woken by every change of a leaf's
        session, commits or operational state) until the VNI forwards, or
        until the deadline; then say what is missing."""
        pulse = self._ctx.fleet.pulse
        while view.state is AttachmentState.PENDING:
            left = deadline - time.perf_counter()
            if left <= 0:
                switch = placed.placement.switch if placed.placement else "?"
                raise TemporaryError(
                    f"leaf {switch} committed the attachment but VNI {placed.vni} does not forward "
                    f"everywhere in time: {view.reason}; it keeps converging"
                )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    await pulse.wait()
            current = self._ctx.state.attachments.get(placed.attachment.id)
            if current is None or current.attachment != placed.attachment:
                return view  # changed meanwhile: the caller says how
            view = self.view(current)
        return view

    async def detach(self, aid: AttachmentId, container_id: str, caller: Caller) -> bool:
        ctx = self._ctx
        placed = self._owned(aid, caller, "Detach")
        result = ctx.state.detach(aid, container_id or None) if placed is not None else None
        if result is None or result.removed is None:
            await ctx.durable.barrier()  # "not there" only once an earlier removal is durable
            return False
        m = Mutation(delete_attachments=[aid])
        allocation_rows(ctx.state, result.dirty, m)
        ctx.fleet.mark(result.dirty)
        self._forget(result.removed)
        await ctx.durable.commit(m)
        ctx.events.publish("attachment", str(aid), "detached")
        return True

    async def garbage_collect(
        self,
        node: NodeName,
        network: NetworkKey,
        valid: Iterable[tuple[str, str]],
        caller: Caller,
        *,
        cni_network: str = "",
    ) -> list[AttachmentId]:
        """Remove ``node``'s attachments on ``network`` (and, with
        ``cni_network``, made through that CNI network name; attachments
        stored without a name match every name) whose (container ID,
        interface) is not in ``valid``; nothing else is touched."""
        ctx = self._ctx
        ctx.authz.require_node(caller, node, "GarbageCollect")
        keep = set(valid)
        stale = sorted(
            p.attachment.id
            for p in ctx.state.attachments_of(node)  # the node's, from its index: runtimes call this often
            if p.attachment.id.network == network
            and (not cni_network or p.attachment.cni_network in ("", cni_network))
            and (p.attachment.container_id, p.attachment.id.interface) not in keep
        )
        m = Mutation()
        dirty: Dirty = {}
        for aid in stale:
            res = ctx.state.detach(aid)
            merge_dirty(dirty, res.dirty)
            m.delete_attachments.append(aid)
            if res.removed is not None:
                self._forget(res.removed)
        if stale:
            allocation_rows(ctx.state, dirty, m)
            ctx.fleet.mark(dirty)
            await ctx.durable.commit(m)
            ctx.events.publish("attachment", f"{node}@{network}", f"garbage collected {len(stale)}")
        return stale

    def _forget(self, removed: PlacedAttachment) -> None:
        aid = removed.attachment.id
        self._ctx.created.pop(aid, None)
        if removed.placement is not None:
            worker = self._ctx.fleet.get(removed.placement.switch)
            if worker is not None:
                worker.forget(aid)

    def _moved_off(self, previous: PlacedAttachment | None, placement: Placement) -> None:
        """An attachment placed anew: the leaf it left no longer carries it."""
        if previous is not None and previous.placement is not None and previous.placement.switch != placement.switch:
            worker = self._ctx.fleet.get(previous.placement.switch)
            if worker is not None:
                worker.forget(previous.attachment.id)


def _phases(metrics: Metrics, start: float, marked: float, sent: Pass | None, done: float) -> None:
    """``fabric_attach_phase_seconds`` of an attach that changed its leaf. A
    Set that left before its change was marked (its keys were already as it
    wants them: a Set of an earlier change carried it) leaves only the intake
    to tell."""
    phase = metrics.attach_phases
    phase["intake"].observe(marked - start)
    if sent is None or sent.set_started < marked:
        return
    phase["queued"].observe(sent.set_started - marked)
    phase["set"].observe(sent.set_returned - sent.set_started)
    phase["after"].observe(done - sent.set_returned)
