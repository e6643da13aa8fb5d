"""The seed scenario on a running Linux seed lab with fabricd: networks blue
(VNI 1111), green (2222) and red (3333) created with ``fabricctl`` (as the
lab's operator, over mutual TLS), their NADs rendered (``fabricctl nad``)
into the lab's ``nads/``, pods on server1..3 created with ``fabric-lab pod``
(fabric-cni, as Multus would, with each node's own identity), and the ping
matrix between them.

The uplinks put same-network pods behind different leaves (server N has
``eth1`` on sw1 and ``eth2`` on sw2); red shares blue's subnet, so isolation
is the fabric's, not routing's; server1's ``eth1`` carries three VLANs::

    pod-a  server1  blue  10.11.0.1/24  eth1 (sw1)    green 10.22.0.1/24 eth1 (sw1)
    pod-b  server2  blue  10.11.0.2/24  eth2 (sw2)    green 10.22.0.2/24 eth2 (sw2)
    pod-c  server3  red   10.11.0.13/24 eth2 (sw2)
    pod-d  server1  red   10.11.0.11/24 eth1 (sw1)

:func:`setup`, :func:`ping_matrix`, :func:`spine_capture`,
:func:`teardown` and :func:`switch_leftovers` are the steps;
``scripts/seed-scenario.py`` runs them with a fabricd of its own
(:mod:`labs.run.fabricd_proc`).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from labs.errors import LabRunError
from labs.pods import runtime
from labs.run import fabricd_proc
from labs.run.statefile import LabState

NETWORKS = (("blue", 1111), ("green", 2222), ("red", 3333))
NAMESPACE = "default"
SCENARIO_DIR = "scenario"
REACH_DEADLINE_S = 30.0
#: a pod in two networks answers ARP only on the interface that owns the
#: address (Linux's default answers on any): the matrix is per network
STRONG_HOST = (
    ("net.ipv4.conf.all.arp_ignore", "1"),
    ("net.ipv4.conf.all.arp_announce", "2"),
)

Progress = Callable[[str], None]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PodNet:
    network: str  # blue, green, red
    address: str
    uplink: str | None = None  # None: the node's default uplink (eth1)

    @property
    def nad(self) -> str:
        return f"{self.network}-network"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioPod:
    name: str
    node: str
    nets: tuple[PodNet, ...]

    def manifest(self) -> dict[str, Any]:
        """The Pod manifest, with the JSON form of the Multus annotation."""
        sel = []
        for n in self.nets:
            s: dict[str, Any] = {"name": n.nad, "ips": [n.address]}
            if n.uplink:
                s["cni-args"] = {"uplink": n.uplink}
            sel.append(s)
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": self.name,
                "namespace": NAMESPACE,
                "annotations": {"k8s.v1.cni.cncf.io/networks": json.dumps(sel)},
            },
            "spec": {
                "nodeName": self.node,
                "securityContext": {"sysctls": [{"name": k, "value": v} for k, v in STRONG_HOST]},
                "containers": [{"name": "app", "image": "network-multitool"}],
            },
        }


PODS = (
    ScenarioPod(name="pod-a", node="server1", nets=(PodNet(network="blue", address="10.11.0.1/24"),
                                                     PodNet(network="green", address="10.22.0.1/24"))),
    ScenarioPod(name="pod-b", node="server2", nets=(PodNet(network="blue", address="10.11.0.2/24", uplink="eth2"),
                                                     PodNet(network="green", address="10.22.0.2/24", uplink="eth2"))),
    ScenarioPod(name="pod-c", node="server3", nets=(PodNet(network="red", address="10.11.0.13/24", uplink="eth2"),)),
    ScenarioPod(name="pod-d", node="server1", nets=(PodNet(network="red", address="10.11.0.11/24"),)),
)  # fmt: skip


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    pod: str
    ifname: str
    network: str
    ip: str

    @property
    def label(self) -> str:
        return f"{self.pod}/{self.network}"


def endpoints(scenario: Iterable[ScenarioPod] = PODS) -> list[Endpoint]:
    """Every pod interface of the scenario (``net1``, ``net2``... by position)."""
    return [
        Endpoint(pod=p.name, ifname=f"net{i}", network=n.network, ip=n.address.split("/")[0])
        for p in scenario
        for i, n in enumerate(p.nets, start=1)
    ]


# ----------------------------------------------------------------- fabricctl


def fabricctl(state: LabState, *args: str) -> str:
    """fabricctl's output as the lab's operator; LabRunError when it fails."""
    p = fabricd_proc.fabricctl(state, *args)
    if p.returncode != 0:
        raise LabRunError(f"fabricctl {' '.join(args)}: {(p.stderr or p.stdout).strip()}")
    return p.stdout


def setup(
    state: LabState,
    *,
    progress: Progress = print,
    networks: Iterable[tuple[str, int]] = NETWORKS,
    pods: Iterable[ScenarioPod] = PODS,
) -> list[runtime.PodRecord]:
    """Networks, NADs (``STATE_DIR/nads``, only what a NAD may carry) and the
    scenario's pods (the seed scenario's unless others are given)."""
    sdir = Path(state.state_dir)
    nads = sdir / runtime.NADS_DIR
    nads.mkdir(exist_ok=True)
    for name, vni in networks:
        fabricctl(state, "network", "create", name, "--vni", str(vni), "-n", NAMESPACE)
        doc = json.loads(fabricctl(state, "-o", "json", "nad", f"{NAMESPACE}/{name}"))
        doc["metadata"]["name"] = f"{name}-network"  # what the pods select
        (nads / f"{name}-network.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
        progress(f"network {name} (VNI {vni}) and NAD {name}-network")
    manifests = sdir / SCENARIO_DIR
    manifests.mkdir(exist_ok=True)
    out = []
    for p in pods:
        f = manifests / f"{p.name}.yml"
        f.write_text(yaml.safe_dump(p.manifest(), sort_keys=False))
        out.append(runtime.create(sdir, f, progress=progress))
    return out


def teardown(state: LabState, *, progress: Progress = print, pods: Iterable[ScenarioPod] = PODS) -> None:
    """Delete the scenario's pods (reverse order)."""
    sdir = Path(state.state_dir)
    present = {r.name for r in runtime.records(sdir)}
    for p in reversed(list(pods)):
        if p.name in present:
            runtime.delete(sdir, f"{NAMESPACE}/{p.name}", progress=progress)


