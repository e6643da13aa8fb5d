"""The emulator's ``srlinux`` profile: an SR Linux 25.3 leaf for fabricd's
service, at the native paths (Capabilities, Get, Set as one commit refused
whole, the box's rules beyond the YANG, LLDP and moving counters)."""

from __future__ import annotations

import json
import re
from typing import Any

import grpc
import pytest
from pygnmi.client import gNMIException
from pygnmi.spec.v080 import gnmi_pb2

from labs.emulator import EmulatorHost, SpecError
from labs.emulator.speccheck import check_spec
from labs.emulator.srlinux import yang
from labs.emulator.srlinux.state import TICK_S
from models.oc.path import Path
from models.oc.tree import Tree
from models.platforms.profile import SRLINUX
from tests.labs.emulator import srldocs as d
from tests.labs.emulator.conftest import RawStream, client, in_thread, wait_for


@pytest.fixture
async def leaf():
    async with EmulatorHost.start([d.spec("sw1")]) as h:
        yield h["sw1"]


async def _set(emu: Any = None, **kw: Any) -> Any:
    def run():
        with client(emu) as gc:
            return gc.set(encoding="json_ietf", **kw)

    return await in_thread(run)


async def _get(emu, *paths: str, datatype: str = "config") -> Any:
    def run():
        with client(emu) as gc:
            return gc.get(path=list(paths), datatype=datatype, encoding="json_ietf")

    return await in_thread(run)


async def test_capabilities_list_the_srl_nokia_modules(leaf):
    def run():
        with client(leaf) as gc:
            return gc.capabilities()

    caps = await in_thread(run)
    names = {m["name"]: m for m in caps["supported_models"]}
    assert {"srl_nokia-interfaces", "srl_nokia-network-instance", "srl_nokia-bgp-evpn", "srl_nokia-lldp"} <= set(names)
    assert not [n for n in names if n.startswith("openconfig")]
    assert {m["organization"] for m in names.values()} == {"Nokia"}


async def test_day0_is_the_startup_state_and_answers_name_their_modules(leaf):
    got = await _get(leaf, "/interface[name=ethernet-1/49]/subinterface[index=0]")
    (update,) = got["notification"][0]["update"]
    assert update["path"].startswith("srl_nokia-interfaces:interface[name=ethernet-1/49]")
    cfg = leaf.config_json()
    bgp = cfg["srl_nokia-network-instance:network-instance"][0]["protocols"]["srl_nokia-bgp:bgp"]
    assert (bgp["autonomous-system"], bgp["router-id"]) == (65001, "10.0.0.11")
    assert cfg["srl_nokia-tunnel-interfaces:tunnel-interface"] == [{"name": "vxlan1"}]


async def test_fabricd_service_is_committed_and_removed(leaf):
    resp = await _set(leaf, replace=d.service())
    assert [r["op"] for r in resp["response"]] == ["REPLACE"] * 4
    got = await _get(leaf, "/network-instance[name=fabricd-vni-1111]/interface[name=*]/name")
    assert [u["val"] for n in got["notification"] for u in n["update"]] == ["ethernet-1/1.10"]
    await _set(
        leaf,
        delete=[
            "/network-instance[name=fabricd-vni-1111]",
            "/tunnel-interface[name=vxlan1]/vxlan-interface[index=1111]",
            "/interface[name=ethernet-1/1]/subinterface[index=10]",
            "/interface[name=ethernet-1/1]/vlan-tagging",
        ],
    )
    assert Tree.from_json(leaf.config_json()).to_json() == Tree.from_json(d.spec("sw1").day0).to_json()


def _without(ops: list[tuple[str, Any]], path: str) -> list[tuple[str, Any]]:
    return [op for op in ops if op[0] != path]


def _mac(**changes: Any) -> tuple[str, Any]:
    path, value = d.macvrf()
    value = json.loads(json.dumps(value))
    for key, v in changes.items():
        if key == "vxlans":
            value["vxlan-interface"] = [{"name": n} for n in v]
        elif key == "evpn":
            value["protocols"]["bgp-evpn"]["srl_nokia-bgp-evpn:bgp-instance"][0].update(v)
        elif key == "vpn_id":
            value["protocols"]["srl_nokia-bgp-vpn:bgp-vpn"]["bgp-instance"][0]["id"] = v
        else:
            value[key] = v
    return path, value


