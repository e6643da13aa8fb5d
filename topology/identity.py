"""Who is at the other end of an LLDP record: a switch port, a node NIC, a
foreign system, or something that cannot be resolved.

Rules (in this order, never guessed):

1. The system name is normalised: an explicit ``hostnames`` entry wins
   (case-insensitive: ``server1.dc1.example -> server1``); else, with
   ``strip_domain``, everything from the first dot is dropped.
2. A name that is a switch of the inventory is a **fabric neighbour**; its
   port id must be an interface name of the switch's platform (any form,
   normalised to the OpenConfig name).
3. A MAC-address port id found in ``macs`` names the node NIC directly; when
   the system name names another known node the record is unresolved.
4. Otherwise the name is a **node** when ``nodes`` is None (no node inventory
   handed in) or contains it; else the neighbour is **foreign** (a router, a
   management switch...): kept out of the graph, counted and listed in the
   snapshot's report.
5. The node's NIC: ``INTERFACE_NAME`` port ids are Linux interface names;
   ``MAC_ADDRESS`` goes through ``macs``; ``LOCAL`` and ``INTERFACE_ALIAS``
   through ``local_ids`` keyed by (node, port id). Anything else, or a miss in
   a mapping, is **unresolved** and reported with the reason.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import AfterValidator, PlainValidator, WithJsonSchema

from models.configfile import problem, section, why_of
from models.ids import NicName, NodeName, PortName, SwitchName
from topology.errors import FactsError
from topology.facts import LldpRecord, NodeNicRef, PortIdType, SwitchFacts, node_nic


def _empty() -> Mapping[Any, Any]:
    return MappingProxyType({})


_HEX = re.compile(r"[0-9a-f]{12}")


def normalise_mac(text: str) -> str | None:
    """``aa:bb:cc:dd:ee:ff`` from common spellings (``AA-BB-..``, ``aabb.ccdd.eeff``); None if not a MAC."""
    digits = re.sub(r"[:.\-\s]", "", text.lower())
    if not _HEX.fullmatch(digits):
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def _hostnames(doc: Mapping[str, str]) -> Mapping[str, NodeName]:
    return MappingProxyType({str(k).lower(): NodeName(str(v)) for k, v in doc.items()})


def _macs(doc: Mapping[str, object]) -> Mapping[str, NodeNicRef]:
    out: dict[str, NodeNicRef] = {}
    for mac, ref in doc.items():
        norm = normalise_mac(str(mac))
        if norm is None:
            raise problem("is not a MAC address", field=str(mac), value=mac)
        if isinstance(ref, NodeNicRef):
            out[norm] = ref
            continue
        try:
            out[norm] = _ref(str(ref))
        except FactsError as e:
            raise problem(why_of(e, str(ref)), field=str(mac), value=ref) from None
    return MappingProxyType(out)


def _local_ids(doc: Mapping[object, object]) -> Mapping[tuple[NodeName, str], NicName]:
    out: dict[tuple[NodeName, str], NicName] = {}
    for key, nic in doc.items():
        if isinstance(key, tuple):
            node, local_id = str(key[0]), str(key[1])
        else:
            node, sep, local_id = str(key).partition("/")
            if not (node and sep and local_id):
                raise problem("is not NODE/LOCAL-ID", field=str(key), value=key)
        try:
            out[(NodeName(node), local_id)] = node_nic(str(nic))
        except FactsError as e:
            raise problem(why_of(e, str(nic)), field=str(key), value=nic) from None
    return MappingProxyType(out)


def _nodes(value: object) -> frozenset[NodeName] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise problem("must be a list of node names")
    return frozenset(NodeName(str(n)) for n in value)


@section
class IdentityMap:
    """How LLDP neighbours map to Kubernetes nodes and NICs (see the module
    docstring); the ``topology.identity`` section of fabricd's settings::

        strip_domain: true
        hostnames: {"srv-01.dc1.example": server1}
        nodes: [server1, server2]
        macs: {"52:54:00:00:01:01": server1/eth1}
        local_ids: {"server1/3": eth1}
    """

    hostnames: Annotated[Mapping[str, NodeName], AfterValidator(_hostnames)] = dataclasses.field(default_factory=_empty)
    """LLDP system name (any case) -> Kubernetes node name"""
    strip_domain: bool = False
    """drop everything from the first dot of a system name (``server1.lab.example`` -> ``server1``)"""
    nodes: Annotated[frozenset[NodeName] | None, PlainValidator(_nodes), WithJsonSchema({"type": "array"})] = None
    """the Kubernetes nodes; unset: every neighbour that is not a switch is a node"""
    macs: Annotated[Mapping[str, NodeNicRef], PlainValidator(_macs), WithJsonSchema({"type": "object"})] = (
        dataclasses.field(default_factory=_empty)
    )
    """MAC address port id -> ``NODE/NIC``"""
    local_ids: Annotated[
        Mapping[tuple[NodeName, str], NicName], PlainValidator(_local_ids), WithJsonSchema({"type": "object"})
    ] = dataclasses.field(default_factory=_empty)
    """``NODE/LOCAL-ID`` (a LOCAL or alias port id) -> NIC"""

    def system(self, system_name: str) -> str:
        """The system name after the hostname map and domain stripping."""
        mapped = self.hostnames.get(system_name.lower())
        if mapped is not None:
            return mapped
        return system_name.split(".", 1)[0] if self.strip_domain else system_name


def _ref(text: str) -> NodeNicRef:
    node, sep, nic = text.partition("/")
    if not sep or not node:
        raise FactsError(f"{text!r} is not NODE/NIC")
    return NodeNicRef(node=NodeName(node), nic=node_nic(nic))


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FabricNeighbour:
    switch: SwitchName
    port: PortName


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NicNeighbour:
    ref: NodeNicRef


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Foreign:
    system_name: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Unresolved:
    reason: str


Neighbour = FabricNeighbour | NicNeighbour | Foreign | Unresolved


def resolve(record: LldpRecord, switches: Mapping[SwitchName, SwitchFacts], identity: IdentityMap) -> Neighbour:
    """Who ``record`` sees (module docstring)."""
    name = identity.system(record.system_name)
    kind, pid = record.port_id_type, record.port_id
    if name in switches:
        remote = switches[SwitchName(name)]
        if kind is not PortIdType.INTERFACE_NAME:
            return Unresolved(reason=f"switch {remote.name} sent port id {pid!r} of subtype {kind}")
        try:
            return FabricNeighbour(switch=remote.name, port=remote.port(pid))
        except FactsError as e:
            return Unresolved(reason=f"switch {remote.name}: {e}")
    if kind is PortIdType.MAC_ADDRESS:
        by_mac = identity.macs.get(normalise_mac(pid) or "")
        if by_mac is not None:
            if name and name != by_mac.node and (identity.nodes is None or name in identity.nodes):
                return Unresolved(reason=f"MAC {pid} is mapped to {by_mac} but the system name is {name!r}")
            return NicNeighbour(ref=by_mac)
    if not name:
        return Unresolved(reason=f"no system name (chassis id {record.chassis_id!r}, port id {pid!r})")
    node = NodeName(name)
    if identity.nodes is not None and node not in identity.nodes:
        return Foreign(system_name=record.system_name)
    if kind is PortIdType.INTERFACE_NAME:
        try:
            return NicNeighbour(ref=NodeNicRef(node=node, nic=node_nic(pid)))
        except FactsError as e:
            return Unresolved(reason=f"node {node}: {e}")
    if kind is PortIdType.MAC_ADDRESS:
        return Unresolved(reason=f"node {node}: MAC port id {pid!r} is not in the MAC map")
    if kind in (PortIdType.LOCAL, PortIdType.INTERFACE_ALIAS):
        nic = identity.local_ids.get((node, pid))
        if nic is None:
            return Unresolved(reason=f"node {node}: {kind} port id {pid!r} is not in the local-id map")
        return NicNeighbour(ref=NodeNicRef(node=node, nic=nic))
    return Unresolved(reason=f"node {node}: port id subtype {kind} is not supported")


__all__ = [
    "FabricNeighbour",
    "Foreign",
    "IdentityMap",
    "Neighbour",
    "NicNeighbour",
    "Unresolved",
    "normalise_mac",
    "resolve",
]
