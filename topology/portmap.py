"""Static port maps: which node NIC is cabled to which switch port.

Format (YAML, one mapping; see ``docs/port-map.md``)::

    # NODE/NIC: SWITCH/PORT
    server1/eth1: sw1/e1-1            # containerlab name of the port
    server1/eth2: sw2/ethernet-1/1    # OpenConfig name: the same port naming
    server2/eth1: sw1/e1-2

* ``NODE`` is the Kubernetes node name, ``NIC`` its Linux interface name.
* ``SWITCH`` is an inventory switch with role ``leaf``; ``PORT`` is any name
  of the port its platform knows (containerlab, Linux, OpenConfig, LLDP),
  stored as the OpenConfig name (:func:`models.platforms.profile`).
* The first ``/`` splits both sides (a port name may itself contain ``/``).
* An empty text is an empty map.

:func:`parse_port_map` checks the whole text and raises one
:class:`PortMapError` listing every problem with its line and entry: YAML
syntax, an entry not of that form, an unknown switch or a spine, a bad NIC or
port name, a NIC mapped twice, a switch port claimed twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

import yaml

from models.ids import NicName, NodeName, SwitchName
from models.intent import Placement
from topology.errors import FactsError, PortMapError, PortMapProblem
from topology.facts import NodeNicRef, Role, StaticLink, SwitchFacts, node_nic


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class StaticPortMap:
    """A validated static port map (sorted by node NIC)."""

    links: tuple[StaticLink, ...] = ()
    by_ref: Mapping[NodeNicRef, StaticLink] = dataclasses.field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "links", tuple(sorted(self.links)))
        object.__setattr__(self, "by_ref", MappingProxyType({link.ref: link for link in self.links}))
        if len(self.by_ref) != len(self.links):
            raise FactsError("static port map: a NIC is mapped twice")

    def placement(self, ref: NodeNicRef) -> Placement | None:
        link = self.by_ref.get(ref)
        return None if link is None else link.placement

    def __len__(self) -> int:
        return len(self.links)


def _entries(text: str) -> Iterator[tuple[int, str, str] | PortMapProblem]:
    """(line, key, value) per entry of the YAML mapping, or the problem found."""
    try:
        doc = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        yield PortMapProblem(line=mark.line + 1 if mark else 0, entry="", message=f"not YAML: {e.problem}")
        return
    if doc is None:
        return
    if not isinstance(doc, yaml.MappingNode):
        yield PortMapProblem(line=doc.start_mark.line + 1, entry="", message="expected a mapping NODE/NIC: SWITCH/PORT")
        return
    for knode, vnode in doc.value:
        line = knode.start_mark.line + 1
        if not isinstance(knode, yaml.ScalarNode) or not isinstance(vnode, yaml.ScalarNode):
            key = str(knode.value) if isinstance(knode, yaml.ScalarNode) else ""
            yield PortMapProblem(line=line, entry=key, message="expected NODE/NIC: SWITCH/PORT, found a nested value")
            continue
        yield line, str(knode.value), str(vnode.value)


def parse_port_map(text: str, switches: Iterable[SwitchFacts], *, source: str = "port map") -> StaticPortMap:
    """Parse and validate a static port map (module docstring) against the inventory."""
    inventory = {s.name: s for s in switches}
    problems: list[PortMapProblem] = []
    links: list[StaticLink] = []
    nic_line: dict[NodeNicRef, int] = {}
    port_owner: dict[Placement, tuple[NodeNicRef, int]] = {}
    for item in _entries(text):
        if isinstance(item, PortMapProblem):
            problems.append(item)
            continue
        line, key, value = item
        entry = f"{key}: {value}"

        def problem(message: str, line: int = line, entry: str = entry) -> None:
            problems.append(PortMapProblem(line=line, entry=entry, message=message))

        node, sep, nic_text = key.partition("/")
        sw_name, sep2, port_text = value.partition("/")
        if not (sep and sep2 and node.strip() and nic_text and sw_name and port_text) or " " in node:
            problem("expected NODE/NIC: SWITCH/PORT")
            continue
        try:
            nic = node_nic(nic_text)
        except FactsError as e:
            problem(f"bad NIC name: {e}")
            continue
        switch = inventory.get(SwitchName(sw_name))
        if switch is None:
            problem(f"unknown switch {sw_name!r} (known: {', '.join(sorted(inventory)) or 'none'})")
            continue
        if switch.role is not Role.LEAF:
            problem(f"switch {sw_name} is a {switch.role}: nodes are cabled to leaves")
            continue
        try:
            port = switch.port(port_text)
        except FactsError as e:
            problem(f"bad port name: {e}")
            continue
        ref = NodeNicRef(node=NodeName(node), nic=NicName(nic))
        if ref in nic_line:
            problem(f"NIC {ref} is mapped twice (first on line {nic_line[ref]})")
            continue
        where = Placement(switch=switch.name, port=port)
        if where in port_owner:
            owner, owner_line = port_owner[where]
            problem(f"switch port {where} is claimed twice (by {owner} on line {owner_line})")
            continue
        nic_line[ref] = line
        port_owner[where] = (ref, line)
        links.append(StaticLink(node=ref.node, nic=ref.nic, switch=switch.name, port=port, line=line))
    if problems:
        raise PortMapError(source, tuple(problems))
    return StaticPortMap(links=tuple(links))
