"""Capabilities, Get and Set with the plain pygnmi sync client (in a worker
thread) against emulators on 127.0.0.1:0."""

from __future__ import annotations

import grpc
import pytest
from pygnmi.client import gNMIException

from labs.emulator import Emulator
from tests.labs.emulator import ocdocs as d
from tests.labs.emulator.conftest import client, in_thread

V100 = d.DEFAULT + "/vlans/vlan[vlan-id=100]"
SV = "/interfaces/interface[name=ethernet-1/1]/ethernet/switched-vlan"


def updates(resp: dict) -> dict[str, object]:
    return {u["path"]: u.get("val") for n in resp.get("notification", []) for u in n.get("update", [])}


async def test_capabilities(sw1: Emulator):
    def run():
        with client(sw1) as gc:
            return gc.capabilities()

    caps = await in_thread(run)
    assert caps["gnmi_version"] == "0.8.0"
    assert set(caps["supported_encodings"]) == {"json_ietf", "json"}
    names = {m["name"] for m in caps["supported_models"]}
    assert {
        "openconfig-interfaces",
        "openconfig-if-ethernet",
        "openconfig-vlan",
        "openconfig-network-instance",
        "openconfig-evpn",
        "openconfig-bgp",
        "openconfig-lldp",
    } <= names
    assert all(m["version"] for m in caps["supported_models"])


async def test_the_fabricd_leaf_document_is_accepted_and_read_back(sw1: Emulator):
    doc = d.leaf_document()

    def run():
        with client(sw1) as gc:
            resp = gc.set(replace=doc, encoding="json_ietf")
            got = gc.get(path=[d.NI + "[name=fabricd-vni-1111]"], datatype="config", encoding="json_ietf")
            return resp, got

    resp, got = await in_thread(run)
    assert [r["op"] for r in resp["response"]] == ["REPLACE"] * len(doc)
    assert resp["timestamp"] > 0
    (val,) = updates(got).values()
    assert val == d.mac_vrf(1111, 7)
    cfg = sw1.config_json()
    vlans = cfg["openconfig-network-instance:network-instances"]["network-instance"][0]["vlans"]["vlan"]
    assert vlans == [{"vlan-id": 100, "config": {"vlan-id": 100, "name": "fabricd-vni-1111", "status": "ACTIVE"}}]
    port1 = cfg["openconfig-interfaces:interfaces"]["interface"][0]
    assert port1["openconfig-if-ethernet:ethernet"] == {
        "openconfig-vlan:switched-vlan": {"config": {"interface-mode": "TRUNK", "trunk-vlans": [100]}}
    }


async def test_get_config_state_all_and_wildcards(sw1: Emulator):
    def run():
        with client(sw1) as gc:
            gc.set(replace=d.leaf_document(), encoding="json_ietf")
            iface = "/interfaces/interface[name=ethernet-1/2]"
            return {
                "config": gc.get(path=[iface], datatype="config", encoding="json_ietf"),
                "state": gc.get(path=[iface], datatype="state", encoding="json_ietf"),
                "operational": gc.get(path=[iface + "/state/oper-status"], datatype="operational", encoding="json"),
                "all": gc.get(path=[iface], datatype="all", encoding="json_ietf"),
                "names": gc.get(path=["/interfaces/interface[name=*]/config/name"], datatype="config"),
                "neighbors": gc.get(path=["/lldp/interfaces/interface/neighbors/neighbor/state/system-name"]),
                "none": gc.get(path=["/network-instances/network-instance[name=*]/vlans/vlan[vlan-id=4000]"]),
                "root": gc.get(path=["/"], datatype="config", encoding="json_ietf"),
            }

    got = await in_thread(run)
    key = "interfaces/interface[name=ethernet-1/2]"
    assert set(updates(got["config"])[key]) == {"name", "config"}
    assert updates(got["state"])[key] == {
        "name": "ethernet-1/2",
        "state": {"name": "ethernet-1/2", "admin-status": "UP", "oper-status": "UP"},
    }
    assert updates(got["operational"]) == {key + "/state/oper-status": "UP"}
    assert set(updates(got["all"])[key]) == {"name", "config", "state"}
    assert updates(got["names"]) == {
        f"interfaces/interface[name={n}]/config/name": n
        for n in ("ethernet-1/1", "ethernet-1/2", "ethernet-1/3", "ethernet-1/4", "loopback0")
    }
    assert sorted(updates(got["neighbors"]).values()) == ["server1", "server2"]
    assert updates(got["none"]) == {}
    (root,) = updates(got["root"]).values()
    assert root == sw1.config_json()


async def test_get_of_an_exact_path_with_no_data_is_not_found(sw1: Emulator):
    def run():
        with client(sw1) as gc:
            gc.get(path=[d.NI + "[name=fabricd-vni-1111]"], datatype="config", encoding="json_ietf")

    with pytest.raises(gNMIException) as err:
        await in_thread(run)
    assert err.value.orig_exc.code() == grpc.StatusCode.NOT_FOUND
    assert err.value.orig_exc.details() == (
        "/network-instances/network-instance[name=fabricd-vni-1111]: no data (Get type CONFIG)"
    )


