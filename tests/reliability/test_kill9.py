"""kill -9 fabricd at a random moment while clients attach and detach (half
of the calls repeated while the original is in flight, as a retrying runtime
does); after restart and quiescence every acknowledged attach (by either copy)
is on its switch, every acknowledged detach is gone, nothing is configured
that no attachment needs, no VLAN is allocated twice and no port is open to
all VLANs.

On the SQLite store and on the etcd store (one fabricd on a real 3-member
etcd: after each kill the restarted fabricd waits for the dead one's lease,
then leads). 20 rounds on SQLite and 6 on etcd in CI; `pytest --soak` runs
1,000 of each."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal

import grpc
import pytest
import yaml

from labs.emulator.host import EmulatorHost
from labs.files.build import build_specs
from labs.files.topofile import load_lab
from labs.run.inventory import portmap
from labs.run.material import create_material
from models.oc.tree import Tree
from models.platforms.openconfig import RENDERER, expand_vlans
from models.settings import FabricSettings
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import ROOT, attach_req, inventory_doc
from tests.ha.harness import HA_FAST
from tests.reliability.fabricd_proc import fabricd_process, wait_serving, write_settings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]
NETWORKS = [("blue", 1111), ("green", 2222), ("red", 3333)]
NICS = [(f"server{s}", f"eth{n}") for s in (1, 2, 3) for n in (1, 2)]


def device_view(config: dict) -> tuple[dict[str, set[int]], dict[str, list[int]], list[str]]:
    """(VNI -> VLANs of fabricd VLAN objects, port -> trunk VLANs, problems) of a switch."""
    tree = Tree.from_json(config)
    objs = RENDERER.extract(tree, FabricSettings())
    vni_vlans: dict[int, set[int]] = {}
    for vid, vni in RENDERER.vlans_on_device(tree).items():
        vni_vlans.setdefault(vni, set()).add(vid)
    ports: dict[str, list[int]] = {}
    problems = []
    for key, o in objs.items():
        if key.kind == "port":
            for value in o.values():
                cfg = value.get("config", {})
                if cfg.get("interface-mode") == "TRUNK":
                    vlans = expand_vlans(cfg.get("trunk-vlans") or [])
                    if not vlans:
                        problems.append(f"port {key.port} is open to all VLANs")
                    ports[key.port] = vlans
        if key.kind == "vni" and key.vni not in vni_vlans:
            problems.append(f"VNI {key.vni} objects without its VLAN")
    return vni_vlans, ports, problems


async def client(stub, rng: random.Random, acked: dict, inflight: set, stop: asyncio.Event, cid: int) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        pod = f"p{cid * 3 + rng.randrange(3)}"  # each client owns its pods: acks of one identity are ordered
        net = rng.choice(NETWORKS)[0]
        node, nic = rng.choice(NICS)
        key = (pod, net)
        req = attach_req(pod, net, node=node, nic=nic, container=f"c{cid}-{n}")
        # half of the calls are repeated while the first is still in flight (a
        # runtime retrying): an answer to the repeat must not run ahead of the
        # original's durable write
        copies = 2 if rng.random() < 0.5 else 1
        try:
            if rng.random() < 0.6:
                inflight.add(key)
                await _any_answer([stub.Attach(req, timeout=5) for _ in range(copies)])
                acked[key] = ("attached", node, nic)
            else:
                inflight.add(key)
                detach = fabric_pb2.DetachRequest(id=req.id, container_id="")
                await _any_answer([stub.Detach(detach, timeout=5) for _ in range(copies)])
                acked[key] = ("detached",)
        except grpc.aio.AioRpcError as e:
            if e.code() not in (
                grpc.StatusCode.UNAVAILABLE,
                grpc.StatusCode.CANCELLED,
                grpc.StatusCode.DEADLINE_EXCEEDED,
            ):
                raise
            acked[key] = None  # unknown outcome (an UNAVAILABLE attach keeps its intent): either way is fine
            if e.code() != grpc.StatusCode.UNAVAILABLE or stop.is_set():
                return
        finally:
            inflight.discard(key)


async def _any_answer(calls: list) -> None:
    """Waits for every copy (a copy left running could overtake the next call
    of the same pod); returns when one succeeded (an acknowledgement), else
    raises the first error."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if len(errors) == len(results):
        raise errors[0]


