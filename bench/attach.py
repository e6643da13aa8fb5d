"""attach-latency and attach-throughput against emulated switches.

attach-latency: 1,000 sequential attaches (each followed by its detach, not
timed) through fabricd's API, end to end, each on a leaf that finished the
detach before (the wait is not timed); 1,000 more right after the detach
answered, when its Set may still be in flight on the leaf; in the same run
the bare gNMI Set round trip of the same change to the same emulator, and
the API's own round trip (a GetNetwork through the same client, server and
request path: the part of the overhead that is the extra hop itself), and
the transport's floor (:mod:`bench.floor`). Goals: controller overhead at p50 no more than one extra round trip (attach
p50 <= 2 x Set p50) and at most 1 ms over the Set, p99 under 20 ms.

attach-throughput: 64 concurrent clients, 16 leaves, 10,000 attaches then
10,000 detaches: attaches/s and Sets per leaf, against a naive fabricd (one
Set per attach, `reconcile.coalesce: false`) in the same run, and the CPU
per attach of fabricd, the emulators and the clients beside the CPU a server
spends on one bare unary gRPC call (:mod:`bench.floor`). Goals: at least
1,000 attaches/s and at least 10x naive.
"""

from __future__ import annotations

import asyncio
import collections
import statistics
import time
from typing import Any

import grpc
from prometheus_client.parser import text_string_to_metric_families

from bench import floor
from bench.harness import (
    Fabricd,
    LabRun,
    Pki,
    fabricd,
    generated_lab,
    leave_in_sync,
    make_pki,
    own_cpu_seconds,
    percentiles,
    scrape,
    settle_own_heap,
)
from controller.gnmi.session import GnmiSession
from controller.metrics import ATTACH_PHASES
from controller.settings.inventory import load_inventory
from controller.settings.model import GnmiSettings
from labs.emulator.admin_client import AdminClient
from models.diff import SetOps
from models.ids import Evi, PortName, SwitchName, VlanId, Vni
from models.intent import NetworkKey
from models.platforms.base import FabricVlans, LeafInfo, PortInput, Segment
from models.platforms.registry import renderer
from models.settings import FabricSettings
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc


def _att(i: int, net: str, node: str, nic: str, container: str = "") -> fabric_pb2.AttachRequest:
    return fabric_pb2.AttachRequest(
        id=fabric_pb2.AttachmentId(
            pod_namespace="bench",
            pod_name=f"pod{i}",
            pod_uid=f"uid{i}",
            network=fabric_pb2.NetworkRef(namespace="bench", name=net),
            interface="net1",
        ),
        container_id=container or f"c{i}",
        node=node,
        nic=nic,
    )


async def _networks(stub: fabric_pb2_grpc.FabricStub, count: int) -> list[str]:
    names = [f"n{i}" for i in range(count)]
    for i, name in enumerate(names):
        net = fabric_pb2.Network(name=name, namespace="bench", vni=10_000 + i)
        await stub.CreateNetwork(fabric_pb2.CreateNetworkRequest(network=net), timeout=30)
    return names


def _one_attach_ops(leaf: LeafInfo, vni: int, vlan: int, port: str) -> tuple[SetOps, SetOps]:
    """The Set fabricd sends for one attach (a new VNI on a port), and its undo."""
    r = renderer("openconfig")
    settings = FabricSettings()
    objs = r.segment(
        leaf, Segment(vni=Vni(vni), vlan=VlanId(vlan), evi=Evi(1), network=NetworkKey("bench", "x")), settings
    )
    port_objs = r.port(
        leaf,
        PortInput(
            port=PortName(port), vlans=frozenset({VlanId(vlan)}), current={}, fabric_vlans=FabricVlans(allocated={vlan})
        ),
        settings,
    ).objects
    everything = {**objs, **port_objs}
    return SetOps(replaces=tuple(everything.items())), SetOps(deletes=tuple(everything))


async def bare_set_rtt(lab: LabRun, switch: str, samples: int) -> dict[str, Any]:
    cfg = load_inventory(lab.inventory).by_name()[SwitchName(switch)]
    session = GnmiSession(cfg, GnmiSettings())
    base = cfg.leaf_info
    await session.capabilities()
    # the base objects fabricd would have put there (one time, untimed)
    r = renderer("openconfig")
    await session.set(SetOps(replaces=tuple(r.base(base, FabricSettings()).items())))
    do, undo = _one_attach_ops(base, 999_000, 3990, "ethernet-1/1")
    times = []
    for _ in range(samples):
        t = time.perf_counter()
        await session.set(do)
        times.append(time.perf_counter() - t)
        await session.set(undo)
    await session.close()
    return {**percentiles(times), "mean_ms": round(statistics.fmean(times) * 1000, 3)}


