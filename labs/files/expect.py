"""Check a sidecar's ``expect:`` block against the topology it sits beside:
every node, port, segment and endpoint it names exists, and every LLDP
expectation agrees with the links. Port names are normalised through the
platform profile (OpenConfig name of the switch port, LLDP port id of the
neighbour), i.e. as they appear over gNMI."""

from __future__ import annotations

import dataclasses
import ipaddress

from labs.files._yamlfields import Fields, join
from labs.files.lab import Lab, LabNode, LabPort
from labs.files.sidecar import Endpoint, LldpExpectation, Sidecar
from models.platforms import PortNameError, profile


def check_expectations(lab: Lab, f: Fields) -> Sidecar:
    """The lab's sidecar with normalised port names; raises LabFileError."""
    exp = lab.sidecar.expect
    lldp = tuple(_lldp(lab, f, e) for e in exp.lldp)
    segments = {s.name: s for s in exp.segments}
    vnis: dict[int, str] = {}
    for s in exp.segments:
        if s.vni in vnis:
            raise f.error(f"expect.segments.{s.name}.vni", f"{s.vni} is already segment {vnis[s.vni]}'s VNI")
        vnis[s.vni] = s.name
    endpoints = {}
    addresses: dict[ipaddress.IPv4Address, str] = {}
    vlans: dict[tuple[str, str, int], str] = {}
    for given in exp.endpoints:
        field = f"expect.endpoints.{given.name}"
        if given.segment not in segments:
            raise f.error(join(field, "segment"), f"{given.segment!r} is not in expect.segments")
        port = _linked_port(lab, f, given.node, given.nic, join(field, "nic"), role="node")
        ep = dataclasses.replace(given, nic=port.names.linux)
        if ep.address.ip in addresses:
            raise f.error(join(field, "address"), f"{ep.address.ip} is already {addresses[ep.address.ip]}'s")
        addresses[ep.address.ip] = ep.name
        vlan = (ep.node, ep.nic, segments[ep.segment].vlan)
        if vlans.get(vlan, ep.segment) != ep.segment:
            raise f.error(
                join(field, "segment"),
                f"{ep.segment!r} uses VLAN {vlan[2]} on {ep.node}:{ep.nic}, as segment {vlans[vlan]!r} does",
            )
        vlans[vlan] = ep.segment
        endpoints[ep.name] = ep
    for r in exp.reach:
        _known(f, f"expect.reach.{r.name}", r.members, endpoints)
    for i in exp.isolate:
        _known(f, f"expect.isolate.{i.name}.from", i.sources, endpoints)
        _known(f, f"expect.isolate.{i.name}.to", i.targets, endpoints)
    return dataclasses.replace(
        lab.sidecar, expect=dataclasses.replace(exp, lldp=lldp, endpoints=tuple(endpoints.values()))
    )


def _known(f: Fields, field: str, names: tuple[str, ...], endpoints: dict[str, Endpoint]) -> None:
    for i, name in enumerate(names):
        if name not in endpoints:
            raise f.error(f"{field}[{i}]", f"{name!r} is not in expect.endpoints")


def _node(lab: Lab, f: Fields, name: str, field: str) -> LabNode:
    node = lab.nodes.get(name)
    if node is None:
        raise f.error(field, f"names node {name!r}, which is not in {lab.file}")
    return node


def _linked_port(lab: Lab, f: Fields, node_name: str, port: str, field: str, *, role: str) -> LabPort:
    node = _node(lab, f, node_name, field)
    if (role == "node") != (node.role == "node"):
        want = "a node (server)" if role == "node" else "a switch"
        raise f.error(field, f"{node_name!r} is a {node.role}, not {want}")
    try:
        names = profile(node.platform).port_names(port)
    except PortNameError as e:
        raise f.error(field, f"{node_name}:{port}: {e}") from None
    mine = LabPort(node=node_name, names=names)
    if lab.peer(mine) is None:
        raise f.error(field, f"{node_name}:{port} is not in any link of {lab.file}")
    return mine


def _lldp(lab: Lab, f: Fields, e: LldpExpectation) -> LldpExpectation:
    field = f"expect.lldp.{e.switch}"
    if e.switch not in lab.nodes:
        raise f.error(field, f"names node {e.switch!r}, which is not in {lab.file}")
    field = join(field, e.port)
    mine = _linked_port(lab, f, e.switch, e.port, field, role="switch")
    peer = lab.peer(mine)
    assert peer is not None  # _linked_port checked it
    neighbor = _node(lab, f, e.neighbor, field)
    try:
        nport = profile(neighbor.platform).port_names(e.neighbor_port)
    except PortNameError as err:
        raise f.error(field, f"{e.neighbor}:{e.neighbor_port}: {err}") from None
    if (peer.node, peer.names.lldp) != (e.neighbor, nport.lldp):
        raise f.error(
            field,
            f"expects {e.neighbor}:{e.neighbor_port}, but the link connects "
            f"{e.switch}:{mine.names.oc} to {peer.node}:{peer.names.lldp}",
        )
    return dataclasses.replace(e, port=mine.names.oc, neighbor_port=nport.lldp)
