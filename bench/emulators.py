"""How many emulated switches one process holds: start time, RSS, and the
round trip of a small gNMI Set on loopback; and what the in-memory EVPN
fabric of one process costs per committed change (:func:`fabric_changes`).

    python -m bench.emulators --count 256 --count 512

Numbers only, never a pass/fail. The gNMI clients run in the same process
(grpc.aio on the same loop), so Set figures are a lower bound of what the
emulators serve.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import time
from collections.abc import Sequence
from typing import Any

import grpc
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from labs.emulator import EmulatorHost
from labs.emulator.floods import MemoryFabric
from labs.emulator.platform import platform
from labs.emulator.txn import Change, Op, apply_all
from labs.files.spec import LldpNeighborSpec, SwitchSpec
from models.ids import Evi, SwitchName, VlanId, Vni
from models.intent import NetworkKey
from models.oc.tree import Tree
from models.platforms.base import LeafInfo, Segment
from models.platforms.registry import renderer
from models.settings import FabricSettings


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def minimal_spec(i: int, ports: int) -> SwitchSpec:
    names = [f"ethernet-1/{n}" for n in range(1, ports + 1)]
    day0 = {
        "openconfig-interfaces:interfaces": {
            "interface": [
                {"name": n, "config": {"name": n, "type": "iana-if-type:ethernetCsmacd", "enabled": True}}
                for n in names
            ]
        },
        "openconfig-network-instance:network-instances": {
            "network-instance": [
                {
                    "name": "default",
                    "config": {
                        "name": "default",
                        "type": "openconfig-network-instance-types:DEFAULT_INSTANCE",
                    },
                }
            ]
        },
    }
    lldp = tuple(
        LldpNeighborSpec(
            local_port=names[0],
            system_name=f"server{i}",
            port_id="eth1",
            chassis_id=f"02:00:00:00:{i // 256:02x}:{i % 256:02x}",
        )
        for _ in range(1)
    )
    return SwitchSpec(name=f"leaf{i}", platform="openconfig", role="leaf", ports=tuple(names), day0=day0, lldp=lldp)


def vlan_set(vlan: int, name: str) -> Any:
    path = gnmi_pb2.Path(
        elem=[
            gnmi_pb2.PathElem(name="network-instances"),
            gnmi_pb2.PathElem(name="network-instance", key={"name": "default"}),
            gnmi_pb2.PathElem(name="vlans"),
            gnmi_pb2.PathElem(name="vlan", key={"vlan-id": str(vlan)}),
        ]
    )
    value = {"vlan-id": vlan, "config": {"vlan-id": vlan, "name": name, "status": "ACTIVE"}}
    return gnmi_pb2.SetRequest(
        replace=[gnmi_pb2.Update(path=path, val=gnmi_pb2.TypedValue(json_ietf_val=json.dumps(value).encode()))]
    )


async def set_latency(address: str, n: int) -> list[float]:
    out = []
    async with grpc.aio.insecure_channel(address) as ch:
        stub = gnmi_pb2_grpc.gNMIStub(ch)
        await stub.Set(vlan_set(100, "warm-up"), timeout=30)
        for i in range(n):
            t0 = time.perf_counter()
            await stub.Set(vlan_set(100, f"v{i}"), timeout=30)
            out.append(time.perf_counter() - t0)
    return out


async def set_throughput(addresses: list[str], per_switch: int) -> float:
    async def one(address: str) -> None:
        async with grpc.aio.insecure_channel(address) as ch:
            stub = gnmi_pb2_grpc.gNMIStub(ch)
            for i in range(per_switch):
                await stub.Set(vlan_set(100 + i % 10, f"v{i}"), timeout=60)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(a) for a in addresses))
    return len(addresses) * per_switch / (time.perf_counter() - t0)


async def measure(count: int, ports: int, sets: int) -> dict[str, Any]:
    specs = [minimal_spec(i, ports) for i in range(count)]
    gc.collect()
    base = rss_mb()
    t0 = time.perf_counter()
    host = await EmulatorHost.create(specs)
    started = time.perf_counter() - t0
    gc.collect()
    rss = rss_mb()
    out: dict[str, Any] = {
        "emulators": count,
        "ports": ports,
        "start_s": round(started, 2),
        "rss_mb": round(rss, 1),
        "rss_added_mb": round(rss - base, 1),
    }
    try:
        if sets:
            lat = sorted(await set_latency(host[specs[0].name].address, sets))
            out["set_p50_ms"] = round(statistics.median(lat) * 1000, 2)
            out["set_p90_ms"] = round(lat[int(len(lat) * 0.9)] * 1000, 2)
            addrs = [host[s.name].address for s in specs[: min(count, 64)]]
            out["sets_per_s_64_clients"] = round(await set_throughput(addrs, max(1, sets // 10)))
    finally:
        t0 = time.perf_counter()
        await host.stop()
        out["stop_s"] = round(time.perf_counter() - t0, 2)
    return out


class _Sink:
    """A leaf's state, counted (the fabric's cost, not the datastore's)."""

    def __init__(self) -> None:
        self.ops = 0

    def write_state(self, ops: Sequence[Op]) -> Change:
        self.ops += len(ops)
        return Change(timestamp=0)


