"""`fabric-lab up` on the Linux dataplane: time to a converged underlay (root).

    python -m bench labup [--quick]

Each run starts ``labs/seed.clab.yml`` (and, unless quick,
``labs/dc-2s4l.clab.yml``) from nothing, as ``fabric-lab up`` does, and
measures from the start until every BGP session of every switch is
Established (read from FRR) and every LLDP neighbour the sidecar expects is
visible over gNMI (a plain pygnmi Get of each switch's neighbour state),
then how long ``down`` takes. Goal for the seed lab: under 30 s. Numbers
only; a lab that does not converge within 120 s fails the run.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from labs.dataplane import frr
from labs.dataplane.names import ENV_PREFIX
from labs.errors import LabCommandError
from labs.files.lab import Lab
from labs.files.topofile import load_lab
from labs.run import runner
from labs.run.statefile import LabState

LABS = Path(__file__).resolve().parents[1] / "labs"
DEADLINE_S = 120.0
LLDP = "/lldp/interfaces/interface/neighbors/neighbor/state"


def _gnmi_lldp(state: LabState, switch: str) -> set[tuple[str, str, str]]:
    from pygnmi.client import gNMIclient

    sw = next(s for s in state.switches if s.name == switch)
    host, port = sw.address.rsplit(":", 1)
    with gNMIclient(
        target=(host, int(port)),
        username=state.username,
        password=Path(state.password_file).read_text(),
        path_root=state.ca_file,
        override=switch,
        timeout=10,
    ) as gc:
        reply = gc.get(path=[LLDP], encoding="json_ietf")
    out = set()
    for n in reply.get("notification", []):
        for u in n.get("update", []):
            port_name = u["path"].split("interface[name=", 1)[1].split("]", 1)[0]
            out.add((port_name, u["val"]["system-name"], u["val"]["port-id"]))
    return out


def _bgp_done(lab: Lab, state: LabState) -> bool:
    for sw in lab.switches():
        node = state.node(sw.name)
        assert node is not None and node.frr_dir is not None
        try:
            up = frr.established(frr.bgp_summary(node.frr_dir))
        except LabCommandError:
            return False
        if not set(frr.fabric_ports(lab, sw.name)) <= up:
            return False
    return True


def one_run(file: Path, root: Path) -> dict[str, float]:
    lab = load_lab(file)
    want: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for e in lab.sidecar.expect.lldp:
        want[e.switch].add((e.port, e.neighbor, e.neighbor_port))
    sdir = root / lab.name
    t0 = time.monotonic()
    state = runner.up(file, state_dir=sdir, dataplane="linux", converge=False)
    ready = time.monotonic() - t0
    try:
        bgp = lldp = None
        pending = {sw.name for sw in lab.switches()}
        while bgp is None or lldp is None:
            now = time.monotonic() - t0
            if now > DEADLINE_S:
                raise RuntimeError(f"{lab.name}: no converged underlay within {DEADLINE_S:.0f} s")
            if bgp is None and _bgp_done(lab, state):
                bgp = time.monotonic() - t0
            pending = {s for s in pending if _gnmi_lldp(state, s) != want[s]}
            if lldp is None and not pending:
                lldp = time.monotonic() - t0
            time.sleep(0.05)
    finally:
        t1 = time.monotonic()
        runner.down(lab.name, state_dir=sdir)
        down = time.monotonic() - t1
    return {"host_ready_s": ready, "bgp_s": bgp, "lldp_gnmi_s": lldp, "converged_s": max(bgp, lldp), "down_s": down}


def run(quick: bool = False) -> dict[str, Any]:
    if os.geteuid() != 0:
        return {"skipped": "needs root (network namespaces)", "table": ["skipped: needs root"]}
    labs = ["seed"] if quick else ["seed", "dc-2s4l"]
    runs = 1 if quick else 3
    old = os.environ.get(ENV_PREFIX)
    os.environ[ENV_PREFIX] = f"fdt{os.getpid()}-"
    results: dict[str, Any] = {"table": []}
    try:
        with tempfile.TemporaryDirectory(prefix=f"fdt{os.getpid()}-") as tmp:
            Path(tmp).chmod(0o711)  # FRR (user frr) reaches its directory below
            for name in labs:
                rows = [one_run(LABS / f"{name}.clab.yml", Path(tmp)) for _ in range(runs)]
                med = {k: round(statistics.median(r[k] for r in rows), 2) for k in rows[0]}
                results[name] = {"runs": rows, "median": med}
                results["table"].append(
                    f"{name}: converged underlay {med['converged_s']:.1f} s (BGP {med['bgp_s']:.1f} s, LLDP over "
                    f"gNMI {med['lldp_gnmi_s']:.1f} s; host ready {med['host_ready_s']:.1f} s), down "
                    f"{med['down_s']:.1f} s; median of {runs}, max {max(r['converged_s'] for r in rows):.1f} s"
                )
    finally:
        if old is None:
            os.environ.pop(ENV_PREFIX, None)
        else:
            os.environ[ENV_PREFIX] = old
    return results
