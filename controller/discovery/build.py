"""The topology the daemon resolves placements with: inventory switch facts,
the static port map and (with discovery) LLDP records, through the identity
map and the source policy of the ``topology`` settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from controller.settings.inventory import Inventory
from controller.settings.model import Settings
from models.errors import Problem, ValidationError
from models.ids import NodeName
from topology import (
    LldpRecord,
    Role,
    StaticPortMap,
    SwitchFacts,
    TopologySnapshot,
    build_topology,
    parse_port_map,
)


def switch_facts(inventory: Inventory) -> list[SwitchFacts]:
    return [
        SwitchFacts(
            name=s.name,
            role=Role(s.role),
            platform=s.platform,
            router_id=s.router_id,
            vtep_address=s.router_id,
            asn=s.asn or None,
        )
        for s in inventory.switches
    ]


def load_port_map(settings: Settings, facts: Iterable[SwitchFacts]) -> StaticPortMap | None:
    if settings.port_map is None:
        return None
    try:
        text = settings.port_map.read_text()
    except OSError as e:
        raise ValidationError([Problem("port_map", str(settings.port_map), f"cannot be read: {e.strerror}")]) from None
    return parse_port_map(text, facts, source=str(settings.port_map))


def build(
    settings: Settings,
    inventory: Inventory,
    *,
    static: StaticPortMap | None,
    lldp: Iterable[LldpRecord] | None = None,
    previous: TopologySnapshot | None = None,
    node_hostnames: Mapping[str, str] | None = None,
) -> TopologySnapshot:
    """``node_hostnames``: LLDP system names of Kubernetes nodes (from the
    Node objects); the settings' ``topology.identity.hostnames`` win."""
    t = settings.topology
    identity = t.identity
    if node_hostnames:
        identity = dataclasses.replace(
            identity, hostnames={**{k: NodeName(v) for k, v in node_hostnames.items()}, **identity.hostnames}
        )
    return build_topology(
        switch_facts(inventory),
        lldp=lldp,
        static=static,
        identity=identity,
        policy=t.policy,
        previous=previous,
    )
