"""fabricctl on the seed lab: real switch emulators (TLS, passwords), fabricd
in-process on real SQLite; the CNI side attaches through the API."""

from __future__ import annotations

import asyncio
import json

import pytest

from controller.ctl import errors
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import FAST, attach_req, create_networks, eventually, lab_fabric, ni, trunk
from tests.ctl.conftest import Api
from tests.ctl.run import ctl_proc

pytestmark = pytest.mark.slow


@pytest.fixture(params=["revert"])
async def seed(request, short_tmp):
    reconcile = {**FAST["reconcile"], "drift": request.param}
    sock = f"unix://{short_tmp}/api.sock"
    async with (
        lab_fabric(short_tmp, api={"listen": [sock]}, reconcile=reconcile) as fab,
        fab.controller() as st,
        fab.channel() as ch,
    ):
        await eventually(lambda: all(s.known and s.in_sync for s in st.service.fleet.statuses()), what="leaves in sync")
        yield fab, Api(stack=st, server=sock), fabric_pb2_grpc.FabricStub(ch)


def operator_deletes(fab, switch: str, path: str) -> None:
    """An out-of-band change, as a person with pygnmi would make it."""
    with fab.gnmi(switch) as gc:
        gc.set(delete=[path], encoding="json_ietf")


async def test_switch_list_on_the_seed_lab(seed):
    _, api, _ = seed
    r = await api.ctl("-o", "json", "switch", "list")
    assert r.code == 0, r.err
    by = {s["name"]: s for s in r.json()}
    assert by["spine1"]["session"] == "unmanaged"
    for leaf in ("sw1", "sw2"):
        s = by[leaf]
        assert (s["session"], s["in_sync"], s["pending_changes"], s["last_error"]) == ("connected", True, 0, "")
        assert s["last_sync"] is not None and s["vlans_used"] == 0 and s["vlans_free"] > 0
        assert s["address"].startswith("127.0.0.1:")
    r = await api.ctl("switch", "list")
    sw1 = next(line for line in r.out.splitlines() if line.startswith("sw1 "))
    assert (
        " connected " in sw1 and " yes " in sw1 and "s ago" in sw1 and f"0 used, {by['sw1']['vlans_free']} free" in sw1
    )


async def test_attach_shows_ready_and_plan_has_nothing_to_do(seed):
    fab, api, stub = seed
    assert (await api.ctl("network", "create", "blue", "--vni", "1111")).code == 0
    att = await stub.Attach(attach_req(), timeout=30)
    assert att.state == fabric_pb2.ATTACHMENT_STATE_READY

    r = await api.ctl("attachment", "list")
    [row] = r.out.splitlines()[1:]
    cells = row.split()
    assert cells[:9] == [
        "default/pod-a",
        "-",  # the pod's phase: no Kubernetes here
        "net1",
        "default/blue",
        "server1/eth1",
        "sw1/ethernet-1/1",
        "100",
        "1111",
        "ready",
    ]
    r = await api.ctl("-o", "json", "attachment", "get", "pod-a", "--network", "blue")
    assert r.json()["state"] == "ready" and r.json()["reason"] == "" and r.json()["container_id"] == "c1"

    r = await api.ctl("-o", "json", "switch", "list")
    sw1 = next(s for s in r.json() if s["name"] == "sw1")
    assert sw1["vlans_used"] == 1

    r = await api.ctl("plan")
    assert r.code == 0
    assert r.out == (
        "sw1: nothing to do (in sync)\n"
        "sw2: nothing to do (in sync)\n"
        "nothing to do: every switch has its desired configuration\n"
    )
    r = await api.ctl("network", "delete", "blue")
    assert r.code == errors.FAILED and "FAILED_PRECONDITION" in r.err and "1 attachment" in r.err

    r = await api.ctl("attachment", "detach", "pod-a", "--network", "blue")
    assert r.code == 0, r.err

    def gone():
        c = fab.config("sw1")
        return ni(c, "fabricd-vni-1111") is None and trunk(c, "ethernet-1/1") is None

    await eventually(gone, what="the leaf lost the VNI's objects")
    await eventually(lambda: not fab.service.state.leaves["sw1"].vlans.allocations(), what="VLAN freed")
    r = await api.ctl("network", "delete", "blue")
    assert r.code == 0, r.err


