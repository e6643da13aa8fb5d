"""The etcd store against a real etcd 3.6: what it writes is what loads,
big mutations split within etcd's bounds, a stale fence writes nothing, the
server's limits are checked, values carry their version, and a SQLite store
migrates without losing a row."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
import uuid

import pytest
import yaml

from controller.etcd import EtcdClient, prefix_end
from controller.etcd.client import put
from controller.store import Mutation, StoreError
from controller.store.etcd import EtcdStore, Fence, Fenced, Limits, check_limits, ensure_schema, read_intent
from controller.store.etcdkeys import PAGE, Keys
from controller.store.sqlite import SqliteStore
from models.alloc import VlanAllocation
from models.fabric_state import PlacedAttachment
from models.ids import Evi, NicName, NodeName, PortName, SwitchName, VlanId, Vni
from models.intent import Attachment, AttachmentId, Network, Placement, nad_owner
from tests.controller.test_store_migration import wave1_db

pytestmark = pytest.mark.slow
BLUE = Network(namespace="default", name="blue", vni=Vni(1111), shared=True, mtu=9000, description="b/l ue%")
#: a network a NetworkAttachmentDefinition created: its owner must survive the store
RED = Network(namespace="team-a", name="red", vni=Vni(3333), owner=nad_owner("team-a", "red-net"))


def placed(i: int, *, node: str = "server1", vlan: int = 100, switch: str = "sw1") -> PlacedAttachment:
    aid = AttachmentId(
        pod_namespace="ns/x", pod_name=f"pod-{i}", pod_uid=f"uid-{i}", network=BLUE.key, interface="net1"
    )
    att = Attachment(id=aid, container_id=f"c{i}", node=NodeName(node), nic=NicName("eth1"), cni_network="blue")
    return PlacedAttachment(
        attachment=att,
        vni=BLUE.vni,
        placement=Placement(SwitchName(switch), PortName("ethernet-1/1")),
        vlan=VlanId(vlan),
    )


class CountingClient(EtcdClient):
    """The real client, counting its range reads (a seam, not a patch)."""

    ranges = 0

    async def range(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.ranges += 1
        return await super().range(*args, **kwargs)


@pytest.fixture
async def client(etcd3):
    c = CountingClient(etcd3.endpoints, timeout=5)
    yield c
    await c.close()


@pytest.fixture
def keys() -> Keys:
    return Keys(f"/t-{uuid.uuid4().hex[:8]}")


async def _store(client: EtcdClient, keys: Keys, *, term: int = 0, limits: Limits | None = None) -> EtcdStore:
    await ensure_schema(client, keys)
    snap, _ = await read_intent(client, keys)
    return EtcdStore(
        client,
        keys,
        fence=Fence(key=keys.leader, revision=term),
        snapshot=snap,
        limits=limits or Limits(),
        write_timeout=5,
    )


async def test_what_is_committed_loads_back_with_its_value_version(client, keys):
    store = await _store(client, keys)
    p = placed(1)
    await store.commit(
        Mutation(
            put_networks=[(BLUE, Evi(7), 1.5), (RED, Evi(8), 1.75)],
            put_attachments=[(p, 2.5)],
            put_allocations=[VlanAllocation(switch=SwitchName("sw1"), vni=Vni(1111), vlan=VlanId(100))],
        )
    )
    snap, _ = await read_intent(client, keys)
    assert snap.networks == ((BLUE, Evi(7), 1.5), (RED, Evi(8), 1.75))
    assert snap.networks[1][0].owner == "kubernetes:team-a/red-net"
    assert snap.attachments == ((p, 2.5),)
    assert [(a.switch, a.vni, a.vlan, a.releasing) for a in snap.allocations] == [("sw1", 1111, 100, False)]
    resp = await client.range(keys.attachment(p.attachment.id))
    assert json.loads(resp.kvs[0].value)["v"] == 1
    assert b"/ns%2Fx/" in resp.kvs[0].key  # a segment never carries a '/'
    await store.commit(Mutation(delete_attachments=[p.attachment.id], delete_networks=[BLUE.key, RED.key]))
    snap, _ = await read_intent(client, keys)
    assert not snap.networks and not snap.attachments


async def test_a_mutation_beyond_the_transaction_bound_is_split_and_all_of_it_durable(client, keys):
    store = await _store(client, keys, limits=Limits(max_txn_ops=16))
    many = [(placed(i), 1.0) for i in range(100)]
    await store.commit(Mutation(put_attachments=many))
    assert store.transactions == 7  # ceil(100 / 16)
    snap, _ = await read_intent(client, keys)
    assert len(snap.attachments) == 100
    await store.commit(Mutation(delete_attachments=[p.attachment.id for p, _ in many]))  # a garbage collection
    assert not (await read_intent(client, keys))[0].attachments


async def test_a_restart_loads_everything_in_a_bounded_number_of_range_reads(client, keys):
    store = await _store(client, keys)
    n = PAGE * 2 + 10
    await store.commit(Mutation(put_attachments=[(placed(i), 1.0) for i in range(n)]))
    client.ranges = 0
    snap, _ = await read_intent(client, keys)
    assert len(snap.attachments) == n
    assert client.ranges == 3  # ceil(n / PAGE), all at one revision


async def test_a_stale_fence_writes_nothing(client, keys):
    await ensure_schema(client, keys)
    elected = await client.txn([], [put(keys.leader, b"{}")])
    term = elected.header.revision
    store = await _store(client, keys, term=term)
    await store.commit(Mutation(put_attachments=[(placed(1), 1.0)]))
    # another leader's term: the key is created anew
    await client.txn([], [put(keys.leader, b"{}")])
    from controller.etcd.client import delete

    await client.txn([], [delete(keys.leader)])
    await client.txn([], [put(keys.leader, b"{}")])
    before = (await client.range(keys.intent, prefix_end(keys.intent))).header.revision
    with pytest.raises(Fenced):
        await store.commit(Mutation(put_attachments=[(placed(2), 1.0)]))
    with pytest.raises(StoreError):  # and every write after it: the term is over
        await store.commit(Mutation(put_attachments=[(placed(3), 1.0)]))
    after = await client.range(keys.intent, prefix_end(keys.intent))
    assert after.header.revision == before
    assert len(after.kvs) == 1


async def test_the_servers_limits_are_checked_at_start(client, keys):
    await check_limits(client, keys, Limits())
    with pytest.raises(StoreError, match=r"store\.max_txn_ops"):
        await check_limits(client, keys, Limits(max_txn_ops=129))
    with pytest.raises(StoreError, match=r"store\.max_request_bytes"):
        await check_limits(client, keys, Limits(max_request_bytes=4 * 1024 * 1024))


async def test_a_newer_value_version_is_refused(client, keys):
    store = await _store(client, keys)
    p = placed(1)
    await store.commit(Mutation(put_attachments=[(p, 1.0)]))
    key = keys.attachment(p.attachment.id)
    doc = json.loads((await client.range(key)).kvs[0].value)
    await client.txn([], [put(key, json.dumps({**doc, "v": 2}).encode())])
    with pytest.raises(StoreError, match="newer than this fabricd"):
        await read_intent(client, keys)


async def test_a_split_write_cut_short_loads_consistent(client, keys):
    """A crash between the parts of a split write leaves a prefix: an allocation
    no attachment uses loads as releasing (the leaf's next pass frees it)."""
    store = await _store(client, keys)
    alloc = VlanAllocation(switch=SwitchName("sw2"), vni=Vni(1111), vlan=VlanId(300))
    await store.commit(Mutation(put_allocations=[alloc]))  # the first part of a NIC move; the rest never came
    snap, _ = await read_intent(client, keys)
    assert snap.allocations == (dataclasses.replace(alloc, releasing=True),)


def test_a_sqlite_store_migrates_into_etcd_without_losing_a_row(tmp_path, etcd3):
    path = wave1_db(tmp_path / "fabricd.db")
    source = SqliteStore(path)  # migrated to the current schema on open
    asyncio.run(source.commit(Mutation(put_claims=[(SwitchName("leaf9"), 5.0)])))
    want = source.load()
    source.close()
    assert want.claims == ("leaf9",)
    prefix = f"/t-{uuid.uuid4().hex[:8]}"
    conf = tmp_path / "fabricd.yml"
    conf.write_text(
        yaml.safe_dump(
            {"api": {"insecure": True}, "store": {"backend": "etcd", "endpoints": etcd3.endpoints, "prefix": prefix}}
        )
    )
    cmd = [sys.executable, "-m", "controller.main", "--config", str(conf), "--migrate-from-sqlite", str(path)]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "copied 2 networks, 2 attachments, 2 VLAN allocations and 1 switch claims" in done.stdout

    async def load():  # type: ignore[no-untyped-def]
        c = EtcdClient(etcd3.endpoints, timeout=5)
        try:
            return (await read_intent(c, Keys(prefix)))[0]
        finally:
            await c.close()

    got = asyncio.run(load())
    assert got.networks == want.networks
    assert got.attachments == want.attachments
    assert got.allocations == want.allocations
    assert got.claims == want.claims
    again = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "already holds" in again.stderr  # never over an existing intent


async def test_a_caller_that_gives_up_does_not_break_the_barrier_of_others(client, keys):
    # as the SQLite store's: a cancelled Attach's write goes on, and other requests' barriers wait for it
    store = await _store(client, keys)
    p = placed(1)
    gave_up = asyncio.ensure_future(store.commit(Mutation(put_attachments=[(p, 1.0)])))
    await asyncio.sleep(0)  # the writer has it
    gave_up.cancel()
    await asyncio.sleep(0)
    await asyncio.wait_for(store.barrier(), 30)  # returns once durable: no CancelledError in a request not cancelled
    assert (await read_intent(client, keys))[0].attachments == ((p, 1.0),)
    await asyncio.wait_for(store.barrier(), 30)


async def test_a_claim_is_written_once_and_loads_back(client, keys):
    store = await _store(client, keys)
    await store.commit(Mutation(put_claims=[(SwitchName("sw2"), 1.0), (SwitchName("sw1"), 1.0)]))
    await store.commit(Mutation(put_claims=[(SwitchName("sw1"), 2.0)]))
    snap, _ = await read_intent(client, keys)
    assert snap.claims == ("sw1", "sw2")
    resp = await client.range(keys.claim(SwitchName("sw1")))
    assert json.loads(resp.kvs[0].value)["v"] == 1