async def _settled(stub: fabric_pb2_grpc.FabricStub, leaf: str) -> None:
    """Until the leaf committed everything (the detach before): untimed."""
    for _ in range(2000):
        sws = (await stub.ListSwitches(fabric_pb2.ListSwitchesRequest(), timeout=10)).switches
        if all(s.in_sync for s in sws if s.name == leaf):
            return
        await asyncio.sleep(0.0005)
    raise AssertionError(f"{leaf} did not settle")


async def attach_latency(quick: bool) -> dict[str, Any]:
    samples = 200 if quick else 1000
    transport = await floor.measure(samples)
    with generated_lab(leaves=2, servers_per_leaf=4, name="lat") as lab:
        # before fabricd starts: it would take these Sets for drift on leaf2 (fabricd-named objects it does
        # not want) and answer with verification reads and Sets of its own while the bare Set is timed
        set_rtt = await bare_set_rtt(lab, "leaf2", samples)
        with fabricd(lab) as fd:
            times, hop = await _attach_samples(fd, samples)
            inside = fabricd_means(scrape(fd.metrics), "leaf1")
            served_by = fd.front_end()
    every = statistics.fmean([*times["idle"], *times["back_to_back"]]) * 1000
    attach = percentiles(times["idle"])
    b2b = percentiles(times["back_to_back"])
    api = percentiles(hop)
    ratio = attach["p50_ms"] / set_rtt["p50_ms"]
    overhead = attach["p50_ms"] - set_rtt["p50_ms"]
    return {
        "attach": attach,
        "attach_after_detach": b2b,
        "bare_set": set_rtt,
        "api_round_trip": api,
        "transport_floor": transport,
        "ratio_p50": round(ratio, 2),
        "overhead_p50_ms": round(overhead, 3),
        "inside_fabricd_mean_ms": inside,
        "front_end": served_by,
        "table": [
            f"the API served by: {served_by}",
            f"attach end to end: p50 {attach['p50_ms']} ms  p99 {attach['p99_ms']} ms  (goal p99 < 20 ms)",
            f"  right after a detach (its Set may be in flight): p50 {b2b['p50_ms']} ms  p99 {b2b['p99_ms']} ms",
            f"bare gNMI Set:     p50 {set_rtt['p50_ms']} ms  p99 {set_rtt['p99_ms']} ms",
            f"attach p50 / Set p50 = {ratio:.2f} (goal <= 2: at most one extra round trip);"
            f" overhead p50 {overhead:.2f} ms (goal <= 1 ms)",
            f"  of which the API's own round trip (GetNetwork, same client and server): p50 {api['p50_ms']} ms;"
            f" beyond it {overhead - api['p50_ms']:.2f} ms",
            f"  inside fabricd (means from its /metrics, attaches and detaches): attach {inside['attach']} ms,"
            f" its Set to the leaf {inside['set']} ms (bare Set mean {set_rtt['mean_ms']} ms),"
            f" store commit {inside['store_commit']} ms (alongside the Set)",
            f"  an attach as fabricd tells it (fabric_attach_phase_seconds, means): {phase_line(inside)};"
            f" the client's mean {every:.3f} ms: {every - sum(inside[f'phase_{p}'] for p in ATTACH_PHASES):.3f} ms"
            " outside fabricd's attach (the API's transport, the handler's wrapper, the client)",
            f"  floor: a unary gRPC call with nothing behind it, process to process here: p50"
            f" {transport['round_trip']['p50_ms']} ms (the overhead holds one such hop)",
            floor.go_line(transport),
        ],
    }


def _histogram_totals(metrics: str, switch: str | None) -> dict[str, list[float]]:
    """[sum, count] of fabricd's own histograms: attach, its Sets to ``switch``
    (None: to every switch), store commits, and each phase of an attach
    (``phase_intake`` ...)."""
    names = {
        "fabric_attach_duration_seconds": "attach",
        "fabric_gnmi_set_duration_seconds": "set",
        "fabric_store_commit_seconds": "store_commit",
        "fabric_attach_phase_seconds": "phase",
    }
    sums: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])
    for family in text_string_to_metric_families(metrics):
        what = names.get(family.name)
        if what is None:
            continue
        for sample in family.samples:
            if switch is not None and sample.labels.get("switch", switch) != switch:
                continue
            key = f"phase_{sample.labels['phase']}" if what == "phase" else what
            if sample.name.endswith("_sum"):
                sums[key][0] += sample.value
            elif sample.name.endswith("_count"):
                sums[key][1] += sample.value
    return sums


