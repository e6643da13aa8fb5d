"""Node identity without hand-made certificates: fabric-cni's projected
ServiceAccount token, checked by fabricd with a TokenReview against the real
API server. The node is the one the token is bound to (its pod's node, from
the review's ``extra``), never what the request says; everything else a
token could be is refused, naming why."""

from __future__ import annotations

import grpc
import pytest

from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import attach_req, eventually
from tests.k8s.nodetokens import AGENT, node_agents
from tests.reliability.test_security import channel, pki, refused, tls_fabric, token_channel

__all__ = ["pki"]  # the fixture, shared with the matrix tests

EXTRA = "authentication.kubernetes.io/"


@pytest.fixture(scope="module")
def agents(kube):
    return node_agents(kube, ("server1", "server2"), namespace="fabricd-agents")


def test_the_api_server_binds_a_pod_token_to_its_node(agents):
    """What fabricd relies on, asked of Kubernetes v1.36 itself: a TokenRequest bound to a Pod yields a token
    whose review names the ServiceAccount, the pod and the pod's node."""
    status = agents.review(agents.tokens["server1"])
    assert status["authenticated"] is True and status["audiences"] == ["fabricd"]
    user = status["user"]
    assert user["username"] == f"system:serviceaccount:{agents.namespace}:{AGENT}"
    extra = user["extra"]
    assert extra[EXTRA + "pod-name"] == ["agent-server1"]
    assert extra[EXTRA + "node-name"] == ["server1"]
    assert extra[EXTRA + "pod-uid"] and extra[EXTRA + "node-uid"]
    # another audience, or no binding: what the refusals below rest on
    assert not agents.review(agents.tokens["server1"], audience="kubernetes").get("authenticated")
    unbound = agents.review(agents.token())["user"].get("extra") or {}
    assert EXTRA + "node-name" not in unbound


async def test_a_node_token_acts_for_its_node_only(tmp_path, pki, agents):
    async with tls_fabric(tmp_path, pki, agents) as (_fab, st):
        async with channel(st, pki, "fabricctl") as ch:  # operators keep their certificates
            net = fabric_pb2.Network(name="blue", namespace="default", vni=1111)
            await fabric_pb2_grpc.FabricStub(ch).CreateNetwork(fabric_pb2.CreateNetworkRequest(network=net), timeout=10)
        async with token_channel(st, pki, agents.tokens["server1"]) as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            att = await stub.Attach(attach_req("pod-a", node="server1", nic="eth1"), timeout=30)
            assert att.node == "server1" and att.state == fabric_pb2.ATTACHMENT_STATE_READY
            # server1's token, stolen and used for server2's pods: it is still server1
            code, details = await refused(stub.Attach(attach_req("pod-b", node="server2", nic="eth1"), timeout=30))
            assert code == grpc.StatusCode.PERMISSION_DENIED and "'server1'" in details and "'server2'" in details
            code, _ = await refused(stub.ListSwitches(fabric_pb2.ListSwitchesRequest(), timeout=10))
            assert code == grpc.StatusCode.PERMISSION_DENIED  # a node, not an operator
        async with channel(st, pki, "server2") as ch:  # a node's certificate still works beside tokens
            att = await fabric_pb2_grpc.FabricStub(ch).Attach(attach_req("pod-c", node="server2"), timeout=30)
            assert att.node == "server2"
        assert {p.attachment.node for p in st.service.state.attachments.values()} == {"server1", "server2"}


@pytest.mark.parametrize(
    ("case", "code", "needle"),
    [
        ("no token", grpc.StatusCode.UNAUTHENTICATED, "a client certificate or a node token"),
        ("garbage", grpc.StatusCode.UNAUTHENTICATED, "not valid for audience 'fabricd'"),
        ("audience kubernetes", grpc.StatusCode.UNAUTHENTICATED, "not valid for audience 'fabricd'"),
        ("not bound to a pod", grpc.StatusCode.PERMISSION_DENIED, "not bound to a pod on a node"),
        ("another ServiceAccount", grpc.StatusCode.PERMISSION_DENIED, "not the node agent's"),
        ("too long", grpc.StatusCode.UNAUTHENTICATED, "longer than 4096 bytes"),
    ],
)
async def test_tokens_that_are_no_nodes_are_refused(tmp_path, pki, agents, case, code, needle):
    token = {
        "no token": None,
        "garbage": "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl",
        "audience kubernetes": agents.token(node="server1", audience="kubernetes"),
        "not bound to a pod": agents.token(),
        "another ServiceAccount": agents.token(account="someone-else", pod="other-app"),
        "too long": "x" * 5000,
    }[case]
    async with tls_fabric(tmp_path, pki, agents) as (_fab, st), token_channel(st, pki, token) as ch:
        got, details = await refused(fabric_pb2_grpc.FabricStub(ch).Attach(attach_req("p", node="server1"), timeout=30))
        assert (got, needle in details) == (code, True), details
        assert not st.service.state.attachments


async def test_a_token_of_a_deleted_pod_is_refused(tmp_path, pki, kube, agents):
    """The binding is live: once the agent pod is gone its token is refused (cache off here)."""
    kube.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "agent-gone", "namespace": agents.namespace},
                "spec": {"nodeName": "server1", "serviceAccountName": AGENT,
                         "containers": [{"name": "c", "image": "example.invalid/x"}]}})  # fmt: skip
    token = agents.token(pod="agent-gone")
    async with tls_fabric(tmp_path, pki, agents, token_cache="0s") as (_fab, st), token_channel(st, pki, token) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        reply = await stub.ListAttachments(fabric_pb2.ListAttachmentsRequest(), timeout=10)
        assert list(reply.attachments) == []
        kube.kubectl("delete", "pod", "agent-gone", "-n", agents.namespace, "--grace-period=0", "--force")

        async def answer():
            try:
                await stub.ListAttachments(fabric_pb2.ListAttachmentsRequest(), timeout=10)
            except grpc.aio.AioRpcError as e:
                return e
            return None

        # the API server learns of the deletion through its own informers: soon, not at once
        err = await eventually(answer, what="the deleted pod's token refused")
        assert err.code() == grpc.StatusCode.UNAUTHENTICATED and "not valid" in err.details(), err.details()
