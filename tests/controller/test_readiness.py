"""Readiness ``forwarding`` and the audit against in-process emulators
(dataplane none: each VNI floods to every other emulator leaf carrying it,
labs/emulator/floods.py), with the emulator's EVPN fault on one leaf."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from controller.state_metrics import state_metrics
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import attach_req, eventually, lab_fabric

pytestmark = pytest.mark.slow

LABS = {"openconfig": "labs/seed.clab.yml", "srlinux": "labs/seed-srl.clab.yml"}


async def create(stub, name: str, vni: int, readiness: str) -> None:
    net = fabric_pb2.Network(name=name, namespace="default", vni=vni, readiness=readiness)
    await stub.CreateNetwork(fabric_pb2.CreateNetworkRequest(network=net), timeout=10)


async def audit(stub) -> list[tuple[str, str, int, str]]:
    resp = await stub.Audit(fabric_pb2.AuditRequest(), timeout=10)
    return sorted((f.kind, f.switch, f.vni, f.peer) for f in resp.findings)


@pytest.mark.parametrize("platform", sorted(LABS))
async def test_forwarding_waits_for_evpn_and_names_the_missing_peer(tmp_path, platform):
    async with lab_fabric(tmp_path, LABS[platform]) as fab, fab.controller(), fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await create(stub, "blue", 1111, "forwarding")
        await create(stub, "green", 2222, "committed")
        a = await stub.Attach(attach_req("pod-a", "blue", nic="eth1"), timeout=30)
        b = await stub.Attach(attach_req("pod-b", "blue", nic="eth2", container="c2"), timeout=30)
        assert (a.switch, b.switch) == ("sw1", "sw2")
        assert a.state == b.state == fabric_pb2.ATTACHMENT_STATE_READY
        assert await audit(stub) == []

        fab.host["sw1"].set_evpn(False)  # as if sw1's BGP session were shut
        await eventually(lambda: _pending(stub, a), what="pod-a no longer READY once sw1 loses EVPN")
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.Attach(attach_req("pod-c", "blue", nic="eth1", container="c3"), timeout=4)
        assert "sw1 has VNI 1111 committed but no EVPN route from 10.0.0.12 (sw2)" in err.value.details()
        found = await audit(stub)
        assert found == [("not-forwarding", "sw1", 1111, "sw2"), ("not-forwarding", "sw2", 1111, "sw1")]
        # the daemon's metric follows by itself
        await eventually(
            lambda: _metric(fab.service).get(("not-forwarding", "sw1")) == 1.0, what="fabric_audit_findings"
        )
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.Check(fabric_pb2.CheckRequest(id=a.id, container_id="c1"), timeout=10)
        assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION

        # committed: the same leaves answer READY; the audit shows what does not forward
        g = await stub.Attach(attach_req("pod-g", "green", nic="eth1", container="c4"), timeout=30)
        await stub.Attach(attach_req("pod-h", "green", nic="eth2", container="c5"), timeout=30)
        assert g.state == fabric_pb2.ATTACHMENT_STATE_READY
        await eventually(
            lambda: _has(stub, ("not-forwarding", "sw1", 2222, "sw2")), what="green's finding in the audit"
        )

        passes = _passes(fab.service)
        fab.host["sw1"].set_evpn(True)
        await eventually(lambda: _clean(stub), what="the audit clean again by itself")
        assert _passes(fab.service) == passes  # state changes: the oper watch's, never the drift watch's
        await eventually(lambda: _metric(fab.service) == {}, what="fabric_audit_findings empty again")
        ok = await stub.Check(fabric_pb2.CheckRequest(id=a.id, container_id="c1"), timeout=10)
        assert ok.state == fabric_pb2.ATTACHMENT_STATE_READY


async def test_network_readiness_is_validated_and_shown(tmp_path):
    async with lab_fabric(tmp_path) as fab, fab.controller(), fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await create(stub, "blue", 1111, "eventually")
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "network.readiness: 'eventually' is not one of committed, forwarding" in err.value.details()
        await create(stub, "blue", 1111, "forwarding")
        got = await stub.GetNetwork(
            fabric_pb2.GetNetworkRequest(network=fabric_pb2.NetworkRef(name="blue", namespace="default"))
        )
        assert got.readiness == "forwarding"
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.Audit(fabric_pb2.AuditRequest(switches=["nope"]), timeout=10)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def _passes(service) -> float:
    """Reconcile passes (verifications included) the workers made so far."""
    return sum(s.value for m in service.metrics.reconcile.collect() for s in m.samples if s.name.endswith("_total"))


def _metric(service) -> dict[tuple[str, str], float]:
    (family,) = [m for m in state_metrics(service) if m.name == "fabric_audit_findings"]
    return {(s.labels["kind"], s.labels["switch"]): s.value for s in family.samples}


async def _pending(stub, att) -> bool:
    got = await stub.GetAttachment(fabric_pb2.GetAttachmentRequest(id=att.id), timeout=10)
    return got.state == fabric_pb2.ATTACHMENT_STATE_PENDING and "no EVPN route" in got.reason


async def _has(stub, finding) -> bool:
    return finding in await audit(stub)


async def _clean(stub) -> bool:
    return await audit(stub) == []


async def test_the_audit_names_what_differs_from_the_intent(tmp_path):
    """drift: report leaves out-of-band changes on the switch: the audit
    names each by kind, from the comparison every pass makes."""
    async with lab_fabric(tmp_path, reconcile={"drift": "report"}) as fab, fab.controller(), fab.channel() as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        await create(stub, "blue", 1111, "")
        await create(stub, "green", 2222, "")
        await stub.Attach(attach_req("pod-a", "blue"), timeout=30)
        await stub.Attach(attach_req("pod-b", "green", container="c2"), timeout=30)
        await eventually(lambda: _clean(stub), what="a clean audit")

        def operator():
            with fab.gnmi("sw1") as gc:
                # VNI 1111 loses its MAC-VRF (its VLAN and VNI map stay); port 1 loses its switched-vlan
                gc.set(delete=["/network-instances/network-instance[name=fabricd-vni-1111]"], encoding="json_ietf")
                gc.set(delete=["/interfaces/interface[name=ethernet-1/1]/ethernet/switched-vlan"], encoding="json_ietf")

        await asyncio.to_thread(operator)
        want = [("misconfigured", "sw1", 1111, ""), ("missing", "sw1", 0, "")]
        await eventually(lambda: _audit_is(stub, want), what="missing and misconfigured")
        resp = await stub.Audit(fabric_pb2.AuditRequest(switches=["sw1"]), timeout=10)
        assert {(f.kind, f.port) for f in resp.findings} == {("misconfigured", ""), ("missing", "ethernet-1/1")}
        assert "port ethernet-1/1: missing on the switch" in "; ".join(f.detail for f in resp.findings)

        # a fabricd object the intent does not want
        def operator_adds():
            with fab.gnmi("sw1") as gc:
                vlan = {"vlan-id": 999, "config": {"vlan-id": 999, "name": "fabricd-vni-9999"}}
                path = "/network-instances/network-instance[name=default]/vlans/vlan[vlan-id=999]"
                gc.set(update=[(path, vlan)], encoding="json_ietf")

        await asyncio.to_thread(operator_adds)
        await eventually(
            lambda: _has(stub, ("dangling", "sw1", 9999, "")), what="a fabricd VLAN nobody wants: dangling"
        )


async def _audit_is(stub, want) -> bool:
    return await audit(stub) == want
