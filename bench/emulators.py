"""How many emulated switches one process holds: start time, RSS, and the
round trip of a small gNMI Set on loopback.

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
from typing import Any

import grpc
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from labs.emulator import EmulatorHost
from labs.files.spec import LldpNeighborSpec, SwitchSpec


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
    return {"runs": rows, "table": table(rows)}


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
