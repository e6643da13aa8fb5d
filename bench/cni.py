"""fabric-cni's start-up overhead and ADD/DEL wall time (root).

    python -m bench cni [--quick]

The seed lab's switches (emulator host, dataplane none) and fabricd as its
own process on a unix socket with mutual TLS, as in production (the node's
certificate in its node file); a node namespace with ``eth1`` and the
userspace tagger; ``fabric-cni`` run for ADD and DEL of fresh pods, exactly
as a runtime runs it, except that the bench enters the node's network
namespace itself (``setns`` between fork and exec) so that no wrapper
process is counted. Two executables, each round: the packaged plugin a
node runs (``make plugin``: the PyInstaller bundle; measured when built)
and the venv's console script.

Measured per ADD, from just before the fork:

- ``start->main``: interpreter start and cni.plugin.main's imports, until main() runs;
- ``start->Attach sent``: the plugin's overhead before fabricd hears of the
  pod (config parsing, node lock, its gRPC client, the TLS handshake);
- ``Attach``: the RPC until the leaf committed (fabricd's side);
- ``ADD total``: including the sub-interface, macvlan and static IPAM
  (goal: <= 150 ms at the median for the bundle);

and for comparison ``VERSION``, ``python -c pass``, the import of the
plugin's own gRPC client (:mod:`cni.wire` with ``ssl``) and what a grpcio
client would add instead: ``import grpc`` plus the API's generated stubs.
The script runs with bytecode caching on (a private ``PYTHONPYCACHEPREFIX``,
written by the uncounted first round), as an installed plugin (the
PyInstaller bundle, site-packages) has its modules compiled: compiling
cni/ and proto/ from source at every start is not the plugin's cost
(``PYTHONDONTWRITEBYTECODE`` set in a development shell would make it so).
The plugin's times
come from its run log (``<stateDir>/<node>/log.jsonl``: ``time`` is when
main() started, ``at_ms`` its milestones). Numbers only.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc
import yaml

from bench.harness import TLS_OPTIONS, LabRun, Pki, fabricd, make_pki
from labs.dataplane import testbed
from labs.dataplane.tagger import start_tagger, stop_tagger
from labs.files.topofile import load_lab
from labs.run import runner
from labs.run.inventory import inventory, portmap
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc

ROOT = Path(__file__).resolve().parents[1]
FABRIC_CNI = str(Path(sys.executable).parent / "fabric-cni")
CLONE_NEWNET = 0x40000000
GOAL_ADD_MS = 150.0


def _enter(netns: str) -> Any:
    libc = ctypes.CDLL(None, use_errno=True)

    def enter() -> None:
        fd = os.open(f"/run/netns/{netns}", os.O_RDONLY)
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        os.close(fd)

    return enter


def _spawn(argv: list[str], env: dict[str, str], stdin: bytes, netns: str | None) -> tuple[float, float, bytes]:
    """(time before the fork, time after the exit, stdout)."""
    t0 = time.time()
    p = subprocess.run(
        argv, input=stdin, env=env, capture_output=True, check=False, preexec_fn=_enter(netns) if netns else None
    )
    t1 = time.time()
    if p.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed: {p.stdout!r} {p.stderr!r}")
    return t0, t1, p.stdout


def _ms(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    return {"median_ms": round(statistics.median(s) * 1000, 1), "min_ms": round(s[0] * 1000, 1)}


def run(quick: bool = False) -> dict[str, Any]:
    if os.geteuid() != 0:
        return {"skipped": "needs root (network namespaces)", "table": ["skipped: needs root"]}
    rounds = 5 if quick else 20
    prefix = testbed.run_prefix()
    testbed.sweep_stale()
    tmp = Path(tempfile.mkdtemp(prefix=f"{prefix}bench-", dir="/tmp"))
    node_ns, wire_ns = f"{prefix}bnode", f"{prefix}bwire"
    state = runner.up(ROOT / "labs" / "seed.clab.yml", state_dir=tmp / "lab", dataplane="none", timeout=120)
    tagger = None
    try:
        inv, pm = tmp / "inventory.yml", tmp / "portmap.yml"
        inv.write_text(yaml.safe_dump(inventory(state)))
        pm.write_text(yaml.safe_dump(portmap(load_lab(ROOT / "labs" / "seed.clab.yml"))))
        lab = LabRun(dir=tmp, state_dir=tmp / "lab", inventory=inv, portmap=pm, switches={}, admin="")
        for ns in (node_ns, wire_ns):
            testbed.add_netns(ns)
        testbed.ip("link", "add", "eth1", "netns", node_ns, "type", "veth", "peer", "name", "s1e1", "netns", wire_ns)
        testbed.ip("link", "set", "eth1", "up", netns=node_ns)
        testbed.ip("link", "set", "s1e1", "up", netns=wire_ns)
        tagger = start_tagger(netns=node_ns, socket=tmp / "node.sock")
        pki = make_pki(tmp / "pki", ["server1"])
        with fabricd(lab, extra={"api": {"attach_timeout": "10s"}}, pki=pki) as fd:
            return _measure(fd.address, pki, tmp, node_ns, tagger.socket, rounds=rounds)
    finally:
        if tagger is not None:
            stop_tagger(tagger)
        for ns in (node_ns, wire_ns):
            testbed.delete_netns(ns)
        runner.down(state.lab, state_dir=tmp / "lab")
        shutil.rmtree(tmp, ignore_errors=True)


def _executables() -> list[tuple[str, str]]:
    """(name, path): the bundle when built, and the console script."""
    from bench.bundle import nodeimage

    bundle = Path(nodeimage().plugin_dir()) / "fabric-cni"
    return ([("bundle", str(bundle))] if bundle.exists() else []) + [("script", FABRIC_CNI)]


def _measure(address: str, pki: Pki, tmp: Path, node_ns: str, tagger_socket: str, *, rounds: int) -> dict[str, Any]:
    with grpc.secure_channel(address, pki.credentials("fabricctl"), options=TLS_OPTIONS) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        net = fabric_pb2.Network(name="blue", namespace="default", vni=1111)
        stub.CreateNetwork(fabric_pb2.CreateNetworkRequest(network=net), timeout=30)
        nad = stub.RenderNAD(
            fabric_pb2.RenderNADRequest(network=fabric_pb2.NetworkRef(namespace="default", name="blue")), timeout=30
        )
    conf = {**json.loads(nad.cni_config), "runtimeConfig": {"ips": ["10.11.0.1/24"]}}
    state_dir = tmp / "cni"
    # the node's settings, as the node's installer writes them (a NAD may not carry them)
    node_file = tmp / "node.json"
    tls = {"ca": str(pki.dir / "ca.crt"), "cert": str(pki.dir / "server1.crt"), "key": str(pki.dir / "server1.key")}
    node_file.write_text(
        json.dumps(
            {
                "controller": address,
                "tls": {**tls, "serverName": "fabricd"},
                "node": "server1",
                "stateDir": str(state_dir),
                "vlanBackend": {"taggerSocket": tagger_socket},
                "uplink": "eth1",
            }
        )
    )
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CNI_", "FABRIC_CNI_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    base.update(CNI_PATH="/usr/lib/cni", FABRIC_CNI_NODE_CONFIG=str(node_file), PYTHONPYCACHEPREFIX=str(tmp / "pyc"))
    log = state_dir / "server1" / "log.jsonl"
    exes = _executables()
    samples: dict[str, list[float]] = {}

    def add(row: str, value: float) -> None:
        samples.setdefault(row, []).append(value)

    floors = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python: import the plugin's client (cni.wire, ssl)": [
            sys.executable, "-c", "import ssl, cni.wire.rpc, cni.plugin.api",
        ],
        "python: import grpc + API stubs (a grpcio client)": [
            sys.executable, "-c", "import grpc; from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc",
        ],
    }  # fmt: skip
    for i in range(rounds + 1):  # the first round warms caches and is not counted
        for name, exe in exes:
            pod_ns = f"{testbed.run_prefix()}bpod"
            testbed.add_netns(pod_ns)
            try:
                env = {
                    **base,
                    "CNI_CONTAINERID": f"c{i}{name}",
                    "CNI_NETNS": f"/run/netns/{pod_ns}",
                    "CNI_IFNAME": "net1",
                    "CNI_ARGS": f"IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p{i}{name};K8S_POD_UID=u{i}",
                }
                t0, t1, _ = _spawn([exe], {**env, "CNI_COMMAND": "ADD"}, json.dumps(conf).encode(), node_ns)
                entry = json.loads(log.read_text().splitlines()[-1])
                d0, d1, _ = _spawn([exe], {**env, "CNI_COMMAND": "DEL"}, json.dumps(conf).encode(), node_ns)
                v0, v1, _ = _spawn([exe], {**base, "CNI_COMMAND": "VERSION"}, b"", None)
            finally:
                testbed.delete_netns(pod_ns)
            if i == 0:
                continue
            at = entry["at_ms"]
            add(f"{name}: start->main", entry["time"] - t0)
            add(f"{name}: start->Attach sent", entry["time"] + at["attach_sent"] / 1000 - t0)
            add(f"{name}: Attach (until the leaf committed)", (at["attach_answered"] - at["attach_sent"]) / 1000)
            add(f"{name}: ADD total", t1 - t0)
            add(f"{name}: DEL total", d1 - d0)
            add(f"{name}: VERSION total", v1 - v0)
        for row, argv in floors.items():
            f0, f1, _ = _spawn(argv, {**base, "PYTHONPATH": str(ROOT)}, b"", None)
            if i:
                add(row, f1 - f0)
    rows = {k: _ms(v) for k, v in samples.items()}
    first = exes[0][0]
    goal = rows[f"{first}: ADD total"]["median_ms"]
    table = [f"{k:<52} median {v['median_ms']:7.1f} ms   min {v['min_ms']:7.1f} ms" for k, v in rows.items()]
    table.append(
        f"goal: ADD <= 150 ms at the median for the {first}: {goal} ms ({'met' if goal <= 150 else 'not met'})"
    )
    return {
        "rounds": rounds,
        "executables": [n for n, _ in exes],
        **{k.split(" (")[0]: v for k, v in rows.items()},
        "table": table,
    }
