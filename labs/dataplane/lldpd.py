"""lldpd in every node: configuration (pure), command line, queries.

One lldpd per node, started in the node (:mod:`labs.dataplane.spawn`) with
its own control socket (``-u``: unix sockets are host-global paths) and
restricted to the node's lab ports (``-I``, also for the chassis id:
``-C``). Its ``-O`` file is applied before lldpd sends anything (lldpd
stays paused until the file is done):

* port id subtype ``ifname`` (port id = interface name) everywhere;
* on switches each port advertises its OpenConfig name
  (``configure ports e1-1 lldp portidsubtype local ethernet-1/1``): a Linux
  interface name cannot hold the ``/`` of ``ethernet-1/1``, so lldpd sends it
  with the *local* subtype; the emulator reports such a port id, when it is
  a port name of the openconfig platform, as the INTERFACE_NAME it stands
  for (:mod:`labs.emulator.linux.lldpmap`);
* the system description the in-memory dataplane reports;
* transmit every :data:`TX_INTERVAL` s; ``lldpcli update`` right after every
  node started makes the first exchange immediate.

The system name is the node's host name (its UTS namespace).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from labs.dataplane.cmd import run
from labs.files.build import system_description
from labs.files.lab import Lab
from labs.run.statefile import NodeRecord

TX_INTERVAL = 5
LLDPD = "lldpd"
LLDPCLI = "lldpcli"


def config(lab: Lab, node: str) -> str:
    n = lab.nodes[node]
    lines = [
        f'configure system description "{system_description(n)}"',
        "configure lldp portidsubtype ifname",
        f"configure lldp tx-interval {TX_INTERVAL}",
    ]
    if n.is_switch:
        for port in lab.ports(node):
            lines.append(
                f"configure ports {port.names.linux} lldp portidsubtype local {port.names.lldp} "
                f"description {port.names.oc}"
            )
    return "\n".join(lines) + "\n"


def argv(lab: Lab, node: NodeRecord) -> list[str]:
    ports = ",".join(p.names.linux for p in lab.ports(node.name)) or "none"
    conf = str(Path(node.dir) / "lldpd.conf")
    # -C: the chassis id comes from a lab port, never from a bridge or tap made later
    return [LLDPD, "-d", "-u", node.lldp_socket, "-O", conf, "-I", ports, "-C", ports]


def write_config(lab: Lab, node: NodeRecord) -> None:
    (Path(node.dir) / "lldpd.conf").write_text(config(lab, node.name))


def update(socket: str) -> None:
    """Send an LLDPDU on every port now."""
    run([LLDPCLI, "-u", socket, "update"])


def neighbours(socket: str) -> dict[str, Any]:
    """``lldpcli show neighbors`` as json0 (every list a list); ValueError if
    lldpcli printed no JSON object."""
    doc = json.loads(run([LLDPCLI, "-u", socket, "-f", "json0", "show", "neighbors"], timeout=10) or "{}")
    if not isinstance(doc, dict):
        raise ValueError(f"lldpcli printed {type(doc).__name__}, not an object")
    return doc


def neighbour_pairs(doc: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(local interface, neighbour system name, neighbour port id) of a json0 document."""
    out = set()
    for lldp in doc.get("lldp", []):
        for iface in lldp.get("interface", []):
            chassis = (iface.get("chassis") or [{}])[0]
            port = (iface.get("port") or [{}])[0]
            name = (chassis.get("name") or [{}])[0].get("value", "")
            pid = (port.get("id") or [{}])[0].get("value", "")
            out.add((iface.get("name", ""), name, pid))
    return out
