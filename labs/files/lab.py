"""The typed lab: what a containerlab file plus its sidecar say, with every
port name resolved through the node's platform profile. Built by
:func:`labs.files.topofile.load_lab`; pure data."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from labs.files.sidecar import Sidecar
from models.platforms import PortNames

Role = Literal["leaf", "spine", "node"]
ROLES: tuple[Role, ...] = ("leaf", "spine", "node")
SWITCH_ROLES: tuple[Role, ...] = ("leaf", "spine")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LabNode:
    name: str
    kind: str
    role: Role
    platform: str
    asn: int | None = None  # switches only: underlay BGP ASN
    router_id: ipaddress.IPv4Address | None = None  # switches only: loopback0 /32, the VTEP
    #: what real containerlab would run: the image, the kind's ``type`` (SR
    #: Linux: the chassis) and the startup-config file (relative to the lab file)
    image: str | None = None
    type: str | None = None
    startup_config: str | None = None

    @property
    def is_switch(self) -> bool:
        return self.role in SWITCH_ROLES


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LabPort:
    """One end of a link: a node and all four names of its port."""

    node: str
    names: PortNames

    def __str__(self) -> str:
        return f"{self.node}:{self.names.clab}"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LabLink:
    a: LabPort
    b: LabPort
    mtu: int | None = None
    #: position in ``topology.links`` (for messages)
    index: int = 0


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key putting ``e1-2`` before ``e1-10``."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", text) if p)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Lab:
    name: str
    file: Path
    sidecar_file: Path | None
    nodes: Mapping[str, LabNode]  # in file order
    links: tuple[LabLink, ...]
    sidecar: Sidecar
    #: (node, containerlab port name) -> the port at the other end of its link
    peers: Mapping[tuple[str, str], LabPort] = dataclasses.field(repr=False, compare=False)
    #: node -> its linked ports in natural order
    node_ports: Mapping[str, tuple[LabPort, ...]] = dataclasses.field(repr=False, compare=False)

    @staticmethod
    def make(
        *,
        name: str,
        file: Path,
        sidecar_file: Path | None,
        nodes: Mapping[str, LabNode],
        links: tuple[LabLink, ...],
        sidecar: Sidecar,
    ) -> Lab:
        peers: dict[tuple[str, str], LabPort] = {}
        ports: dict[str, list[LabPort]] = {n: [] for n in nodes}
        for link in links:
            peers[(link.a.node, link.a.names.clab)] = link.b
            peers[(link.b.node, link.b.names.clab)] = link.a
            ports[link.a.node].append(link.a)
            ports[link.b.node].append(link.b)
        return Lab(
            name=name,
            file=file,
            sidecar_file=sidecar_file,
            nodes=MappingProxyType(dict(nodes)),
            links=links,
            sidecar=sidecar,
            peers=MappingProxyType(peers),
            node_ports=MappingProxyType(
                {n: tuple(sorted(ps, key=lambda p: natural_key(p.names.clab))) for n, ps in ports.items()}
            ),
        )

    def switches(self) -> tuple[LabNode, ...]:
        return tuple(n for n in self.nodes.values() if n.is_switch)

    def ports(self, node: str) -> tuple[LabPort, ...]:
        """The linked ports of a node, in natural order (e1-2 before e1-10)."""
        return self.node_ports.get(node, ())

    def peer(self, port: LabPort) -> LabPort | None:
        return self.peers.get((port.node, port.names.clab))