def fabricd_means(metrics: str, switch: str | None, before: str | None = None) -> dict[str, float]:
    """Means (ms) of :func:`_histogram_totals`; with ``before``, of what came since that scrape."""
    now, then = _histogram_totals(metrics, switch), _histogram_totals(before or "", switch)
    wanted = ["attach", "set", "store_commit", *(f"phase_{p}" for p in ATTACH_PHASES)]
    out = {}
    for k in wanted:
        total, n = now[k][0] - then[k][0], now[k][1] - then[k][1]
        out[k] = round(total * 1000 / n, 3) if n else 0.0
    return out


def phase_line(inside: dict[str, float]) -> str:
    """fabricd's account of an attach that changed its leaf, by phase (means)."""
    parts = [inside[f"phase_{p}"] for p in ATTACH_PHASES]
    intake, queued, own_set, after = parts
    return (
        f"intake {intake} ms, queued for its Set {queued} ms, its Set {own_set} ms, after it {after} ms"
        f" (= {sum(parts):.3f} ms)"
    )


async def _attach_samples(fd: Fabricd, samples: int) -> tuple[dict[str, list[float]], list[float]]:
    """Attach times (idle leaf, right after a detach) and the API's own round trip."""
    async with grpc.aio.insecure_channel(f"unix:{fd.socket}") as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        nets = await _networks(stub, 50)
        for i in range(5):  # warm-up
            a = await stub.Attach(_att(i, nets[i], "server1", "eth1"), timeout=30)
            await stub.Detach(fabric_pb2.DetachRequest(id=a.id, container_id=a.container_id), timeout=30)
        # idle: each attach on a leaf that finished the detach before (untimed wait);
        # back to back: right after the detach answered, its Set may still be in flight
        times: dict[str, list[float]] = {"idle": [], "back_to_back": []}
        for i in range(2 * samples):
            shape = "idle" if i % 2 == 0 else "back_to_back"
            if shape == "idle":
                await _settled(stub, "leaf1")
            req = _att(i, nets[i % len(nets)], f"server{i % 4 + 1}", "eth1")
            t = time.perf_counter()
            a = await stub.Attach(req, timeout=30)
            times[shape].append(time.perf_counter() - t)
            assert a.state == fabric_pb2.ATTACHMENT_STATE_READY
            await stub.Detach(fabric_pb2.DetachRequest(id=a.id, container_id=a.container_id), timeout=30)
        # the API's own round trip, same client and server: a read through the same request path
        get = fabric_pb2.GetNetworkRequest(network=fabric_pb2.NetworkRef(namespace="bench", name=nets[0]))
        hop = []
        for _ in range(samples):
            t = time.perf_counter()
            await stub.GetNetwork(get, timeout=30)
            hop.append(time.perf_counter() - t)
    return times, hop


async def _one(stub: fabric_pb2_grpc.FabricStub, r: fabric_pb2.AttachRequest, detach: bool) -> None:
    if detach:
        await stub.Detach(fabric_pb2.DetachRequest(id=r.id, container_id=r.container_id), timeout=120)
    else:
        a = await stub.Attach(r, timeout=120)
        if a.state != fabric_pb2.ATTACHMENT_STATE_READY:
            raise AssertionError(f"attach not ready: {a}")


async def _run_clients(
    fd: Fabricd, reqs: list[fabric_pb2.AttachRequest], clients: int, detach: bool
) -> tuple[float, list[float]]:
    """``clients`` concurrent clients, each on its own channel; with mTLS
    each request on a new connection as its node, as fabric-cni makes one.
    The wall time, and each request's time (its connection's included)."""
    queue: asyncio.Queue[fabric_pb2.AttachRequest] = asyncio.Queue()
    for r in reqs:
        queue.put_nowait(r)
    times: list[float] = []

    async def client() -> None:
        if fd.pki is not None:
            while not queue.empty():
                r = queue.get_nowait()
                t = time.perf_counter()
                async with fd.channel(r.node) as ch:
                    await _one(fabric_pb2_grpc.FabricStub(ch), r, detach)
                times.append(time.perf_counter() - t)
            return
        async with fd.channel() as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            while not queue.empty():
                t = time.perf_counter()
                await _one(stub, queue.get_nowait(), detach)
                times.append(time.perf_counter() - t)

    settle_own_heap()
    t = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - t, times


