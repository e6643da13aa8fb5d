"""Where each node NIC is, when the static map and LLDP may disagree.

Disagreements become :class:`Conflict` records; none is resolved silently.
The source policy (``docs/topology.md``) says which source places a NIC:

============  ===========================================================
mode          placement of a NIC
============  ===========================================================
``static``    the static map only; LLDP (when discovery runs) only checks it
``lldp``      LLDP only; a static map, when given, only checks it
``merged``    both; when they disagree ``prefer`` (``static`` | ``lldp``)
              picks the winner
============  ===========================================================

Conflict kinds (one per NIC or port, each naming its placements):

* ``static-lldp-mismatch``: static says sw1/p1, LLDP says sw2/p4. The mode,
  then ``prefer``, picks the winner; the conflict stays reported.
* ``nic-claimed-twice``: LLDP sees one NIC on two switch ports. The static
  placement wins when the policy lets static decide; else the NIC is not
  placed (``leaf_port`` raises ``NotFound`` with reason ``conflict``).
* ``static-not-seen``: a mapped NIC that no LLDP record shows (reported only
  when discovery runs, i.e. LLDP records were handed in).
* ``lldp-not-mapped``: in ``static`` mode, a NIC LLDP sees that the map lacks
  (not placed).
* ``port-claimed-twice``: two placed NICs on one switch port (both stay placed).
* ``fabric-port-claimed-twice``: LLDP shows two fabric peers on one switch port.

A placement is stale when the LLDP records behind it are all stale and the
static map does not hold it up (in ``lldp`` mode the map never does).
Fresh LLDP records beat stale ones (stale: the switch's session was lost for
longer than the hold time): a NIC seen fresh on one port and stale on another
is placed on the fresh one, and the stale edge stays visible in the graph.
"""

from __future__ import annotations

import dataclasses
import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from models.intent import Placement
from topology.facts import NodeNicRef
from topology.portmap import StaticPortMap


class Mode(enum.StrEnum):
    STATIC = "static"
    LLDP = "lldp"
    MERGED = "merged"


class Prefer(enum.StrEnum):
    STATIC = "static"
    LLDP = "lldp"


class LinkSource(enum.StrEnum):
    LLDP = "lldp"
    STATIC = "static"
    BOTH = "lldp+static"


class ConflictKind(enum.StrEnum):
    MISMATCH = "static-lldp-mismatch"
    NIC_CLAIMED_TWICE = "nic-claimed-twice"
    STATIC_NOT_SEEN = "static-not-seen"
    LLDP_NOT_MAPPED = "lldp-not-mapped"
    PORT_CLAIMED_TWICE = "port-claimed-twice"
    FABRIC_PORT_CLAIMED_TWICE = "fabric-port-claimed-twice"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SourcePolicy:
    """Which sources place NICs and which wins. The defaults here are fabricd's
    (its ``topology`` settings take them from this class)."""

    mode: Mode = Mode.STATIC
    prefer: Prefer = Prefer.STATIC

    def __str__(self) -> str:
        return f"mode={self.mode} prefer={self.prefer}"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Conflict:
    kind: ConflictKind
    subject: str  # ``server1/eth1`` or ``sw1/ethernet-1/1``
    reason: str  # for humans: what disagrees and what was done about it
    placements: tuple[Placement, ...] = ()  # every placement involved
    winner: Placement | None = None  # the placement in use, None when none is


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """One LLDP sighting of a NIC on a switch port."""

    ref: NodeNicRef
    placement: Placement
    last_seen: float
    stale: bool


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Placed:
    placement: Placement
    source: LinkSource
    stale: bool


def _places(places: Iterable[Placement]) -> str:
    return ", ".join(str(p) for p in sorted(places))


def place(
    static: StaticPortMap | None,
    seen: Mapping[NodeNicRef, Sequence[Observation]] | None,
    policy: SourcePolicy,
) -> tuple[dict[NodeNicRef, Placed], list[Conflict]]:
    """Placements and conflicts for every NIC the sources know (module docstring).
    ``seen`` is None when discovery does not run."""
    static = static or StaticPortMap()
    lldp = seen or {}
    placed: dict[NodeNicRef, Placed] = {}
    conflicts: list[Conflict] = []
    for ref in sorted(set(static.by_ref) | set(lldp)):
        s = static.placement(ref)
        obs = lldp.get(ref, ())
        fresh = [o for o in obs if not o.stale]
        lplaces = sorted({o.placement for o in (fresh or obs)})
        single = lplaces[0] if len(lplaces) == 1 else None
        static_decides = policy.mode is Mode.STATIC or (policy.mode is Mode.MERGED and policy.prefer is Prefer.STATIC)
        winner: Placement | None
        if policy.mode is Mode.STATIC:
            winner = s
        elif policy.mode is Mode.LLDP:
            winner = single
        elif s is not None and lplaces and s != single:
            winner = s if static_decides else single
        else:
            winner = s or single
        involved = tuple(sorted({*lplaces, *([s] if s else [])}))

        found: list[tuple[ConflictKind, str]] = []
        if len(lplaces) > 1:
            found.append((ConflictKind.NIC_CLAIMED_TWICE, f"LLDP sees {ref} on {_places(lplaces)}"))
        if s is not None and lplaces and s not in lplaces:
            found.append((ConflictKind.MISMATCH, f"static map says {s}, LLDP says {_places(lplaces)}"))
        if s is not None and seen is not None and not obs:
            found.append((ConflictKind.STATIC_NOT_SEEN, f"static map says {s}, no LLDP record shows {ref}"))
        if s is None and policy.mode is Mode.STATIC:
            found.append(
                (
                    ConflictKind.LLDP_NOT_MAPPED,
                    f"LLDP sees {ref} on {_places(lplaces)}, the static map lacks it",
                )
            )
        using = f"using {winner}" if winner else "not placed"
        conflicts.extend(
            Conflict(
                kind=k,
                subject=str(ref),
                reason=f"{why}; {policy}: {using}",
                placements=involved,
                winner=winner,
            )
            for k, why in found
        )
        if winner is None:
            continue
        by_lldp = winner in lplaces
        source = LinkSource.BOTH if by_lldp and winner == s else LinkSource.LLDP if by_lldp else LinkSource.STATIC
        placed[ref] = Placed(
            placement=winner,
            source=source,
            stale=not fresh and (source is LinkSource.LLDP or policy.mode is Mode.LLDP),
        )
    owners: dict[Placement, list[NodeNicRef]] = defaultdict(list)
    for ref, p in placed.items():
        owners[p.placement].append(ref)
    for where, refs in sorted(owners.items()):
        if len(refs) > 1:
            names = ", ".join(str(r) for r in sorted(refs))
            conflicts.append(
                Conflict(
                    kind=ConflictKind.PORT_CLAIMED_TWICE,
                    subject=str(where),
                    reason=f"{names} are all placed on {where}; all stay placed",
                    placements=(where,),
                    winner=where,
                )
            )
    return placed, sorted(conflicts)
