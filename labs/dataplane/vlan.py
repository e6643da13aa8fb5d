"""The lab's VLAN backend: the kernel's 802.1Q where it exists, else the
userspace tagger (``cni.vlan.tagger``, started by :mod:`.tagger`), one per
namespace that needs VLANs (every leaf at ``up``; a node when an endpoint is
put on one of its NICs).

``$FABRIC_LAB_VLAN_BACKEND`` (``auto``, ``kernel`` or ``tagger``) overrides
the choice; ``auto`` (the default) probes the kernel once.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cni.vlan.errors import VlanError
from cni.vlan.kernel import kernel_has_8021q
from labs.dataplane.tagger import TaggerProcess, start_tagger
from labs.errors import LabRunError
from labs.run.statefile import LabState, NodeRecord, write_state

ENV_BACKEND = "FABRIC_LAB_VLAN_BACKEND"
ROLE = "vlan-tagger"


def backend() -> str:
    """``kernel`` or ``tagger`` for this machine."""
    want = os.environ.get(ENV_BACKEND, "auto")
    if want in ("kernel", "tagger"):
        return want
    if want != "auto":
        raise LabRunError(f"${ENV_BACKEND}={want!r}: use auto, kernel or tagger")
    try:
        return "kernel" if kernel_has_8021q() else "tagger"
    except VlanError:
        return "tagger"


def tagger_socket(node: NodeRecord) -> str:
    return str(Path(node.dir) / "vlan.sock")


def start_taggers(state: LabState, nodes: Sequence[NodeRecord]) -> LabState:
    """A tagger in each of ``nodes`` (in parallel), recorded in the state."""

    def one(n: NodeRecord) -> tuple[NodeRecord, TaggerProcess]:
        sock = tagger_socket(n)
        proc = start_tagger(
            netns=n.netns,
            socket=sock,
            pid_file=str(Path(n.dir) / "vlan.pid"),
            log_file=str(Path(n.dir) / "vlan.log"),
            role=f"{ROLE}:{n.name}",
        )
        return dataclasses.replace(n, vlan_socket=sock), proc

    with ThreadPoolExecutor(max_workers=max(1, min(8, len(nodes)))) as pool:
        futures = [pool.submit(one, n) for n in nodes]
    done, errors = [], []
    for f in futures:
        try:
            done.append(f.result())
        except LabRunError as e:
            errors.append(str(e))
    by_name = {n.name: n for n, _ in done}
    state = dataclasses.replace(
        state,
        nodes=tuple(by_name.get(n.name, n) for n in state.nodes),
        processes=(*state.processes, *(p.record for _, p in done)),
    )
    write_state(state)
    if errors:
        raise LabRunError("; ".join(errors))
    return state
