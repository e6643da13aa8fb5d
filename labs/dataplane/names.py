"""Host-global names and per-node paths of a Linux lab (pure).

Network namespace names are host-global, so they carry a prefix:
``<prefix><lab>-<node>`` with the prefix from ``$FABRIC_LAB_PREFIX``
(default ``fl-``); tests use a per-run prefix (``fdt<pid>-``) so that a
running demo or a stale leftover never collides with them. Everything else
(UTS namespace files, sockets, pid files, logs, FRR's runtime directory)
lives in the lab's state directory, one directory per node::

    STATE_DIR/n/<node>/
      uts                 the node's UTS namespace (bind mount)
      lldpd.conf, .sock, .log
      frr/                switches: frr.conf, vty sockets, zserv.api, logs (owner frr)
      vlan.sock, vlan.log the VLAN tagger of the node, when one runs
      fabric-cni/         nodes: fabric-cni's node file and the node's certificate (labs.run.identities)

Unix socket paths must fit ``sun_path`` (107 bytes): :func:`node_records`
refuses a state directory too deep for them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from labs.errors import LabRunError
from labs.files.lab import Lab
from labs.run.statefile import NodeRecord

ENV_PREFIX = "FABRIC_LAB_PREFIX"
DEFAULT_PREFIX = "fl-"
SUN_PATH_MAX = 107
NETNS_MAX = 64
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def prefix() -> str:
    """The prefix of this run's host-global names."""
    p = os.environ.get(ENV_PREFIX, DEFAULT_PREFIX)
    if p and not re.fullmatch(r"[A-Za-z0-9_.-]+", p):
        raise LabRunError(f"${ENV_PREFIX}={p!r}: use letters, digits, '_', '.' or '-'")
    return p


def netns_name(pfx: str, lab: str, node: str) -> str:
    name = f"{pfx}{lab}-{node}"
    if not _NAME.match(name) or len(name) > NETNS_MAX:
        raise LabRunError(f"network namespace name {name!r} is not usable (at most {NETNS_MAX} of [A-Za-z0-9_.-])")
    return name


def node_records(lab: Lab, state_dir: Path, pfx: str) -> tuple[NodeRecord, ...]:
    out = []
    for node in lab.nodes.values():
        d = state_dir / "n" / node.name
        frr = d / "frr"
        out.append(
            NodeRecord(
                name=node.name,
                role=node.role,
                netns=netns_name(pfx, lab.name, node.name),
                dir=str(d),
                uts=str(d / "uts"),
                lldp_socket=str(d / "lldpd.sock"),
                frr_dir=str(frr) if node.is_switch else None,
            )
        )
    _check_socket_paths(out)
    return tuple(out)


def sockets(rec: NodeRecord) -> Iterable[str]:
    yield rec.lldp_socket
    yield str(Path(rec.dir) / "vlan.sock")
    if rec.frr_dir:
        for name in ("zebra.vty", "bgpd.vty", "zserv.api"):
            yield str(Path(rec.frr_dir) / name)


def _check_socket_paths(records: Iterable[NodeRecord]) -> None:
    for rec in records:
        for path in sockets(rec):
            if len(path.encode()) > SUN_PATH_MAX:
                raise LabRunError(
                    f"socket path {path} is longer than {SUN_PATH_MAX} bytes: use a shorter --state-dir "
                    f"(or $FABRIC_LAB_STATE_DIR)"
                )
