"""fabricd against real in-process emulators of the seed lab (dataplane none):
attach/detach reach the switches, restarts resync with no Sets, faults
converge, drift is reverted."""

from __future__ import annotations

import asyncio
import contextlib

import grpc
import pytest

from labs.emulator.txn import Op
from models.oc.path import Path
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import (
    attach_req,
    create_networks,
    eventually,
    find,
    lab_fabric,
    ni,
    trunk,
)

pytestmark = pytest.mark.slow


def pygnmi_get(fab, switch: str, path: str):
    """As a user would: pygnmi's sync client, TLS with the lab CA, password."""
    with fab.gnmi(switch) as gc:
        return gc.get(path=[path], datatype="config", encoding="json_ietf")


async def test_attach_configures_the_leaf_and_detach_removes_it(tmp_path):
    async with lab_fabric(tmp_path) as fab, fab.controller(), fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await create_networks(stub, ("blue", 1111))
        att = await stub.Attach(attach_req(), timeout=30)
        assert (att.switch, att.port, att.vlan, att.vni) == ("sw1", "ethernet-1/1", 100, 1111)
        assert att.state == fabric_pb2.ATTACHMENT_STATE_READY

        got = await asyncio.to_thread(
            pygnmi_get, fab, "sw1", "/network-instances/network-instance[name=fabricd-vni-1111]"
        )
        value = got["notification"][0]["update"][0]["val"]
        evi = value["evpn"]["evpn-instances"]["evpn-instance"][0]
        assert evi["vxlan"]["config"]["vni"] == 1111
        assert evi["import-export-policy"]["config"]["import-route-target"] == ["65000:1111"]
        cfg = fab.config("sw1")
        assert trunk(cfg, "ethernet-1/1") == {"interface-mode": "TRUNK", "trunk-vlans": [100]}
        assert ni(fab.config("sw2"), "fabricd-vni-1111") is None  # only the leaf behind the NIC

        resp = await stub.Detach(fabric_pb2.DetachRequest(id=att.id, container_id="c1"), timeout=10)
        assert resp.removed

        def gone():
            c = fab.config("sw1")
            return ni(c, "fabricd-vni-1111") is None and trunk(c, "ethernet-1/1") is None

        await eventually(gone, what="VNI objects and the port's switched-vlan removed")
        vlans = find(fab.config("sw1"), "network-instances", "network-instance", ("name", "default"), "vlans")
        assert not vlans or not [v for v in vlans["vlan"] if v["config"]["name"].startswith("fabricd-")]
        await eventually(lambda: not fab.service.state.leaves["sw1"].vlans.allocations(), what="VLAN freed")


async def test_restart_on_the_same_store_sends_no_set(tmp_path):
    async with lab_fabric(tmp_path) as fab:
        async with fab.controller(), fab.channel() as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            await create_networks(stub, ("blue", 1111), ("green", 2222))
            await stub.Attach(attach_req(), timeout=30)
            await stub.Attach(attach_req("pod-b", "green", node="server2", nic="eth2"), timeout=30)
        for sw in ("sw1", "sw2"):
            fab.host[sw].reset_counters()
        async with fab.controller() as st:
            await eventually(
                lambda: all(s.known and not s.pending for s in st.service.fleet.statuses()), what="resynced"
            )
            assert [fab.host[sw].counters().set for sw in ("sw1", "sw2")] == [0, 0]
            assert [fab.host[sw].counters().get for sw in ("sw1", "sw2")] > [0, 0]
            placed = st.service.state.attachments
            assert {p.vlan for p in placed.values()} == {100}


async def test_reboot_restores_the_owned_config(tmp_path):
    async with lab_fabric(tmp_path) as fab, fab.controller(), fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await create_networks(stub, ("blue", 1111))
        await stub.Attach(attach_req(), timeout=30)
        await fab.host["sw1"].faults.reboot(down=0.3)
        assert ni(fab.config("sw1"), "fabricd-vni-1111") is None  # wiped to day-0
        await eventually(lambda: ni(fab.config("sw1"), "fabricd-vni-1111") is not None, what="restored")
        assert trunk(fab.config("sw1"), "ethernet-1/1")["trunk-vlans"] == [100]


