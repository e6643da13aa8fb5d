"""Lab -> SwitchSpecs: day-0 configuration, LLDP neighbours, TLS material."""

from __future__ import annotations

import json
import re

import pytest

from labs.files.build import PORT_MTU, build_specs, chassis_mac, day0, lldp_neighbors
from labs.files.spec import Credentials, ServerTls, spec_from_dict, spec_to_dict, specs_from_json, specs_to_json
from models.oc.path import parse
from models.oc.tree import Tree
from tests.labs.golden import check_golden

CREDS = Credentials(username="admin", password="secret")


def fake_tls(lab):
    return {sw.name: ServerTls(cert_pem=b"C-" + sw.name.encode(), key_pem=b"K") for sw in lab.switches()}


def test_sw1_lldp_neighbours_in_seed(seed):
    got = {(n.local_port, n.system_name, n.port_id) for n in lldp_neighbors(seed, seed.nodes["sw1"])}
    assert got == {
        ("ethernet-1/1", "server1", "eth1"),
        ("ethernet-1/2", "server2", "eth1"),
        ("ethernet-1/3", "server3", "eth1"),
        ("ethernet-1/49", "spine1", "ethernet-1/1"),
    }
    for n in lldp_neighbors(seed, seed.nodes["sw1"]):
        assert n.port_id_type == "INTERFACE_NAME" and n.chassis_id_type == "MAC_ADDRESS"
        assert n.chassis_id == chassis_mac(n.system_name)
        assert n.port_description == n.port_id


def test_spine_sees_leaf_uplinks(dc):
    got = {(n.local_port, n.system_name, n.port_id) for n in lldp_neighbors(dc, dc.nodes["spine2"])}
    assert got == {(f"ethernet-1/{i}", f"leaf{i}", "ethernet-1/50") for i in range(1, 5)}


def test_chassis_mac_is_deterministic_local_unicast():
    macs = {chassis_mac(f"server{i}") for i in range(200)}
    assert len(macs) == 200
    for mac in macs:
        assert re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", mac)
        first = int(mac[:2], 16)
        assert first & 0x02 and not first & 0x01
    assert chassis_mac("sw1") == chassis_mac("sw1")


def test_day0_of_sw1(seed):
    doc = day0(seed, seed.nodes["sw1"])
    tree = Tree.from_json(doc)  # the shared OpenConfig tree takes it as is
    assert tree.to_json() == doc
    ports = [p.names.oc for p in seed.ports("sw1")]
    for port in ports:
        cfg = tree.get(parse(f"/interfaces/interface[name={port}]/config"))
        assert cfg["type"] == "iana-if-type:ethernetCsmacd" and cfg["enabled"] is True
        assert cfg["mtu"] == PORT_MTU == 9216
    assert tree.get(parse("/interfaces/interface[name=ethernet-1/49]/config/description")) == "to spine1:ethernet-1/1"
    lo = "/interfaces/interface[name=loopback0]"
    assert tree.get(parse(f"{lo}/config/type")) == "iana-if-type:softwareLoopback"
    addr = tree.get(parse(f"{lo}/subinterfaces/subinterface[index=0]/ipv4/addresses/address[ip=10.0.0.11]/config"))
    assert addr == {"ip": "10.0.0.11", "prefix-length": 32}
    ni = "/network-instances/network-instance[name=default]"
    assert tree.get(parse(f"{ni}/config/type")) == "openconfig-network-instance-types:DEFAULT_INSTANCE"
    bgp = f"{ni}/protocols/protocol[identifier=BGP][name=BGP]/bgp/global"
    assert tree.get(parse(f"{bgp}/config")) == {"as": 65001, "router-id": "10.0.0.11"}
    assert tree.get(parse(f"{bgp}/afi-safis/afi-safi[afi-safi-name=IPV4_UNICAST]/config/enabled")) is True
    names = [e["name"] for e in doc["openconfig-interfaces:interfaces"]["interface"]]
    assert names == [*ports, "loopback0"]


def test_day0_with_a_4_byte_asn(dc):
    doc = day0(dc, dc.nodes["leaf4"])
    bgp = Tree.from_json(doc).get(
        parse(
            "/network-instances/network-instance[name=default]/protocols/protocol[identifier=BGP][name=BGP]/bgp/global/config"
        )
    )
    assert bgp == {"as": 4200000001, "router-id": "10.0.0.14"}


def test_day0_golden(seed):
    spec = build_specs(seed, tls=fake_tls(seed), credentials=CREDS)[1]
    d = spec_to_dict(spec)
    d.pop("tls")
    d.pop("credentials")
    check_golden("seed-sw1-spec.json", json.dumps(d, indent=2) + "\n")


def test_build_specs(seed, dc):
    specs = build_specs(dc, tls=fake_tls(dc), credentials=CREDS)
    assert [s.name for s in specs] == ["spine1", "spine2", "leaf1", "leaf2", "leaf3", "leaf4"]
    leaf1 = specs[2]
    assert leaf1.role == "leaf" and leaf1.platform == "openconfig"
    assert leaf1.ports == tuple(f"ethernet-1/{p}" for p in (1, 2, 3, 4, 49, 50))
    assert leaf1.tls.cert_pem == b"C-leaf1" and leaf1.credentials == CREDS
    assert (leaf1.validate, leaf1.dataplane, leaf1.listen) == ("fast", "none", "127.0.0.1:0")
    assert "secret" not in repr(leaf1)
    # the contract's JSON round trip
    back, admin = specs_from_json(specs_to_json(specs, admin="127.0.0.1:0"))
    assert back == specs and admin == "127.0.0.1:0"
    assert spec_from_dict(json.loads(json.dumps(spec_to_dict(specs[0])))) == specs[0]


def test_build_specs_refuses_material_that_does_not_fit_the_lab(seed):
    with pytest.raises(ValueError, match=r"gnmi\.plaintext is False, but TLS material was not given"):
        build_specs(seed, tls=None, credentials=CREDS)
    with pytest.raises(ValueError, match="no TLS material for switch spine1"):
        build_specs(seed, tls={}, credentials=CREDS)


@pytest.mark.slow
def test_day0_is_valid_against_the_official_openconfig_models(dc):
    """What ``validate: full`` checks: the pyangbind bindings of oc-config-validate."""
    from oc_config_validate.models import interfaces, network_instance
    from pyangbind.lib.serialise import pybindJSONDecoder

    def load(doc, top, binding):
        pybindJSONDecoder.load_ietf_json({top: doc[top]}, None, None, obj=binding())

    tops = [
        ("openconfig-interfaces:interfaces", interfaces.openconfig_interfaces),
        ("openconfig-network-instance:network-instances", network_instance.openconfig_network_instance),
    ]
    for name in ("spine1", "leaf4"):
        doc = day0(dc, dc.nodes[name])
        for top, binding in tops:
            load(doc, top, binding)
    bad = day0(dc, dc.nodes["leaf1"])
    bad["openconfig-interfaces:interfaces"]["interface"][0]["config"]["mtu"] = 99999999
    with pytest.raises(ValueError):
        load(bad, *tops[0])
