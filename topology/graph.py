"""Build a :class:`TopologySnapshot` (and its networkx graph) from switch
facts, LLDP records and a static port map.

* Fabric links: one per pair of switch ports, whichever end reports it; a
  link only one end reports is kept with ``one_sided``; stale when every
  report is stale.
* Edge links: one per (switch port, node NIC) any source names, with the
  sources that name it; the NIC's placement comes from
  :func:`topology.conflicts.place` under the source policy.
* Foreign and unresolved neighbours are listed, never in the graph.

The result does not depend on the order of the records.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from types import MappingProxyType

import networkx as nx

from models.ids import SwitchName
from models.intent import Placement
from topology.conflicts import Conflict, ConflictKind, LinkSource, Observation, Placed, SourcePolicy, place
from topology.errors import FactsError
from topology.facts import LldpRecord, NodeNicRef, SwitchFacts
from topology.identity import FabricNeighbour, Foreign, IdentityMap, NicNeighbour, resolve
from topology.portmap import StaticPortMap
from topology.snapshot import EdgeLink, FabricLink, ForeignNeighbour, TopologySnapshot, UnresolvedNeighbour

_DEFAULT_IDENTITY = IdentityMap()
_DEFAULT_POLICY = SourcePolicy()
# (end, other end) -> (reporter end, last_seen, stale) per report
_Reports = dict[tuple[Placement, Placement], list[tuple[Placement, float, bool]]]


def build_topology(
    switches: Iterable[SwitchFacts],
    *,
    lldp: Iterable[LldpRecord] | None = None,
    static: StaticPortMap | None = None,
    identity: IdentityMap = _DEFAULT_IDENTITY,
    policy: SourcePolicy = _DEFAULT_POLICY,
    previous: TopologySnapshot | None = None,
) -> TopologySnapshot:
    """The topology from its facts. ``lldp=None``: discovery does not run (no
    ``static-not-seen`` conflicts). ``previous``: the snapshot this one follows
    (version numbering, held placements)."""
    inventory: dict[SwitchName, SwitchFacts] = {}
    for s in switches:
        if s.name in inventory:
            raise FactsError(f"switch {s.name} is in the inventory twice")
        inventory[s.name] = s
    reports: _Reports = defaultdict(list)
    seen: dict[NodeNicRef, list[Observation]] = defaultdict(list)
    foreign: set[ForeignNeighbour] = set()
    unresolved: set[UnresolvedNeighbour] = set()
    for r in lldp or ():

        def unresolvable(reason: str, r: LldpRecord = r) -> None:
            unresolved.add(
                UnresolvedNeighbour(
                    switch=r.switch,
                    port=r.local_port,
                    system_name=r.system_name,
                    port_id=r.port_id,
                    port_id_type=r.port_id_type.value,
                    reason=reason,
                )
            )

        local = inventory.get(r.switch)
        if local is None:
            unresolvable(f"switch {r.switch!r} is not in the inventory")
            continue
        try:
            here = Placement(switch=local.name, port=local.port(r.local_port))
        except FactsError as e:
            unresolvable(f"local port: {e}")
            continue
        far = resolve(r, inventory, identity)
        if isinstance(far, FabricNeighbour):
            there = Placement(switch=far.switch, port=far.port)
            ends = (here, there) if here <= there else (there, here)
            reports[ends].append((here, r.last_seen, r.stale))
        elif isinstance(far, NicNeighbour):
            seen[far.ref].append(Observation(ref=far.ref, placement=here, last_seen=r.last_seen, stale=r.stale))
        elif isinstance(far, Foreign):
            foreign.add(
                ForeignNeighbour(
                    switch=here.switch, port=here.port, system_name=far.system_name, chassis_id=r.chassis_id
                )
            )
        else:
            unresolvable(far.reason)
    placements, conflicts = place(static, None if lldp is None else seen, policy)
    fabric = _fabric_links(reports, conflicts)
    edges = _edge_links(static, seen, placements, conflicts)
    known = {link.ref for link in edges}
    held: dict[NodeNicRef, Placement] = {}
    if previous is not None:
        held = {ref: p for ref, p in previous.held if ref in known and ref not in placements}
        for ref, was in previous.placements.items():
            if ref in known and ref not in placements:
                held[ref] = was.placement
    content = (
        tuple(sorted(inventory.values(), key=lambda s: s.name)),
        tuple(sorted(fabric)),
        tuple(sorted(edges)),
        tuple(sorted(conflicts)),
        tuple(sorted(foreign)),
        tuple(sorted(unresolved)),
        tuple(sorted(held.items())),
    )
    fingerprint = hashlib.sha256(repr((policy, content)).encode()).hexdigest()[:16]
    if previous is not None and previous.fingerprint == fingerprint:
        return previous
    sws, fab, edg, con, fgn, unr, hld = content
    return TopologySnapshot(
        version=1 if previous is None else previous.version + 1,
        fingerprint=fingerprint,
        policy=policy,
        switches=sws,
        fabric_links=fab,
        edge_links=edg,
        conflicts=con,
        foreign=fgn,
        unresolved=unr,
        held=hld,
        placements=MappingProxyType(dict(sorted(placements.items()))),
        graph=_graph(sws, fab, edg),
    )


def _fabric_links(reports: _Reports, conflicts: list[Conflict]) -> list[FabricLink]:
    links = []
    ports: dict[Placement, list[tuple[Placement, Placement]]] = defaultdict(list)
    for a, b in reports:
        ports[a].append((a, b))
        ports[b].append((a, b))
    bad: set[tuple[Placement, Placement]] = set()
    for port, pairs in sorted(ports.items()):
        uniq = sorted(set(pairs))
        if len(uniq) > 1:
            peers = sorted(b if a == port else a for a, b in uniq)
            conflicts.append(
                Conflict(
                    kind=ConflictKind.FABRIC_PORT_CLAIMED_TWICE,
                    subject=str(port),
                    reason=f"LLDP shows {port} cabled to {', '.join(map(str, peers))}; every link is kept",
                    placements=tuple([port, *peers]),
                )
            )
            bad.update(uniq)
    for (a, b), reps in reports.items():
        links.append(
            FabricLink(
                a=a,
                b=b,
                one_sided=len({rep[0] for rep in reps}) < 2 and a != b,
                stale=all(rep[2] for rep in reps),
                last_seen=max(rep[1] for rep in reps),
                conflicted=(a, b) in bad,
            )
        )
    conflicts.sort()
    return links


def _edge_links(
    static: StaticPortMap | None,
    seen: dict[NodeNicRef, list[Observation]],
    placements: dict[NodeNicRef, Placed],
    conflicts: list[Conflict],
) -> list[EdgeLink]:
    by: dict[tuple[NodeNicRef, Placement], list[Observation]] = defaultdict(list)
    for ref, obs in seen.items():
        for o in obs:
            by[(ref, o.placement)].append(o)
    statics = {(link.ref, link.placement) for link in (static.links if static else ())}
    involved = {(c.subject, p) for c in conflicts for p in c.placements}
    edges = []
    for ref, where in sorted(set(by) | statics):
        obs = by.get((ref, where), [])
        in_static = (ref, where) in statics
        source = LinkSource.BOTH if obs and in_static else LinkSource.LLDP if obs else LinkSource.STATIC
        placed = placements.get(ref)
        edges.append(
            EdgeLink(
                switch=where.switch,
                port=where.port,
                node=ref.node,
                nic=ref.nic,
                source=source,
                stale=bool(obs) and all(o.stale for o in obs) and not in_static,
                last_seen=max((o.last_seen for o in obs), default=None),
                placed=placed is not None and placed.placement == where,
                conflicted=(str(ref), where) in involved or (str(where), where) in involved,
            )
        )
    return edges


def _graph(
    switches: tuple[SwitchFacts, ...], fabric: tuple[FabricLink, ...], edges: tuple[EdgeLink, ...]
) -> nx.MultiGraph:
    g = nx.MultiGraph()
    for s in switches:
        g.add_node(("switch", s.name), kind="switch", role=s.role.value, platform=s.platform)
    for f in fabric:
        g.add_edge(
            ("switch", f.a.switch),
            ("switch", f.b.switch),
            key=f"{f.a}--{f.b}",
            kind="fabric",
            a=f.a,
            b=f.b,
            one_sided=f.one_sided,
            stale=f.stale,
            last_seen=f.last_seen,
            link=f,
        )
    for e in edges:
        g.add_node(("node", e.node), kind="node")
        g.add_edge(
            ("switch", e.switch),
            ("node", e.node),
            key=f"{e.switch}/{e.port}--{e.node}/{e.nic}",
            kind="edge",
            switch=e.switch,
            port=e.port,
            node=e.node,
            nic=e.nic,
            source=e.source.value,
            stale=e.stale,
            last_seen=e.last_seen,
            placed=e.placed,
            link=e,
        )
    return nx.freeze(g)
