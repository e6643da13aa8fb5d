"""Answers reflect only what is durable, and a crash between a switch Set and
its durable write leaves nothing behind.

The store is slowed the way a real disk or a busy database slows it: another
connection holds SQLite's write lock (BEGIN EXCLUSIVE), so fabricd's group
commit waits, while the worker may already have sent the Set."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3

import grpc
import pytest
import yaml

from labs.emulator.host import EmulatorHost
from labs.files.build import build_specs
from labs.files.topofile import load_lab
from labs.run.inventory import portmap
from labs.run.material import create_material
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import ROOT, attach_req, eventually, inventory_doc, ni
from tests.reliability.fabricd_proc import fabricd_process, wait_serving, write_settings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@contextlib.contextmanager
def write_locked(db_path):
    """Hold SQLite's write lock from another connection until the block ends."""
    db = sqlite3.connect(db_path, isolation_level=None, timeout=30)
    db.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        db.execute("ROLLBACK")
        db.close()


@contextlib.asynccontextmanager
async def seed_fabric(tmp_path):
    lab = load_lab(ROOT / "labs/seed.clab.yml")
    m = create_material(lab, tmp_path)
    async with EmulatorHost.start(build_specs(lab, tls=m.tls, credentials=m.credentials)) as host:
        (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory_doc(lab, host, m)))
        (tmp_path / "portmap.yml").write_text(yaml.safe_dump(portmap(lab)))
        yield host, write_settings(tmp_path, api={"attach_timeout": "30s"})


def stored_attachments(db_path) -> int:
    db = sqlite3.connect(db_path)
    try:
        return db.execute("SELECT count(*) FROM attachments").fetchone()[0]
    finally:
        db.close()


async def test_a_replayed_attach_is_not_acknowledged_before_the_original_is_durable(tmp_path):
    async with seed_fabric(tmp_path) as (host, settings):
        address = f"unix:{tmp_path}/api.sock"
        db = tmp_path / "fabricd.db"
        async with fabricd_process(settings, tmp_path / "fabricd.log") as proc:
            await wait_serving(address)
            async with grpc.aio.insecure_channel(address) as ch:
                stub = fabric_pb2_grpc.FabricStub(ch)
                await stub.CreateNetwork(
                    fabric_pb2.CreateNetworkRequest(
                        network=fabric_pb2.Network(name="blue", namespace="default", vni=1111)
                    ),
                    timeout=10,
                )
                with write_locked(db):
                    first = asyncio.ensure_future(stub.Attach(attach_req(), timeout=60))
                    # the Set may go out before the write lands: that is the window
                    await eventually(
                        lambda: ni(host["sw1"].config_json(qualify=False), "fabricd-vni-1111"), what="Set sent"
                    )
                    replay = asyncio.ensure_future(stub.Attach(attach_req(), timeout=60))
                    again = asyncio.ensure_future(
                        stub.Detach(fabric_pb2.DetachRequest(id=attach_req("never").id), timeout=60)
                    )
                    await asyncio.sleep(1.0)
                    # nothing may be acknowledged while the original write cannot land
                    assert not first.done() and not replay.done() and not again.done()
                    proc.send_signal(signal.SIGKILL)
                    await proc.wait()
                for t in (first, replay, again):
                    with pytest.raises(grpc.aio.AioRpcError):
                        await t
        # the attachment was never acknowledged, and it is not durable either
        assert stored_attachments(db) == 0


async def test_a_crash_between_the_set_and_the_durable_write_leaves_no_orphan_config(tmp_path):
    async with seed_fabric(tmp_path) as (host, settings):
        address = f"unix:{tmp_path}/api.sock"
        db = tmp_path / "fabricd.db"
        async with fabricd_process(settings, tmp_path / "fabricd.log") as proc:
            await wait_serving(address)
            async with grpc.aio.insecure_channel(address) as ch:
                stub = fabric_pb2_grpc.FabricStub(ch)
                await stub.CreateNetwork(
                    fabric_pb2.CreateNetworkRequest(
                        network=fabric_pb2.Network(name="blue", namespace="default", vni=1111)
                    ),
                    timeout=10,
                )
                with write_locked(db):
                    attach = asyncio.ensure_future(stub.Attach(attach_req(), timeout=60))
                    await eventually(
                        lambda: ni(host["sw1"].config_json(qualify=False), "fabricd-vni-1111"), what="Set landed"
                    )
                    proc.send_signal(signal.SIGKILL)
                    await proc.wait()
                with pytest.raises(grpc.aio.AioRpcError):
                    await attach
        assert stored_attachments(db) == 0
        # fabricd comes back from what is durable; its resync removes what nothing wants
        async with fabricd_process(settings, tmp_path / "fabricd.log"):
            await wait_serving(address)
            await eventually(
                lambda: ni(host["sw1"].config_json(qualify=False), "fabricd-vni-1111") is None,
                within=60,
                what="orphan removed",
            )
            async with grpc.aio.insecure_channel(address) as ch:
                stub = fabric_pb2_grpc.FabricStub(ch)
                assert not (await stub.ListAttachments(fabric_pb2.ListAttachmentsRequest(), timeout=10)).attachments


async def test_an_attach_waits_for_the_set_of_its_own_change_not_for_later_ones_on_its_port(tmp_path):
    """Pods landing on one NIC each change the port's VLANs. An attach whose
    write was slow to land is answered once the Set that carried its change
    committed, not after the Sets of the attaches that came later (a burst's
    first attaches waited for its last Set)."""
    async with seed_fabric(tmp_path) as (host, settings):
        address = f"unix:{tmp_path}/api.sock"
        db = tmp_path / "fabricd.db"
        async with fabricd_process(settings, tmp_path / "fabricd.log"):
            await wait_serving(address)
            async with grpc.aio.insecure_channel(address) as ch:
                stub = fabric_pb2_grpc.FabricStub(ch)
                for name, vni in (("blue", 1111), ("red", 2222)):
                    await stub.CreateNetwork(
                        fabric_pb2.CreateNetworkRequest(
                            network=fabric_pb2.Network(name=name, namespace="default", vni=vni)
                        ),
                        timeout=10,
                    )
                sw1 = host["sw1"]
                with write_locked(db):
                    first = asyncio.ensure_future(stub.Attach(attach_req("pod-a", "blue"), timeout=60))
                    await eventually(
                        lambda: ni(sw1.config_json(qualify=False), "fabricd-vni-1111"), what="first Set committed"
                    )
                    sw1.faults.delay(3600, methods=["Set"])  # the next Set hangs at the switch
                    received = sw1.counters().set
                    second = asyncio.ensure_future(
                        stub.Attach(attach_req("pod-b", "red", container="c2", ifname="net2"), timeout=60)
                    )
                    await eventually(lambda: sw1.counters().set > received, what="second Set sent")
                    assert not first.done()  # its write has not landed
                # both writes land now; only the first attach's change is on the switch
                view = await asyncio.wait_for(first, 30)
                assert view.state == fabric_pb2.ATTACHMENT_STATE_READY
                assert not second.done()
                sw1.faults.clear()
                assert (await asyncio.wait_for(second, 30)).state == fabric_pb2.ATTACHMENT_STATE_READY
