"""Topology graph, discovery records and static port maps. Pure: may import models only.

What the daemon and the renderer call::

    snap = build_topology(switches, lldp=state.records(now), static=parse_port_map(text, switches),
                          identity=settings.topology.identity, policy=settings.topology.policy,
                          previous=snap)
    snap.leaf_port(node, nic) -> Placement(switch, port)      # raises NotFound
    snap.leaves_for([(node, nic), ...]) -> set[SwitchName]
    placement_changes(old_snap, snap) -> (PlacementChange, ...)
    to_json(snap) / to_table(snap) / to_dot(snap)

Modules: ``facts`` (typed facts), ``identity`` (who is at the far end of an
LLDP record), ``portmap`` (static maps), ``conflicts`` (source policy,
placement, conflicts), ``graph`` (building a snapshot), ``snapshot`` (the
snapshot and its queries), ``lldp_state`` (the LLDP stream reducer),
``changes`` (what moved), ``export`` (JSON, table, DOT), ``errors``.
"""

from __future__ import annotations

from models.intent import Placement
from topology.changes import ChangeKind, PlacementChange, placement_changes
from topology.conflicts import Conflict, ConflictKind, LinkSource, Mode, Placed, Prefer, SourcePolicy
from topology.errors import (
    FactsError,
    NotFound,
    NotFoundReason,
    PermanentError,
    PortMapError,
    PortMapProblem,
    TopologyError,
)
from topology.export import to_dict, to_dot, to_json, to_table
from topology.facts import (
    ChassisIdType,
    LldpRecord,
    NodeNicRef,
    PortIdType,
    Role,
    StaticLink,
    SwitchFacts,
)
from topology.graph import build_topology
from topology.identity import IdentityMap
from topology.lldp_state import (
    Forget,
    LldpEvent,
    LldpState,
    NeighborDelete,
    NeighborUpdate,
    SessionDown,
    SessionUp,
    SyncDone,
)
from topology.portmap import StaticPortMap, parse_port_map
from topology.snapshot import Adjacency, EdgeLink, FabricLink, TopologySnapshot

__all__ = [
    "Adjacency",
    "ChangeKind",
    "ChassisIdType",
    "Conflict",
    "ConflictKind",
    "EdgeLink",
    "FabricLink",
    "FactsError",
    "Forget",
    "IdentityMap",
    "LinkSource",
    "LldpEvent",
    "LldpRecord",
    "LldpState",
    "Mode",
    "NeighborDelete",
    "NeighborUpdate",
    "NodeNicRef",
    "NotFound",
    "NotFoundReason",
    "PermanentError",
    "Placed",
    "Placement",
    "PlacementChange",
    "PortIdType",
    "PortMapError",
    "PortMapProblem",
    "Prefer",
    "Role",
    "SessionDown",
    "SessionUp",
    "SourcePolicy",
    "StaticLink",
    "StaticPortMap",
    "SwitchFacts",
    "SyncDone",
    "TopologyError",
    "TopologySnapshot",
    "build_topology",
    "parse_port_map",
    "placement_changes",
    "to_dict",
    "to_dot",
    "to_json",
    "to_table",
]