async def wait_leading(address: str, within: float = 60.0) -> None:
    """Until fabricd leads (with SQLite: at once)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with grpc.aio.insecure_channel(address) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        while loop.time() < deadline:
            with contextlib.suppress(grpc.aio.AioRpcError):
                st = await stub.GetController(fabric_pb2.GetControllerRequest(), timeout=2)
                if st.role in ("leader", "standalone"):
                    return
            await asyncio.sleep(0.05)
    raise AssertionError(f"fabricd at {address} does not lead within {within}s")


@pytest.mark.parametrize("backend", ["sqlite", "etcd"])
async def test_kill_minus_nine(tmp_path, request, backend):
    soak = request.config.getoption("--soak")
    rounds = 1000 if soak else 20 if backend == "sqlite" else 6
    rng = random.Random(20261128)
    lab = load_lab(ROOT / "labs/seed.clab.yml")
    m = create_material(lab, tmp_path)
    async with EmulatorHost.start(build_specs(lab, tls=m.tls, credentials=m.credentials)) as host:
        (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory_doc(lab, host, m)))
        (tmp_path / "portmap.yml").write_text(yaml.safe_dump(portmap(lab)))
        if backend == "etcd":
            etcd = request.getfixturevalue("etcd3")
            store = {"backend": "etcd", "endpoints": etcd.endpoints, "prefix": f"/k9-{tmp_path.name}", "timeout": "2s"}
            settings = write_settings(tmp_path, store=store, ha={"name": "fd", **HA_FAST})
        else:
            settings = write_settings(tmp_path)
        address = f"unix:{tmp_path}/api.sock"
        expected: dict = {}  # (pod, net) -> last acknowledged outcome
        async with fabricd_process(settings, tmp_path / "fabricd.log"):
            await wait_serving(address)
            await wait_leading(address)
            async with grpc.aio.insecure_channel(address) as ch:
                stub = fabric_pb2_grpc.FabricStub(ch)
                for name, vni in NETWORKS:
                    await stub.CreateNetwork(
                        fabric_pb2.CreateNetworkRequest(
                            network=fabric_pb2.Network(name=name, namespace="default", vni=vni)
                        ),
                        timeout=10,
                    )
        for rnd in range(rounds + 1):
            async with fabricd_process(settings, tmp_path / "fabricd.log") as proc:
                await wait_serving(address)
                await wait_leading(address)
                if rnd:  # the restart after the previous kill: converged and consistent?
                    await check_converged(address, host, expected, rnd - 1)
                if rnd == rounds:
                    break
                acked: dict = {}
                inflight: set = set()
                stop = asyncio.Event()
                async with grpc.aio.insecure_channel(address) as ch:
                    stub = fabric_pb2_grpc.FabricStub(ch)
                    tasks = [asyncio.create_task(client(stub, rng, acked, inflight, stop, c)) for c in range(8)]
                    await asyncio.sleep(rng.uniform(0.05, 1.0))
                    proc.send_signal(signal.SIGKILL)
                    await proc.wait()
                    stop.set()
                    for t in tasks:
                        with contextlib.suppress(grpc.aio.AioRpcError):
                            await t
                # ops in flight at the kill may or may not have happened
                for key in inflight:
                    expected[key] = None
                expected.update(acked)


async def check_converged(address, host, expected, rnd) -> None:
    async with grpc.aio.insecure_channel(address) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        for _ in range(300):  # quiescence: every leaf connected, verified and in sync
            sws = (await stub.ListSwitches(fabric_pb2.ListSwitchesRequest(), timeout=10)).switches
            if all(s.in_sync for s in sws if s.role == "leaf"):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"round {rnd}: not in sync: {sws}")
        stored = (await stub.ListAttachments(fabric_pb2.ListAttachmentsRequest(), timeout=10)).attachments
    by_key = {(a.id.pod_name, a.id.network.name): a for a in stored}
    for key, outcome in expected.items():
        if outcome is None:
            continue
        if outcome[0] == "attached":
            assert key in by_key, f"round {rnd}: acknowledged attach {key} lost"
        else:
            assert key not in by_key, f"round {rnd}: acknowledged detach {key} came back"
    for key in list(expected):  # settle unknown outcomes to what the store says
        if expected[key] is None:
            expected[key] = ("attached",) if key in by_key else ("detached",)
    vnis = dict(NETWORKS)
    for sw in ("sw1", "sw2"):
        vni_vlans, ports, problems = device_view(host[sw].config_json(qualify=False))
        assert not problems, f"round {rnd}: {sw}: {problems}"
        want_vnis: dict[int, set[int]] = {}
        want_ports: dict[str, set[int]] = {}
        for a in stored:
            if a.switch == sw:
                want_vnis.setdefault(vnis[a.id.network.name], set()).add(a.vlan)
                want_ports.setdefault(a.port, set()).add(a.vlan)
        assert {v: s for v, s in vni_vlans.items()} == want_vnis, f"round {rnd}: {sw} VNIs"
        assert all(len(s) == 1 for s in want_vnis.values()), f"round {rnd}: {sw}: a VNI on two VLANs"
        vlan_owners = [v for s in want_vnis.values() for v in s]
        assert len(vlan_owners) == len(set(vlan_owners)), f"round {rnd}: {sw}: a VLAN allocated twice"
        assert {p: set(v) for p, v in ports.items()} == want_ports, f"round {rnd}: {sw} ports"