@pytest.mark.parametrize("seed", ["report"], indirect=True)
async def test_plan_shows_what_drift_report_left_on_a_switch(seed):
    fab, api, stub = seed
    assert (await api.ctl("network", "create", "blue", "--vni", "1111")).code == 0
    await stub.Attach(attach_req(), timeout=30)
    path = "/network-instances/network-instance[name=fabricd-vni-1111]"
    await asyncio.to_thread(operator_deletes, fab, "sw1", path)
    drift = fab.service.metrics.drift_events.labels("sw1")
    await eventually(lambda: drift._value.get() >= 1, what="drift found")

    r = await api.ctl("plan")
    assert r.code == 0
    lines = r.out.splitlines()
    assert lines[0].startswith("sw1: ") and lines[0].endswith("change(s)")
    assert any("network-instance[name=fabricd-vni-1111]" in line for line in lines[1:])
    assert "sw2: nothing to do (in sync)" in lines and "nothing to do: every switch" not in r.out
    r = await api.ctl("-o", "json", "plan", "sw1")
    [plan] = r.json()
    changes = [*plan["deletes"], *(x["path"] for x in plan["replaces"] + plan["updates"])]
    assert any("fabricd-vni-1111" in p for p in changes)
    values = [x["value"] for x in plan["replaces"] + plan["updates"]]
    assert any("1111" in json.dumps(v) for v in values)  # the VNI the switch should have


async def test_events_show_attachments(seed):
    _, api, stub = seed
    assert (await api.ctl("network", "create", "blue", "--vni", "1111")).code == 0
    follow = asyncio.create_task(
        ctl_proc("--server", api.server, "-o", "json", "events", "--kind", "attachment", "--count", "2")
    )
    await eventually(lambda: api.stack.service.events.subscribers == 1, what="fabricctl subscribed")
    att = await stub.Attach(attach_req(), timeout=30)
    await stub.Detach(fabric_pb2.DetachRequest(id=att.id, container_id="c1"), timeout=10)
    r = await asyncio.wait_for(follow, 60)
    assert r.code == 0, r.err
    attached, detached = (json.loads(line) for line in r.out.splitlines())
    assert attached["subject"] == "default/pod-a(pod-a-uid):net1@default/blue" and attached["message"] == "attached"
    assert attached["attributes"] == {"port": "ethernet-1/1", "switch": "sw1", "vlan": "100"}
    assert detached["message"] == "detached"


async def test_a_held_switch_is_listed_as_held_and_released_by_name(short_tmp):
    # fabricd on a lost store finds sw1 carrying its objects: `switch list` says held and why, `switch release`
    # lets the intent win; an unknown switch exits 1 naming it
    sock = f"unix://{short_tmp}/api.sock"
    async with lab_fabric(short_tmp, api={"listen": [sock]}) as fab:
        async with fab.controller(), fab.channel() as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            await create_networks(stub, ("blue", 1111))
            await stub.Attach(attach_req(), timeout=30)
        for f in short_tmp.glob("fabricd.db*"):
            f.unlink()
        async with fab.controller() as st:
            api = Api(stack=st, server=sock)
            await eventually(lambda: st.service.fleet.get("sw1").held(), what="sw1 held")
            r = await api.ctl("switch", "list")
            sw1 = next(line for line in r.out.splitlines() if line.startswith("sw1 "))
            assert " held " in sw1 and "switch sw1 is held" in sw1 and "fabricctl switch release sw1" in sw1
            r = await api.ctl("-o", "json", "switch", "list")
            by = {s["name"]: s for s in r.json()}
            assert by["sw1"]["held_objects"] >= 2 and by["sw2"]["held_objects"] == 0 and not by["sw2"]["held"]
            r = await api.ctl("switch", "release", "sw9")
            assert r.code == errors.FAILED and "name: 'sw9' is not a managed leaf" in r.err
            r = await api.ctl("switch", "release", "sw1")
            assert r.code == 0, r.err
            assert r.out == (
                f"switch sw1 released: fabricd now removes the {by['sw1']['held_objects']} object group(s) of its "
                "own there that the store has no record of\n"
            )
            await eventually(lambda: ni(fab.config("sw1"), "fabricd-vni-1111") is None, what="sw1's objects removed")
            r = await api.ctl("switch", "release", "sw1")
            assert (r.code, r.out) == (0, "switch sw1 was not held: nothing to release\n")
