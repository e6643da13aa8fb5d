"""The fabric.v1 API contract against a running fabricd (seed lab emulators)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import grpc
import pytest

from controller.store import StoreLockedError
from controller.store.sqlite import SqliteStore
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import attach_req, create_networks, eventually, lab_fabric, net_ref

pytestmark = pytest.mark.slow


@pytest.fixture
async def api(tmp_path):
    async with lab_fabric(tmp_path) as fab, fab.controller(), fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await create_networks(stub, ("blue", 1111), ("green", 2222))
        await eventually(lambda: all(s.known for s in fab.service.fleet.statuses()), what="switches connected")
        yield fab, stub


async def code_of(call) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    return err.value.code(), err.value.details()


async def test_networks_idempotent_conflicts_and_delete(api):
    _fab, stub = api
    net = fabric_pb2.Network(name="blue", namespace="default", vni=1111)
    again = await stub.CreateNetwork(fabric_pb2.CreateNetworkRequest(network=net), timeout=10)
    assert again.evi >= 1 and again.vni == 1111
    code, msg = await code_of(
        stub.CreateNetwork(
            fabric_pb2.CreateNetworkRequest(network=fabric_pb2.Network(name="x", namespace="default", vni=1111)),
            timeout=10,
        )
    )
    assert code == grpc.StatusCode.ALREADY_EXISTS and "network.vni: 1111 is taken by network default/blue" in msg
    await stub.Attach(attach_req(), timeout=30)
    code, msg = await code_of(stub.DeleteNetwork(fabric_pb2.DeleteNetworkRequest(network=net_ref("blue")), timeout=10))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "has 1 attachment" in msg
    resp = await stub.DeleteNetwork(fabric_pb2.DeleteNetworkRequest(network=net_ref("green")), timeout=10)
    assert resp.deleted
    resp = await stub.DeleteNetwork(fabric_pb2.DeleteNetworkRequest(network=net_ref("green")), timeout=10)
    assert not resp.deleted
    nad = await stub.RenderNAD(fabric_pb2.RenderNADRequest(network=net_ref("blue"), uplink="eth2"), timeout=10)
    assert "kind: NetworkAttachmentDefinition" in nad.manifest and '"uplink": "eth2"' in nad.cni_config


async def test_every_problem_of_a_request_is_named(api):
    _, stub = api
    code, msg = await code_of(
        stub.CreateNetwork(
            fabric_pb2.CreateNetworkRequest(network=fabric_pb2.Network(name="Bad_Name", namespace="", vni=0)),
            timeout=10,
        )
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    for needle in ("network.name: 'Bad_Name'", "network.namespace: '' is required", "network.vni: 0 is out of range"):
        assert needle in msg
    code, msg = await code_of(stub.Attach(attach_req(container="", nic="eth/1"), timeout=10))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "container_id" in msg and "nic: 'eth/1'" in msg


async def test_unknown_node_nic_and_network_are_not_found(api):
    _, stub = api
    code, msg = await code_of(stub.Attach(attach_req(node="server9"), timeout=10))
    assert code == grpc.StatusCode.NOT_FOUND and "server9" in msg
    code, msg = await code_of(stub.Attach(attach_req(nic="eth7"), timeout=10))
    assert code == grpc.StatusCode.NOT_FOUND and "eth7" in msg
    code, msg = await code_of(stub.Attach(attach_req(network="nope"), timeout=10))
    assert code == grpc.StatusCode.NOT_FOUND and "default/nope" in msg


async def test_concurrent_attaches_of_one_identity_make_one_attachment(api):
    fab, stub = api
    results = await asyncio.gather(*(stub.Attach(attach_req(), timeout=60) for _ in range(100)))
    assert {(r.vlan, r.switch, r.port) for r in results} == {(100, "sw1", "ethernet-1/1")}
    listed = await stub.ListAttachments(fabric_pb2.ListAttachmentsRequest(), timeout=10)
    assert len(listed.attachments) == 1
    assert fab.service.state.leaves["sw1"].vlans.used == 1


async def test_list_attachments_in_pages(api):
    """Keyset pages in id order: every attachment once, in order, whatever is
    detached meanwhile; a token belongs to its listing; sizes are bounded."""
    fab, stub = api
    for i in range(12):
        await stub.Attach(
            attach_req(f"pod-{i:02d}", node=f"server{i % 3 + 1}", container=f"c{i}", ifname=f"net{i % 2}"), timeout=30
        )
    whole = (await stub.ListAttachments(fabric_pb2.ListAttachmentsRequest(), timeout=10)).attachments
    assert len(whole) == 12
    assert [a.id.pod_name for a in whole] == sorted(a.id.pod_name for a in whole)

    pages, req = [], fabric_pb2.ListAttachmentsRequest(page_size=5)
    while True:
        resp = await stub.ListAttachments(req, timeout=10)
        pages.append([a.id.pod_name for a in resp.attachments])
        if len(pages) == 1:  # detached between pages: the listing goes on, nothing twice
            gone = whole[7]
            await stub.Detach(fabric_pb2.DetachRequest(id=gone.id, container_id=gone.container_id), timeout=10)
        if not resp.next_page_token:
            break
        req.page_token = resp.next_page_token
    assert [len(p) for p in pages] == [5, 5, 1]
    listed = [name for p in pages for name in p]
    assert listed == [a.id.pod_name for a in whole if a.id.pod_name != whole[7].id.pod_name]
    # made a few at a time, the loop free in between: the same page
    views, last = await fab.service.attachments.page(size=5, chunk=5)
    assert [v.placed.attachment.id.pod_name for v in views] == listed[:5] and last is not None and last[1] == listed[4]

    # a token is its listing's: other filters, or a page size alone that is not a token, are refused
    first = await stub.ListAttachments(fabric_pb2.ListAttachmentsRequest(page_size=2), timeout=10)
    other = fabric_pb2.ListAttachmentsRequest(page_token=first.next_page_token, node="server1")
    code, details = await code_of(stub.ListAttachments(other, timeout=10))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in details and "another listing" in details
    for bad in ("nope", "e30", "W1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tb" * 30):
        code, details = await code_of(
            stub.ListAttachments(fabric_pb2.ListAttachmentsRequest(page_token=bad), timeout=10)
        )
        assert code == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in details, (bad, details)
    code, details = await code_of(stub.ListAttachments(fabric_pb2.ListAttachmentsRequest(page_size=-1), timeout=10))
    assert code == grpc.StatusCode.INVALID_ARGUMENT and "page_size: -1" in details
    many = await stub.ListAttachments(fabric_pb2.ListAttachmentsRequest(page_size=1_000_000), timeout=10)
    assert len(many.attachments) == 11 and not many.next_page_token  # more than the most: the most
    # a node filter pages through that node's own
    node = await stub.ListAttachments(fabric_pb2.ListAttachmentsRequest(node="server2", page_size=2), timeout=10)
    assert [a.node for a in node.attachments] == ["server2"] * 2 and node.next_page_token
    req = fabric_pb2.ListAttachmentsRequest(node="server2", page_size=2, page_token=node.next_page_token)
    rest = await stub.ListAttachments(req, timeout=10)
    assert [a.id.pod_name for a in rest.attachments] == ["pod-10"] and not rest.next_page_token  # pod-07 is gone


async def test_replay_and_container_replacement_and_stale_detach(api):
    _fab, stub = api
    first = await stub.Attach(attach_req(container="old"), timeout=30)
    replay = await stub.Attach(attach_req(container="old"), timeout=30)
    assert (replay.vlan, replay.switch, replay.port) == (first.vlan, first.switch, first.port)
    newer = await stub.Attach(attach_req(container="new"), timeout=30)
    assert newer.container_id == "new" and newer.vlan == first.vlan
    stale = await stub.Detach(fabric_pb2.DetachRequest(id=first.id, container_id="old"), timeout=10)
    assert not stale.removed
    got = await stub.GetAttachment(fabric_pb2.GetAttachmentRequest(id=first.id), timeout=10)
    assert got.container_id == "new"
    check = await stub.Check(fabric_pb2.CheckRequest(id=first.id, container_id="new"), timeout=10)
    assert check.state == fabric_pb2.ATTACHMENT_STATE_READY
    code, _ = await code_of(stub.Check(fabric_pb2.CheckRequest(id=first.id, container_id="old"), timeout=10))
    assert code == grpc.StatusCode.NOT_FOUND
    unknown = attach_req(pod="ghost").id
    assert not (await stub.Detach(fabric_pb2.DetachRequest(id=unknown, container_id="x"), timeout=10)).removed


async def test_cross_namespace_attach_is_denied_and_counted(api):
    fab, stub = api
    code, msg = await code_of(stub.Attach(attach_req(namespace="other"), timeout=10))
    assert code == grpc.StatusCode.PERMISSION_DENIED and "not shared" in msg
    assert fab.service.metrics.authz_denied.labels("Attach")._value.get() == 1
    await stub.CreateNetwork(
        fabric_pb2.CreateNetworkRequest(
            network=fabric_pb2.Network(name="red", namespace="default", vni=3333, shared=True)
        ),
        timeout=10,
    )
    att = await stub.Attach(attach_req(namespace="other", network="red"), timeout=30)
    assert att.state == fabric_pb2.ATTACHMENT_STATE_READY


async def test_garbage_collect_is_per_node_and_network(api):
    _fab, stub = api
    keep = await stub.Attach(attach_req("keep", container="k"), timeout=30)
    await stub.Attach(attach_req("stale", container="s"), timeout=30)
    other_net = await stub.Attach(attach_req("othernet", "green", container="o"), timeout=30)
    other_node = await stub.Attach(attach_req("othernode", node="server2", container="n"), timeout=30)
    resp = await stub.GarbageCollect(
        fabric_pb2.GarbageCollectRequest(
            node="server1",
            network=net_ref("blue"),
            valid=[fabric_pb2.ValidAttachment(container_id="k", interface="net1")],
        ),
        timeout=10,
    )
    assert [a.pod_name for a in resp.removed] == ["stale"]
    left = {
        a.id.pod_name for a in (await stub.ListAttachments(fabric_pb2.ListAttachmentsRequest(), timeout=10)).attachments
    }
    assert left == {keep.id.pod_name, other_net.id.pod_name, other_node.id.pod_name}


async def test_views_switches_topology_plan_and_events(api):
    _fab, stub = api
    events = stub.WatchEvents(fabric_pb2.WatchEventsRequest(kinds=["attachment"]))
    await stub.Attach(attach_req(), timeout=30)
    ev = await asyncio.wait_for(events.read(), 10)
    assert ev.kind == "attachment" and "pod-a" in ev.subject
    events.cancel()
    sws = {s.name: s for s in (await stub.ListSwitches(fabric_pb2.ListSwitchesRequest(), timeout=10)).switches}
    assert sws["sw1"].state == fabric_pb2.SESSION_STATE_CONNECTED and sws["sw1"].vlans_used == 1
    assert sws["spine1"].role == "spine"
    topo = await stub.GetTopology(fabric_pb2.GetTopologyRequest(), timeout=10)
    edges = {(link.b, link.b_port): (link.a, link.a_port) for link in topo.links if link.kind == "edge"}
    assert edges[("server1", "eth1")] == ("sw1", "ethernet-1/1")
    plan = await stub.Plan(fabric_pb2.PlanRequest(), timeout=10)
    assert {p.switch for p in plan.plans} == {"sw1", "sw2"}
    assert all(not p.deletes and not p.replaces and not p.error for p in plan.plans)  # converged: nothing to do


async def test_a_second_fabricd_on_the_same_store_refuses_to_start(tmp_path):
    db = tmp_path / "fabricd.db"
    first = SqliteStore(db)
    try:
        with pytest.raises(StoreLockedError, match="in use by another fabricd"):
            SqliteStore(db)
        proc = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "controller.main",
                "--insecure",
                "--store",
                str(db),
                "--listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ},
        )
        assert proc.returncode == 2
        assert f"store {db} is in use by another fabricd (pid {os.getpid()})" in proc.stderr
    finally:
        first.close()
    SqliteStore(db).close()  # released: a new one may start


@pytest.mark.parametrize("how", ["symlinked-directory", "symlinked-file", "hard-link"])
def test_the_store_lock_holds_the_database_however_it_is_reached(tmp_path, how):
    real = tmp_path / "data"
    real.mkdir()
    db = real / "fabricd.db"
    first = SqliteStore(db)
    try:
        if how == "symlinked-directory":
            (tmp_path / "elsewhere").symlink_to(real)
            other = tmp_path / "elsewhere" / "fabricd.db"
        elif how == "symlinked-file":
            other = tmp_path / "alias.db"
            other.symlink_to(db)
        else:
            other = tmp_path / "linked.db"
            os.link(db, other)
        with pytest.raises(StoreLockedError, match="in use by another fabricd") as e:
            SqliteStore(other)
        if how != "hard-link":  # the holder's pid sits beside the resolved path
            assert f"(pid {os.getpid()})" in str(e.value)
    finally:
        first.close()


async def test_a_detach_during_an_attach_in_flight_answers_aborted_and_leaks_nothing(api):
    """The runtime's normal sequence when ADD times out: DEL follows while the
    Attach still waits for its leaf."""
    fab, stub = api
    fab.host["sw1"].faults.delay(3.0, methods=["Set"], count=1)
    attach = asyncio.ensure_future(stub.Attach(attach_req(), timeout=30))
    await eventually(lambda: fab.service.state.attachments, what="attach placed")
    removed = await stub.Detach(fabric_pb2.DetachRequest(id=attach_req().id, container_id="c1"), timeout=10)
    assert removed.removed
    code, details = await code_of(attach)
    assert code == grpc.StatusCode.ABORTED, details
    assert "was detached while waiting for leaf sw1" in details
    worker = fab.service.fleet.get("sw1")
    await eventually(lambda: worker.status().in_sync and not worker.status().pending, what="leaf converged")
    assert not fab.service.state.attachments and not fab.service.ctx.created
    assert not worker._changes._needs  # no generation entry left behind


async def test_a_network_named_by_vni_resolves_for_the_namespaces_that_may_use_it(api):
    fab, stub = api  # blue (1111) and green (2222) in namespace default, not shared
    by_vni = fabric_pb2.NetworkRef(vni=1111)
    req = attach_req()
    req.id.network.CopyFrom(by_vni)
    att = await stub.Attach(req, timeout=30)
    assert (att.id.network.namespace, att.id.network.name, att.vni) == ("default", "blue", 1111)
    check = fabric_pb2.CheckRequest(id=req.id, container_id="c1")
    assert (await stub.Check(check, timeout=10)).state == fabric_pb2.ATTACHMENT_STATE_READY
    other = attach_req("pod-x", namespace="other")
    other.id.network.CopyFrom(by_vni)
    code, details = await code_of(stub.Attach(other, timeout=30))
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert details == "no network with VNI 1111 that pod namespace 'other' may use"
    unknown = attach_req("pod-y")
    unknown.id.network.CopyFrom(fabric_pb2.NetworkRef(vni=4242))
    code, details = await code_of(stub.Attach(unknown, timeout=30))
    assert (code, details) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "no network with VNI 4242 that pod namespace 'default' may use",
    )
    both = attach_req("pod-z")
    both.id.network.vni = 1111
    assert (await code_of(stub.Attach(both, timeout=30)))[0] == grpc.StatusCode.INVALID_ARGUMENT
    removed = await stub.Detach(fabric_pb2.DetachRequest(id=req.id, container_id="c1"), timeout=10)
    assert removed.removed and not fab.service.state.attachments


async def test_garbage_collection_is_scoped_to_its_cni_network(api):
    """Two NADs (CNI network names) of one fabric network: the GC of one
    never collects the other's pods."""
    fab, stub = api
    a = attach_req("pod-a", container="ca")
    a.cni_network = "blue-a"
    b = attach_req("pod-b", container="cb")
    b.cni_network = "blue-b"
    await stub.Attach(a, timeout=30)
    await stub.Attach(b, timeout=30)
    gc = fabric_pb2.GarbageCollectRequest(node="server1", network=net_ref("blue"), cni_network="blue-a")
    removed = await stub.GarbageCollect(gc, timeout=10)
    assert [r.pod_name for r in removed.removed] == ["pod-a"]
    assert [p.attachment.id.pod_name for p in fab.service.state.attachments.values()] == ["pod-b"]
    left = await stub.GetAttachment(fabric_pb2.GetAttachmentRequest(id=b.id), timeout=10)
    assert left.cni_network == "blue-b"


async def test_one_node_cannot_take_every_vlan(tmp_path):
    async with (
        lab_fabric(tmp_path, fabric={"max_attachments_per_node": 2}) as fab,
        fab.controller(),
        fab.channel() as ch,
    ):
        stub = fabric_pb2_grpc.FabricStub(ch)
        await create_networks(stub, ("blue", 1111), ("green", 2222), ("red", 3333))
        await stub.Attach(attach_req("p1", "blue"), timeout=30)
        await stub.Attach(attach_req("p2", "green"), timeout=30)
        await stub.Attach(attach_req("p2", "green"), timeout=30)  # a replay is not a new one
        code, details = await code_of(stub.Attach(attach_req("p3", "red"), timeout=30))
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert details == (
            "node server1 holds 2 attachments, the most one node may hold (fabric.max_attachments_per_node)"
        )
        other = await stub.Attach(attach_req("p3", "red", node="server2"), timeout=30)  # other nodes unaffected
        assert other.state == fabric_pb2.ATTACHMENT_STATE_READY
