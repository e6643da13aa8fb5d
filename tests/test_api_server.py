"""The API server answers health and reflection over TCP and a unix socket."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from controller.api.server import SERVICE_NAME
from controller.settings.address import AddressError, parse_address
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.stack import settings, stack


@pytest.fixture(params=["tcp", "unix"])
async def api(request, tmp_path):
    addr = "127.0.0.1:0" if request.param == "tcp" else f"unix://{tmp_path}/run/api.sock"
    async with stack(settings(tmp_path, api={"listen": [addr]})) as st:
        await st.api.set_serving(False)
        yield st.api


async def test_health_follows_set_serving(api):
    async with grpc.aio.insecure_channel(api.bound[0].grpc) as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        for service in ("", SERVICE_NAME):
            resp = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
            assert resp.status == health_pb2.HealthCheckResponse.NOT_SERVING
        await api.set_serving(True)
        for service in ("", SERVICE_NAME):
            resp = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
            assert resp.status == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_lists_the_fabric_service(api):
    async with grpc.aio.insecure_channel(api.bound[0].grpc) as ch:
        stub = reflection_pb2_grpc.ServerReflectionStub(ch)
        call = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        names = set()
        async for resp in call:
            names.update(s.name for s in resp.list_services_response.service)
        assert {"fabric.v1.Fabric", "grpc.health.v1.Health"} <= names


async def test_fabric_methods_answer_over_the_listener(api):
    async with grpc.aio.insecure_channel(api.bound[0].grpc) as ch:
        resp = await fabric_pb2_grpc.FabricStub(ch).ListNetworks(fabric_pb2.ListNetworksRequest(), timeout=10)
        assert list(resp.networks) == []
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await fabric_pb2_grpc.FabricStub(ch).GetNetwork(
                fabric_pb2.GetNetworkRequest(network=fabric_pb2.NetworkRef(namespace="default", name="blue")),
                timeout=10,
            )
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        assert "network default/blue does not exist" in err.value.details()


async def test_tcp_port_zero_reports_the_bound_port(tmp_path):
    async with stack(settings(tmp_path, api={"listen": ["127.0.0.1:0"]})) as st:
        bound = st.api.bound[0]
        assert bound.kind == "tcp"
        assert int(bound.target.rpartition(":")[2]) > 0


async def test_unix_socket_is_removed_on_stop(tmp_path):
    path = tmp_path / "api.sock"
    async with stack(settings(tmp_path, api={"listen": [f"unix://{path}"]})):
        assert path.is_socket()
    assert not path.exists()


@pytest.mark.parametrize(
    ("text", "kind", "target"),
    [
        ("unix:///run/fabricd/api.sock", "unix", "/run/fabricd/api.sock"),
        ("unix:/run/x.sock", "unix", "/run/x.sock"),
        ("127.0.0.1:50051", "tcp", "127.0.0.1:50051"),
        ("tcp://[::1]:7", "tcp", "[::1]:7"),
    ],
)
def test_parse_address(text, kind, target):
    addr = parse_address(text)
    assert (addr.kind, addr.target) == (kind, target)


@pytest.mark.parametrize(
    ("text", "needle"),
    [("", "empty"), ("unix:relative.sock", "absolute"), ("localhost", "HOST:PORT"), ("h:99999", "0..65535")],
)
def test_parse_address_errors_name_the_problem(text, needle):
    with pytest.raises(AddressError, match=needle):
        parse_address(text)


def test_docs_api_md_lists_every_request_bound():
    from controller.api.limits import docs
    from tests.golden_util import check_text

    check_text(Path(__file__).resolve().parents[1] / "docs" / "api.md", docs())


async def test_a_10000_character_pod_name_is_refused_at_once_and_never_echoed(tmp_path):
    """It came back as RESOURCE_EXHAUSTED from gRPC's metadata limit (the
    plugin read "no VLAN left") with a 40 KB log line."""
    from tests.stack import settings, stack

    async with stack(settings(tmp_path)) as st, grpc.aio.insecure_channel(st.address) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        req = fabric_pb2.AttachRequest(
            id=fabric_pb2.AttachmentId(
                pod_namespace="default",
                pod_name="p" * 10_000,
                pod_uid="u1",
                network=fabric_pb2.NetworkRef(namespace="default", name="blue"),
                interface="net1",
            ),
            container_id="c1",
            node="server1",
            nic="eth1",
        )
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.Attach(req, timeout=10)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        details = err.value.details()
        assert details.startswith("id.pod_name: 'ppp") and "(10000 characters) is longer than 253" in details
        assert len(details) < 200


def test_request_problems_name_each_field_by_its_path():
    from controller.api.limits import COUNT_CAPS, STRING_CAPS, request_problems

    def paths(msg):
        return [(p.field, p.why) for p in request_problems(msg)]

    assert paths(fabric_pb2.WatchEventsRequest(kinds=["attachment"] * 3)) == []
    too_many = COUNT_CAPS["kinds"] + 1
    assert paths(fabric_pb2.WatchEventsRequest(kinds=["k"] * too_many)) == [
        ("kinds", f"has more than {COUNT_CAPS['kinds']} entries")
    ]
    cap = STRING_CAPS["kinds"]
    long = "k" * (cap + 1)
    assert paths(fabric_pb2.WatchEventsRequest(kinds=["ok", long, "ok", long])) == [
        ("kinds[1]", f"is longer than {cap} characters"),
        ("kinds[3]", f"is longer than {cap} characters"),
    ]
    nested = fabric_pb2.AttachRequest(
        id=fabric_pb2.AttachmentId(pod_name="p" * 254, network=fabric_pb2.NetworkRef(namespace="n" * 64)), nic="e" * 16
    )
    assert paths(nested) == [
        ("id.pod_name", "is longer than 253 characters"),
        ("id.network.namespace", "is longer than 63 characters"),
        ("nic", "is longer than 15 characters"),
    ]


async def test_an_attachment_id_is_checked_as_attach_checks_it_by_every_method_that_takes_one(tmp_path):
    """GetAttachment, Check and Detach answered a malformed id as if it were real (Detach OK, removed
    false; NOT_FOUND repeating the value whole, control characters included); WatchEvents skipped the
    request bounds every other method has (found by review)."""
    async with stack(settings(tmp_path)) as st, grpc.aio.insecure_channel(st.address) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await stub.CreateNetwork(
            fabric_pb2.CreateNetworkRequest(network=fabric_pb2.Network(namespace="default", name="blue", vni=1111)),
            timeout=10,
        )
        bad = fabric_pb2.AttachmentId(
            pod_namespace="default",
            pod_name="x\n\x1b[31mFAKE level=error",
            pod_uid="u1",
            network=fabric_pb2.NetworkRef(namespace="default", name="blue"),
            interface="net1",
        )
        calls = {
            "GetAttachment": stub.GetAttachment(fabric_pb2.GetAttachmentRequest(id=bad), timeout=10),
            "Check": stub.Check(fabric_pb2.CheckRequest(id=bad, container_id="c1"), timeout=10),
            "Detach": stub.Detach(fabric_pb2.DetachRequest(id=bad), timeout=10),
        }
        for method, call in calls.items():
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, method
            assert err.value.details().startswith("id.pod_name: 'x\\n\\x1b[31mFAKE level=error' is not"), method
            assert "\n" not in err.value.details() and "\x1b" not in err.value.details(), method
        good = fabric_pb2.AttachmentId(
            pod_namespace="default", pod_name="p", pod_uid="u1", network=bad.network, interface="net1"
        )
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.Detach(fabric_pb2.DetachRequest(id=good, container_id="\x00bad"), timeout=10)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert err.value.details().startswith("container_id: '\\x00bad' is not a container ID")
        assert not (await stub.Detach(fabric_pb2.DetachRequest(id=good), timeout=10)).removed  # well-formed: OK
        stream = stub.WatchEvents(fabric_pb2.WatchEventsRequest(kinds=["x" * 1_000_000, *(["k"] * 5000)]), timeout=10)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            async for _ in stream:
                pass
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert err.value.details().startswith("kinds: ") and len(err.value.details()) < 400
