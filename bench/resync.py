"""resync: 100,000 attachments over 64 leaves. fabricd pushes them once;
then it restarts on the same store: time until every switch is verified in
sync, and the Sets it sent (goal 0); then 8 switches "reboot" (config back
to day-0): time until they are restored.

The intent is written straight into a fresh store with the store's own API
(creating 100,000 attachments through the API would take minutes of a
benchmark about resync)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import grpc

from bench.harness import LabRun, fabricd, generated_lab, scrape
from controller.store import Mutation
from controller.store.sqlite import SqliteStore
from labs.emulator.admin_client import AdminClient
from models.fabric_state import FabricState
from models.ids import NicName, NodeName, PortName, SwitchName, Vni
from models.intent import Attachment, AttachmentId, Network, Placement
from models.settings import FabricSettings
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc

LEAVES = 64
SERVERS_PER_LEAF = 40
NETWORKS = 1000


def populate(store_path: Path, total: int) -> int:
    m, vnis = intent(total)
    store = SqliteStore(store_path)
    try:
        asyncio.run(store.commit(m))
    finally:
        store.close()
    return vnis


def intent(total: int) -> tuple[Mutation, int]:
    """The benchmark's intent as one mutation, and its (leaf, VNI) pairs."""
    state = FabricState(FabricSettings())
    nets = [Network(namespace="bench", name=f"n{i}", vni=Vni(20_000 + i)) for i in range(NETWORKS)]
    now = time.time()
    m = Mutation()
    for n in nets:
        _, evi, _ = state.create_network(n)
        m.put_networks.append((n, evi, now))
    servers = LEAVES * SERVERS_PER_LEAF
    for i in range(total):
        server = i % servers
        leaf_no, port = server // SERVERS_PER_LEAF + 1, server % SERVERS_PER_LEAF + 1
        net = nets[(i // servers + leaf_no * 7) % NETWORKS]
        att = Attachment(
            id=AttachmentId(
                pod_namespace="bench", pod_name=f"p{i}", pod_uid=f"u{i}", network=net.key, interface="net1"
            ),
            container_id=f"c{i}",
            node=NodeName(f"server{server + 1}"),
            nic=NicName("eth1"),
        )
        res = state.attach(att, Placement(SwitchName(f"leaf{leaf_no}"), PortName(f"ethernet-1/{port}")))
        m.put_attachments.append((res.placed, now))
    for leaf in state.leaves.values():
        m.put_allocations.extend(leaf.vlans.allocations())
    return m, sum(len(leaf.vlans.allocations()) for leaf in state.leaves.values())


async def in_sync(address: str, deadline: float) -> float:
    t0 = time.monotonic()
    async with grpc.aio.insecure_channel(address) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        while time.monotonic() < deadline:
            try:
                sws = (await stub.ListSwitches(fabric_pb2.ListSwitchesRequest(), timeout=30)).switches
                if all(s.in_sync for s in sws if s.role == "leaf"):
                    return time.monotonic() - t0
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("not in sync before the deadline")


async def list_all(address: str) -> dict[str, Any]:
    """Every attachment through ListAttachments, page by page, as fabricctl reads them."""
    async with grpc.aio.insecure_channel(address) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        req = fabric_pb2.ListAttachmentsRequest(page_size=5000)
        count = pages = 0
        slowest = 0.0
        t0 = time.perf_counter()
        while True:
            t = time.perf_counter()
            resp = await stub.ListAttachments(req, timeout=120)
            slowest = max(slowest, time.perf_counter() - t)
            count, pages = count + len(resp.attachments), pages + 1
            if not resp.next_page_token:
                break
            req.page_token = resp.next_page_token
    took = round(time.perf_counter() - t0, 2)
    return {"attachments": count, "pages": pages, "s": took, "slowest_page_s": round(slowest, 3)}


def scrape_s(address: str) -> float:
    """One Prometheus scrape of fabricd's metrics (the attachments are counted in it)."""
    t = time.perf_counter()
    scrape(address)
    return round(time.perf_counter() - t, 3)


async def sets(lab: LabRun) -> int:
    async with AdminClient(lab.admin) as admin:
        return sum([(await admin.counters(f"leaf{i}")).sets_committed for i in range(1, LEAVES + 1)])


async def reboot(lab: LabRun, names: list[str]) -> None:
    async with AdminClient(lab.admin) as admin:
        await asyncio.gather(*(admin.reboot(n, down=0.2) for n in names))


def run(*, quick: bool = False) -> dict[str, Any]:
    total = 10_000 if quick else 100_000
    with generated_lab(leaves=LEAVES, servers_per_leaf=SERVERS_PER_LEAF, spines=2, name="resync") as lab:
        store = lab.dir / "resync.db"
        t = time.monotonic()
        vnis = populate(store, total)
        populate_s = time.monotonic() - t
        t = time.monotonic()
        with fabricd(lab, store=store) as fd:  # first start: pushes everything
            first = asyncio.run(in_sync(f"unix:{fd.socket}", time.monotonic() + 600)) + (time.monotonic() - t)
            first_rss = fd.rss_mb()
        sets_before = asyncio.run(sets(lab))
        t = time.monotonic()
        with fabricd(lab, store=store) as fd:  # restart
            restart = asyncio.run(in_sync(f"unix:{fd.socket}", time.monotonic() + 600)) + (time.monotonic() - t)
            sets_restart = asyncio.run(sets(lab)) - sets_before
            listed = asyncio.run(list_all(f"unix:{fd.socket}"))
            scrapes = [scrape_s(fd.metrics) for _ in range(3)]
            rebooted = [f"leaf{i}" for i in range(1, 9)]
            t = time.monotonic()
            asyncio.run(reboot(lab, rebooted))
            restore = asyncio.run(in_sync(f"unix:{fd.socket}", time.monotonic() + 600)) + (time.monotonic() - t)
            sets_restore = asyncio.run(sets(lab)) - sets_before - sets_restart
    table = [
        f"intent: {total:,} attachments, {vnis:,} (leaf, VNI) pairs over {LEAVES} leaves"
        f" (store written in {populate_s:.1f} s)",
        f"first start, everything pushed: {first:.1f} s (RSS {first_rss:.0f} MB)",
        f"restart on the same store: in sync after {restart:.1f} s, Sets sent: {sets_restart} (goal 0)",
        f"8 switches rebooted: restored in {restore:.1f} s with {sets_restore} Sets",
        f"fabricctl attachment list (every page of 5,000): {listed['attachments']:,} attachments in"
        f" {listed['pages']} pages, {listed['s']} s (slowest page {listed['slowest_page_s']} s);"
        f" a metrics scrape: {', '.join(str(x) for x in scrapes)} s",
    ]
    return {
        "attachments": total,
        "first_start_s": round(first, 1),
        "restart_in_sync_s": round(restart, 1),
        "restart_sets": sets_restart,
        "reboot_restore_s": round(restore, 1),
        "reboot_sets": sets_restore,
        "list_all": listed,
        "scrape_s": scrapes,
        "table": table,
        "checks_ok": sets_restart == 0 and sets_restore >= 8 and listed["attachments"] == total,
    }
