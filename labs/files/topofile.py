"""Load a containerlab topology file plus its sidecar into a :class:`~labs.files.lab.Lab`.

A lab is containerlab YAML (``labs/<lab>.clab.yml``) whose nodes are
``kind: linux`` (servers, and switches of the ``openconfig`` platform, which
no vendor kind runs) or ``kind: nokia_srlinux`` (switches of the ``srlinux``
platform: real SR Linux under containerlab, the emulator under
``fabric-lab``), and carry fabricd's facts as labels:

====================  ====================================================
label                 value
====================  ====================================================
``fabricd.role``      ``leaf`` | ``spine`` | ``node`` (a server)
``fabricd.platform``  a profile of :mod:`models.platforms` (default:
                      ``openconfig`` for switches, ``linux`` for nodes)
``fabricd.asn``       switches: underlay BGP ASN, 1..4294967295
``fabricd.router-id`` switches: IPv4 loopback0 address, the VTEP address
====================  ====================================================

Kind, labels, ``image``, ``type`` and ``startup-config`` are inherited like
containerlab does (node over group over ``kinds.<kind>`` over ``defaults``). The optional sidecar
``<lab>.fabric.yml`` is :mod:`labs.files.sidecar`. Every port name goes
through the node's platform profile. Malformed input raises one
:class:`labs.errors.LabFileError` naming the file, the field and the value.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from labs.errors import LabFileError
from labs.files._yamlfields import Fields, join, load_yaml, split_endpoint
from labs.files.expect import check_expectations
from labs.files.lab import ROLES, Lab, LabLink, LabNode, LabPort, Role
from labs.files.sidecar import Sidecar, parse_sidecar
from models.platforms import PROFILES, PortNameError, profile

_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9-._]*$")
ASN_MAX = 4_294_967_295
LABEL_ROLE, LABEL_PLATFORM, LABEL_ASN, LABEL_ROUTER_ID = (
    "fabricd.role",
    "fabricd.platform",
    "fabricd.asn",
    "fabricd.router-id",
)
LABELS = (LABEL_ROLE, LABEL_PLATFORM, LABEL_ASN, LABEL_ROUTER_ID)
#: the platform of servers; every other profile is a switch platform
NODE_PLATFORM = "linux"
DEFAULT_SWITCH_PLATFORM = "openconfig"
#: containerlab kinds fabric-lab runs -> the platform their switches are
KINDS = {"linux": DEFAULT_SWITCH_PLATFORM, "nokia_srlinux": "srlinux"}


def sidecar_path(clab_file: Path | str) -> Path:
    """``labs/seed.clab.yml`` -> ``labs/seed.fabric.yml``."""
    path = Path(clab_file)
    name = path.name
    for suffix in (".clab.yml", ".clab.yaml", ".yml", ".yaml"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.with_name(f"{name}.fabric.yml")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise LabFileError(path, "(file)", f"cannot read it: {getattr(e, 'strerror', None) or e}") from None


def load_lab(file: Path | str, *, sidecar: Path | str | None = None) -> Lab:
    """Read a topology file and its sidecar (``sidecar``, else the file
    beside it; a lab without one gets the defaults of :class:`Sidecar`)."""
    path = Path(file)
    side = Path(sidecar) if sidecar is not None else sidecar_path(path)
    side_text = _read(side) if sidecar is not None or side.exists() else None
    return parse_lab(_read(path), path, sidecar_text=side_text, sidecar_file=side if side_text is not None else None)


def lab_name(file: Path | str) -> str:
    """Only the ``name`` of a topology file."""
    path = Path(file)
    f = Fields(path)
    return _lab_name(f, f.mapping(load_yaml(_read(path), path), "(top level)"))


def _lab_name(f: Fields, doc: Mapping[str, Any]) -> str:
    name = f.string(doc.get("name"), "name")
    if not _NAME.match(name):
        raise f.error("name", f"{name!r} is not a containerlab lab name ([a-zA-Z0-9][a-zA-Z0-9-._]*)")
    return name


def parse_lab(
    text: str, file: Path | str, *, sidecar_text: str | None = None, sidecar_file: Path | str | None = None
) -> Lab:
    """The pure core of :func:`load_lab`: file contents in, Lab out."""
    path = Path(file)
    f = Fields(path)
    doc = f.mapping(load_yaml(text, path), "(top level)")
    name = _lab_name(f, doc)
    topo = f.mapping(doc.get("topology"), "topology")
    if topo.get("nodes") is None:
        raise f.error("topology.nodes", "missing: a lab needs its nodes")
    nodes = _nodes(f, topo)
    links = _links(f, topo, nodes)
    side_path = Path(sidecar_file) if sidecar_file is not None else None
    side = Sidecar()
    if sidecar_text is not None:
        side = parse_sidecar(sidecar_text, side_path or "(sidecar)")
    lab = Lab.make(name=name, file=path, sidecar_file=side_path, nodes=nodes, links=links, sidecar=side)
    if sidecar_text is not None:
        lab = dataclasses.replace(lab, sidecar=check_expectations(lab, Fields(side_path or "(sidecar)")))
    return lab


# ------------------------------------------------------------------ nodes


def _nodes(f: Fields, topo: Mapping[str, Any]) -> dict[str, LabNode]:
    raw = f.mapping(topo["nodes"], "topology.nodes")
    if not raw:
        raise f.error("topology.nodes", "is empty: a lab needs its nodes")
    defaults = f.mapping(topo.get("defaults") or {}, "topology.defaults")
    kinds = f.mapping(topo.get("kinds") or {}, "topology.kinds")
    groups = f.mapping(topo.get("groups") or {}, "topology.groups")
    nodes: dict[str, LabNode] = {}
    router_ids: dict[ipaddress.IPv4Address, str] = {}
    for name, value in raw.items():
        field = join("topology.nodes", str(name))
        node = f.mapping(value or {}, field)
        group = groups.get(node["group"], {}) if isinstance(node.get("group"), str) else {}
        kind = node.get("kind") or group.get("kind") or defaults.get("kind")
        if kind not in KINDS:
            raise f.error(
                join(field, "kind"),
                f"{kind!r} is not supported: fabric-lab runs kind: linux and kind: nokia_srlinux nodes "
                "labelled fabricd.role",
            )
        labels: dict[str, Any] = {}
        facts: dict[str, Any] = {}
        for layer, lfield in (
            (defaults, "topology.defaults"),
            (kinds.get(kind) or {}, f"topology.kinds.{kind}"),
            (group, f"topology.groups.{node.get('group')}"),
            (node, field),
        ):
            labels.update(f.mapping(layer.get("labels") or {}, join(lfield, "labels")))
            facts.update({k: layer[k] for k in ("image", "type", "startup-config") if layer.get(k) is not None})
        lab_node = _node(f, str(name), kind, labels, join(field, "labels"))
        nodes[str(name)] = dataclasses.replace(
            lab_node,
            image=_opt_str(f, facts.get("image"), join(field, "image")),
            type=_opt_str(f, facts.get("type"), join(field, "type")),
            startup_config=_opt_str(f, facts.get("startup-config"), join(field, "startup-config")),
        )
        rid = nodes[str(name)].router_id
        if rid is not None:
            if rid in router_ids:
                raise f.error(
                    join(join(field, "labels"), LABEL_ROUTER_ID),
                    f"{str(rid)!r} is already the router-id of {router_ids[rid]}",
                )
            router_ids[rid] = str(name)
    return nodes


def _opt_str(f: Fields, value: Any, field: str) -> str | None:
    return None if value is None else f.string(value, field)


def _node(f: Fields, name: str, kind: str, labels: Mapping[str, Any], field: str) -> LabNode:
    for key in labels:
        if str(key).startswith("fabricd.") and key not in LABELS:
            raise f.error(join(field, str(key)), f"unknown fabricd label (known: {', '.join(LABELS)})")
    if LABEL_ROLE not in labels:
        raise f.error(join(field, LABEL_ROLE), f"missing: every node needs one of {', '.join(ROLES)}")
    role = cast(Role, f.choice(labels[LABEL_ROLE], join(field, LABEL_ROLE), ROLES))
    is_switch = role != "node"
    pfield = join(field, LABEL_PLATFORM)
    platform = str(labels.get(LABEL_PLATFORM, KINDS[kind] if is_switch else NODE_PLATFORM))
    if platform not in PROFILES:
        raise f.error(pfield, f"unknown platform {platform!r} (known: {', '.join(sorted(PROFILES))})")
    if kind != "linux" and (not is_switch or platform != KINDS[kind]):
        what = f"a {role} of platform {platform!r}" if is_switch else "a node (server)"
        raise f.error(pfield, f"kind {kind} runs platform {KINDS[kind]!r} switches, not {what}")
    if is_switch and platform == NODE_PLATFORM:
        raise f.error(pfield, f"{platform!r} is the server platform; a {role} needs a switch platform")
    if not is_switch and platform != NODE_PLATFORM:
        raise f.error(pfield, f"{platform!r} is a switch platform; a node (server) is {NODE_PLATFORM!r}")
    if not is_switch:
        return LabNode(name=name, kind=kind, role=role, platform=platform)
    for label, what in (
        (LABEL_ASN, "its underlay BGP ASN"),
        (LABEL_ROUTER_ID, "its router-id (VTEP address)"),
    ):
        if label not in labels:
            raise f.error(join(field, label), f"missing: a {role} needs {what}")
    return LabNode(
        name=name,
        kind=kind,
        role=role,
        platform=platform,
        asn=f.integer(labels[LABEL_ASN], join(field, LABEL_ASN), 1, ASN_MAX, what="an ASN"),
        router_id=f.ipv4(labels[LABEL_ROUTER_ID], join(field, LABEL_ROUTER_ID)),
    )


# ------------------------------------------------------------------ links


def _links(f: Fields, topo: Mapping[str, Any], nodes: Mapping[str, LabNode]) -> tuple[LabLink, ...]:
    links: list[LabLink] = []
    used: dict[tuple[str, str], str] = {}
    for i, raw in enumerate(f.seq(topo.get("links") or [], "topology.links")):
        field = f"topology.links[{i}]"
        link = f.mapping(raw, field)
        kind = link.get("type", "veth")
        if kind != "veth":
            raise f.error(join(field, "type"), f"{kind!r} is not supported: fabric-lab runs veth links")
        ends = f.seq(link.get("endpoints"), join(field, "endpoints"))
        if len(ends) != 2:
            raise f.error(join(field, "endpoints"), f"must list 2 endpoints, not {len(ends)}")
        a, b = (_port(f, e, f"{field}.endpoints[{j}]", nodes) for j, e in enumerate(ends))
        for j, port in enumerate((a, b)):
            key = (port.node, port.names.clab)
            if key in used:
                raise f.error(f"{field}.endpoints[{j}]", f"{str(port)!r} is already used by {used[key]}")
            used[key] = field
        mtu = link.get("mtu")
        links.append(
            LabLink(
                a=a,
                b=b,
                mtu=None if mtu is None else f.integer(mtu, join(field, "mtu"), 68, 65535, what="an MTU"),
                index=i,
            )
        )
    return tuple(links)


def _port(f: Fields, value: Any, field: str, nodes: Mapping[str, LabNode]) -> LabPort:
    if isinstance(value, Mapping):  # extended form: {node: sw1, interface: e1-1}
        value = f"{value.get('node')}:{value.get('interface')}"
    parts = split_endpoint(value) if isinstance(value, str) else None
    if parts is None:
        raise f.error(field, f"{value!r} is not NODE:INTERFACE")
    node, iface = parts
    if node not in nodes:
        raise f.error(field, f"{value!r} names node {node!r}, which is not in topology.nodes")
    plat = profile(nodes[node].platform)
    try:
        names = plat.port_names(iface)
    except PortNameError as e:
        raise f.error(field, f"{value!r}: {e}") from None
    if names.clab != iface:
        raise f.error(
            field, f"{value!r}: containerlab names this port {names.clab!r} ({iface!r} is another form of it)"
        )
    return LabPort(node=node, names=names)
