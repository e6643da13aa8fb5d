"""Fault injection, the feature tests use to prove retries: failing RPCs,
latency (hung RPCs), dropped streams, reboots, LLDP neighbours coming and
going, and RPC counters."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from pygnmi.client import gNMIException
from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

from labs.emulator import Emulator
from labs.emulator.errors import InjectedFault
from labs.emulator.faults import Counters, Delay, FailRpcs, Faults, methods_of
from tests.labs.emulator import ocdocs as d
from tests.labs.emulator.conftest import Client, RawStream, client, in_thread, wait_for
from tests.labs.emulator.test_subscribe import subscribe_request
from tests.labs.emulator.test_validation import R

IFACES = gnmi_pb2.Path(elem=[gnmi_pb2.PathElem(name="interfaces")])
NEIGHBORS = "/lldp/interfaces/interface/neighbors/neighbor/state"


async def raw_get(emu: Emulator, *, deadline: float = 30) -> gnmi_pb2.GetResponse:
    # A channel of its own: grpc shares subchannels (and their reconnect
    # backoff after a refused connection) between the channels of a process.
    async with grpc.aio.insecure_channel(emu.address, options=[("grpc.use_local_subchannel_pool", 1)]) as ch:
        return await gnmi_pb2_grpc.gNMIStub(ch).Get(gnmi_pb2.GetRequest(path=[IFACES]), timeout=deadline)


async def get_error(emu: Emulator, **kw) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await raw_get(emu, **kw)
    return err.value


# ------------------------------------------------------ rules (fake clock)


def test_rules_by_count_duration_and_method():
    now = [100.0]
    f = Faults(clock=lambda: now[0])
    f.add(FailRpcs(methods=frozenset({"Set"}), code=grpc.StatusCode.ABORTED, count=2))
    f.add(FailRpcs(code=grpc.StatusCode.UNAVAILABLE, duration=5.0))
    assert len(f.active) == 2
    assert [type(x) for x in f._take("Set", FailRpcs, first=True)] == [FailRpcs]  # the Set rule first
    assert f._take("Get", FailRpcs, first=True)[0].code == grpc.StatusCode.UNAVAILABLE
    assert f._take("Set", FailRpcs, first=True)[0].code == grpc.StatusCode.ABORTED  # its last call
    assert f._take("Set", FailRpcs, first=True)[0].code == grpc.StatusCode.UNAVAILABLE
    now[0] += 5.0
    assert f.active == []
    assert f._take("Set", FailRpcs) == []


async def test_the_gate_fails_and_delays():
    f = Faults()
    f.add(FailRpcs(methods=methods_of(["get"]), code=grpc.StatusCode.INTERNAL, message="boom", count=1))
    with pytest.raises(InjectedFault) as err:
        await f.gate("Get")
    assert (err.value.code, str(err.value)) == (grpc.StatusCode.INTERNAL, "boom")
    await f.gate("Get")  # used up
    f.add(Delay(seconds=3600))
    waiter = asyncio.ensure_future(f.gate("Set"))
    await asyncio.sleep(0.05)
    assert not waiter.done()
    assert f.clear() == 1  # releases the held call
    await asyncio.wait_for(waiter, 30)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (FailRpcs(count=0), "count 0 must be at least 1 (or None: no limit)"),
        (FailRpcs(duration=-1), "duration -1 must be positive (or None: until cleared)"),
        (Delay(seconds=-2), "delay -2 must not be negative"),
    ],
)
def test_bad_rules_are_refused(fault, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Faults().add(fault)
    with pytest.raises(ValueError, match="unknown gNMI method 'Put'"):
        methods_of(["Put"])


# ------------------------------------------------------------ against RPCs


async def test_fail_rpcs_with_a_code_for_n_calls(sw1: Emulator):
    sw1.faults.fail(methods=["Get"], code=grpc.StatusCode.RESOURCE_EXHAUSTED, message="busy, retry", count=2)
    for _ in range(2):
        err = await get_error(sw1)
        assert (err.code(), err.details()) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "busy, retry")
    assert (await raw_get(sw1)).notification
    assert sw1.counters().get == 3


async def test_fail_rpcs_for_a_duration_with_pygnmi(sw1: Emulator):
    sw1.faults.fail(code=grpc.StatusCode.UNAVAILABLE, duration=0.5)

    def caps():
        try:
            with client(sw1, gnmi_timeout=0) as gc:
                return gc.capabilities()
        except gNMIException as err:
            return err.orig_exc.code()

    assert await in_thread(caps) == grpc.StatusCode.UNAVAILABLE
    deadline = time.monotonic() + 30  # the rule expires on its own
    while not isinstance(got := await in_thread(caps), dict):
        assert got == grpc.StatusCode.UNAVAILABLE
        assert time.monotonic() < deadline, "the fault did not expire"
        await asyncio.sleep(0.1)
    assert got["gnmi_version"] == "0.8.0"
    assert sw1.rules.active == []


async def test_latency_makes_a_hung_set_until_cleared(sw1: Emulator):
    sw1.faults.delay(3600, methods=["Set"])
    req = gnmi_pb2.SetRequest(delete=[IFACES])
    async with grpc.aio.insecure_channel(sw1.address) as ch:
        stub = gnmi_pb2_grpc.gNMIStub(ch)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.Set(req, timeout=0.5)  # the client's deadline, not a timing assert
        assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        held = asyncio.ensure_future(stub.Set(gnmi_pb2.SetRequest(), timeout=60))
        await wait_for(lambda: sw1.counters().set == 2, "the second Set to arrive")
        assert not held.done()
        sw1.faults.clear()
        await asyncio.wait_for(held, 30)
    assert sw1.datastore.config.get(d.day0_path()) is not None  # the timed-out delete never ran


async def test_a_small_latency_delays_but_serves(sw1: Emulator):
    sw1.faults.delay(0.3, methods=["Get"], count=1)
    t0 = time.monotonic()
    assert (await raw_get(sw1)).notification
    assert time.monotonic() - t0 >= 0.3  # a lower bound only


async def test_drop_streams_aborts_them_with_unavailable(sw1: Emulator):
    s = RawStream(sw1.address, subscribe_request("/interfaces"))
    try:
        await s.until_sync()
        assert sw1.faults.drop_streams() == 1
        with pytest.raises(grpc.aio.AioRpcError) as err:
            while True:
                await s.next()
        assert (err.value.code(), err.value.details()) == (
            grpc.StatusCode.UNAVAILABLE,
            "stream dropped (fault)",
        )
    finally:
        await s.close()
    await wait_for(lambda: not sw1.streams, "the stream to be gone")


async def test_a_dropped_stream_as_pygnmi_sees_it(sw1: Emulator, gc: Client):
    sub = await gc.subscribe({"subscription": [{"path": NEIGHBORS, "mode": "on_change"}], "mode": "stream"})
    await in_thread(sub.get_update, 30)
    assert sw1.faults.drop_streams(message="link flap") == 1
    # pygnmi's subscription thread stores the stream's error in .error
    await wait_for(lambda: sub.error is not None, "pygnmi to see the stream end")
    assert (sub.error.code(), sub.error.details()) == (grpc.StatusCode.UNAVAILABLE, "link flap")
    gc.subs.remove(sub)


async def test_reboot_wipes_fabricd_objects_and_drops_everything(sw1: Emulator):
    day0 = sw1.config_json()
    await sw1.apply_set([R(p, v) for p, v in d.leaf_document()])
    assert sw1.config_json() != day0
    address = sw1.address
    s = RawStream(sw1.address, subscribe_request(NEIGHBORS))
    try:
        await s.until_sync()
        reboot = asyncio.ensure_future(sw1.faults.reboot(down=2.0))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            while True:
                await s.next()
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        await wait_for(lambda: sw1._server is None, "the server to go down")
        down = await get_error(sw1, deadline=10)
        assert down.code() == grpc.StatusCode.UNAVAILABLE
        await asyncio.wait_for(reboot, 30)
    finally:
        await s.close()
    assert sw1.address == address
    assert sw1.config_json() == day0
    assert len((await raw_get(sw1)).notification[0].update) == 1

    def neighbours() -> dict:
        with client(sw1) as gc:
            return gc.get(path=[NEIGHBORS + "/system-name"])

    got = await in_thread(neighbours)
    assert len(got["notification"][0]["update"]) == 2  # the state is back


async def test_lldp_neighbour_removed_and_added_on_a_stream(sw1: Emulator, gc: Client):
    sub = await gc.subscribe({"subscription": [{"path": NEIGHBORS, "mode": "on_change"}], "mode": "stream"})
    initial = await in_thread(sub.get_update, 30)
    names = {u["path"]: u["val"] for u in initial["update"]["update"] if u["path"].endswith("/system-name")}
    key = "lldp/interfaces/interface[name=ethernet-1/1]/neighbors/neighbor[id=02:00:00:00:00:01]/state"
    assert names == {
        f"{key}/system-name": "server1",
        key.replace("ethernet-1/1", "ethernet-1/2").replace(":01]", ":02]") + "/system-name": "server2",
    }
    assert sw1.faults.remove_lldp_neighbor("ethernet-1/1") == 1
    gone = await in_thread(sub.get_update, 30)
    assert {x["path"] for x in gone["update"]["delete"]} >= {f"{key}/system-name", f"{key}/port-id"}
    assert sw1.faults.restore_lldp_neighbors("ethernet-1/1") == 1
    back = await in_thread(sub.get_update, 30)
    assert {u["path"]: u["val"] for u in back["update"]["update"]}[f"{key}/port-id"] == "eth1"


async def test_counters_count_rpcs_and_set_outcomes(sw1: Emulator, gc: Client):
    assert sw1.reset_counters().capabilities == 1  # pygnmi's connect asks for them
    await gc.set(replace=d.leaf_document())
    with pytest.raises(gNMIException):
        await gc.set(update=[(d.DEFAULT + "/vlans/vlan[vlan-id=7]/config", {"vlan-id": 7, "status": "NO"})])
    await in_thread(gc.gc.get, path=["/interfaces"])
    assert sw1.counters() == Counters(get=1, set=2, sets_committed=1, sets_rejected=1, set_ops=8)
    sw1.reset_counters()
    assert sw1.counters() == Counters()  # "0 Sets" is an assertion tests can make
