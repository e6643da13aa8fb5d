"""The topology as one immutable value, and the queries the daemon and the
renderer ask of it.

A :class:`TopologySnapshot` is built by :func:`topology.graph.build_topology`.
``version`` grows by one whenever the content changes (same content: the
previous snapshot itself is returned) and ``fingerprint`` hashes the content,
so a reconciler can say which topology it computed against.

``graph`` is a frozen networkx ``MultiGraph``. Its nodes are
``("switch", name)`` (attributes ``kind``, ``role``, ``platform``) and
``("node", name)`` (``kind``); its edges carry ``kind`` (``fabric`` |
``edge``), the link's fields and ``link`` (the :class:`FabricLink` or
:class:`EdgeLink` itself).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from models.ids import NicName, NodeName, PortName, SwitchName
from models.intent import Placement
from topology.conflicts import Conflict, LinkSource, Placed, SourcePolicy
from topology.errors import NotFound, NotFoundReason
from topology.facts import NodeNicRef, SwitchFacts


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, order=True)
class FabricLink:
    """A switch-switch link; ``a`` < ``b``. ``one_sided``: only one end reports it."""

    a: Placement
    b: Placement
    one_sided: bool
    stale: bool  # every report of it is stale
    last_seen: float
    conflicted: bool = False


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, order=True)
class EdgeLink:
    """A switch port facing a node NIC, as some source says. ``placed``: this
    is the NIC's placement in use; ``conflicted``: a conflict involves it."""

    switch: SwitchName
    port: PortName
    node: NodeName
    nic: NicName
    source: LinkSource
    stale: bool
    last_seen: float | None  # None: static only
    placed: bool
    conflicted: bool = False

    @property
    def ref(self) -> NodeNicRef:
        return NodeNicRef(node=self.node, nic=self.nic)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Adjacency:
    """A fabric link seen from one of its switches."""

    port: PortName
    peer: SwitchName
    peer_port: PortName
    one_sided: bool
    stale: bool


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, order=True)
class ForeignNeighbour:
    """A neighbour that is neither a switch nor a node: kept out of the graph."""

    switch: SwitchName
    port: PortName
    system_name: str
    chassis_id: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, order=True)
class UnresolvedNeighbour:
    """An LLDP record whose far end cannot be named; never guessed."""

    switch: SwitchName
    port: str
    system_name: str
    port_id: str
    port_id_type: str
    reason: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class TopologySnapshot:
    version: int
    fingerprint: str
    policy: SourcePolicy
    switches: tuple[SwitchFacts, ...]
    fabric_links: tuple[FabricLink, ...]
    edge_links: tuple[EdgeLink, ...]
    conflicts: tuple[Conflict, ...]
    foreign: tuple[ForeignNeighbour, ...]
    unresolved: tuple[UnresolvedNeighbour, ...]
    #: last placement of NICs still known but no longer placed (carried from
    #: earlier snapshots), so that a move through a conflict reads as a move
    held: tuple[tuple[NodeNicRef, Placement], ...]
    placements: Mapping[NodeNicRef, Placed] = dataclasses.field(compare=False, repr=False)
    graph: Any = dataclasses.field(compare=False, repr=False)  # frozen networkx.MultiGraph

    # -- queries ------------------------------------------------------------

    def switch(self, name: str) -> SwitchFacts:
        for s in self.switches:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.switches) or "none"
        raise NotFound(f"unknown switch {name!r} (known: {known})", reason=NotFoundReason.UNKNOWN_SWITCH)

    def leaf_port(self, node: NodeName, nic: NicName) -> Placement:
        """The switch port a node NIC is cabled to, or :class:`NotFound` naming
        what is missing (unknown node, unknown NIC, stale only, in conflict)."""
        ref = NodeNicRef(node=node, nic=nic)
        placed = self.placements.get(ref)
        if placed is not None and not placed.stale:
            return placed.placement
        if placed is not None:
            raise NotFound(
                f"NIC {ref} is seen only on a stale link, {placed.placement} (switch "
                f"{placed.placement.switch} lost its session for longer than the hold time)",
                reason=NotFoundReason.STALE,
                node=node,
                nic=nic,
            )
        reasons = [c.reason for c in self.conflicts if c.subject == str(ref) and c.winner is None]
        if reasons:
            raise NotFound(
                f"NIC {ref} is in conflict: {'; '.join(reasons)}",
                reason=NotFoundReason.CONFLICT,
                node=node,
                nic=nic,
            )
        nics = self.nics_of(node)
        if nics:
            raise NotFound(
                f"node {node} has no NIC {nic!r} in the topology (known NICs: {', '.join(nics)})",
                reason=NotFoundReason.UNKNOWN_NIC,
                node=node,
                nic=nic,
            )
        raise NotFound(
            f"unknown node {node!r}: no static port map entry or LLDP record names it",
            reason=NotFoundReason.UNKNOWN_NODE,
            node=node,
            nic=nic,
        )

    def leaves_for(self, nics: Iterable[tuple[NodeName, NicName] | NodeNicRef]) -> set[SwitchName]:
        """The switches behind these NICs: those :meth:`leaf_port` answers for
        (NICs it would refuse, unknown, stale or in conflict, add nothing)."""
        out: set[SwitchName] = set()
        for item in nics:
            ref = item if isinstance(item, NodeNicRef) else NodeNicRef(node=item[0], nic=item[1])
            placed = self.placements.get(ref)
            if placed is not None and not placed.stale:
                out.add(placed.placement.switch)
        return out

    def fabric_neighbours(self, switch: SwitchName) -> tuple[Adjacency, ...]:
        """The fabric links of a switch, seen from it, sorted by its port."""
        self.switch(switch)
        out: list[Adjacency] = []
        for link in self.fabric_links:
            for me, peer in ((link.a, link.b), (link.b, link.a)):
                if me.switch == switch:
                    out.append(
                        Adjacency(
                            port=me.port,
                            peer=peer.switch,
                            peer_port=peer.port,
                            one_sided=link.one_sided,
                            stale=link.stale,
                        )
                    )
        return tuple(sorted(out))

    def edge_ports(self, switch: SwitchName) -> dict[PortName, tuple[NodeNicRef, ...]]:
        """Ports of a switch facing placed node NICs (stale ones included), by port."""
        self.switch(switch)
        out: dict[PortName, list[NodeNicRef]] = {}
        for link in self.edge_links:
            if link.switch == switch and link.placed:
                out.setdefault(link.port, []).append(link.ref)
        return {p: tuple(sorted(refs)) for p, refs in sorted(out.items())}

    def nics_of(self, node: NodeName) -> tuple[NicName, ...]:
        """Every NIC of a node any source names (placed or not), sorted."""
        return tuple(sorted({link.nic for link in self.edge_links if link.node == node}))

    def placement(self, node: NodeName, nic: NicName) -> Placed | None:
        """The placement in use with its source and stale flag (no raising)."""
        return self.placements.get(NodeNicRef(node=node, nic=nic))

    @property
    def nodes(self) -> tuple[NodeName, ...]:
        return tuple(sorted({link.node for link in self.edge_links}))
