"""The admin service (fabriclab.v1.EmulatorAdmin) through its client helper,
in process, over TCP and a unix socket."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from labs.emulator import EmulatorHost
from labs.emulator.admin_client import AdminClient, AdminError
from labs.emulator.faults import Counters
from tests.labs.emulator import ocdocs as d
from tests.labs.emulator.conftest import RawStream
from tests.labs.emulator.test_faults import get_error, raw_get
from tests.labs.emulator.test_subscribe import subscribe_request
from tests.labs.emulator.test_validation import R

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NEIGHBORS = "/lldp/interfaces/interface/neighbors/neighbor/state"


@pytest.fixture(params=["tcp", "unix"])
async def admin(request, tmp_path) -> AsyncIterator[tuple[EmulatorHost, AdminClient]]:
    bind = "127.0.0.1:0" if request.param == "tcp" else f"unix://{tmp_path}/run/admin.sock"
    async with EmulatorHost.start([d.spec("sw1"), d.spec("sw2", validate="full")], admin=bind) as host:
        assert host.admin_address is not None
        if request.param == "tcp":
            assert int(host.admin_address.rpartition(":")[2]) > 0
        else:
            assert host.admin_address == bind
        async with AdminClient(host.admin_address) as client:
            yield host, client
    if request.param == "unix":
        assert not (tmp_path / "run" / "admin.sock").exists()


async def test_list_switches(admin):
    host, client = admin
    infos = {s.name: s for s in await client.switches()}
    assert {n: i.address for n, i in infos.items()} == host.addresses
    assert (infos["sw2"].validate, infos["sw1"].tls, infos["sw1"].authentication) == ("full", False, False)


async def test_fail_latency_clear_and_counters(admin):
    host, client = admin
    sw1 = host["sw1"]
    await client.fail("sw1", methods=["get"], code="permission_denied", message="nope", count=1)
    err = await get_error(sw1)
    assert (err.code(), err.details()) == (grpc.StatusCode.PERMISSION_DENIED, "nope")
    await client.delay("sw1", 0.01, methods=["Get"], duration=60)
    await client.fail("sw1", code="UNAVAILABLE")
    assert await client.clear("sw1") == 2
    assert (await raw_get(sw1)).notification
    assert await client.counters("sw1") == Counters(get=2)
    assert (await client.reset_counters("sw1")).get == 2
    assert await client.counters("sw1") == Counters()


async def test_drop_streams_reboot_and_config(admin):
    host, client = admin
    sw1 = host["sw1"]
    day0 = await client.config("sw1")
    await sw1.apply_set([R(p, v) for p, v in d.leaf_document()])
    assert await client.config("sw1") == sw1.config_json() != day0
    s = RawStream(sw1.address, subscribe_request("/interfaces"))
    try:
        await s.until_sync()
        assert await client.drop_streams("sw1", "bye") == 1
        with pytest.raises(grpc.aio.AioRpcError) as err:
            while True:
                await s.next()
        assert (err.value.code(), err.value.details()) == (grpc.StatusCode.UNAVAILABLE, "bye")
    finally:
        await s.close()
    await client.reboot("sw1", down=0.1)
    assert await client.config("sw1") == day0


async def test_lldp_neighbours(admin):
    host, client = admin
    state = host["sw1"].datastore.state
    from models.oc.path import Path

    def names() -> list[str]:
        return sorted(v for _, v in state.find(Path.parse(NEIGHBORS + "/system-name")))

    assert await client.remove_lldp_neighbor("sw1", "ethernet-1/1", "02:00:00:00:00:99") == 0
    assert await client.remove_lldp_neighbor("sw1", "ethernet-1/1") == 1
    assert names() == ["server2"]
    assert await client.add_lldp_neighbor("sw1", "ethernet-1/1") == 1  # the lab's neighbour again
    n = await client.add_lldp_neighbor(
        "sw1", "ethernet-1/3", system_name="server3", port_id="eth2", chassis_id="02:00:00:00:00:03"
    )
    assert n == 1
    assert names() == ["server1", "server2", "server3"]


@pytest.mark.parametrize(
    ("call", "code", "message"),
    [
        (lambda c: c.counters("sw9"), grpc.StatusCode.NOT_FOUND, "no switch 'sw9' on this host"),
        (
            lambda c: c.fail("sw1", methods=["Put"]),
            INVALID,
            "unknown gNMI method 'Put' (known: Capabilities, Get, Set, Subscribe)",
        ),
        (
            lambda c: c.fail("sw1", code="SOMETIMES"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "unknown status code 'SOMETIMES'",
        ),
        (
            lambda c: c.fail("sw1", code="OK"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "a failure needs a status code other",
        ),
        (lambda c: c.delay("sw1", -1), grpc.StatusCode.INVALID_ARGUMENT, "delay -1.0 must not be negative"),
        (
            lambda c: c.add_lldp_neighbor("sw1", "ethernet-1/1", system_name="x"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "chassis_id is empty",
        ),
    ],
)
async def test_errors_name_the_problem(admin, call, code, message):
    _, client = admin
    with pytest.raises(AdminError) as err:
        await call(client)
    assert err.value.code == code
    assert message in str(err.value)
