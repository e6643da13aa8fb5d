"""Fast validation: every rule of docs/openconfig-profile.md ("What the
emulator checks") rejects its case with a stable message naming path and
value (golden file: tests/golden/emulator/set_errors.txt; regenerate with
``make golden`` and review the diff). A rejected Set leaves the
configuration exactly as it was."""

from __future__ import annotations

import dataclasses

import pytest

from labs.emulator.datastore import Datastore
from labs.emulator.errors import ConfigRejected, SpecError
from labs.emulator.speccheck import check_spec, load_config
from labs.emulator.txn import Op
from labs.files.spec import LldpNeighborSpec
from models.oc.path import Path
from tests.golden_util import GOLDEN as GOLDEN_DIR
from tests.golden_util import check_text
from tests.labs.emulator import ocdocs as d

GOLDEN = GOLDEN_DIR / "emulator" / "set_errors.txt"

V = d.DEFAULT + "/vlans/vlan[vlan-id=200]"
MV = d.NI + "[name=fabricd-vni-1111]"
EI = MV + "/evpn/evpn-instances/evpn-instance[evi=7]"
LV = d.EP + "/vxlan/local-endpoint-vnis/local-endpoint-vni"
SV = "/interfaces/interface[name=ethernet-1/2]/ethernet/switched-vlan"


def R(p: str, v: object) -> Op:
    return Op(kind="replace", path=Path.parse(p), value=v)


def U(p: str, v: object) -> Op:
    return Op(kind="update", path=Path.parse(p), value=v)


def D(p: str) -> Op:
    return Op(kind="delete", path=Path.parse(p))


def leaf() -> Datastore:
    """A leaf at day-0 plus what fabricd writes for VNI 1111 / VLAN 100 on ethernet-1/1."""
    ds = Datastore(load_config(d.day0(), name="sw1"))
    ds.set([R(p, v) for p, v in d.leaf_document()])
    return ds


CASES: dict[str, list[Op]] = {
    # types, ranges, enums, identities, patterns
    "string": [R(V, {"config": {"vlan-id": 200, "name": 5}})],
    "vlan_range": [R(d.DEFAULT + "/vlans/vlan[vlan-id=5000]", {"config": {"vlan-id": 5000}})],
    "vni_range": [R(LV + "[vni=99999999]", {"config": {"vni": 99999999, "vni-type": "L2"}})],
    "uint_is_a_number": [U("/interfaces/interface[name=ethernet-1/1]/config", {"mtu": "9100"})],
    "bool": [U(d.EP + "/vxlan/config", {"enabled": "yes"})],
    "enum": [R(V, {"config": {"vlan-id": 200, "status": "UP"}})],
    "identity": [U(MV + "/config", {"type": "openconfig-network-instance-types:L2VSX"})],
    "identity_of_another_module": [U(MV + "/config", {"type": "openconfig-bgp-types:L2VSI"})],
    "route_target": [U(EI + "/import-export-policy/config", {"import-route-target": ["65000-1111"]})],
    "route_distinguisher": [U(EI + "/config", {"route-distinguisher": "AUTOMATIC"})],
    "evi": [R(MV + "/evpn/evpn-instances/evpn-instance[evi=0]", {"config": {"evi": "0"}})],
    "trunk_vlans": [R(SV, {"config": {"interface-mode": "TRUNK", "trunk-vlans": ["200..100", 4095]}})],
    # shape and schema
    "path_outside_schema": [R(d.DEFAULT + "/colour", "red")],
    "member_outside_schema": [R(V, {"config": {"vlan-id": 200, "colour": "red"}})],
    "state_path": [R(V + "/state", {"vlan-id": 200})],
    "state_member": [R(V, {"config": {"vlan-id": 200}, "state": {"vlan-id": 200}})],
    "object_for_a_leaf": [R(V + "/config/name", {"x": 1})],
    "wildcard_in_replace": [R(d.DEFAULT + "/vlans/vlan[vlan-id=*]/config/name", "x")],
    "list_entry_without_keys": [R(d.DEFAULT + "/vlans/vlan/config", {"vlan-id": 5})],
    "keys_on_a_container": [R(d.DEFAULT + "/vlans[x=1]", {})],
    "value_entry_lacks_key": [R(d.DEFAULT + "/vlans", {"vlan": [{"config": {"vlan-id": 5}}]})],
    "key_differs_from_config": [U(d.DEFAULT + "/vlans/vlan[vlan-id=100]/config", {"vlan-id": 101})],
    "delete_a_list_key": [D(d.DEFAULT + "/vlans/vlan[vlan-id=100]/vlan-id")],
    # the model's when rules
    "vni_without_service_type": [D(EI + "/config/service-type")],
    "vni_with_vlan_aware": [U(EI + "/config", {"service-type": "openconfig-evpn-types:VLAN_AWARE"})],
    "evpn_in_l2p2p": [U(MV + "/config", {"type": "openconfig-network-instance-types:L2P2P"})],
    # references
    "overlay_endpoint_unknown": [U(EI + "/vxlan/config", {"overlay-endpoint": "vtep2"})],
    "overlay_network_instance_unknown": [U(EI + "/vxlan/config", {"overlay-endpoint-network-instance": "vrf-x"})],
    "overlay_endpoint_without_instance": [D(EI + "/vxlan/config/overlay-endpoint-network-instance")],
    "bridge_domain_not_a_vlan": [R(LV + "[vni=2222]", {"config": {"vni": 2222, "bridge-domain": 300}})],
    "vlan_with_two_vnis": [R(LV + "[vni=2222]", {"config": {"vni": 2222, "bridge-domain": 100}})],
    "vni_with_two_vlans": [
        R(V, {"config": {"vlan-id": 200}}),
        R(
            d.CP + "/endpoints/endpoint[endpoint-id=vtep2]",
            {
                "config": {"endpoint-id": "vtep2"},
                "vxlan": {
                    "local-endpoint-vnis": {"local-endpoint-vni": [{"vni": 1111, "config": {"bridge-domain": 200}}]}
                },
            },
        ),
    ],
    "switched_vlan_on_undeclared_port": [
        R(
            "/interfaces/interface[name=ethernet-1/99]/ethernet/switched-vlan",
            {"config": {"interface-mode": "TRUNK"}},
        )
    ],
    # trunk/access consistency
    "access_vlan_on_trunk": [R(SV, {"config": {"interface-mode": "TRUNK", "access-vlan": 100}})],
    "trunk_vlans_on_access": [R(SV, {"config": {"interface-mode": "ACCESS", "trunk-vlans": [100]}})],
    "native_vlan_without_mode": [R(SV, {"config": {"native-vlan": 100}})],
    # every problem of a Set in one answer
    "two_bad_ops": [
        R(V, {"config": {"vlan-id": 200, "status": "UP"}}),
        R(SV, {"config": {"native-vlan": 100}}),
    ],
}