# ------------------------------------------------------------------- pinging


def _ping(state: LabState, src: Endpoint, dst: str, count: int = 1) -> bool:
    rec = runtime.find(Path(state.state_dir), f"{NAMESPACE}/{src.pod}")
    argv = ["ip", "netns", "exec", rec.netns, "ping", "-n", "-q", "-c", str(count), "-W", "1", "-I", src.ifname, dst]
    return subprocess.run(argv, capture_output=True, timeout=30, check=False).returncode == 0


def _reaches(state: LabState, src: Endpoint, dst: Endpoint, expect: bool) -> bool:
    """One cell: a pair that should reach gets until the deadline (EVPN
    learns on first contact); one that should not gets two tries."""
    if not expect:
        return _ping(state, src, dst.ip, count=2)
    deadline = time.monotonic() + REACH_DEADLINE_S
    while time.monotonic() < deadline:
        if _ping(state, src, dst.ip):
            return True
    return False


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Matrix:
    endpoints: tuple[Endpoint, ...]
    reached: dict[tuple[str, str], bool]  # (src label, dst label) -> reached

    @property
    def unexpected(self) -> list[str]:
        out = []
        for (s, d), got in sorted(self.reached.items()):
            want = s.split("/")[1] == d.split("/")[1]
            if got != want:
                out.append(f"{s} -> {d}: {'reached' if got else 'did not reach'}, expected the opposite")
        return out

    def render(self) -> str:
        eps = self.endpoints
        width = max(len(f"{e.label} {e.ip}") for e in eps)
        head = " " * (width + 2) + "  ".join(f"{e.label:>12}" for e in eps)
        lines = ["ping matrix: row pings column; ok = reached, -- = no answer, ! = not as expected", head]
        for s in eps:
            cells = []
            for d in eps:
                if s.pod == d.pod:
                    cells.append(f"{'.':>12}")
                    continue
                got = self.reached[(s.label, d.label)]
                mark = ("ok" if got else "--") + ("" if got == (s.network == d.network) else "!")
                cells.append(f"{mark:>12}")
            lines.append(f"{s.label + ' ' + s.ip:<{width}}  " + "  ".join(cells))
        return "\n".join(lines)