async def _throughput_run(
    lab: LabRun,
    *,
    total: int,
    clients: int,
    coalesce: bool,
    tag: str,
    commit_ms: float = 0.0,
    pki: Pki | None = None,
    front_end: str = "",
) -> dict[str, Any]:
    extra: dict[str, Any] = {"reconcile": {"coalesce": coalesce}}
    if front_end:
        extra["api"] = {"front_end": front_end}
    with fabricd(lab, store=lab.dir / f"{tag}.db", extra=extra, pki=pki) as fd:
        async with fd.channel() as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            # every attach changes its leaf: a new (port, VNI) pair each time
            nets = await _networks(stub, total // 64 + 1)
            state = time.monotonic()
            while time.monotonic() - state < 60:  # all sessions up and synced first
                sws = (await stub.ListSwitches(fabric_pb2.ListSwitchesRequest(), timeout=10)).switches
                if all(s.in_sync for s in sws if s.role == "leaf"):
                    break
                await asyncio.sleep(0.2)
        servers = sorted(n for n in lab.switches if n.startswith("leaf"))
        per_leaf = 4
        n_servers = len(servers) * per_leaf
        reqs = [_att(i, nets[i // n_servers], f"server{i % n_servers + 1}", "eth1") for i in range(total)]
        async with AdminClient(lab.admin) as admin:
            if commit_ms:  # a switch that takes this long to commit each Set
                for n in servers:
                    await admin.delay(n, commit_ms / 1000, methods=["Set"])
            before = {n: await admin.counters(n) for n in servers}
            scraped = scrape(fd.metrics)  # outside the CPU window: a scrape costs fabricd CPU too
            cpu0, threads0 = _cpu(fd, lab), fd.cpu_by_thread()
            t_attach, attach_times = await _run_clients(fd, reqs, clients, detach=False)
            cpu1, threads1 = _cpu(fd, lab), fd.cpu_by_thread()
            inside = fabricd_means(scrape(fd.metrics), None, scraped)
            mid = {n: await admin.counters(n) for n in servers}
            t_detach, detach_times = await _run_clients(fd, reqs, clients, detach=True)
            cpu2 = _cpu(fd, lab)
            served_by = fd.front_end()
            if commit_ms:
                for n in servers:
                    await admin.clear(n)
        async with fd.channel() as ch:  # the next run's fabricd starts on a store of its own: the lab as found
            await leave_in_sync(fabric_pb2_grpc.FabricStub(ch))
        sets = {n: mid[n].sets_committed - before[n].sets_committed for n in servers}
        return {
            "coalesce": coalesce,
            "front_end": served_by,
            "mtls_connection_per_attach": pki is not None,
            "commit_ms": commit_ms,
            "attaches_per_s": round(total / t_attach, 1),
            "detaches_per_s": round(total / t_detach, 1),
            "sets_per_leaf_mean": round(sum(sets.values()) / len(sets), 1),
            # each call's time under the sustained load: every pause of fabricd's event loop is in its tail
            "attach": percentiles(attach_times),
            "detach": percentiles(detach_times),
            "rss_mb": round(fd.rss_mb(), 1),
            # CPU ms per attach / per detach: fabricd, the emulator host, the clients (this process)
            "cpu_ms_per_attach": _per(cpu0, cpu1, total),
            "cpu_ms_per_detach": _per(cpu1, cpu2, total),
            # fabricd's share per attach by thread: what Python code can win is on the event loop
            "fabricd_threads_ms_per_attach": {
                k: round((threads1[k] - threads0[k]) * 1000 / total, 3) for k in threads0
            },
            "emulator_cpu_ms_per_set": round((cpu1[1] - cpu0[1]) * 1000 / max(1, sum(sets.values())), 3),
            "inside_fabricd_mean_ms": inside,
        }


def _cpu(fd: Fabricd, lab: LabRun) -> tuple[float, float, float]:
    return fd.cpu_seconds(), lab.host_cpu_seconds(), own_cpu_seconds()


def _per(a: tuple[float, ...], b: tuple[float, ...], n: int) -> dict[str, float]:
    names = ("fabricd", "emulators", "clients")
    return {k: round((y - x) * 1000 / n, 3) for k, x, y in zip(names, a, b, strict=True)}


COMMIT_MS = 20.0  # a slow switch commit, as hardware switches have


async def attach_throughput(quick: bool) -> dict[str, Any]:
    total = 2000 if quick else 10_000
    naive_total = 500 if quick else 1000
    transport = await floor.measure(200 if quick else 1000)
    with generated_lab(leaves=16, servers_per_leaf=4, name="tput") as lab:
        fast = await _throughput_run(lab, total=total, clients=64, coalesce=True, tag="coalesce")
        naive = await _throughput_run(lab, total=naive_total, clients=64, coalesce=False, tag="naive")
        slow_fast = await _throughput_run(
            lab, total=total // 2, clients=64, coalesce=True, tag="coalesce-slow", commit_ms=COMMIT_MS
        )
        slow_naive = await _throughput_run(
            lab, total=naive_total // 2, clients=64, coalesce=False, tag="naive-slow", commit_ms=COMMIT_MS
        )
        nodes = [f"server{i}" for i in range(1, 16 * 4 + 1)]
        pki = make_pki(lab.dir / "pki", nodes)
        mtls = await _throughput_run(lab, total=total // 4, clients=64, coalesce=True, tag="mtls", pki=pki)
        # the same load with the API served by grpc.aio in fabricd's process: what the front end saves
        aio = await _throughput_run(lab, total=total, clients=64, coalesce=True, tag="aio", front_end="python")
    ratio = fast["attaches_per_s"] / naive["attaches_per_s"]
    slow_ratio = slow_fast["attaches_per_s"] / slow_naive["attaches_per_s"]

    def row(name: str, r: dict[str, Any], n: int) -> str:
        return (
            f"{name:<28} {r['attaches_per_s']:>8} attaches/s {r['detaches_per_s']:>8} detaches/s"
            f" {r['sets_per_leaf_mean']:>6} Sets/leaf for {n} attaches;"
            f" attach p50 {r['attach']['p50_ms']} p99 {r['attach']['p99_ms']} max {r['attach']['max_ms']} ms"
        )

    def cpu(name: str, r: dict[str, Any]) -> str:
        a, d = r["cpu_ms_per_attach"], r["cpu_ms_per_detach"]
        return (
            f"CPU ms per attach, {name}: fabricd {a['fabricd']} (goal <= 0.5), emulators {a['emulators']},"
            f" clients {a['clients']}; per detach: fabricd {d['fabricd']}, emulators {d['emulators']},"
            f" clients {d['clients']}; emulator CPU per Set {r['emulator_cpu_ms_per_set']} ms"
        )

    def threads(name: str, r: dict[str, Any]) -> str:
        t = r["fabricd_threads_ms_per_attach"]
        return (
            f"  fabricd's CPU ms per attach by thread, {name}: event loop {t['event_loop']},"
            f" store writer {t['store_writer']}, fabricd-front {t['front_end']},"
            f" gRPC I/O and other threads {t['grpc_and_other']}"
        )

    return {
        "coalescing": fast,
        "naive": naive,
        "speedup": round(ratio, 1),
        "slow_switch": {"coalescing": slow_fast, "naive": slow_naive, "speedup": round(slow_ratio, 1)},
        "mtls_connection_per_attach": mtls,
        "grpc_aio_front_end": aio,
        "transport_floor": transport,
        "table": [
            f"the API served by: {fast['front_end']}",
            row("coalescing", fast, total) + "  (goal >= 1000/s)",
            row("naive (one Set per attach)", naive, naive_total),
            f"speedup {ratio:.1f}x (goal >= 10x; at most ~{64 // 16}x here: 64 clients over 16 leaves)",
            row(f"coalescing, {COMMIT_MS:.0f} ms commits", slow_fast, total // 2),
            row(f"naive, {COMMIT_MS:.0f} ms commits", slow_naive, naive_total // 2),
            f"speedup with {COMMIT_MS:.0f} ms commits {slow_ratio:.1f}x",
            row("mTLS, new connection each", mtls, total // 4),
            f"  an attach as fabricd tells it, coalescing: {phase_line(fast['inside_fabricd_mean_ms'])};"
            f" {COMMIT_MS:.0f} ms commits: {phase_line(slow_fast['inside_fabricd_mean_ms'])}",
            cpu("coalescing", fast),
            threads("coalescing", fast),
            cpu("mTLS connection per attach", mtls),
            threads("mTLS", mtls),
            row("coalescing, grpc.aio serving", aio, total),
            cpu("coalescing, the API served by grpc.aio", aio),
            threads("grpc.aio", aio),
            f"  floor: serving a unary gRPC call with nothing behind it costs its server"
            f" {transport['server_cpu_ms_per_call']} ms of CPU here ({floor.CONCURRENT} callers,"
            f" {transport['calls_per_s']} calls/s); an attach is at least one such call",
            floor.go_line(transport),
        ],
    }


def run_latency(*, quick: bool = False) -> dict[str, Any]:
    return asyncio.run(attach_latency(quick))


def run_throughput(*, quick: bool = False) -> dict[str, Any]:
    return asyncio.run(attach_throughput(quick))