def _messages() -> dict[str, str]:
    out = {}
    for name, ops in CASES.items():
        ds = leaf()
        before = ds.config.to_json()
        with pytest.raises(ConfigRejected) as err:
            ds.set(ops)
        assert ds.config.to_json() == before, f"{name}: the rejected Set changed the config"
        out[name] = str(err.value)
    return out


def test_golden_error_messages():
    got = _messages()
    check_text(GOLDEN, "".join(f"{name}: {msg}\n" for name, msg in got.items()))


@pytest.mark.parametrize(
    "ops",
    [
        [U(MV + "/config", {"type": "L2VSI"})],  # identities without a prefix
        [R(SV, {"config": {"interface-mode": "TRUNK", "trunk-vlans": [100, "200..300"], "native-vlan": 1}})],
        [R(SV, {"config": {"interface-mode": "ACCESS", "access-vlan": 100}})],
        [
            U(
                EI + "/import-export-policy/config",
                {"export-route-target": ["route-target:10.0.0.1:7", "AUTO"]},
            )
        ],
        [U(EI + "/config", {"route-distinguisher": "10.0.0.1:7"})],
        [
            D(d.NI + "[name=nothing-here]"),
            D(d.DEFAULT + "/vlans/vlan[vlan-id=3999]"),
        ],  # deleting what is missing
        [D(d.DEFAULT + "/vlans/vlan[vlan-id=*]/config/status")],  # wildcards in delete
    ],
)
def test_valid_changes_are_accepted(ops):
    leaf().set(ops)


def test_the_fabricd_leaf_document_is_accepted_and_removable():
    ds = leaf()
    deletes = [D(p) for p, _ in d.vni_objects()] + [D(d.trunk("ethernet-1/1", [])[0])]
    ds.set(deletes)
    assert ds.config.get(Path.parse(MV)) is None
    assert ds.config.get(Path.parse("/interfaces/interface[name=ethernet-1/1]/config/name")) == "ethernet-1/1"


def test_a_bad_day0_is_a_spec_error_naming_the_switch():
    doc = d.day0()
    doc["openconfig-interfaces:interfaces"]["interface"][0]["config"]["mtu"] = -1
    with pytest.raises(SpecError, match=r"^sw9: day-0 configuration rejected: .*mtu: -1 is out of range 0..65535$"):
        load_config(doc, name="sw9")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"platform": "linux"}, "sw1: platform 'linux' is not emulated (only openconfig, srlinux)"),
        (
            {"ports": ("ethernet-1/1", "e1-2", "eth0")},
            "sw1: ports: 'e1-2' is not the switch's name of the port (use 'ethernet-1/2'); "
            "ports: 'eth0' is not a port name of platform openconfig "
            "(e.g. 'e1-1' in containerlab, 'ethernet-1/1' in OpenConfig); "
            "lldp: neighbour 'server2' is on 'ethernet-1/2', not a port of the switch; "
            "day0: ports not declared in /interfaces: e1-2, eth0",
        ),
        (
            {
                "lldp": (
                    LldpNeighborSpec(
                        local_port="ethernet-1/1",
                        system_name="s",
                        port_id="p",
                        chassis_id="c",
                        port_id_type="NAME",
                        chassis_id_type="MAC",
                    ),
                )
            },
            "sw1: lldp: chassis_id_type 'MAC' is not one of CHASSIS_COMPONENT, INTERFACE_ALIAS, "
            "PORT_COMPONENT, MAC_ADDRESS, NETWORK_ADDRESS, INTERFACE_NAME, LOCAL; "
            "lldp: port_id_type 'NAME' is not one of INTERFACE_ALIAS, PORT_COMPONENT, MAC_ADDRESS, "
            "NETWORK_ADDRESS, INTERFACE_NAME, AGENT_CIRCUIT_ID, LOCAL",
        ),
        (
            {"ports": tuple(f"ethernet-1/{n}" for n in range(1, 7))},
            "sw1: day0: ports not declared in /interfaces: ethernet-1/5, ethernet-1/6",
        ),
    ],
)
def test_spec_checks_name_every_problem(change, message):
    with pytest.raises(SpecError) as err:
        check_spec(dataclasses.replace(d.spec("sw1"), **change))
    assert str(err.value) == message