async def test_a_full_pass_reads_in_one_get_or_path_by_path_when_one_has_no_data(tmp_path):
    async with lab_fabric(tmp_path) as fab:

        def operator_deletes_every_network_instance():
            with fab.gnmi("sw2") as gc:
                gc.set(delete=["/network-instances"], encoding="json_ietf")

        await asyncio.to_thread(operator_deletes_every_network_instance)
        for sw in ("sw1", "sw2"):
            fab.host[sw].reset_counters()
        async with fab.controller() as st, fab.channel() as ch:
            await eventually(
                lambda: all(s.known and not s.pending for s in st.service.fleet.statuses()), what="connected"
            )
            # sw1 has every path: one Get. sw2 has no network-instances: the Get of
            # both paths fails NOT_FOUND, then each is read alone (and the interfaces are)
            assert [fab.host[sw].counters().get for sw in ("sw1", "sw2")] == [1, 3]
            # a switch that refuses a Get of several paths is read path by path too
            fab.host["sw1"].reset_counters()
            fab.host["sw1"].faults.fail(methods=["Get"], code=grpc.StatusCode.INVALID_ARGUMENT, count=1)
            st.service.fleet.get("sw1").request_verify()
            await eventually(lambda: fab.host["sw1"].counters().get == 3, what="sw1 read path by path")
            stub = fabric_pb2_grpc.FabricStub(ch)
            await create_networks(stub, ("blue", 1111))
            att = await stub.Attach(attach_req("pod-b", node="server2", nic="eth2"), timeout=30)
            assert att.switch == "sw2" and att.state == fabric_pb2.ATTACHMENT_STATE_READY
            assert ni(fab.config("sw2"), "fabricd-vni-1111") is not None


@pytest.mark.parametrize("mode", ["revert", "report"])
async def test_out_of_band_change(tmp_path, mode):
    async with lab_fabric(tmp_path, reconcile={"drift": mode}) as fab, fab.controller() as st, fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await create_networks(stub, ("blue", 1111))
        await stub.Attach(attach_req(), timeout=30)

        def operator_deletes():
            with fab.gnmi("sw1") as gc:
                gc.set(delete=["/network-instances/network-instance[name=fabricd-vni-1111]"], encoding="json_ietf")

        await asyncio.to_thread(operator_deletes)
        drift = st.service.metrics.drift_events.labels("sw1")
        await eventually(lambda: drift._value.get() >= 1, what="drift counted")
        if mode == "revert":
            await eventually(lambda: ni(fab.config("sw1"), "fabricd-vni-1111") is not None, what="reverted")
        else:
            await asyncio.sleep(1.0)
            assert ni(fab.config("sw1"), "fabricd-vni-1111") is None
            assert not st.service.fleet.get("sw1").status().in_sync  # reported, and not claimed in sync


_DEFAULT = "/network-instances/network-instance[name=default]"
_CP = f"{_DEFAULT}/connection-points/connection-point[connection-point-id=fabricd-vxlan]"
_EP = f"{_CP}/endpoints/endpoint[endpoint-id=vtep]"
#: an operator's commit on each kind of object fabricd owns on an OpenConfig leaf (the drift watch
#: subscribes to those subtrees only, not to all of /network-instances)
OPERATOR_EDITS = {
    "vlan-name": Op(kind="replace", path=Path.parse(f"{_DEFAULT}/vlans/vlan[vlan-id=100]/config/name"), value="x"),
    "vni-map": Op(kind="delete", path=Path.parse(f"{_EP}/vxlan/local-endpoint-vnis/local-endpoint-vni[vni=1111]")),
    "vxlan-endpoint": Op(kind="replace", path=Path.parse(f"{_EP}/vxlan/config/enabled"), value=False),
    "mac-vrf-config": Op(
        kind="replace",
        path=Path.parse("/network-instances/network-instance[name=fabricd-vni-1111]/config/description"),
        value="x",
    ),
    "mac-vrf-evpn": Op(
        kind="delete", path=Path.parse("/network-instances/network-instance[name=fabricd-vni-1111]/evpn")
    ),
    "evpn-afi-safi": Op(
        kind="replace",
        path=Path.parse(
            f"{_DEFAULT}/protocols/protocol[identifier=BGP][name=BGP]/bgp/global/afi-safis"
            "/afi-safi[afi-safi-name=L2VPN_EVPN]/config/enabled"
        ),
        value=False,
    ),
    "port-vlans": Op(kind="delete", path=Path.parse("/interfaces/interface[name=ethernet-1/1]/ethernet/switched-vlan")),
}


