"""The fabric audit: intent vs the switch's configuration vs its operational
state, as findings (pure).

Configuration findings come from the same per-key comparison the drift watch
and every reconcile pass make (:func:`models.render.plan_keys`: what a
pass would send for a key); :func:`key_findings` only names them:

* ``missing``: the intent wants objects under the key, the switch has none;
* ``dangling``: the switch has fabricd's objects the intent does not want;
* ``misconfigured``: both have them and they differ.

Operational findings come from :func:`models.readiness.forwarding_gaps` for
every VNI of every leaf whose state is known (``not-forwarding``), and a
leaf that is not connected or not known is ``unreachable``. A leaf held
for objects the store has no record of (``SwitchWorker.held``) is ``held``
besides its ``dangling`` ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from models.diff import SetOps
from models.ids import SwitchName
from models.platforms.base import ObjectKey
from models.readiness import LeafView, forwarding_gaps

KINDS = ("missing", "dangling", "misconfigured", "not-forwarding", "unreachable", "held")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Finding:
    kind: str
    switch: str
    vni: int = 0
    port: str = ""
    peer: str = ""
    detail: str = ""


def key_kind(have: Mapping[Any, Any] | None, want: Mapping[Any, Any] | None) -> str:
    if not have:
        return "missing"
    if not want:
        return "dangling"
    return "misconfigured"


def key_findings(
    switch: str,
    planned: Mapping[ObjectKey, SetOps],
    current: Mapping[ObjectKey, Mapping[Any, Any]],
    desired: Mapping[ObjectKey, Mapping[Any, Any]],
) -> list[Finding]:
    """One finding per key a pass would change."""
    out = []
    for key, ops in sorted(planned.items()):
        kind = key_kind(current.get(key), desired.get(key))
        n = len(ops.deletes) + len(ops.replaces) + len(ops.updates)
        out.append(
            Finding(
                kind=kind,
                switch=switch,
                vni=key.vni,
                port=key.port,
                detail=f"{key}: {kind} on the switch ({n} gNMI change(s) would correct it)",
            )
        )
    return out


def forwarding_findings(leaves: Mapping[SwitchName, LeafView]) -> list[Finding]:
    """``not-forwarding`` for every VNI of every leaf whose state is known,
    each (leaf, VNI, peer) once."""
    seen: dict[tuple[str, int, str], Finding] = {}
    for _, leaf in sorted(leaves.items()):
        if not leaf.healthy or leaf.oper is None:
            continue
        for vni in sorted(leaf.vnis):
            for gap in forwarding_gaps(leaf.name, vni, leaves):
                key = (gap.switch, gap.vni, gap.peer)
                seen.setdefault(
                    key,
                    Finding(kind="not-forwarding", switch=gap.switch, vni=gap.vni, peer=gap.peer, detail=gap.text),
                )
    return sorted(seen.values())


def count(findings: list[Finding]) -> dict[tuple[str, str], int]:
    """(kind, switch) -> findings (the metric's labels)."""
    out: dict[tuple[str, str], int] = {}
    for f in findings:
        out[(f.kind, f.switch)] = out.get((f.kind, f.switch), 0) + 1
    return out
