"""Subscribe: ONCE, POLL, STREAM (ON_CHANGE, SAMPLE, TARGET_DEFINED),
updates_only, heartbeats, deletes, with the plain pygnmi client, and the
stream-level details (errors, leaflist_val) with raw grpc.aio stubs."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pygnmi.spec.v080 import gnmi_pb2

from labs.emulator import Emulator
from labs.emulator.subscribe import Covered
from labs.emulator.txn import Op
from models.oc.path import Elem, Path, covers
from models.platforms.profile import OPENCONFIG
from tests.labs.emulator import ocdocs as d
from tests.labs.emulator.conftest import DEADLINE, Client, RawStream, in_thread
from tests.labs.emulator.test_validation import R, U

VLANS = d.DEFAULT + "/vlans"
V100 = VLANS + "/vlan[vlan-id=100]"
PORT2 = "/interfaces/interface[name=ethernet-1/2]/config"
MS = 1_000_000  # ns


def sub_req(*paths: str, mode: str = "stream", **sub: Any) -> dict[str, Any]:
    opts = {k: v for k, v in sub.items() if k != "updates_only"}
    req: dict[str, Any] = {
        "subscription": [{"path": p, "mode": "on_change", **opts} for p in paths],
        "mode": mode,
        "encoding": "json_ietf",
    }
    if sub.get("updates_only"):
        req["updates_only"] = True
    return req


def vals(resp: dict[str, Any]) -> dict[str, Any]:
    return {u["path"]: u["val"] for u in resp["update"]["update"]}


def dels(resp: dict[str, Any]) -> set[str]:
    return {x["path"] for x in resp["update"].get("delete", [])}


async def next_update(sub: Any) -> dict[str, Any]:
    return await in_thread(sub.get_update, DEADLINE)


async def test_once_sends_every_leaf_then_sync(sw1: Emulator, gc: Client):
    sub = await gc.subscribe(sub_req(PORT2, mode="once"))
    msgs = []
    while True:
        m = await next_update(sub)
        msgs.append(m)
        if "sync_response" in m:
            break
    assert vals(msgs[0]) == {
        "interfaces/interface[name=ethernet-1/2]/config/name": "ethernet-1/2",
        "interfaces/interface[name=ethernet-1/2]/config/type": "iana-if-type:ethernetCsmacd",
        "interfaces/interface[name=ethernet-1/2]/config/enabled": True,
        "interfaces/interface[name=ethernet-1/2]/config/mtu": 9100,
        "interfaces/interface[name=ethernet-1/2]/config/description": "port 2",
    }


async def test_poll_answers_each_poll_with_the_current_data(sw1: Emulator, gc: Client):
    sub = await gc.subscribe(sub_req(PORT2 + "/description", mode="poll"))
    first = await next_update(sub)
    assert first["sync_response"] is True
    assert first["update"]["update"] == [
        {"path": "interfaces/interface[name=ethernet-1/2]/config/description", "val": "port 2"}
    ]
    await gc.set(update=[(PORT2, {"description": "to server2"})])
    second = await next_update(sub)
    assert second["update"]["update"][0]["val"] == "to server2"


async def test_stream_on_change_sees_updates_and_deletes(sw1: Emulator, gc: Client):
    sub = await gc.subscribe(sub_req(VLANS))
    initial = await next_update(sub)  # pygnmi coalesces up to the sync_response
    assert initial["sync_response"] is True and initial["update"] == {}  # no VLANs at day-0
    await gc.set(replace=[(V100, {"config": {"vlan-id": 100, "name": "blue"}})])
    up = await next_update(sub)
    key = "network-instances/network-instance[name=default]/vlans/vlan[vlan-id=100]"
    assert vals(up) == {f"{key}/vlan-id": 100, f"{key}/config/vlan-id": 100, f"{key}/config/name": "blue"}
    await gc.set(delete=[V100])
    down = await next_update(sub)
    assert dels(down) == {f"{key}/vlan-id", f"{key}/config/vlan-id", f"{key}/config/name"}


async def test_target_defined_is_on_change_and_updates_only_skips_the_dump(sw1: Emulator, gc: Client):
    req = sub_req(PORT2, updates_only=True)
    req["subscription"][0]["mode"] = "target_defined"
    sub = await gc.subscribe(req)
    first = await next_update(sub)
    assert first == {"update": {}, "sync_response": True}
    await gc.set(update=[(PORT2, {"mtu": 1500})])
    assert vals(await next_update(sub)) == {"interfaces/interface[name=ethernet-1/2]/config/mtu": 1500}


async def test_sample_resends_everything_or_only_changes_with_suppress_redundant(sw1: Emulator, gc: Client):
    every = sub_req(PORT2, sample_interval=100 * MS)
    every["subscription"][0]["mode"] = "sample"
    changed = sub_req(PORT2, sample_interval=100 * MS, suppress_redundant=True)
    changed["subscription"][0]["mode"] = "sample"
    s_every = await gc.subscribe(every)
    s_changed = await gc.subscribe(changed)
    assert len(vals(await next_update(s_every))) == 5
    assert len(vals(await next_update(s_changed))) == 5
    assert len(vals(await next_update(s_every))) == 5  # a sample of the unchanged data
    await gc.set(update=[(PORT2, {"description": "sampled"})])
    assert vals(await next_update(s_changed)) == {
        "interfaces/interface[name=ethernet-1/2]/config/description": "sampled"
    }


async def test_heartbeat_resends_unchanged_on_change_data(sw1: Emulator, gc: Client):
    sub = await gc.subscribe(sub_req(PORT2 + "/mtu", heartbeat_interval=200 * MS))
    await next_update(sub)
    for _ in range(2):
        assert vals(await next_update(sub)) == {"interfaces/interface[name=ethernet-1/2]/config/mtu": 9100}


async def test_heartbeat_forces_a_full_sample_with_suppress_redundant(sw1: Emulator, gc: Client):
    req = sub_req(PORT2, sample_interval=100 * MS, suppress_redundant=True, heartbeat_interval=300 * MS)
    req["subscription"][0]["mode"] = "sample"
    sub = await gc.subscribe(req)
    await next_update(sub)
    assert len(vals(await next_update(sub))) == 5  # nothing changed: only the heartbeat sends


# ----------------------------------------------------------- raw stream level


def subscribe_request(*paths: str, mode: int = 0, **kw: Any) -> Any:
    subs = [
        gnmi_pb2.Subscription(path=gnmi_pb2.Path(elem=_elems(p)), mode=gnmi_pb2.SubscriptionMode.ON_CHANGE)
        for p in paths
    ]
    return gnmi_pb2.SubscribeRequest(
        subscribe=gnmi_pb2.SubscriptionList(subscription=subs, mode=mode, encoding=gnmi_pb2.Encoding.JSON_IETF, **kw)
    )


def _elems(text: str) -> list[Any]:
    from models.oc.path import Path

    return [gnmi_pb2.PathElem(name=e.name, key=dict(e.keys)) for e in Path.parse(text).elems]


def leaves(resp: Any) -> dict[str, Any]:
    from labs.emulator.codec import join

    out = {}
    for u in resp.update.update:
        kind = u.val.WhichOneof("value")
        v = getattr(u.val, kind)
        out[str(join(None, u.path))] = (
            [getattr(e, e.WhichOneof("value")) for e in v.element] if kind == "leaflist_val" else v
        )
    return out


async def test_values_are_scalars_and_leaf_lists_are_leaflist_val(sw1: Emulator):
    await sw1.apply_set([R(p, v) for p, v in d.leaf_document()])
    sv = "/interfaces/interface[name=ethernet-1/1]/ethernet/switched-vlan"
    s = RawStream(sw1.address, subscribe_request(sv, mode=gnmi_pb2.SubscriptionList.ONCE))
    try:
        (resp,) = await s.until_sync()
        assert resp.update.timestamp > 0
        assert leaves(resp) == {sv + "/config/interface-mode": "TRUNK", sv + "/config/trunk-vlans": [100]}
        assert resp.update.update[1].val.leaflist_val.element[0].uint_val == 100
    finally:
        await s.close()


async def test_a_path_without_data_keeps_the_stream_open(sw1: Emulator):
    ni = d.NI + "[name=fabricd-vni-1111]/config"
    s = RawStream(sw1.address, subscribe_request(ni))
    try:
        assert await s.until_sync() == []
        await sw1.apply_set([R(p, v) for p, v in d.leaf_document()])
        resp = await s.next()
        assert leaves(resp)[ni + "/type"] == "openconfig-network-instance-types:L2VSI"
    finally:
        await s.close()


async def test_subscribers_see_committed_sets_only(sw1: Emulator):
    s = RawStream(sw1.address, subscribe_request(PORT2))
    try:
        await s.until_sync()
        with pytest.raises(Exception, match="is not a string"):
            await sw1.apply_set([U(PORT2, {"description": 7})])
        await sw1.apply_set([U(PORT2, {"description": "ok"})])
        assert leaves(await s.next()) == {PORT2 + "/description": "ok"}
    finally:
        await s.close()


async def test_a_second_subscription_list_is_an_error(sw1: Emulator):
    s = RawStream(sw1.address, subscribe_request(PORT2))
    try:
        await s.until_sync()
        s.send(subscribe_request(VLANS))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            while True:
                await s.next()
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert err.value.details() == "a second SubscriptionList on one Subscribe stream (open a new stream)"
    finally:
        await s.close()


async def test_poll_sends_nothing_until_polled_and_ends_when_the_client_does(sw1: Emulator):
    s = RawStream(sw1.address, subscribe_request(PORT2 + "/mtu", mode=gnmi_pb2.SubscriptionList.POLL))
    try:
        with pytest.raises(TimeoutError):
            await s.next(within=0.3)  # (a short wait for something that must not come)
        s.send(gnmi_pb2.SubscribeRequest(poll=gnmi_pb2.Poll()))
        assert [leaves(r) for r in await s.until_sync()] == [{PORT2 + "/mtu": 9100}]
        s.send(None)  # half-close
        assert await s.next() is grpc.aio.EOF
        assert await s.call.code() == grpc.StatusCode.OK
    finally:
        await s.close()
    assert not sw1.streams


async def test_a_half_closed_stream_keeps_streaming(sw1: Emulator, gc: Client):
    """pygnmi's subscribe() sends its SubscriptionList and closes its side at
    once: a STREAM must go on (as on real targets)."""
    req = sub_req(PORT2 + "/description")
    it = await in_thread(gc.gc.subscribe, subscribe=req)
    try:
        first = await in_thread(next, it)
        assert first.update.update[0].val.string_val == "port 2"
        assert (await in_thread(next, it)).sync_response
        await gc.set(update=[(PORT2, {"description": "still here"})])
        assert (await in_thread(next, it)).update.update[0].val.string_val == "still here"
    finally:
        it.cancel()


_names = st.sampled_from(["network-instances", "network-instance", "vlans", "vlan", "config", "name", "*", "..."])
_keys = st.dictionaries(
    st.sampled_from(["name", "vlan-id"]), st.sampled_from(["default", "blue", "10", "*"]), max_size=1
)
_pattern = st.lists(st.builds(Elem.of, _names, _keys), min_size=1, max_size=4).map(lambda es: Path(tuple(es)))
_exact_names = _names.filter(lambda n: n not in ("*", "..."))
_exact_keys = _keys.map(lambda k: {a: v for a, v in k.items() if v != "*"})
_leaf = st.lists(st.builds(Elem.of, _exact_names, _exact_keys), max_size=6).map(lambda es: Path(tuple(es)))


def _near(pattern: Path) -> st.SearchStrategy[Path]:
    """Paths at, under, beside or above what ``pattern`` names (its wildcards made concrete)."""
    concrete = [
        Elem.of("vlan" if e.name in ("*", "...") else e.name, {k: "blue" if v == "*" else v for k, v in e.keys})
        for e in pattern.elems
    ]
    tail = st.lists(st.builds(Elem.of, _exact_names, _exact_keys), max_size=3)
    return st.tuples(st.integers(0, len(concrete)), tail).map(lambda nt: Path((*concrete[: nt[0]], *nt[1])))


@settings(max_examples=400)
@given(st.lists(_pattern, min_size=1, max_size=3), st.data())
def test_the_stream_filter_answers_as_covers(patterns, data):
    """A stream's filter (a tree of the patterns' elements) answers as covers() for each path, asked in
    any order and again."""
    leaves = data.draw(st.lists(st.one_of(_leaf, *(_near(p) for p in patterns)), min_size=1, max_size=40))
    covered = Covered(patterns)
    for path in [*leaves, *reversed(leaves)]:
        assert covered(path) == any(covers(p, path) for p in patterns), (patterns, path)


async def test_remote_vteps_move_the_flood_list_a_whole_subtree_streams_it_the_drift_paths_do_not(host):
    """fabricd's drift watch on OpenConfig subscribes to the subtrees of the objects it owns: a VNI's flood
    list (an endpoint-peer per remote VTEP, state that moves whenever another leaf takes the VNI or drops it,
    on a real switch with the BGP RIB and the forwarding tables beside it) stays out of that stream; an
    operator's change of an owned object is in it."""
    sw1, sw2 = host["sw1"], host["sw2"]
    document = [Op(kind="replace", path=Path.parse(p), value=v) for p, v in d.leaf_document()]
    await sw1.apply_set(document)
    careless = RawStream(sw1.address, subscribe_request("/network-instances", updates_only=True))
    careful = RawStream(sw1.address, subscribe_request(*OPENCONFIG.drift_paths, updates_only=True))
    try:
        await careless.until_sync()
        await careful.until_sync()
        await sw2.apply_set(document)  # sw2's VTEP joins VNI 1111: sw1's flood list gains it
        seen = await careless.paths(DEADLINE, until="endpoint-peer")
        assert any("endpoint-peer" in p for p in seen), seen
        assert await careful.paths(1.0) == []
        await sw1.apply_set([Op(kind="replace", path=Path.parse(V100 + "/config/name"), value="not-fabricd")])
        got = await careful.paths(DEADLINE, until="vlan")
        assert any(p.endswith("vlan[vlan-id=100]/config/name") for p in got), got
    finally:
        await careless.close()
        await careful.close()
