"""A tenant who may write NADs in their namespace tries to take what is not
theirs. Each try is refused with a status annotation and a Warning Event on
the NAD, gets no finalizer, and changes nothing on the fabric."""

from __future__ import annotations

import json

import pytest

from controller.kube.objects import FINALIZER
from controller.service.authz import Caller
from models.ids import Vni
from models.intent import Network
from tests.controller.fabric import eventually
from tests.k8s.fabric import kube_fabric
from tests.k8s.kube import fabric_nad, nad, nad_doc, reasons, status

pytestmark = pytest.mark.slow


def _smuggler(ns: str) -> dict:
    conflist = {
        "cniVersion": "1.0.0",
        "name": "smuggler",
        "plugins": [
            {"type": "fabric-cni", "VNI": "5010", "controller": "attacker.example:50051", "tls": {"ca": "/tmp/x"}},
            {"type": "tuning"},
        ],
    }
    return nad_doc(ns, "smuggler", conflist)


async def test_every_claim_outside_a_namespaces_rights_is_refused(tmp_path, kube, namespaces):
    mine, theirs = namespaces  # the grant (5000-5099) is mine's; theirs has none
    async with kube_fabric(tmp_path, kube, namespaces) as fab:
        svc = fab.service
        await svc.networks.create(Network(namespace=theirs, name="secret", vni=Vni(6000)), Caller.trusted())
        await svc.networks.create(
            Network(namespace=theirs, name="common", vni=Vni(6001), shared=True), Caller.trusted()
        )
        before = dict(svc.state.networks)
        long_name = "x" * 70
        attacks = {
            # another namespace's VNI, by VNI and by name
            "steal-vni": (fabric_nad(mine, "steal-vni", VNI="6000"), "may not use"),
            "steal-name": (fabric_nad(mine, "steal-name", network=f"{theirs}/secret"), "is not shared"),
            # a VNI outside the namespace's grant, and a namespace without a grant
            "outside": (fabric_nad(mine, "outside", VNI="7000"), "not in a range granted"),
            "no-grant": (fabric_nad(theirs, "no-grant", VNI="5002"), "not in a range granted"),
            # node settings smuggled in a conflist
            "smuggler": (_smuggler(mine), "node's setting"),
            # NAD names that are not network names (a subdomain with a dot; longer than a label)
            "blue.v2": (fabric_nad(mine, "blue.v2", VNI="5003"), "not a DNS-1123 label"),
            long_name: (fabric_nad(mine, long_name, VNI="5004"), "not a DNS-1123 label"),
            # both forms at once, and a VNI out of range
            "both": (fabric_nad(mine, "both", VNI="5005", network=f"{mine}/both"), "together"),
            "huge": (fabric_nad(mine, "huge", VNI="99999999"), "out of range"),
        }
        ok = fabric_nad(mine, "shared-ok", VNI=6001)  # a shared network of another namespace: allowed
        kube.apply(*(doc for doc, _ in attacks.values()), ok)

        for name, (doc, why) in attacks.items():
            ns = doc["metadata"]["namespace"]
            await eventually(lambda ns=ns, name=name: status(kube, ns, name).get("state") == "Refused", what=name)
            st = status(kube, ns, name)
            assert why in st["error"], (name, st)
            await eventually(lambda ns=ns, name=name: "Refused" in reasons(kube, ns, name), what=f"{name}: Event")
            assert FINALIZER not in (nad(kube, ns, name)["metadata"].get("finalizers") or []), name
        await eventually(lambda: status(kube, mine, "shared-ok").get("state") == "Ready", what="shared bind")
        assert status(kube, mine, "shared-ok")["network"] == f"{theirs}/common"

        # the smuggler's refusal names every node key, and where it was
        st = status(kube, mine, "smuggler")
        assert "spec.config.plugins[0].controller" in st["error"] and "spec.config.plugins[0].tls" in st["error"]
        assert svc.state.networks == before  # nothing changed on the fabric
        assert fab.stack.daemon.kube_metrics.nad_refusals._value.get() >= len(attacks)

        # a refused NAD that is deleted goes at once (no finalizer held it)
        kube.kubectl("delete", "net-attach-def", "steal-vni", "-n", mine, "--wait=false")
        await eventually(lambda: nad(kube, mine, "steal-vni") is None, what="refused NAD deleted")


async def test_nads_that_are_not_fabric_cni_are_none_of_fabricds_business(tmp_path, kube, namespaces):
    mine, _ = namespaces
    async with kube_fabric(tmp_path, kube, namespaces) as fab:
        macvlan = nad_doc(mine, "plain", {"cniVersion": "1.0.0", "name": "plain", "type": "macvlan"})
        kube.apply(macvlan, fabric_nad(mine, "marker", VNI="5020"))
        await eventually(lambda: status(kube, mine, "marker").get("state") == "Ready", what="marker")
        doc = nad(kube, mine, "plain")
        assert "fabricd.io/status" not in (doc["metadata"].get("annotations") or {})
        assert not doc["metadata"].get("finalizers")
        assert json.loads(doc["spec"]["config"])["type"] == "macvlan"
        assert [n.name for n in fab.service.state.networks.values()] == ["marker"]


async def test_a_nad_changed_to_another_plugin_then_deleted_takes_its_network_with_it(tmp_path, kube, namespaces):
    # it created its network, was re-applied as macvlan (fabricd keeps the finalizer: the network is still
    # its), then deleted: it stayed Terminating for ever and kept its VNI; now it goes as any NAD does
    mine, _ = namespaces
    async with kube_fabric(tmp_path, kube, namespaces) as fab:
        kube.apply(fabric_nad(mine, "blue", VNI="5001"))
        await eventually(lambda: status(kube, mine, "blue").get("state") == "Ready", what="blue ready")
        kube.apply(nad_doc(mine, "blue", {"cniVersion": "1.0.0", "name": "blue", "type": "macvlan"}))
        await eventually(
            lambda: json.loads(nad(kube, mine, "blue")["spec"]["config"])["type"] == "macvlan", what="re-applied"
        )
        assert FINALIZER in nad(kube, mine, "blue")["metadata"]["finalizers"]  # the network is still its
        kube.kubectl("delete", "net-attach-def", "blue", "-n", mine, "--wait=false")
        await eventually(lambda: nad(kube, mine, "blue") is None, what="the NAD gone")
        await eventually(lambda: not fab.service.state.networks, what="its network deleted")


async def test_a_network_whose_nad_lost_its_finalizer_by_hand_is_deleted_once_unused(tmp_path, kube, namespaces):
    # anyone who may update NADs can strip the finalizer and delete one: its network had nobody left to delete
    # it (network delete refuses a NAD's network)
    mine, _ = namespaces
    async with kube_fabric(tmp_path, kube, namespaces) as fab:
        kube.apply(fabric_nad(mine, "blue", VNI="5001"), fabric_nad(mine, "keep", VNI="5002"))
        await eventually(lambda: status(kube, mine, "blue").get("state") == "Ready", what="blue ready")
        await eventually(lambda: status(kube, mine, "keep").get("state") == "Ready", what="keep ready")
        kube.kubectl(
            "patch", "net-attach-def", "blue", "-n", mine, "--type=merge", "-p", '{"metadata":{"finalizers":null}}'
        )
        kube.kubectl("delete", "net-attach-def", "blue", "-n", mine)
        await eventually(lambda: [n.name for n in fab.service.state.networks.values()] == ["keep"], what="blue gone")