@pytest.mark.parametrize("edit", sorted(OPERATOR_EDITS))
async def test_every_owned_object_is_watched(tmp_path, edit):
    """Found by the drift watch (the periodic pass is a minute away) and reverted."""
    async with lab_fabric(tmp_path) as fab, fab.controller() as st, fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await create_networks(stub, ("blue", 1111))
        att = await stub.Attach(attach_req(), timeout=30)
        assert (att.switch, att.port, att.vlan) == ("sw1", "ethernet-1/1", 100)
        worker = st.service.fleet.get("sw1")
        await eventually(lambda: worker.status().in_sync, what="in sync")
        before = fab.config("sw1")
        drift = st.service.metrics.drift_events.labels("sw1")
        assert drift._value.get() == 0
        await fab.host["sw1"].apply_set([OPERATOR_EDITS[edit]])
        assert fab.config("sw1") != before
        await eventually(lambda: drift._value.get() >= 1, what=f"{edit} found as drift")
        await eventually(lambda: fab.config("sw1") == before, what=f"{edit} reverted")


async def test_a_change_right_after_the_first_read_is_seen_though_the_subscription_is_slow(tmp_path):
    """The drift watch is subscribed before the switch is read: a switch slow to take the
    subscription holds the read back, and a change committed right after it is streamed
    (read first, that change fell between the read and the subscription, unseen for minutes)."""
    async with lab_fabric(tmp_path) as fab:
        emu = fab.host["sw1"]
        emu.faults.delay(1.0, methods=["Subscribe"], count=2)
        async with fab.controller() as st, fab.channel() as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            await create_networks(stub, ("blue", 1111))
            worker = st.service.fleet.get("sw1")
            await eventually(lambda: worker.status().in_sync, what="in sync")
            before = fab.config("sw1")
            await emu.apply_set([OPERATOR_EDITS["evpn-afi-safi"]])
            drift = st.service.metrics.drift_events.labels("sw1")
            await eventually(lambda: drift._value.get() >= 1, what="the change found as drift")
            await eventually(lambda: fab.config("sw1") == before, what="reverted")


async def test_a_switch_refusing_subscriptions_is_read_and_served_at_once(tmp_path):
    """A connect waits for the drift watch's subscription only until the switch answers it: refused,
    the switch is read and served without waiting out the gNMI timeout (a minute here), and the watch
    that succeeds later asks for a verification pass of what it may have missed."""
    async with lab_fabric(tmp_path, gnmi={"timeout": "60s", "connect_timeout": "2s"}) as fab:
        emu = fab.host["sw1"]
        emu.faults.fail(methods=["Subscribe"], code=grpc.StatusCode.UNIMPLEMENTED)  # until cleared
        async with fab.controller() as st, fab.channel() as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            await create_networks(stub, ("blue", 1111))
            worker = st.service.fleet.get("sw1")
            await eventually(lambda: worker.status().in_sync, within=30, what="in sync well before the timeout")
            att = await stub.Attach(attach_req(), timeout=30)
            assert att.state == fabric_pb2.ATTACHMENT_STATE_READY
            emu.faults.clear()
            # the watch is up once the faults are gone (the only updates-only stream: the drift watch), and an
            # operator's change is found
            await eventually(
                lambda: any(s._req is not None and s._req.updates_only for s in emu.streams), what="watch subscribed"
            )
            before = fab.config("sw1")
            drift = st.service.metrics.drift_events.labels("sw1")
            await emu.apply_set([OPERATOR_EDITS["vlan-name"]])
            await eventually(lambda: drift._value.get() >= 1, what="the change found as drift")
            await eventually(lambda: fab.config("sw1") == before, what="reverted")


