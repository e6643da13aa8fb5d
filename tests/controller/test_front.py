"""fabricd-front, the API front end in Go (``front/``, ``controller/api/front.py``): the real binary
(built from the sources into the build cache) in front of a real fabricd. It answers as grpc.aio does,
call for call; it is restarted when it dies; a caller that goes away cancels the work in fabricd; it
refuses what is too big before fabricd reads it; and a missing binary is a clear start-up error."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from controller.api.front import FrontEndError, FrontServer, _bind
from controller.api.server import SERVICE_NAME
from controller.settings.address import Address
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import attach_req, create_networks, eventually, lab_fabric, net_ref
from tests.front import front_binary as build_front
from tests.stack import run_fabricd, sample, settings, stack


@pytest.fixture(scope="session")
def front_binary() -> Path:
    return build_front()


def front(binary: Path | str, **api: Any) -> dict[str, Any]:
    return {"front_end": "go", "front_end_binary": str(binary), **api}


def _requests(st: Any, method: str, code: str) -> float:
    """fabric_api_requests_total for one method and code."""
    return sample(st.service.metrics.api_requests, method=method, code=code)


async def _outcome(call: Any) -> Any:
    try:
        return await call
    except grpc.aio.AioRpcError as e:
        return (e.code(), e.details())


def _plain(message: Any) -> Any:
    """A response with the fields that differ between two runs cleared."""
    if isinstance(message, tuple):
        return message
    for net in getattr(message, "networks", ()):
        net.ClearField("create_time")
    if message.DESCRIPTOR.name == "Network":
        message.ClearField("create_time")
    if message.DESCRIPTOR.name == "Controller":
        message.Clear()  # the instance id and start time: that it answers is what is compared
    return message


async def _script(address: str) -> list[Any]:
    """Calls that succeed and calls that each API error path refuses."""
    out: list[Any] = []
    async with grpc.aio.insecure_channel(address) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        net = fabric_pb2.Network(name="blue", namespace="default", vni=1111)
        calls = [  # one at a time: a grpc.aio call starts when it is made
            lambda: stub.ListNetworks(fabric_pb2.ListNetworksRequest(), timeout=10),
            lambda: stub.CreateNetwork(fabric_pb2.CreateNetworkRequest(network=net), timeout=10),
            lambda: stub.CreateNetwork(
                fabric_pb2.CreateNetworkRequest(network=net), timeout=10
            ),  # the same: idempotent
            lambda: stub.CreateNetwork(  # another network with blue's VNI
                fabric_pb2.CreateNetworkRequest(network=fabric_pb2.Network(name="red", namespace="default", vni=1111)),
                timeout=10,
            ),
            lambda: stub.CreateNetwork(
                fabric_pb2.CreateNetworkRequest(network=fabric_pb2.Network(name="Bad_Name", vni=0)), timeout=10
            ),
            lambda: stub.GetNetwork(fabric_pb2.GetNetworkRequest(network=net_ref("blue")), timeout=10),
            lambda: stub.GetNetwork(fabric_pb2.GetNetworkRequest(network=net_ref("nope")), timeout=10),
            lambda: stub.Attach(attach_req(pod="p" * 10_000), timeout=10),
            lambda: stub.Attach(attach_req(network="nope"), timeout=10),
            lambda: stub.Detach(fabric_pb2.DetachRequest(id=attach_req().id, container_id="c1"), timeout=10),
            lambda: stub.ListSwitches(fabric_pb2.ListSwitchesRequest(), timeout=10),
            lambda: stub.ListAttachments(fabric_pb2.ListAttachmentsRequest(page_token="not-a-token"), timeout=10),
            lambda: stub.GetController(fabric_pb2.GetControllerRequest(), timeout=10),
            lambda: stub.DeleteNetwork(fabric_pb2.DeleteNetworkRequest(network=net_ref("blue")), timeout=10),
        ]
        for make in calls:
            out.append(_plain(await _outcome(make())))
        # a method the service does not have
        unknown = ch.unary_unary("/fabric.v1.Fabric/Nope", lambda b: b, lambda b: b)
        out.append(await _outcome(unknown(b"", timeout=10)))
    return out


async def test_both_front_ends_answer_every_call_alike(tmp_path, front_binary):
    """The same calls, successes and refusals, through grpc.aio and through fabricd-front: the same answers,
    the same status codes, the same messages naming the field and value."""
    answers = {}
    for name, api in (("python", {"front_end": "python"}), ("go", front(front_binary))):
        async with stack(settings(tmp_path / name, api=api)) as st:
            assert isinstance(st.api, FrontServer) == (name == "go")
            answers[name] = await _script(st.address)
    codes = [a[0] if isinstance(a, tuple) else grpc.StatusCode.OK for a in answers["python"]]
    # the script reaches the error paths it means to
    assert {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNIMPLEMENTED} <= set(codes)
    assert len(set(codes)) >= 5, codes
    for i, (py, go) in enumerate(zip(answers["python"], answers["go"], strict=True)):
        if isinstance(py, tuple) and py[0] == grpc.StatusCode.UNIMPLEMENTED:
            assert go[0] == grpc.StatusCode.UNIMPLEMENTED  # each server words its own
            continue
        assert py == go, f"call {i}: {answers}"


@pytest.mark.parametrize("kind", ["tcp", "unix"])
async def test_health_and_reflection_through_the_front_end(tmp_path, front_binary, kind):
    addr = "127.0.0.1:0" if kind == "tcp" else f"unix://{tmp_path}/run/api.sock"
    async with stack(settings(tmp_path, api=front(front_binary, listen=[addr]))) as st:
        async with grpc.aio.insecure_channel(st.address) as ch:
            health = health_pb2_grpc.HealthStub(ch)
            for serving in (False, True):
                await st.api.set_serving(serving)
                want = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
                for service in ("", SERVICE_NAME):
                    got = await health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
                    assert got.status == want
            reflection = reflection_pb2_grpc.ServerReflectionStub(ch)
            call = reflection.ServerReflectionInfo(
                iter(
                    [
                        reflection_pb2.ServerReflectionRequest(list_services=""),
                        reflection_pb2.ServerReflectionRequest(file_containing_symbol="fabric.v1.Fabric.Attach"),
                    ]
                )
            )
            names, files = set(), []
            async for resp in call:
                names.update(s.name for s in resp.list_services_response.service)
                files += resp.file_descriptor_response.file_descriptor_proto
            assert {"fabric.v1.Fabric", "grpc.health.v1.Health"} <= names
            assert files, "reflection serves the API's proto file"
        if kind == "unix":
            assert oct(os.stat(st.api.bound[0].target).st_mode & 0o777) == "0o660"
    if kind == "unix":
        assert not (tmp_path / "run" / "api.sock").exists()


def _dual_localhost(real: Any) -> Any:
    """getaddrinfo as on hosts whose /etc/hosts gives localhost both ::1 and 127.0.0.1 (this one gives only
    127.0.0.1, so the test cannot ask the real resolver; ::1 is on lo here and binds)."""

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "localhost":
            return real(host, port, *args, **kwargs)
        return [*real("127.0.0.1", port, *args, **kwargs), *real("::1", port, *args, **kwargs)]

    return resolve


async def test_a_host_name_is_served_on_every_address_it_resolves_to(tmp_path, front_binary, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _dual_localhost(socket.getaddrinfo))
    async with stack(settings(tmp_path, api=front(front_binary, listen=["localhost:0"]))) as st:
        port = st.api.bound[0].target.rpartition(":")[2]
        assert st.api.bound[0].target == f"localhost:{port}" and len(st.api.bound) == 1
        for target in (f"ipv4:127.0.0.1:{port}", f"ipv6:[::1]:{port}"):
            async with grpc.aio.insecure_channel(target) as ch:
                await fabric_pb2_grpc.FabricStub(ch).ListNetworks(fabric_pb2.ListNetworksRequest(), timeout=10)


def test_a_listener_that_cannot_bind_every_address_binds_none(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", _dual_localhost(socket.getaddrinfo))
    taken = socket.create_server(("::1", 0), family=socket.AF_INET6)
    port = taken.getsockname()[1]
    try:
        with pytest.raises(FrontEndError, match=rf"api listener localhost:{port}: cannot listen"):
            _bind(Address(kind="tcp", target=f"localhost:{port}"))
    finally:
        taken.close()
    # the IPv4 socket bound before ::1 failed was closed: the port is free there
    socket.create_server(("127.0.0.1", port)).close()


async def test_events_stream_through_the_front_end(tmp_path, front_binary):
    async with stack(settings(tmp_path, api=front(front_binary))) as st, grpc.aio.insecure_channel(st.address) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        events = stub.WatchEvents(fabric_pb2.WatchEventsRequest(), timeout=30)
        await eventually(lambda: st.service.events.subscribers == 1, what="the stream subscribed")
        await create_networks(stub, ("blue", 1111))
        ev = await asyncio.wait_for(events.read(), 10)
        assert "blue" in ev.subject or "blue" in ev.message, ev
        events.cancel()
        # the client went away: fabricd's side of the stream ends too
        await eventually(lambda: st.service.events.subscribers == 0, what="the stream's end reached fabricd")


async def test_the_callers_deadline_and_cancel_reach_fabricd(tmp_path, front_binary):
    """Through the front end an Attach knows its caller's deadline (it answers UNAVAILABLE before it rather
    than DEADLINE_EXCEEDED after it, as over grpc.aio), and a caller that cancels cancels fabricd's handler
    (counted CANCELLED), not leaving it running."""
    api = front(front_binary, attach_timeout="20s")
    async with (
        lab_fabric(tmp_path, api=api) as fab,
        fab.controller() as st,
        grpc.aio.insecure_channel(st.address) as ch,
    ):
        stub = fabric_pb2_grpc.FabricStub(ch)
        await create_networks(stub, ("blue", 1111), ("red", 2222))
        worker = st.service.fleet.get("sw1")
        await eventually(lambda: worker.status().in_sync, what="sw1 in sync")
        emu = fab.host["sw1"]
        emu.faults.delay(3.0, methods=["Set"], count=1)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.Attach(attach_req(), timeout=3.0)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE, err.value.details()
        assert "did not confirm the attachment in time" in err.value.details()

        await eventually(lambda: worker.status().in_sync, within=30, what="sw1 converged")
        sets = emu.counters().set
        emu.faults.delay(3.0, methods=["Set"], count=1)
        call = stub.Attach(attach_req(pod="red-pod", network="red", container="c2"), timeout=30)
        await eventually(lambda: emu.counters().set > sets, what="the attach's Set held by sw1")
        call.cancel()
        await eventually(lambda: _requests(st, "Attach", "CANCELLED") == 1.0, what="the handler cancelled in fabricd")


async def test_the_front_end_is_restarted_when_it_dies(tmp_path, front_binary):
    sock = tmp_path / "api.sock"
    async with stack(settings(tmp_path, api=front(front_binary, listen=[f"unix://{sock}"]))) as st:
        api = st.api
        assert isinstance(api, FrontServer) and api._proc is not None
        await api.set_serving(True)
        first = api._proc.pid
        os.kill(first, signal.SIGKILL)

        async def answers() -> bool:
            try:
                async with grpc.aio.insecure_channel(st.address) as ch:
                    health = await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=2)
                    await fabric_pb2_grpc.FabricStub(ch).ListNetworks(fabric_pb2.ListNetworksRequest(), timeout=2)
                    return health.status == health_pb2.HealthCheckResponse.SERVING  # the state it had
            except grpc.aio.AioRpcError:
                return False

        await eventually(answers, what="a new front end answers on the same socket")
        await eventually(lambda: api.restarts == 1, what="the restart counted")
        assert api._proc.pid != first


async def test_too_big_is_refused_before_fabricd_reads_it(tmp_path, front_binary):
    unbounded = [("grpc.max_send_message_length", -1)]
    async with stack(settings(tmp_path, api=front(front_binary))) as st:
        async with grpc.aio.insecure_channel(st.address, options=unbounded) as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            big = fabric_pb2.CreateNetworkRequest(
                network=fabric_pb2.Network(name="blue", namespace="default", vni=1111, description="x" * (5 << 20))
            )
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.CreateNetwork(big, timeout=10)
            assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            flood = [(f"x-junk-{i}", "v" * 1000) for i in range(40)]  # 40 KB of metadata
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.ListNetworks(fabric_pb2.ListNetworksRequest(), timeout=10, metadata=flood)
            # grpc-go ends the connection (the header block is over its limit): the call fails, nothing more
            assert err.value.code() in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE)
        # nothing reached the handlers: no call of either method counted, whatever its code
        assert not any(
            _requests(st, m, code.name) for m in ("CreateNetwork", "ListNetworks") for code in grpc.StatusCode
        )
        assert not st.service.state.networks
        assert isinstance(st.api, FrontServer) and st.api.restarts == 0  # refused, not crashed
        # and the front end still serves, on a new connection (grpc-go ended the one above: a call made on it
        # while it closes may fail with "Stream removed")
        async with grpc.aio.insecure_channel(st.address) as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            assert list((await stub.ListNetworks(fabric_pb2.ListNetworksRequest(), timeout=10)).networks) == []


async def test_go_without_the_binary_is_a_start_up_error_naming_the_setting(tmp_path):
    with pytest.raises(FrontEndError, match=r"api\.front_end: cannot run .*no-such-front"):
        async with stack(settings(tmp_path, api=front(tmp_path / "no-such-front"))):
            pass


def test_fabricd_says_why_it_cannot_serve_and_exits_1(tmp_path):
    """The daemon's command line: a front end that cannot run is one line naming the setting, exit 1."""
    run = run_fabricd(
        tmp_path,
        f"  insecure: true\n  listen: [unix://{tmp_path}/api.sock]\n"
        f"  front_end: go\n  front_end_binary: {tmp_path}/no-such-front\n",
    )
    assert run.returncode == 1, run.stderr
    assert "fabricd: api.front_end: cannot run" in run.stderr and "no-such-front" in run.stderr
    assert "Traceback" not in run.stderr
