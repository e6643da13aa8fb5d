"""The phases of ``fabric-lab up --dataplane linux`` before the emulator
host starts, each recorded in the state file before (resources) or right
after (processes) it is created, so that ``down`` removes exactly them also
after a crash in the middle:

1. stale namespaces of this lab and prefix that no state file records (a
   run that died before recording them) are removed;
2. network and UTS namespaces, sysctls, veth links (:mod:`.netns`);
3. lldpd in every node (:mod:`.lldpd`);
4. zebra and bgpd in every switch with the day-0 underlay (:mod:`.frr`);
5. the VLAN tagger in every leaf when the kernel has no 802.1Q
   (:mod:`.vlan`);
6. wait until every lldpd handles its ports and every FRR daemon listens,
   then ``lldpcli update`` everywhere for an immediate first exchange.

:func:`switch_specs` gives the emulator what it needs of each switch.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from labs.dataplane import frr, lldpd, names, netns, vlan
from labs.dataplane.cmd import run
from labs.dataplane.resources import frr_tmpdir_resource, netns_resource, uts_resource
from labs.dataplane.spawn import spawn
from labs.errors import LabCommandError, LabRunError
from labs.files.lab import Lab
from labs.files.spec import LinuxSwitchSpec
from labs.run import procs
from labs.run.statefile import LabState, NodeRecord, write_state

Progress = Callable[[str], None]
READY_TIMEOUT_S = 30.0


def bring_up(lab: Lab, state: LabState, progress: Progress, *, vlan_backend: str | None = None) -> LabState:
    sdir = Path(state.state_dir)
    sdir.chmod(0o711)  # FRR drops to user frr, which must reach n/<switch>/frr; secrets stay 0600
    pfx = names.prefix()
    nodes = names.node_records(lab, sdir, pfx)
    for n in nodes:
        if netns.exists(n.netns):
            killed = netns.delete_netns(n.netns)
            progress(f"{lab.name}: removed the stale namespace {n.netns} (stopped {len(killed)} processes in it)")
    backend = vlan_backend or vlan.backend()
    resources = [r for n in nodes for r in (netns_resource(n.netns), uts_resource(n.name, n.uts))]
    state = dataclasses.replace(
        state, prefix=pfx, nodes=nodes, vlan_backend=backend, resources=(*state.resources, *resources)
    )
    write_state(state)
    t0 = time.monotonic()
    netns.create_namespaces(nodes)
    netns.create_links(lab, nodes)
    progress(
        f"{lab.name}: {len(nodes)} network namespaces ({pfx}{lab.name}-*) and {len(lab.links)} links "
        f"in {time.monotonic() - t0:.2f} s"
    )
    state = _start_lldpd(lab, state)
    state = _start_frr(lab, state)
    progress(f"{lab.name}: lldpd in {len(nodes)} nodes, FRR in {len(lab.switches())} switches")
    if backend == "tagger":
        leaves = [n for n in state.nodes if n.role == "leaf"]
        state = vlan.start_taggers(state, leaves)
        progress(f"{lab.name}: VLAN backend: userspace 802.1Q tagger in {len(leaves)} leaves")
    else:
        progress(f"{lab.name}: VLAN backend: the kernel's 802.1Q")
    _wait_ready(lab, state)
    for n in state.nodes:
        lldpd.update(n.lldp_socket)
    progress(f"{lab.name}: daemons ready after {time.monotonic() - t0:.2f} s")
    return state


def _add(state: LabState, new: Iterable[procs.ProcessRecord], resources: Iterable[dict[str, str]] = ()) -> LabState:
    state = dataclasses.replace(state, processes=(*state.processes, *new), resources=(*state.resources, *resources))
    write_state(state)
    return state


def _start_lldpd(lab: Lab, state: LabState) -> LabState:
    started = []
    try:
        for n in state.nodes:
            lldpd.write_config(lab, n)
            started.append(spawn(f"lldpd:{n.name}", n, lldpd.argv(lab, n), Path(n.dir) / "lldpd.log"))
    finally:
        state = _add(state, started)
    return state


def _start_frr(lab: Lab, state: LabState) -> LabState:
    """zebra in every switch, then (once each listens on zserv.api) bgpd:
    a bgpd that finds no zebra cannot register its unnumbered peers'
    next hops and waits for a timer to try again."""
    switches = [n for n in state.nodes if n.frr_dir is not None]
    for n in switches:
        frr.prepare(lab, n)
    for daemon in frr.DAEMONS:
        started, tmpdirs = [], []
        try:
            for n in switches:
                assert n.frr_dir is not None
                rec = spawn(f"{daemon}:{n.name}", n, frr.argv(daemon, n), Path(n.frr_dir) / f"{daemon}.out")
                started.append(rec)
                tmpdirs.append(frr_tmpdir_resource(daemon, rec.pid))
        finally:
            state = _add(state, started, tmpdirs)
        if daemon == "zebra":
            _wait(state, "zebra's zserv.api", [str(Path(str(n.frr_dir)) / "zserv.api") for n in switches])
    return state


def _wait(state: LabState, what: str, paths: list[str], timeout: float = READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not all(Path(p).exists() for p in paths):
        _check_alive(state)
        if time.monotonic() > deadline:
            missing = [p for p in paths if not Path(p).exists()]
            raise LabRunError(f"{what} not there within {timeout:.0f} s: {', '.join(missing)}")
        time.sleep(0.02)


def _check_alive(state: LabState) -> None:
    for rec in state.processes:
        procs.reap(rec.pid)
        if not procs.alive(rec):
            raise LabRunError(f"{rec.role} (pid {rec.pid}) exited while starting:\n{_log_tail(state, rec)}")


def _wait_ready(lab: Lab, state: LabState, timeout: float = READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    pending = {n.name: n for n in state.nodes}
    while pending:
        _check_alive(state)
        for name, n in list(pending.items()):
            if _ready(lab, n):
                del pending[name]
        if not pending:
            return
        if time.monotonic() > deadline:
            raise LabRunError(f"not ready within {timeout:.0f} s: {', '.join(sorted(pending))}")
        time.sleep(0.05)


def _ready(lab: Lab, n: NodeRecord) -> bool:
    if n.frr_dir is not None and not all((Path(n.frr_dir) / f"{d}.vty").exists() for d in frr.DAEMONS):
        return False
    if not Path(n.lldp_socket).exists():
        return False
    try:
        doc = json.loads(run(["lldpcli", "-u", n.lldp_socket, "-f", "json0", "show", "interfaces"], timeout=5))
    except (LabCommandError, ValueError):
        return False
    have = {i.get("name") for section in doc.get("lldp", []) for i in section.get("interface", [])}
    return {p.names.linux for p in lab.ports(n.name)} <= have


def _log_tail(state: LabState, rec: procs.ProcessRecord, lines: int = 15) -> str:
    """The end of the log of a process started by :func:`bring_up`."""
    daemon, _, node = rec.role.partition(":")
    n = state.node(node)
    if n is None:
        return "  (no log)"
    logs = {"lldpd": Path(n.dir) / "lldpd.log", vlan.ROLE: Path(n.dir) / "vlan.log"}
    if n.frr_dir is not None:
        logs.update({d: Path(n.frr_dir) / f"{d}.out" for d in frr.DAEMONS})
    try:
        tail = logs[daemon].read_text(errors="replace").splitlines()[-lines:]
    except (KeyError, OSError):
        return "  (no log)"
    return "\n".join(f"  | {line}" for line in tail) or "  (the log is empty)"


def switch_specs(lab: Lab, state: LabState) -> dict[str, LinuxSwitchSpec]:
    out = {}
    for sw in lab.switches():
        n = state.node(sw.name)
        if n is None or n.frr_dir is None or sw.asn is None or sw.router_id is None:
            raise LabRunError(f"lab {lab.name}: switch {sw.name} has no namespace in the state file")
        out[sw.name] = LinuxSwitchSpec(
            netns=n.netns,
            lldp_socket=n.lldp_socket,
            frr_dir=n.frr_dir,
            asn=sw.asn,
            router_id=str(sw.router_id),
            ports={p.names.oc: p.names.linux for p in lab.ports(sw.name)},
            vlan_backend=state.vlan_backend or "kernel",
            vlan_socket=n.vlan_socket,
        )
    return out
