"""A store that lost the fabric's state never wipes it: fabricd started on an
empty store against leaves that carry its objects (a lost PVC, a wrong path,
a second fabricd) holds those leaves untouched until an operator restores
the store or releases them (real emulators of the seed lab, real SQLite)."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from controller.service.authz import Caller
from controller.state_metrics import state_metrics
from models.errors import PermissionDeniedError
from models.platforms.base import vni_key
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import attach_req, create_networks, eventually, lab_fabric, ni, trunk

pytestmark = pytest.mark.slow


async def listed(stub) -> dict[str, fabric_pb2.Switch]:
    resp = await stub.ListSwitches(fabric_pb2.ListSwitchesRequest(), timeout=10)
    return {s.name: s for s in resp.switches}


async def test_a_lost_store_holds_the_leaves_it_finds_configured_until_released(tmp_path):
    async with lab_fabric(tmp_path) as fab:
        async with fab.controller(), fab.channel() as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            await create_networks(stub, ("blue", 1111))
            await stub.Attach(attach_req(), timeout=30)  # server1/eth1: sw1 ethernet-1/1, VLAN 100
        before = fab.config("sw1")
        for f in tmp_path.glob("fabricd.db*"):
            f.unlink()  # the store is gone; the pod on server1 still uses VLAN 100 on sw1
        for sw in ("sw1", "sw2"):
            fab.host[sw].reset_counters()

        async with fab.controller() as st, fab.channel() as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            fleet = st.service.fleet
            await eventually(lambda: all(w.checked.is_set() for w in fleet), what="every leaf read once")
            sw1, sw2 = fleet.get("sw1"), fleet.get("sw2")
            assert sw1 is not None and sw2 is not None
            assert sw2.claimed and not sw2.held()  # clean: fabricd's from now on
            assert not sw1.claimed
            held = sw1.held()
            assert "switch sw1 is held" in held and "fabricctl switch release sw1" in held
            assert fab.host["sw1"].counters().set == 0 and fab.config("sw1") == before  # untouched
            assert ni(fab.config("sw1"), "fabricd-vni-1111") is not None

            shown = (await listed(stub))["sw1"]
            assert (shown.held_objects, shown.in_sync, shown.held) == (sw1.status().held, False, held)
            assert shown.held_objects >= 2  # the VNI's objects and the port's
            gauge = next(m for m in state_metrics(st.service) if m.name == "fabric_switch_held_objects")
            assert {s.labels["switch"]: s.value for s in gauge.samples} == {"sw1": shown.held_objects, "sw2": 0}
            audit = await stub.Audit(fabric_pb2.AuditRequest(switches=["sw1"]), timeout=10)
            assert [f.detail for f in audit.findings if f.kind == "held"] == [held]

            # the network again (a NAD re-created it, say): an attach behind the held leaf is refused, nothing kept
            await create_networks(stub, ("blue", 1111))
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.Attach(attach_req("pod-new", container="c2"), timeout=30)
            assert err.value.code() is grpc.StatusCode.FAILED_PRECONDITION
            assert err.value.details() == held
            assert not st.service.state.attachments
            assert st.service.state.leaves.get("sw1") is None or not st.service.state.leaves["sw1"].vlans.used
            # a change marked for the held leaf (an LLDP move onto it, say) is not sent either
            sw1.mark([vni_key(1111)])
            await asyncio.sleep(1.0)  # the worker's loop has long woken for it
            assert fab.host["sw1"].counters().set == 0 and fab.config("sw1") == before
            # behind the clean leaf attaches go on
            att = await stub.Attach(attach_req("pod-b", nic="eth2", container="c3"), timeout=30)
            assert (att.switch, att.state) == ("sw2", fabric_pb2.ATTACHMENT_STATE_READY)
            assert fab.host["sw1"].counters().set == 0

            # only an operator releases; an unknown name is named
            with pytest.raises(PermissionDeniedError, match="ReleaseSwitch needs an operator identity"):
                await st.service.release("sw1", Caller(identity="server1", operator=False))
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.ReleaseSwitch(fabric_pb2.ReleaseSwitchRequest(name="sw9"), timeout=10)
            assert err.value.code() is grpc.StatusCode.INVALID_ARGUMENT
            assert "name: 'sw9' is not a managed leaf" in err.value.details()
            released = await stub.ReleaseSwitch(fabric_pb2.ReleaseSwitchRequest(name="sw1"), timeout=10)
            assert released.released_objects == shown.held_objects
            again = await stub.ReleaseSwitch(fabric_pb2.ReleaseSwitchRequest(name="sw1"), timeout=10)
            assert again.released_objects == 0  # idempotent

            def wiped():
                c = fab.config("sw1")
                return ni(c, "fabricd-vni-1111") is None and trunk(c, "ethernet-1/1") is None

            await eventually(wiped, what="the released leaf's objects removed")
            att = await stub.Attach(attach_req("pod-new", container="c2"), timeout=30)
            assert (att.switch, att.vlan, att.state) == ("sw1", 100, fabric_pb2.ATTACHMENT_STATE_READY)
            assert not (await listed(stub))["sw1"].held_objects


async def test_a_restart_on_its_own_store_holds_nothing(tmp_path):
    async with lab_fabric(tmp_path) as fab:
        async with fab.controller(), fab.channel() as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            await create_networks(stub, ("blue", 1111))
            await stub.Attach(attach_req(), timeout=30)
        async with fab.controller() as st:
            fleet = st.service.fleet
            # claimed before any read: sw1 by its VLAN, sw2 (nothing of fabricd on it) by the claim its first
            # read wrote (so a crash after a first Set on it would find it claimed, not held)
            assert fleet.get("sw1").claimed and fleet.get("sw2").claimed
            assert st.service.store.load().claims == ("sw1", "sw2")
            await eventually(lambda: all(w.checked.is_set() for w in fleet), what="every leaf read once")
            assert [(w.name, w.claimed, w.held()) for w in fleet] == [("sw1", True, ""), ("sw2", True, "")]


async def test_an_attach_waits_for_the_first_read_of_an_unclaimed_leaf(tmp_path):
    # a leaf the store holds nothing for takes its first attachment only once read: the attach waits for it
    async with lab_fabric(tmp_path) as fab:
        fab.host["sw1"].faults.fail(methods=["Capabilities"], code=grpc.StatusCode.UNAVAILABLE)  # until cleared
        async with fab.controller() as st, fab.channel() as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            await create_networks(stub, ("blue", 1111))
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.Attach(attach_req(), timeout=3)
            assert err.value.code() is grpc.StatusCode.UNAVAILABLE
            assert "leaf sw1 has not been read yet" in err.value.details()
            assert not st.service.state.attachments  # refused before anything was written
            fab.host["sw1"].faults.clear()
            att = await stub.Attach(attach_req(), timeout=60)
            assert (att.switch, att.state) == ("sw1", fabric_pb2.ATTACHMENT_STATE_READY)
