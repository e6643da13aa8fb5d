"""Readiness ``committed`` vs ``forwarding`` on the seed lab's real FRR (root).

    python -m bench readiness [--quick]

The seed lab on the Linux dataplane (``fabric-lab up``), fabricd as the demo
runs it (its own process, mutual TLS). Per sample, a fresh network (a new
VNI) gets an attachment behind sw2 (server1/eth2), then the one timed:
Attach behind sw1 (server1/eth1), the first of that VNI on sw1, through the
API as the lab's operator. At ``committed`` Attach answers once sw1 committed;
at ``forwarding`` once sw1 reports the VNI up and FRR's EVPN type-3 routes
put sw2's VTEP in sw1's flood list and sw1's in sw2's. Both attachments and
the network go before the next sample (not timed).

Then the fault: sw1's BGP sessions are shut in FRR and the time until the
daemon's metric ``fabric_audit_findings{kind="not-forwarding"}`` shows it
(scraped every 50 ms from ``/metrics``), and, after opening them again, until
it is gone. Numbers only; nothing here is a goal checked.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import grpc

from bench.harness import free_port, percentiles, scrape, scratch
from labs.dataplane import frr
from labs.dataplane.names import ENV_PREFIX
from labs.run import fabricd_proc, runner
from labs.run.statefile import LabState
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc

SEED = Path(__file__).resolve().parents[1] / "labs" / "seed.clab.yml"
SCRAPE_S = 0.05
DEADLINE_S = 120.0


def _channel(state: LabState) -> grpc.Channel:
    env = fabricd_proc.ctl_env(state)
    creds = grpc.ssl_channel_credentials(
        root_certificates=Path(env["FABRICCTL_CA"]).read_bytes(),
        private_key=Path(env["FABRICCTL_KEY"]).read_bytes(),
        certificate_chain=Path(env["FABRICCTL_CERT"]).read_bytes(),
    )
    return grpc.secure_channel(
        env["FABRICCTL_SERVER"], creds, options=[("grpc.ssl_target_name_override", env["FABRICCTL_SERVER_NAME"])]
    )


def _att(name: str, net: str, nic: str) -> fabric_pb2.AttachRequest:
    return fabric_pb2.AttachRequest(
        id=fabric_pb2.AttachmentId(
            pod_namespace="bench",
            pod_name=name,
            pod_uid=f"{name}-uid",
            network=fabric_pb2.NetworkRef(namespace="bench", name=net),
            interface="net1",
        ),
        container_id=f"c-{name}",
        node="server1",
        nic=nic,
    )


def _attach_samples(stub: fabric_pb2_grpc.FabricStub, level: str, n: int, base: int) -> list[float]:
    out = []
    for i in range(n):
        net = f"{level[:3]}{i}"
        network = fabric_pb2.Network(name=net, namespace="bench", vni=base + i, readiness=level)
        stub.CreateNetwork(fabric_pb2.CreateNetworkRequest(network=network), timeout=30)
        far = stub.Attach(_att(f"{net}-far", net, "eth2"), timeout=60)
        t0 = time.perf_counter()
        near = stub.Attach(_att(f"{net}-near", net, "eth1"), timeout=60)
        out.append(time.perf_counter() - t0)
        assert near.state == fabric_pb2.ATTACHMENT_STATE_READY and (near.switch, far.switch) == ("sw1", "sw2")
        for a in (near, far):
            stub.Detach(fabric_pb2.DetachRequest(id=a.id, container_id=a.container_id), timeout=30)
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:  # the network goes once its VNI left both leaves
            try:
                stub.DeleteNetwork(
                    fabric_pb2.DeleteNetworkRequest(network=fabric_pb2.NetworkRef(namespace="bench", name=net)),
                    timeout=30,
                )
                break
            except grpc.RpcError:
                time.sleep(0.1)
    return out


def _not_forwarding(metrics: str) -> float:
    text = scrape(metrics, timeout=5)
    pat = re.compile(r'^fabric_audit_findings\{kind="not-forwarding",switch="[^"]*"\} ([0-9.e+]+)$', re.M)
    return sum(float(v) for v in pat.findall(text))


def _until(what: str, check: Any) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < DEADLINE_S:
        if check():
            return time.perf_counter() - t0
        time.sleep(SCRAPE_S)
    raise RuntimeError(f"{what}: not within {DEADLINE_S} s")


def run(quick: bool = False) -> dict[str, Any]:
    n = 10 if quick else 50
    with scratch("fdbench-ready-") as root:
        root.chmod(0o711)
        os.environ.setdefault(ENV_PREFIX, f"fdb{os.getpid()}-")
        metrics = f"127.0.0.1:{free_port()}"
        state = runner.up(SEED, state_dir=root / "seed", dataplane="linux")
        try:
            fabricd_proc.start(state, metrics=metrics)
            with _channel(state) as ch:
                stub = fabric_pb2_grpc.FabricStub(ch)
                committed = _attach_samples(stub, "committed", n, 7000)
                forwarding = _attach_samples(stub, "forwarding", n, 8000)
                # one network spanning both leaves, so a broken session has something to break
                net = fabric_pb2.Network(name="span", namespace="bench", vni=9000, readiness="committed")
                stub.CreateNetwork(fabric_pb2.CreateNetworkRequest(network=net), timeout=30)
                stub.Attach(_att("span-a", "span", "eth1"), timeout=60)
                stub.Attach(_att("span-b", "span", "eth2"), timeout=60)
                _until("a clean audit", lambda: _not_forwarding(metrics) == 0)
                sw1 = state.node("sw1")
                assert sw1 is not None and sw1.frr_dir is not None
                t0 = time.perf_counter()
                frr.shut_sessions(sw1.frr_dir, shut=True)
                shut_cmd = time.perf_counter() - t0
                broken = _until("the finding", lambda: _not_forwarding(metrics) > 0) + shut_cmd
                frr.shut_sessions(sw1.frr_dir, shut=False)
                healed = _until("the finding gone", lambda: _not_forwarding(metrics) == 0)
        finally:
            fabricd_proc.stop(state)
            runner.down("seed", state_dir=root / "seed")
    c, f = percentiles(committed), percentiles(forwarding)
    return {
        "committed": c,
        "forwarding": f,
        "evpn_broken_to_metric_s": round(broken, 3),
        "evpn_restored_to_metric_clear_s": round(healed, 3),
        "table": [
            f"attach, first of a VNI on sw1 (n={n}): committed p50 {c['p50_ms']} ms p99 {c['p99_ms']} ms; "
            f"forwarding p50 {f['p50_ms']} ms p99 {f['p99_ms']} ms",
            f"sw1's BGP shut -> fabric_audit_findings not-forwarding > 0: {broken:.2f} s",
            f"sw1's BGP open again -> the finding gone: {healed:.2f} s",
        ],
    }
