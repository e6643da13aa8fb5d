"""Network namespaces, persistent UTS namespaces, sysctls and veth links.

Every node gets a network namespace (``ip netns add``) and a UTS namespace
bind-mounted on a file (``unshare --uts=FILE hostname NODE``), so that
daemons started in it (:mod:`labs.dataplane.spawn`) see the node's host name.
IPv6 DAD is off in every namespace (link-locals usable at once: faster BGP
unnumbered), forwarding is on in switches, ``lo`` is up. Links are veth
pairs created directly inside both namespaces with the platform profile's
Linux names, MTU :data:`VETH_MTU`; switch ports carry their OpenConfig name
as the interface alias.

Removal (:func:`delete_netns`, :func:`unmount`) tolerates what is already
gone; a process still inside a namespace being deleted (one nobody recorded)
is killed first, because it would keep the namespace and its links alive.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path

from labs.dataplane.cmd import run
from labs.files.lab import Lab
from labs.run import procs
from labs.run.statefile import NodeRecord

VETH_MTU = 9500  # containerlab's default: 1500-byte frames fit through VXLAN
NETNS_DIR = Path("/run/netns")
_SYSCTL_ALL = ("net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
_SYSCTL_SWITCH = ("net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")


def exists(netns: str) -> bool:
    return (NETNS_DIR / netns).exists()


def create_namespaces(nodes: Sequence[NodeRecord]) -> None:
    """Network and UTS namespaces of ``nodes``, sysctls applied, ``lo`` up."""
    run(["ip", "-batch", "-"], input="".join(f"netns add {n.netns}\n" for n in nodes))
    for n in nodes:
        Path(n.dir).mkdir(parents=True, exist_ok=True)
        Path(n.uts).touch()
        run(["unshare", f"--uts={n.uts}", "hostname", n.name])
        settings = _SYSCTL_ALL + (_SYSCTL_SWITCH if n.role != "node" else ())
        run(["ip", "netns", "exec", n.netns, "sysctl", "-qw", *settings])
        run(["ip", "-n", n.netns, "link", "set", "lo", "up"])


def link_commands(lab: Lab, netns: dict[str, str]) -> str:
    """``ip -batch`` lines creating every link of the lab (root namespace)."""
    lines = []
    for link in lab.links:
        a, b = link.a, link.b
        mtu = link.mtu or VETH_MTU
        lines.append(
            f"link add {a.names.linux} netns {netns[a.node]} mtu {mtu} type veth "
            f"peer name {b.names.linux} netns {netns[b.node]} mtu {mtu}\n"
        )
    return "".join(lines)


def node_commands(lab: Lab, node: str) -> str:
    """``ip -n NS -batch`` lines configuring a node's ports and loopback."""
    lines = []
    n = lab.nodes[node]
    for port in lab.ports(node):
        if n.is_switch:
            lines.append(f'link set {port.names.linux} alias "{port.names.oc}"\n')
        lines.append(f"link set {port.names.linux} up\n")
    if n.is_switch and n.router_id is not None:
        lines.append(f"address add {n.router_id}/32 dev lo\n")
    return "".join(lines)


def create_links(lab: Lab, nodes: Sequence[NodeRecord]) -> None:
    netns = {n.name: n.netns for n in nodes}
    if lab.links:
        run(["ip", "-batch", "-"], input=link_commands(lab, netns))
    for n in nodes:
        cmds = node_commands(lab, n.name)
        if cmds:
            run(["ip", "-n", n.netns, "-batch", "-"], input=cmds)


# ------------------------------------------------------------------ removal


def pids_in(netns: str) -> list[int]:
    out = run(["ip", "netns", "pids", netns], check=False)
    return [int(p) for p in out.split() if p.isdigit()]


def kill_all_in(netns: str, *, grace: float = 5.0) -> list[int]:
    """Stop every process left in a namespace (TERM, then KILL)."""
    found = pids_in(netns)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in found:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            left = [p for p in found if _running(p)]
            if not left:
                return found
            time.sleep(0.05)
    return found


def _running(pid: int) -> bool:
    procs.reap(pid)
    st = procs.stat(pid)
    return st is not None and not st.zombie


def delete_netns(netns: str) -> list[int]:
    """Delete a namespace (processes left inside it are stopped first); the
    pids stopped. Nothing to do when it does not exist."""
    if not exists(netns):
        return []
    killed = kill_all_in(netns)
    run(["ip", "netns", "delete", netns], check=False)
    if exists(netns):  # a mount point left behind by a crashed `ip netns add`
        with contextlib.suppress(OSError):
            os.unlink(NETNS_DIR / netns)
    return killed


def mounted(path: str) -> bool:
    return path in mount_points()


def mount_points() -> set[str]:
    out = set()
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            fields = line.split()
            out.add(fields[4].encode().decode("unicode_escape"))
    return out


def unmount(path: str) -> None:
    """Unmount a bind-mounted namespace file (all stacked mounts) and remove it."""
    for _ in range(8):
        if not mounted(path):
            break
        run(["umount", path], check=False)
    with contextlib.suppress(FileNotFoundError, IsADirectoryError):
        os.unlink(path)