def fabric_changes(leaves: int = 16, vnis: int = 40) -> dict[str, Any]:
    """The in-memory EVPN fabric (``dataplane: none``): each of ``vnis`` VNIs
    joins the ``leaves`` leaves one by one, then leaves them one by one, each
    step one commit as fabricd renders it; the fabric's time per commit (its
    reading of the leaf's config and the flood lists it rewrites on every
    leaf sharing the VNI), without the datastore's."""
    r, settings, plat = renderer("openconfig"), FabricSettings(), platform("openconfig")
    fab, sinks, trees, infos = MemoryFabric(), {}, {}, {}
    for i in range(leaves):
        name = f"leaf{i}"
        info = LeafInfo(name=SwitchName(name), platform="openconfig", router_id=f"10.0.{i // 250}.{i % 250 + 1}")
        tree = Tree.from_json(minimal_spec(i, 8).day0)
        apply_all(tree, [Op(kind="replace", path=p, value=v) for p, v in r.base(info, settings).items()])
        infos[name], trees[name], sinks[name] = info, tree, _Sink()
        fab.join(name, plat, tree, sinks[name], router_id=info.router_id)
    spent, commits = 0.0, 0
    for removing in (False, True):
        for v in range(vnis):
            seg = Segment(vni=Vni(20_000 + v), vlan=VlanId(100 + v), evi=Evi(v + 1), network=NetworkKey("bench", "f"))
            for name, tree in trees.items():
                objs = r.segment(infos[name], seg, settings)
                ops = [
                    Op(kind="delete", path=p) if removing else Op(kind="replace", path=p, value=o)
                    for p, o in objs.items()
                ]
                change = apply_all(tree, ops).change(0)
                t = time.perf_counter()
                fab.changed(name, tree, change)
                spent += time.perf_counter() - t
                commits += 1
    return {
        "leaves": leaves,
        "vnis": vnis,
        "commits": commits,
        "ms_per_commit": round(spent * 1000 / commits, 3),
        "state_ops": sum(s.ops for s in sinks.values()),
    }


def table(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in rows:
        line = (
            f"{r['emulators']} emulators ({r['ports']} ports): started in {r['start_s']} s, "
            f"RSS {r['rss_mb']:.0f} MB (+{r['rss_added_mb']:.0f} MB), stopped in {r['stop_s']} s"
        )
        if "set_p50_ms" in r:
            line += (
                f"; Set round trip p50 {r['set_p50_ms']} ms p90 {r['set_p90_ms']} ms;"
                f" {r['sets_per_s_64_clients']} Sets/s with 64 clients"
            )
        lines.append(line)
    return lines


def run(*, quick: bool = False) -> dict[str, Any]:
    rows = [asyncio.run(measure(n, 8, 200 if quick else 500)) for n in ((64,) if quick else (256, 512))]
    fabric = fabric_changes(vnis=10 if quick else 40)
    line = (
        f"in-memory EVPN fabric: {fabric['vnis']} VNIs joining then leaving {fabric['leaves']} leaves one by one:"
        f" {fabric['ms_per_commit']} ms per commit ({fabric['commits']} commits, {fabric['state_ops']} state writes)"
    )
    return {"runs": rows, "fabric": fabric, "table": [*table(rows), line]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.emulators", description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, action="append", help="emulators in one process (repeatable)")
    p.add_argument("--ports", type=int, default=8)
    p.add_argument("--sets", type=int, default=500, help="Sets for the latency sample (0: skip)")
    args = p.parse_args(argv)
    rows = [asyncio.run(measure(count, args.ports, args.sets)) for count in args.count or [256, 512]]
    for line in table(rows):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
