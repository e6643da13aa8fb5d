"""What fabricd consumes from a lab: the switch inventory and the static
port map (both YAML; formats documented in labs/README.md).

Inventory (``fabric-lab inventory LAB``), from the running lab's state::

    version: 1
    lab: seed                            # informational
    switches:
      sw1:
        address: 127.0.0.1:40001         # gNMI target
        platform: openconfig
        role: leaf                       # leaf | spine
        asn: 65001                       # underlay ASN (may be 4-byte)
        router_id: 10.0.0.11             # loopback /32 = VTEP address
        vtep_interface: loopback0        # from the platform profile
        plaintext: false
        tls:                             # absent when plaintext
          ca_file: /run/fabric-lab/seed/pki/ca.crt
          server_name: sw1               # name in the server certificate
          client_cert_file: /run/fabric-lab/seed/pki/client-fabricd.crt
          client_key_file: /run/fabric-lab/seed/pki/client-fabricd.key
        credentials:
          username: admin
          password_file: /run/fabric-lab/seed/gnmi-password

Port map (``fabric-lab portmap LAB``), from the topology file: every node
NIC and the switch port at the other end of its link, containerlab names
(``NODE/NIC: SWITCH/PORT``; the platform profile maps them to OpenConfig)::

    server1/eth1: sw1/e1-1
    server1/eth2: sw2/e1-1
"""

from __future__ import annotations

from typing import Any

import yaml

from labs.files.lab import Lab, natural_key
from labs.run.statefile import LabState

INVENTORY_VERSION = 1


def inventory(state: LabState) -> dict[str, Any]:
    switches: dict[str, Any] = {}
    for sw in state.switches:
        entry: dict[str, Any] = {
            "address": sw.address,
            "platform": sw.platform,
            "role": sw.role,
            "asn": sw.asn,
            "router_id": sw.router_id,
            "vtep_interface": sw.vtep_interface,
            "plaintext": state.plaintext,
        }
        if not state.plaintext:
            entry["tls"] = {
                "ca_file": state.ca_file,
                "server_name": sw.name,
                "client_cert_file": state.client_cert_file,
                "client_key_file": state.client_key_file,
            }
        entry["credentials"] = {"username": state.username, "password_file": state.password_file}
        switches[sw.name] = entry
    return {"version": INVENTORY_VERSION, "lab": state.lab, "switches": switches}


def portmap(lab: Lab) -> dict[str, str]:
    """``{"server1/eth1": "sw1/e1-1", ...}`` for every node NIC linked to a
    switch, sorted by node and NIC."""
    out: dict[str, str] = {}
    for node in lab.nodes.values():
        if node.is_switch:
            continue
        for port in lab.ports(node.name):
            peer = lab.peer(port)
            if peer is not None and lab.nodes[peer.node].is_switch:
                out[f"{node.name}/{port.names.clab}"] = f"{peer.node}/{peer.names.clab}"
    return dict(sorted(out.items(), key=lambda kv: natural_key(kv[0])))


def to_yaml(doc: Any, *, header: str) -> str:
    body = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=1000)
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comments + body
