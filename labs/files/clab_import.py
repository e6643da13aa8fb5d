"""fabricd's switch inventory and static port map from a lab containerlab
deployed: its ``topology-data.json`` (pure).

``containerlab deploy`` writes ``clab-<lab>/topology-data.json`` beside the
topology file (containerlab's ``core/export_templates/auto.tmpl``)::

    {"name": "seed-srl", "type": "clab",
     "clab": {"config": {"prefix": "clab", "mgmt": {...}}},
     "nodes": {"sw1": {"shortname": "sw1", "longname": "clab-seed-srl-sw1",
                       "kind": "nokia_srlinux", "image": "...", "labdir": ".../clab-seed-srl/sw1",
                       "mgmt-ipv4-address": "172.20.20.3", "mgmt-ipv6-address": "...",
                       "labels": {"fabricd.role": "leaf", "fabricd.asn": "65001", ...}, ...}},
     "links": [{"endpoints": {"a": {"node": "sw1", "interface": "e1-49", "mac": "..."},
                              "z": {"node": "spine1", "interface": "e1-1", "mac": "..."}}}]}

and its CA in ``clab-<lab>/.tls/ca/ca.pem``; every SR Linux node's
certificate carries its short name, which the inventory gives as TLS server
name. The switches are the nodes labelled ``fabricd.role`` leaf or spine
(their ``fabricd.asn`` and ``fabricd.router-id`` labels are carried over,
containerlab keeps a node's labels), reached on their management IPv4
address: on SR Linux a bare address means gNMI's port 57400. A switch of a
platform that has no gNMI target under containerlab (``openconfig``, a
``kind: linux`` container) is an error naming it. The port map pairs every
server NIC with the switch port at the other end of its link, in
containerlab names (``server1/eth1: sw1/e1-1``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from labs.errors import LabFileError
from labs.files.lab import natural_key
from labs.files.topofile import KINDS, LABEL_ASN, LABEL_PLATFORM, LABEL_ROLE, LABEL_ROUTER_ID, NODE_PLATFORM
from models.platforms import PortNameError, profile

#: platforms whose switches containerlab runs with a gNMI server
GNMI_PLATFORMS = ("srlinux",)
CA_FILE = Path(".tls") / "ca" / "ca.pem"


def _platform(node: Mapping[str, Any]) -> str:
    labels = node.get("labels") or {}
    kind = str(node.get("kind", ""))
    role = labels.get(LABEL_ROLE)
    default = KINDS.get(kind, NODE_PLATFORM) if role in ("leaf", "spine") else NODE_PLATFORM
    return str(labels.get(LABEL_PLATFORM, default))


def _clab_port(platform: str, interface: str, where: str, field: str) -> str:
    try:
        return profile(platform).port_names(interface).clab
    except PortNameError as e:
        raise LabFileError(where, field, str(e)) from None


def import_topology_data(
    doc: Any, *, source: str | Path, password_file: str | Path, username: str = "admin"
) -> tuple[dict[str, Any], dict[str, str]]:
    """(inventory, port map) of a deployed lab; ``source``: the
    topology-data.json file (its directory holds the lab's CA)."""
    where = str(source)
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), dict):
        raise LabFileError(where, "nodes", "missing: not containerlab's topology-data.json")
    lab_dir = Path(source).parent
    nodes: dict[str, Any] = doc["nodes"]
    platforms = {name: _platform(n) for name, n in nodes.items()}
    switches: dict[str, Any] = {}
    for name, node in sorted(nodes.items(), key=lambda kv: natural_key(kv[0])):
        labels = node.get("labels") or {}
        role = labels.get(LABEL_ROLE)
        if role not in ("leaf", "spine"):
            continue
        field = f"nodes.{name}"
        platform = platforms[name]
        if platform not in GNMI_PLATFORMS:
            raise LabFileError(
                where,
                field,
                f"switch {name} is of platform {platform!r} (kind {node.get('kind')}), which containerlab runs "
                f"without a gNMI server; only {', '.join(GNMI_PLATFORMS)} switches can be imported",
            )
        address = str(node.get("mgmt-ipv4-address") or "")
        try:
            ipaddress.IPv4Address(address)
        except ValueError:
            raise LabFileError(where, f"{field}.mgmt-ipv4-address", f"{address!r} is not an IPv4 address") from None
        for label in (LABEL_ASN, LABEL_ROUTER_ID):
            if label not in labels:
                raise LabFileError(where, f"{field}.labels.{label}", f"missing: a {role} needs it")
        switches[name] = {
            "address": address,  # the platform's gNMI port (57400 on SR Linux)
            "platform": platform,
            "role": role,
            "asn": int(labels[LABEL_ASN]),
            "router_id": str(labels[LABEL_ROUTER_ID]),
            "plaintext": False,
            "tls": {"ca_file": str(lab_dir / CA_FILE), "server_name": str(node.get("shortname") or name)},
            "credentials": {"username": username, "password_file": str(password_file)},
        }
    if not switches:
        raise LabFileError(where, "nodes", "no node is labelled fabricd.role leaf or spine")
    ports: dict[str, str] = {}
    for i, link in enumerate(doc.get("links") or []):
        ends = (link.get("endpoints") or {}) if isinstance(link, dict) else {}
        a, z = ends.get("a") or {}, ends.get("z") or {}
        for server, switch in ((a, z), (z, a)):
            s, w = str(server.get("node", "")), str(switch.get("node", ""))
            if platforms.get(s) == NODE_PLATFORM and w in switches:
                nic = _clab_port(NODE_PLATFORM, str(server.get("interface", "")), where, f"links[{i}]")
                port = _clab_port(platforms[w], str(switch.get("interface", "")), where, f"links[{i}]")
                ports[f"{s}/{nic}"] = f"{w}/{port}"
    name = str(doc.get("name", ""))
    inventory = {"version": 1, "lab": name, "switches": switches}
    return inventory, dict(sorted(ports.items(), key=lambda kv: natural_key(kv[0])))
