"""What changed for each node NIC between two snapshots: the daemon turns
these into re-placement of attachments, events and metrics.

==============  ================================================================
kind            meaning (``old`` / ``new`` placements)
==============  ================================================================
``added``       a NIC placed for the first time (``new``)
``moved``       placed elsewhere than before (``old`` -> ``new``); also when the
                NIC was unplaced (a conflict) in between: the snapshot *holds*
                the last placement of a NIC still known but not placed
``unplaced``    was placed, now known but not placed (a conflict); ``old`` is
                held: keep its attachments, place nothing new
``restored``    placed again on the port it was held on
``stale``       the placement is now on a stale link only (same port)
``fresh``       the placement is no longer stale (same port)
``removed``     the NIC is gone from every source (``old``)
==============  ================================================================
"""

from __future__ import annotations

import dataclasses
import enum

from models.intent import Placement
from topology.facts import NodeNicRef
from topology.snapshot import TopologySnapshot


class ChangeKind(enum.StrEnum):
    ADDED = "added"
    MOVED = "moved"
    UNPLACED = "unplaced"
    RESTORED = "restored"
    STALE = "stale"
    FRESH = "fresh"
    REMOVED = "removed"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, order=True)
class PlacementChange:
    ref: NodeNicRef
    kind: ChangeKind
    old: Placement | None
    new: Placement | None

    def __str__(self) -> str:
        return f"{self.ref}: {self.kind} {self.old or '-'} -> {self.new or '-'}"


def placement_changes(old: TopologySnapshot | None, new: TopologySnapshot) -> tuple[PlacementChange, ...]:
    """Per NIC, how its placement changed from ``old`` (None: nothing) to ``new``, sorted."""
    old_placed = dict(old.placements) if old else {}
    old_held = dict(old.held) if old else {}
    new_held = dict(new.held)
    out: list[PlacementChange] = []
    for ref in sorted(set(old_placed) | set(old_held) | set(new.placements) | set(new_held)):
        was = old_placed.get(ref)
        was_at = was.placement if was else old_held.get(ref)
        now = new.placements.get(ref)

        def change(
            kind: ChangeKind,
            new_at: Placement | None,
            ref: NodeNicRef = ref,
            was_at: Placement | None = was_at,
        ) -> None:
            out.append(PlacementChange(ref=ref, kind=kind, old=was_at, new=new_at))

        if now is not None:
            if was_at is None:
                change(ChangeKind.ADDED, now.placement)
            elif was_at != now.placement:
                change(ChangeKind.MOVED, now.placement)
            elif was is None:
                change(ChangeKind.RESTORED, now.placement)
            elif was.stale != now.stale:
                change(ChangeKind.STALE if now.stale else ChangeKind.FRESH, now.placement)
        elif ref in new_held:
            if was is not None:
                change(ChangeKind.UNPLACED, None)
        elif was_at is not None:
            change(ChangeKind.REMOVED, None)
    return tuple(out)
