"""Following the topology: NICs that moved take their attachments (and
VLANs) along, or become conflicts; nothing is torn down because a link went
stale or a NIC went missing."""

from __future__ import annotations

import time

from controller.log import get_logger
from controller.service.context import Context
from controller.service.durable import allocation_rows
from controller.store import Mutation
from models.fabric_state import Dirty, merge_dirty
from topology import ChangeKind, TopologySnapshot, placement_changes

log = get_logger("fabric")


def follow(ctx: Context, snap: TopologySnapshot) -> None:
    """Use ``snap`` from now on, moving what it moved."""
    if snap is ctx.topology:
        return
    changes = placement_changes(ctx.topology, snap)
    ctx.topology = snap
    m = Mutation()
    dirty: Dirty = {}
    for ch in changes:
        if ch.kind in (ChangeKind.MOVED, ChangeKind.RESTORED, ChangeKind.ADDED) and ch.new is not None:
            if not ctx.state.attachments_on_nic(ch.ref.node, ch.ref.nic):
                continue
            if ch.new.switch not in ctx.fleet:
                log.warning("nic.moved.unmanaged", nic=str(ch.ref), to=str(ch.new))
                continue
            before = {p.attachment.id: p for p in ctx.state.attachments_on_nic(ch.ref.node, ch.ref.nic)}
            moved, d = ctx.state.move_nic(ch.ref.node, ch.ref.nic, ch.new)
            merge_dirty(dirty, d)
            for placed in moved:
                aid = placed.attachment.id
                m.put_attachments.append((placed, ctx.created.get(aid, time.time())))
                old = before.get(aid)
                if old is not None and old.placement is not None:
                    worker = ctx.fleet.get(old.placement.switch)
                    if worker is not None:
                        worker.forget(aid)
                if placed.conflict:
                    log.warning("attachment.conflict", attachment=str(aid), why=placed.conflict)
                    ctx.events.publish("attachment", str(aid), "conflict", reason=placed.conflict)
            log.info("nic.moved", nic=str(ch.ref), old=str(ch.old), new=str(ch.new), attachments=len(moved))
        if ch.kind is not ChangeKind.ADDED:
            ctx.events.publish("topology", str(ch.ref), ch.kind.value, old=ch.old or "", new=ch.new or "")
    if m:
        allocation_rows(ctx.state, dirty, m)
        ctx.fleet.mark(dirty)
        for placed, _ in m.put_attachments:
            if placed.placement is not None:
                worker = ctx.fleet.get(placed.placement.switch)
                if worker is not None:
                    worker.track(placed.attachment.id, placed.placement.port, placed.vni)
        ctx.durable.commit_soon(m, "nic-moves")
    ctx.events.publish(
        "topology",
        "fabric",
        f"version {snap.version}",
        links=len(snap.fabric_links) + len(snap.edge_links),
        conflicts=len(snap.conflicts),
    )