TAG, SUB, VX, MAC = d.tagging(), d.subif(), d.vxlan(), d.macvrf()
ROUTED = (
    "/interface[name=ethernet-1/1]/subinterface[index=10]",
    {"index": 10, "srl_nokia-interfaces-vlans:vlan": {"encap": {"single-tagged": {"vlan-id": 10}}}},
)

REFUSED = {
    # YANG: types, ranges, patterns
    "a VLAN beyond 4094": (
        [TAG, d.subif(vlan=4095, index=10), VX, MAC],
        "single-tagged/vlan-id: 4095 is not a VLAN id 1..4094 or 'optional'",
    ),
    "a route target without target:": (
        [
            TAG,
            SUB,
            VX,
            MAC,
            (
                MAC[0] + "/protocols/bgp-vpn/bgp-instance[id=1]/route-target",
                {"export-rt": "65000:1111", "import-rt": "target:65000:1111"},
            ),
        ],
        "export-rt: '65000:1111' is not a route target target:<ASN or IPv4>:<number>",
    ),
    "a vxlan-interface name that is not vxlanN.I": (
        [TAG, SUB, VX, _mac(vxlans=["vx1.1111"])],
        "'vx1.1111' is not a vxlan-interface name (vxlanN.<index>)",
    ),
    # YANG: must, max-elements, leafrefs (as the box reads them)
    "vlan-tagging before a tagged subinterface": (
        [SUB, VX, MAC],
        "vlan-id only configurable if vlan-tagging enabled on parent interface",
    ),
    "two vxlan-interfaces in a mac-vrf": (
        [TAG, SUB, VX, d.vxlan(2222), _mac(vxlans=["vxlan1.1111", "vxlan1.2222"])],
        "Too many vxlan-interface instances (2; at most 1)",
    ),
    "bgp-evpn's vxlan-interface not the mac-vrf's own": (
        [TAG, SUB, VX, d.vxlan(2222), _mac(evpn={"vxlan-interface": "vxlan1.2222"})],
        "vxlan1.2222 is not a vxlan-interface of network-instance fabricd-vni-1111 (vxlan1.1111)",
    ),
    "bgp-evpn and bgp-vpn instance ids differ": (
        [TAG, SUB, VX, _mac(vpn_id=2)],
        "no bgp-vpn bgp-instance with id 1 in network-instance fabricd-vni-1111",
    ),
    "an EVPN instance without its evi": (
        [
            TAG,
            SUB,
            VX,
            (MAC[0] + "/protocols/bgp-evpn/bgp-instance[id=1]", {"id": 1, "vxlan-interface": "vxlan1.1111"}),
        ],
        "bgp-instance[id=1]/evi: missing (mandatory)",
    ),
    # what the YANG does not catch, but a box refuses or mis-forwards
    "a mac-vrf naming a missing subinterface": (
        [TAG, VX, MAC],
        "interface[name=ethernet-1/1.10]: subinterface ethernet-1/1.10 does not exist",
    ),
    "a mac-vrf naming a missing vxlan-interface": (
        [TAG, SUB, MAC],
        "vxlan-interface[name=vxlan1.1111]: vxlan-interface vxlan1.1111 does not exist",
    ),
    "a routed subinterface in a mac-vrf": (
        [TAG, ROUTED, VX, MAC],
        "ethernet-1/1.10 is a routed subinterface (type not bridged): a mac-vrf takes bridged ones",
    ),
    "one subinterface in two mac-vrfs": (
        [TAG, SUB, VX, MAC, d.vxlan(2222), d.macvrf(2222, ("ethernet-1/1.10",))],
        "ethernet-1/1.10 is already in network-instance fabricd-vni-1111",
    ),
    "a port the platform does not have": (
        [d.tagging("ethernet-1/60")],
        "interface ethernet-1/60 does not exist on this platform",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
async def test_a_set_breaking_a_rule_is_refused_whole(leaf, case):
    ops, reason = REFUSED[case]
    before = leaf.config_json()
    with pytest.raises(gNMIException) as err:
        await _set(leaf, replace=ops)
    assert reason in str(err.value), str(err.value)
    assert err.value.orig_exc.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert leaf.config_json() == before  # nothing of the Set stays
    assert leaf.counters().sets_rejected == 1


async def test_lldp_state_is_native(leaf):
    got = await _get(leaf, "/system/lldp/interface[name=*]/neighbor[id=*]", datatype="state")
    found = {
        (u["path"].split("interface[name=")[1].split("]")[0], u["val"]["system-name"], u["val"]["port-id"])
        for n in got["notification"]
        for u in n["update"]
    }
    assert ("ethernet-1/1", "server1", "eth1") in found and ("ethernet-1/49", "spine1", "ethernet-1/1") in found
    leaves = next(u["val"] for n in got["notification"] for u in n["update"])
    assert {"chassis-id", "chassis-id-type", "port-id-type", "first-message"} <= set(leaves)


def _subscribe(*paths: str) -> Any:
    subs = [gnmi_pb2.Subscription(path=_pb(p), mode=gnmi_pb2.SubscriptionMode.ON_CHANGE) for p in paths]
    return gnmi_pb2.SubscribeRequest(
        subscribe=gnmi_pb2.SubscriptionList(
            subscription=subs, mode=gnmi_pb2.SubscriptionList.STREAM, encoding=gnmi_pb2.Encoding.JSON_IETF
        )
    )


def _pb(text: str) -> Any:
    return gnmi_pb2.Path(elem=[gnmi_pb2.PathElem(name=e.name, key=dict(e.keys)) for e in Path.parse(text).elems])


async def test_counters_move_a_careless_subscription_sees_them_the_drift_paths_do_not(leaf):
    """What a drift watch subscribed to a whole /interface would get all the
    time, and what fabricd's configuration leaves get: nothing."""
    careless = RawStream(leaf.address, _subscribe("/interface"))
    careful = RawStream(leaf.address, _subscribe(*SRLINUX.drift_paths))
    try:
        await careless.until_sync()
        await careful.until_sync()
        seen = await careless.paths(4 * TICK_S)
        assert any(p.endswith("statistics/in-octets") for p in seen), seen
        assert await careful.paths(2 * TICK_S) == []
        # a configuration change reaches both
        await _set(leaf, replace=d.service())
        got = await careful.paths(1.0)
        assert any(re.search(r"subinterface\[index=\d+\]/index$", p) or p.endswith("vlan-tagging") for p in got), got
    finally:
        await careless.close()
        await careful.close()


async def test_state_follows_the_configuration(leaf):
    def state(path: str) -> Any:
        return leaf.datastore.state.get(Path.parse(path))

    await _set(leaf, replace=d.service())
    await wait_for(lambda: state("/interface[name=ethernet-1/1]/subinterface[index=10]/oper-state") == "up", "up")
    await _set(leaf, update=[("/interface[name=ethernet-1/2]", {"admin-state": "disable"})])
    await wait_for(lambda: state("/interface[name=ethernet-1/2]/oper-state") == "down", "a disabled port down")


def test_spec_checks_of_the_profile():
    with pytest.raises(SpecError, match=r"^sw1: day0: ports not declared in /interface: ethernet-1/7$"):
        check_spec(d.spec("sw1", ports=(*d.spec("sw1").ports, "ethernet-1/7")))
    bad = json.loads(json.dumps(d.spec("sw1").day0))
    bad["srl_nokia-interfaces:interface"][0]["subinterface"] = [
        {"index": 1, "srl_nokia-interfaces-vlans:vlan": {"encap": {"untagged": {}}}}
    ]
    with pytest.raises(SpecError, match=r"untagged only configurable if vlan-tagging enabled on parent interface"):
        check_spec(d.spec("sw1", day0=bad))


@pytest.mark.skipif(yang.missing() is not None, reason=yang.missing() or "")
async def test_validate_full_refuses_what_only_nokia_models_say():
    """An IP MTU on a bridged subinterface passes the fast checks; Nokia's
    models (R10) refuse it, and the Set with it."""
    async with EmulatorHost.start([d.spec("sw1", validate="full")]) as h:
        leaf = h["sw1"]
        await _set(leaf, replace=d.service())
        path, value = d.subif()
        with pytest.raises(gNMIException) as err:
            await _set(leaf, replace=[(path, {**value, "ip-mtu": 1500})])
        assert "ip-mtu not allowed with type bridged" in str(err.value), str(err.value)
        assert leaf.counters().sets_committed == 1


def test_validate_full_without_the_models_is_a_spec_error(monkeypatch, tmp_path):
    monkeypatch.setenv(yang.ENV, str(tmp_path / "nowhere"))
    with pytest.raises(SpecError, match=r"validate full: Nokia's SR Linux 25.3.1 YANG models are absent"):
        check_spec(d.spec("sw1", validate="full"))
