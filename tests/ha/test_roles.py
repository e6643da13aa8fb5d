"""What each instance of a replicated fabricd serves, with mutual TLS:

* a follower forwards writes with its peer certificate (O=fabricd:peers) on
  behalf of the caller, and the leader authorizes the real caller: a node
  attaches for itself through a follower, never for another node;
* a peer certificate alone has no rights; a node cannot pass itself off as
  a peer forwarding for an operator (the claim needs O=fabricd:peers);
* a follower answers intent reads from its watched copy;
* GetController, fabricctl status and /readyz name the role, the leader and
  the term; the metrics say who leads."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import urllib.request

import grpc
import pytest

from labs.run.certs import create_ca, issue_client_cert, issue_server_cert
from proto.fabric.v1 import ON_BEHALF_OF, fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import attach_req, eventually
from tests.ha.harness import ha_lab
from tests.reliability.test_security import write

pytestmark = pytest.mark.slow


def _metrics_address(log: str) -> str:
    for line in log.splitlines():
        if '"daemon.ready"' in line:
            return json.loads(line)["metrics"]
    raise AssertionError("daemon.ready not logged")


async def test_a_follower_forwards_as_the_caller_and_serves_reads(tmp_path, etcd3):
    ca = create_ca("fabricd API CA")
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem)
    cert, key = write(tmp_path, "api-server", issue_server_cert(ca, "fabricd"))
    peer_cert, peer_key = write(tmp_path, "peer", issue_client_cert(ca, "fabricd-peer", role="peer"))
    clients = {
        "server1": issue_client_cert(ca, "server1", role="node"),
        "fabricctl": issue_client_cert(ca, "fabricctl", role="operator"),
        "peer": issue_client_cert(ca, "fabricd-peer", role="peer"),
    }
    tls = {"cert": cert, "key": key, "client_ca": str(tmp_path / "ca.pem")}
    api = {"insecure": False, "tls": tls, "operators": ["fabricctl"]}
    ha = {"peer_tls": {"cert": peer_cert, "key": peer_key, "ca": str(tmp_path / "ca.pem"), "server_name": "fabricd"}}

    def channel(address: str, who: str) -> grpc.aio.Channel:
        c = clients[who]
        creds = grpc.ssl_channel_credentials(ca.cert_pem, c.key_pem, c.cert_pem)
        return grpc.aio.secure_channel(address, creds, options=[("grpc.ssl_target_name_override", "fabricd")])

    def as_operator(address: str) -> grpc.aio.Channel:
        return channel(address, "fabricctl")

    async with ha_lab(tmp_path, etcd3, count=2, connect=as_operator, api=api, ha=ha) as lab:
        leader = await lab.leader()
        follower = lab.followers(leader)[0]
        async with channel(follower.address, "fabricctl") as ch:
            op = fabric_pb2_grpc.FabricStub(ch)
            net = fabric_pb2.Network(name="blue", namespace="default", vni=1111)
            await op.CreateNetwork(fabric_pb2.CreateNetworkRequest(network=net), timeout=10)
            st = await op.GetController(fabric_pb2.GetControllerRequest(), timeout=5)
            assert (st.role, st.leader) == ("follower", leader.name) and st.term > 0
        async with channel(follower.address, "server1") as ch:
            node = fabric_pb2_grpc.FabricStub(ch)
            a = await node.Attach(attach_req("pod-1", "blue", node="server1"), timeout=10)
            assert a.vlan and a.switch == "sw1"
            with pytest.raises(grpc.aio.AioRpcError) as err:  # for another node: refused by the leader
                await node.Attach(attach_req("pod-2", "blue", node="server2"), timeout=10)
            assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
            with pytest.raises(grpc.aio.AioRpcError) as err:  # a node claiming to forward for an operator
                await node.ListSwitches(
                    fabric_pb2.ListSwitchesRequest(), timeout=10, metadata=((ON_BEHALF_OF, "operator:fabricctl"),)
                )
            assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED  # still a node: not an operator

            async def listed() -> bool:  # the follower's copy, as this node may see it
                got = await node.ListAttachments(fabric_pb2.ListAttachmentsRequest(), timeout=5)
                return [x.id.pod_name for x in got.attachments] == ["pod-1"]

            await eventually(listed, what="the follower's copy has the attachment")
        async with channel(leader.address, "peer") as ch:
            with pytest.raises(grpc.aio.AioRpcError) as err:  # a peer on its own behalf: nobody
                await fabric_pb2_grpc.FabricStub(ch).ListNetworks(fabric_pb2.ListNetworksRequest(), timeout=5)
            assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED

        # fabricctl status and /readyz on the follower
        env = {
            "FABRICCTL_SERVER": follower.address.replace("unix:", "unix://"),
            "FABRICCTL_SERVER_NAME": "fabricd",
        }
        ctl = tmp_path / "ctl"
        ctl.mkdir()
        cpem, ckey = write(ctl, "op", clients["fabricctl"])
        cmd = [sys.executable, "-m", "controller.ctl.main", "-o", "json", "--ca", str(tmp_path / "ca.pem")]
        cmd += ["--cert", cpem, "--key", ckey, "status"]
        done = await asyncio.to_thread(
            subprocess.run, cmd, capture_output=True, text=True, timeout=60, check=False, env={**env, "PATH": ""}
        )
        assert done.returncode == 0, done.stderr
        doc = json.loads(done.stdout)
        assert (doc["role"], doc["leader"], doc["instance"]) == ("follower", leader.name, follower.name)
        metrics = _metrics_address(follower.log.read_text())
        body = await asyncio.to_thread(lambda: urllib.request.urlopen(f"http://{metrics}/readyz", timeout=5).read())
        assert f"role: follower\ninstance: {follower.name}\nleader: {leader.name}\n".encode() in body
        text = await asyncio.to_thread(lambda: urllib.request.urlopen(f"http://{metrics}/metrics", timeout=5).read())
        assert re.search(rb"^fabric_ha_leader 0\.0$", text, re.M)
        assert re.search(rb'^fabric_ha_forwarded_total\{code="OK",method="Attach"\} 1\.0$', text, re.M)
        assert re.search(rb'fabric_ha_forwarded_total\{code="PERMISSION_DENIED",method="Attach"\} 1\.0', text)