def ping_matrix(state: LabState, pods: Iterable[ScenarioPod] = PODS) -> Matrix:
    eps = endpoints(pods)
    pairs = [(s, d) for s in eps for d in eps if s.pod != d.pod]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda sd: _reaches(state, sd[0], sd[1], sd[0].network == sd[1].network), pairs))
    reached = {(s.label, d.label): r for (s, d), r in zip(pairs, results, strict=True)}
    return Matrix(endpoints=tuple(eps), reached=reached)


def spine_capture(state: LabState, src: Endpoint, dst: Endpoint) -> str:
    """tcpdump of VXLAN on the spine's ports while ``src`` pings ``dst``."""
    spine = next(n for n in state.nodes if n.role == "spine")
    procs = [
        subprocess.Popen(
            ["ip", "netns", "exec", spine.netns, "tcpdump", "-i", port, "-nn", "-l", "-c", "20", "udp", "port", "4789"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        for port in ("e1-1", "e1-2")
    ]
    try:
        time.sleep(1.0)  # tcpdump starts listening (no condition to wait on without reading its stderr)
        _ping(state, src, dst.ip, count=3)
        time.sleep(0.3)
    finally:
        for p in procs:
            p.terminate()
    return "".join(p.communicate(timeout=10)[0].decode(errors="replace") for p in procs)


# --------------------------------------------------------------- the switches

#: per platform, the configuration subtrees where fabricd's objects live
CONFIG_PATHS = {
    "openconfig": ("/interfaces", "/network-instances"),
    "srlinux": ("/interface", "/tunnel-interface", "/network-instance"),
}


def switch_config(state: LabState, switch: str) -> Any:
    """The configuration subtrees fabricd writes to on the switch's platform
    (openconfig: /interfaces, /network-instances; srlinux: /interface,
    /tunnel-interface, /network-instance), read over gNMI (Get, config)."""
    from pygnmi.client import gNMIclient

    sw = next(s for s in state.switches if s.name == switch)
    host, port = sw.address.rsplit(":", 1)
    with gNMIclient(
        target=(host, int(port)),
        username=state.username,
        password=Path(state.password_file).read_text(),
        path_root=state.ca_file,
        override=switch,
        insecure=state.plaintext,
        timeout=30,
    ) as gc:
        return gc.get(path=list(CONFIG_PATHS[sw.platform]), encoding="json_ietf", datatype="config")


def _walk(node: Any, key: str = "") -> Iterable[tuple[str, Any]]:
    """Every (key without its module prefix, value) of a JSON tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, str(k).rsplit(":", 1)[-1])
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v, key)
    else:
        yield key, node


def switch_leftovers(state: LabState) -> list[str]:
    """What pods left configured on the leaves, read back over gNMI: VNIs,
    fabricd's MAC-VRFs, server ports still switched (open to VLANs) on
    openconfig, and on SR Linux subinterfaces described ``fabricd`` and
    ports still VLAN-tagged (the day-0 tags none)."""
    left = []
    for sw in (s for s in state.switches if s.role == "leaf"):
        found = set()
        for key, value in _walk(switch_config(state, sw.name)):
            if key == "vni":
                found.add(f"{sw.name}: VNI {value}")
            elif key == "name" and str(value).startswith("fabricd-vni-"):
                found.add(f"{sw.name}: network instance {value}")
            elif key in ("interface-mode", "trunk-vlans", "access-vlan"):
                found.add(f"{sw.name}: a port is still switched ({key} {value})")
            elif key == "description" and value == "fabricd":
                found.add(f"{sw.name}: a subinterface of fabricd's")
            elif key == "vlan-tagging" and value is True:
                found.add(f"{sw.name}: a port is still VLAN-tagged")
        left += sorted(found)
    return left
