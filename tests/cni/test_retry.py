"""fabric-cni retries an Attach answered UNAVAILABLE (a fabricd restarting,
a leader election under way) within the node's attachTimeout, and gives up
with "try again later" when it runs out; other codes are never retried."""

from __future__ import annotations

import threading
from concurrent import futures

import grpc
import pytest

from cni.plugin.config import NetRef
from cni.plugin.controller import AttachmentRef, Controller
from cni.plugin.errors import CONTROLLER_REFUSED, TRY_AGAIN, CniError
from cni.plugin.nodeconf import NodeConf
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc


class Flaky(fabric_pb2_grpc.FabricServicer):
    """Answers ``failures`` Attach calls with ``code``, then attaches."""

    def __init__(self, failures: int, code: grpc.StatusCode) -> None:
        self.failures = failures
        self.code = code
        self.calls = 0
        self.lock = threading.Lock()

    def Attach(self, request, context):  # type: ignore[no-untyped-def]
        with self.lock:
            self.calls += 1
            fail = self.calls <= self.failures
        if fail:
            context.abort(self.code, "no fabricd leads now (an election is under way): try again")
        return fabric_pb2.Attachment(id=request.id, vlan=100, switch="sw1", port="ethernet-1/1", vni=1111)


@pytest.fixture
def serve(tmp_path):
    servers = []

    def start(servicer: Flaky) -> NodeConf:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        fabric_pb2_grpc.add_FabricServicer_to_server(servicer, server)
        sock = f"unix://{tmp_path}/api.sock"
        server.add_insecure_port(sock)
        server.start()
        servers.append(server)
        return NodeConf(
            file="",
            controller=sock,
            tls=None,
            node="server1",
            node_source="test",
            state_dir=str(tmp_path),
            vlan_mode="kernel",
            tagger_socket=None,
            uplink=None,
            attach_timeout=5.0,
            token=None,
        )

    yield start
    for s in servers:
        s.stop(None)


def _attach(conf: NodeConf, timeout: float):  # type: ignore[no-untyped-def]
    ref = AttachmentRef(
        pod_namespace="default",
        pod_name="p",
        pod_uid="u",
        network=NetRef(namespace="default", name="blue"),
        ifname="net1",
    )
    with Controller(conf) as c:
        return c.attach(ref, container_id="c1", node="server1", nic="eth1", cni_network="blue", timeout=timeout)


def test_an_unavailable_attach_is_retried_within_the_attach_timeout(serve):
    flaky = Flaky(3, grpc.StatusCode.UNAVAILABLE)
    attached = _attach(serve(flaky), timeout=10)
    assert attached.vlan == 100 and flaky.calls == 4


def test_it_gives_up_with_try_again_when_the_timeout_runs_out(serve):
    flaky = Flaky(10_000, grpc.StatusCode.UNAVAILABLE)
    with pytest.raises(CniError) as err:
        _attach(serve(flaky), timeout=1.0)
    assert err.value.code == TRY_AGAIN and flaky.calls >= 2


def test_a_refusal_is_never_retried(serve):
    flaky = Flaky(1, grpc.StatusCode.FAILED_PRECONDITION)
    with pytest.raises(CniError) as err:
        _attach(serve(flaky), timeout=10)
    assert err.value.code == CONTROLLER_REFUSED and flaky.calls == 1