@pytest.mark.parametrize("outcome", ["committed", "rejected"])
async def test_an_operator_change_read_while_our_set_is_in_flight_is_still_drift(tmp_path, outcome):
    """An operator's change committed while a Set of ours is held by the switch is drift, found and
    reverted, whether our Set then commits (its echo around the operator's change) or is rejected."""
    async with lab_fabric(tmp_path, api={"attach_timeout": "10s"}) as fab, fab.controller() as st, fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await create_networks(stub, ("blue", 1111), ("red", 2222))
        await stub.Attach(attach_req(), timeout=30)
        worker = st.service.fleet.get("sw1")
        await eventually(lambda: worker.status().in_sync, what="in sync")
        drift = st.service.metrics.drift_events.labels("sw1")
        assert drift._value.get() == 0
        emu = fab.host["sw1"]
        sets = emu.counters().set
        emu.faults.delay(2.0, methods=["Set"], count=1)
        if outcome == "rejected":
            emu.faults.fail(methods=["Set"], code=grpc.StatusCode.INVALID_ARGUMENT, count=1)
        red = asyncio.ensure_future(stub.Attach(attach_req(pod="red-pod", network="red"), timeout=30))
        await eventually(lambda: emu.counters().set > sets, what="red's Set held by the switch")
        # an operator's commit on the box while fabricd's Set is held (not through gNMI: the faults are red's)
        await emu.apply_set(
            [Op(kind="delete", path=Path.parse("/network-instances/network-instance[name=fabricd-vni-1111]"))]
        )
        if outcome == "committed":
            assert (await red).state == fabric_pb2.ATTACHMENT_STATE_READY
        else:  # rejected, or READY when the verification pass the drift asks for retried it first
            with contextlib.suppress(grpc.aio.AioRpcError):
                await red
        await eventually(lambda: drift._value.get() >= 1, what="the operator's delete found as drift")
        await eventually(lambda: ni(fab.config("sw1"), "fabricd-vni-1111") is not None, what="reverted")


async def test_unavailable_switch_then_convergence(tmp_path):
    async with lab_fabric(tmp_path, api={"attach_timeout": "1s"}) as fab, fab.controller(), fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await create_networks(stub, ("blue", 1111))
        await eventually(lambda: fab.service.fleet.get("sw1").status().known, what="connected")
        fab.host["sw1"].faults.fail(methods=["Set", "Get", "Capabilities"], duration=3.0)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.Attach(attach_req(), timeout=30)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "did not confirm" in err.value.details()
        # the intent stays and converges once the switch is back
        await eventually(lambda: ni(fab.config("sw1"), "fabricd-vni-1111") is not None, what="converged")
        att = await stub.Attach(attach_req(), timeout=30)
        assert att.state == fabric_pb2.ATTACHMENT_STATE_READY and att.vlan == 100


async def test_a_hung_set_hits_its_deadline_and_the_worker_recovers(tmp_path):
    async with lab_fabric(tmp_path, api={"attach_timeout": "1s"}) as fab, fab.controller(), fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await create_networks(stub, ("blue", 1111))
        await eventually(lambda: fab.service.fleet.get("sw1").status().known, what="connected")
        fab.host["sw1"].faults.delay(3600, methods=["Set"], count=1)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.Attach(attach_req(), timeout=30)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        # the 2 s gNMI deadline ends the hung Set; the worker re-reads and retries
        att = await eventually(lambda: _attach_ready(stub), within=30, what="attach ready after the hung Set")
        assert att.vlan == 100


async def _attach_ready(stub):
    try:
        att = await stub.Attach(attach_req(), timeout=5)
    except grpc.aio.AioRpcError:
        return None
    return att if att.state == fabric_pb2.ATTACHMENT_STATE_READY else None


async def test_rejected_set_is_isolated_per_object(tmp_path):
    """A port the switch refuses does not block another VNI's objects."""
    async with lab_fabric(tmp_path, api={"attach_timeout": "3s"}) as fab, fab.controller() as st, fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await create_networks(stub, ("blue", 1111))
        await eventually(lambda: st.service.fleet.get("sw1").status().known, what="connected")
        fab.host["sw1"].faults.fail(methods=["Set"], code=grpc.StatusCode.INVALID_ARGUMENT, count=1)
        att = await stub.Attach(attach_req(), timeout=30)  # first Set refused, then per key: all good
        assert att.state == fabric_pb2.ATTACHMENT_STATE_READY