async def test_get_with_a_prefix_answers_relative_paths(sw1: Emulator):
    def run():
        with client(sw1) as gc:
            return gc.get(prefix="/interfaces", path=["interface[name=loopback0]/config/type"], datatype="config")

    got = await in_thread(run)
    assert got["notification"][0]["prefix"] == "interfaces"
    assert updates(got) == {"interface[name=loopback0]/config/type": "iana-if-type:softwareLoopback"}


async def test_set_replace_update_delete_semantics(sw1: Emulator):
    def run():
        with client(sw1) as gc:
            gc.set(replace=[(SV, {"config": {"interface-mode": "TRUNK", "trunk-vlans": [1, 2], "native-vlan": 9}})])
            gc.set(update=[(SV, {"config": {"trunk-vlans": [3]}})], encoding="json_ietf")
            merged = gc.get(path=[SV + "/config"], datatype="config")
            gc.set(
                replace=[(SV, {"config": {"interface-mode": "TRUNK", "trunk-vlans": [4]}})],
                encoding="json_ietf",
            )
            replaced = gc.get(path=[SV + "/config"], datatype="config")
            deleted = gc.set(delete=[SV, d.NI + "[name=never-there]"])
            return merged, replaced, deleted

    merged, replaced, deleted = await in_thread(run)
    assert updates(merged)[SV[1:] + "/config"] == {
        "interface-mode": "TRUNK",
        "trunk-vlans": [3],
        "native-vlan": 9,
    }
    assert updates(replaced)[SV[1:] + "/config"] == {"interface-mode": "TRUNK", "trunk-vlans": [4]}
    assert [r["op"] for r in deleted["response"]] == ["DELETE", "DELETE"]
    assert sw1.datastore.config.get(d_path(SV)) is None
    assert sw1.counters().sets_committed == 4


def d_path(text: str):
    from models.oc.path import Path

    return Path.parse(text)


async def test_one_bad_op_rejects_the_whole_set_and_changes_nothing(sw1: Emulator):
    before = sw1.config_json()

    def run():
        with client(sw1) as gc:
            gc.set(
                delete=[d.DEFAULT + "/protocols"],
                replace=[
                    *d.leaf_document(),
                    (d.DEFAULT + "/vlans/vlan[vlan-id=200]", {"config": {"vlan-id": 5000}}),
                ],
                update=[("/interfaces/interface[name=ethernet-1/2]/config", {"description": "changed"})],
                encoding="json_ietf",
            )

    with pytest.raises(gNMIException) as err:
        await in_thread(run)
    assert err.value.orig_exc.code() == grpc.StatusCode.INVALID_ARGUMENT
    v200 = "/network-instances/network-instance[name=default]/vlans/vlan[vlan-id=200]"
    assert err.value.orig_exc.details() == (
        f"Set rejected, 2 problems: {v200}/config/vlan-id: 5000 differs from the list key vlan-id=200; "
        f"{v200}/config/vlan-id: 5000 is out of range 1..4094"
    )
    assert sw1.config_json() == before
    assert (sw1.counters().sets_rejected, sw1.counters().sets_committed) == (1, 0)


async def test_malformed_set_values_are_named(sw1: Emulator):
    from pygnmi.spec.v080 import gnmi_pb2, gnmi_pb2_grpc

    req = gnmi_pb2.SetRequest(
        update=[
            gnmi_pb2.Update(
                path=gnmi_pb2.Path(elem=[gnmi_pb2.PathElem(name="interfaces")]),
                val=gnmi_pb2.TypedValue(json_ietf_val=b"{not json"),
            )
        ]
    )
    async with grpc.aio.insecure_channel(sw1.address) as ch:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await gnmi_pb2_grpc.gNMIStub(ch).Set(req, timeout=10)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith("Set rejected, 1 problem: /interfaces: the value is not valid JSON")


async def test_unsupported_origin_and_encoding(sw1: Emulator):
    def run():
        with client(sw1) as gc:
            out = []
            for call in (
                lambda: gc.get(path=["cli:/show version"]),
                lambda: gc.set(update=[("/interfaces", "x")], encoding="ascii"),
            ):
                try:
                    call()
                except gNMIException as err:
                    out.append((err.orig_exc.code(), err.orig_exc.details()))
            return out

    assert await in_thread(run) == [
        (grpc.StatusCode.UNIMPLEMENTED, "origin 'cli' is not supported (use no origin or 'openconfig')"),
        (
            grpc.StatusCode.UNIMPLEMENTED,
            "/interfaces: ascii_val values are not supported (use json_ietf_val or json_val)",
        ),
    ]
