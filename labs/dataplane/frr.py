"""FRR on every switch: the day-0 underlay (pure), command lines, queries.

What a containerlab startup-config would carry, derived from the lab file:
eBGP unnumbered (RFC 5549) on every port whose peer is a switch, one peer
group, the loopback /32 (``fabricd.router-id``) announced, the switch's ASN
(``fabricd.asn``), ``address-family l2vpn evpn`` activated on the fabric
peers, ``advertise-all-vni`` on leaves. The per-VNI overlay (RD, route
targets) is the emulator's: it applies what it receives over gNMI
(:mod:`labs.emulator.linux.frrvni`).

zebra and bgpd run in the foreground inside the switch (no ``-N``: every
path is given, so nothing is created under /var/run/frr), their vty sockets,
``zserv.api``, pid files, configs and logs in the node's ``frr/`` directory
(owner frr: the daemons drop to that user); ``-P 0``: no vty TCP port.
``vtysh --vty_socket DIR`` reaches them from the root namespace. A daemon
killed hard leaves ``/var/tmp/frr/<daemon>.<pid>``: teardown removes it.
"""

from __future__ import annotations

import json
import pwd
import shutil
import stat
from pathlib import Path
from typing import Any

from labs.dataplane.cmd import run
from labs.errors import LabRunError
from labs.files.lab import Lab
from labs.run.statefile import NodeRecord

FRR_LIB = Path("/usr/lib/frr")
DAEMONS = ("zebra", "bgpd")
VTYSH = "vtysh"
FRR_USER = "frr"
TMP_DIR = Path("/var/tmp/frr")
RA_INTERVAL_S = 1


def fabric_ports(lab: Lab, switch: str) -> list[str]:
    """Linux names of the switch's ports whose peer is a switch (BGP unnumbered)."""
    out = []
    for port in lab.ports(switch):
        peer = lab.peer(port)
        if peer is not None and lab.nodes[peer.node].is_switch:
            out.append(port.names.linux)
    return out


def zebra_config(lab: Lab, switch: str) -> str:
    """Router advertisements every :data:`RA_INTERVAL_S` on fabric ports:
    BGP unnumbered learns the peer's link-local address from them, and a
    missed first one would otherwise cost zebra's default 10 s."""
    lines = ["frr defaults datacenter", f"hostname {switch}", "log timestamp precision 3", "!"]
    for port in fabric_ports(lab, switch):
        lines += [f"interface {port}", f" ipv6 nd ra-interval {RA_INTERVAL_S}", " no ipv6 nd suppress-ra", "exit", "!"]
    return "\n".join(lines) + "\n"


def bgpd_config(lab: Lab, switch: str) -> str:
    sw = lab.nodes[switch]
    if sw.asn is None or sw.router_id is None:
        raise ValueError(f"{switch} is not a switch with an ASN and a router-id")
    lines = [
        "frr defaults datacenter",
        f"hostname {switch}",
        "log timestamp precision 3",
        "!",
        f"router bgp {sw.asn}",
        f" bgp router-id {sw.router_id}",
        " coalesce-time 100",
        " neighbor fabric peer-group",
        " neighbor fabric remote-as external",
        " neighbor fabric timers connect 1",
        *(f" neighbor {p} interface peer-group fabric" for p in fabric_ports(lab, switch)),
        " !",
        " address-family ipv4 unicast",
        f"  network {sw.router_id}/32",
        " exit-address-family",
        " !",
        " address-family l2vpn evpn",
        "  neighbor fabric activate",
        *(["  advertise-all-vni"] if sw.role == "leaf" else []),
        " exit-address-family",
        "exit",
        "!",
    ]
    return "\n".join(lines) + "\n"


def reachable_by_frr(path: Path) -> Path | None:
    """The first directory above ``path`` that user frr cannot traverse (the
    daemons drop to it), or None."""
    pw = pwd.getpwnam(FRR_USER)
    for d in reversed(path.absolute().parents):
        st = d.stat()
        if st.st_uid == pw.pw_uid:
            ok = st.st_mode & stat.S_IXUSR
        elif st.st_gid == pw.pw_gid:
            ok = st.st_mode & stat.S_IXGRP
        else:
            ok = st.st_mode & stat.S_IXOTH
        if not ok:
            return d
    return None


def prepare(lab: Lab, node: NodeRecord) -> None:
    """The switch's FRR directory with its configs, owned by frr."""
    assert node.frr_dir is not None
    d = Path(node.frr_dir)
    d.mkdir(parents=True, exist_ok=True)
    blocked = reachable_by_frr(d)
    if blocked is not None:
        raise LabRunError(
            f"FRR runs as user {FRR_USER}, which cannot traverse {blocked}: use a --state-dir below "
            f"directories others may enter (chmod o+x {blocked})"
        )
    (d / "zebra.conf").write_text(zebra_config(lab, node.name))
    (d / "bgpd.conf").write_text(bgpd_config(lab, node.name))
    (d / "vtysh.conf").write_text("")
    for path in (d, d / "zebra.conf", d / "bgpd.conf", d / "vtysh.conf"):
        shutil.chown(path, FRR_USER, FRR_USER)


def argv(daemon: str, node: NodeRecord) -> list[str]:
    assert node.frr_dir is not None
    d = node.frr_dir
    return [
        str(FRR_LIB / daemon),
        "--vty_socket",
        d,
        "-z",
        f"{d}/zserv.api",
        "-P",
        "0",
        "-i",
        f"{d}/{daemon}.pid",
        "-f",
        f"{d}/{daemon}.conf",
        "--log",
        f"file:{d}/{daemon}.log",
    ]


def vtysh(frr_dir: str, *commands: str) -> list[str]:
    out = [VTYSH, "--vty_socket", frr_dir]
    for c in commands:
        out += ["-c", c]
    return out


def bgp_summary(frr_dir: str) -> dict[str, Any]:
    text = run(vtysh(frr_dir, "show bgp summary json"), timeout=10)
    try:
        doc = json.loads(text or "{}")
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def established(summary: dict[str, Any], afi: str = "ipv4Unicast") -> set[str]:
    """The peers (interface names for unnumbered peers) in state Established."""
    peers = (summary.get(afi) or {}).get("peers") or {}
    return {name for name, p in peers.items() if isinstance(p, dict) and p.get("state") == "Established"}


def shut_sessions(frr_dir: str, *, shut: bool) -> list[str]:
    """Fault: shut (``shut``) or open again every BGP session of a switch's
    FRR (``neighbor X shutdown``): its EVPN routes go with them. The peers."""
    running = run(vtysh(frr_dir, "show running-config"), timeout=10)
    lines = running.splitlines()
    asn = next((line.split()[2] for line in lines if line.startswith("router bgp ")), None)
    if asn is None:
        raise LabRunError(f"{frr_dir}: FRR has no router bgp")
    peers = [line.split()[1] for line in lines if line.strip().startswith("neighbor ") and " interface" in line]
    cmds = [f"{'' if shut else 'no '}neighbor {p} shutdown" for p in peers]
    run(vtysh(frr_dir, "configure terminal", f"router bgp {asn}", *cmds, "end"), timeout=10)
    return peers
