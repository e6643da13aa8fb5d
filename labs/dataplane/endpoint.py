"""Node-side VLAN endpoints: an address on VLAN ``V`` of a node's NIC, the
way a Kubernetes node would carry a pod network on a VLAN of its NIC.

The VLAN comes from the lab's VLAN backend in the node's namespace: the
kernel's 802.1Q sub-interface ``<nic>.<V>``, or a tap ``<nic>v<V>`` of the
node's userspace tagger, started on first use and recorded in the state
file like every process of the lab (``down`` stops it). Used by the e2e
tests and ``fabric-lab endpoint``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import ipaddress
from collections.abc import Iterator
from pathlib import Path

from cni.vlan.client import TaggerVlanBackend
from cni.vlan.errors import VlanError
from cni.vlan.names import KERNEL_SEP, vlan_ifname
from labs.dataplane import vlan
from labs.dataplane.cmd import run
from labs.errors import LabNotRunning, LabRunError
from labs.run.statefile import LabState, NodeRecord, read_state

LOCK_FILE = ".endpoint.lock"


@contextlib.contextmanager
def _locked(sdir: Path | str) -> Iterator[None]:
    with open(Path(sdir) / LOCK_FILE, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _node(state: LabState, node: str) -> NodeRecord:
    n = state.node(node)
    if n is None:
        known = ", ".join(x.name for x in state.nodes) or "none"
        raise LabRunError(f"lab {state.lab}: no node {node!r} (nodes: {known})")
    return n


def _running_linux(sdir: Path | str) -> LabState:
    state = read_state(Path(sdir))
    if state is None or state.phase != "running":
        raise LabNotRunning(f"no running lab in {sdir}")
    if state.dataplane != "linux":
        raise LabRunError(f"lab {state.lab} runs with dataplane {state.dataplane}: endpoints need linux")
    return state


def vlan_interface(sdir: Path | str, node: str, nic: str, vlan_id: int) -> tuple[NodeRecord, str]:
    """VLAN ``vlan_id`` of ``node``'s ``nic`` as an interface (made if needed)."""
    with _locked(sdir):
        state = _running_linux(sdir)
        n = _node(state, node)
        if state.vlan_backend == "tagger":
            if n.vlan_socket is None:
                state = vlan.start_taggers(state, [n])
                n = _node(state, node)
            try:
                ifname = TaggerVlanBackend(str(n.vlan_socket), same_netns=False).ensure(nic, vlan_id)
            except VlanError as e:
                raise LabRunError(f"{node}: {e}") from None
            return n, ifname
    ifname = vlan_ifname(nic, vlan_id, sep=KERNEL_SEP)
    if not run(["ip", "-n", n.netns, "link", "show", ifname], check=False):
        run(["ip", "-n", n.netns, "link", "add", "link", nic, "name", ifname, "type", "vlan", "id", str(vlan_id)])
    run(["ip", "-n", n.netns, "link", "set", ifname, "up"])
    return n, ifname


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    node: str
    netns: str
    ifname: str
    address: ipaddress.IPv4Interface


def add(sdir: Path | str, node: str, nic: str, vlan_id: int, address: str) -> Endpoint:
    """``address`` (``A.B.C.D/N``) on VLAN ``vlan_id`` of ``node``'s ``nic``."""
    addr = ipaddress.IPv4Interface(address)
    n, ifname = vlan_interface(sdir, node, nic, vlan_id)
    run(["ip", "-n", n.netns, "address", "replace", str(addr), "dev", ifname])
    run(["ip", "-n", n.netns, "link", "set", ifname, "up"])
    return Endpoint(node=node, netns=n.netns, ifname=ifname, address=addr)


def remove(sdir: Path | str, node: str, nic: str, vlan_id: int) -> None:
    """Take VLAN ``vlan_id`` of ``node``'s ``nic`` (and its addresses) away."""
    with _locked(sdir):
        state = _running_linux(sdir)
        n = _node(state, node)
        if state.vlan_backend == "tagger":
            if n.vlan_socket is None:
                return
            try:
                TaggerVlanBackend(n.vlan_socket, same_netns=False).release(nic, vlan_id)
            except VlanError as e:
                raise LabRunError(f"{node}: {e}") from None
            return
    run(["ip", "-n", n.netns, "link", "del", vlan_ifname(nic, vlan_id, sep=KERNEL_SEP)], check=False)
