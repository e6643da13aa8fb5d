"""validate: full - every Set also decoded with the official OpenConfig
bindings (oc-config-validate's pyangbind models). Slow by nature (~0.2 s per
list entry on this machine), so these tests keep to a few Sets."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator

import grpc
import pytest
from pygnmi.client import gNMIException

from labs.emulator import Emulator, EmulatorHost
from labs.emulator.datastore import Datastore
from labs.emulator.fullcheck import check_full, documents
from labs.emulator.speccheck import load_config
from models.oc.path import Path
from tests.labs.emulator import ocdocs as d
from tests.labs.emulator.conftest import client, in_thread
from tests.labs.emulator.test_validation import R

pytestmark = pytest.mark.slow

MV = d.NI + "[name=fabricd-vni-1111]"
EI = MV + "/evpn/evpn-instances/evpn-instance[evi=7]"


@pytest.fixture
async def full() -> AsyncIterator[Emulator]:
    async with EmulatorHost.start([d.spec("full", validate="full")]) as host:
        yield host["full"]


def leaf_docs() -> dict:
    ds = Datastore(load_config(d.day0(), name="sw1"))
    applied = ds.prepare([R(p, v) for p, v in d.leaf_document()])
    return documents(ds.config, applied.anchors)


def test_the_bindings_accept_the_leaf_document_and_name_what_they_reject():
    docs = leaf_docs()
    assert set(docs) == {"interfaces", "network-instances"}
    # only what the Set touched: ethernet-1/1, the default instance, the MAC-VRF
    assert [i["name"] for i in docs["interfaces"]["interface"]] == ["ethernet-1/1"]
    assert check_full(docs) == []
    bad_vlan = copy.deepcopy(docs)
    vlan = bad_vlan["network-instances"]["network-instance"][0]["vlans"]["vlan"][0]
    vlan["vlan-id"] = vlan["config"]["vlan-id"] = 5000
    bad_vni = copy.deepcopy(docs)
    evpn = bad_vni["network-instances"]["network-instance"][1]["evpn"]
    evpn["evpn-instances"]["evpn-instance"][0]["vxlan"]["config"]["vni"] = 99999999
    no_service_type = copy.deepcopy(docs)
    evpn = no_service_type["network-instances"]["network-instance"][1]["evpn"]
    del evpn["evpn-instances"]["evpn-instance"][0]["config"]["service-type"]
    assert check_full(bad_vlan) == [
        "/network-instances: full validation (openconfig-network-instance): "
        "vlan_id must be of a type compatible with oc-vlan-types:vlan-id"
    ]
    assert check_full(bad_vni) == [
        "/network-instances: full validation (openconfig-network-instance): "
        "vni must be of a type compatible with oc-evpn-types:vni-id"
    ]
    assert check_full(no_service_type) == []  # the bindings skip `when`: the fast check catches it


async def test_full_mode_accepts_the_evpn_document_and_rejects_the_wrong_ones(full: Emulator):
    def run():
        with client(full) as gc:
            gc.set(replace=d.leaf_document(), encoding="json_ietf")
            errors = {}
            for name, update in {
                "vlan 5000": (d.DEFAULT + "/vlans/vlan[vlan-id=5000]", {"config": {"vlan-id": 5000}}),
                "vni 99999999": (EI + "/vxlan/config", {"vni": 99999999}),
            }.items():
                try:
                    gc.set(update=[update], encoding="json_ietf")
                except gNMIException as err:
                    errors[name] = (err.orig_exc.code(), err.orig_exc.details())
            try:
                gc.set(delete=[EI + "/config/service-type"])
            except gNMIException as err:
                errors["no service-type"] = (err.orig_exc.code(), err.orig_exc.details())
            return errors

    errors = await in_thread(run)
    assert full.datastore.config.get(Path.parse(MV)) is not None
    assert {k: code for k, (code, _) in errors.items()} == {
        "vlan 5000": grpc.StatusCode.INVALID_ARGUMENT,
        "vni 99999999": grpc.StatusCode.INVALID_ARGUMENT,
        "no service-type": grpc.StatusCode.INVALID_ARGUMENT,
    }
    assert "5000 is out of range 1..4094" in errors["vlan 5000"][1]
    assert "99999999 is out of range 1..16777215" in errors["vni 99999999"][1]
    assert "vni 1111 needs config/service-type VLAN_BASED or VLAN_BUNDLE" in errors["no service-type"][1]
    assert full.counters().sets_rejected == 3


async def test_full_mode_rejects_what_only_the_bindings_know(full: Emulator):
    # The fast schema declares ethernet/config/mac-address a plain string; the
    # model's yang:mac-address pattern is checked by the bindings only.
    eth = "/interfaces/interface[name=ethernet-1/2]/ethernet/config"

    def run():
        with client(full) as gc:
            gc.set(update=[(eth, {"mac-address": "02:00:00:00:00:aa"})], encoding="json_ietf")
            gc.set(update=[(eth, {"mac-address": "not-a-mac"})], encoding="json_ietf")

    with pytest.raises(gNMIException) as err:
        await in_thread(run)
    assert err.value.orig_exc.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.orig_exc.details() == (
        "Set rejected, 1 problem: /interfaces: full validation (openconfig-interfaces): "
        "mac_address must be of a type compatible with oc-yang:mac-address"
    )
    assert full.datastore.config.get(Path.parse(eth + "/mac-address")) == "02:00:00:00:00:aa"
