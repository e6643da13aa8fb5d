from __future__ import annotations

import pytest

from models.configfile import validate
from models.errors import ValidationError
from models.ids import NodeName, PortName
from tests.topology.seed import SW1, SWITCHES, rec, ref
from topology.facts import PortIdType
from topology.identity import (
    FabricNeighbour,
    Foreign,
    IdentityMap,
    NicNeighbour,
    Unresolved,
    normalise_mac,
    resolve,
)

INVENTORY = {s.name: s for s in SWITCHES}
MAPPED = validate(
    IdentityMap,
    {
        "hostnames": {"SRV-01.dc1.example": "server1"},
        "macs": {"52-54-00-AA-00-01": "server2/eth1"},
        "local_ids": {"server3/7": "eth1", "server3/uplink-b": "eth2"},
    },
)

# (record fields, identity, expected)
SUBTYPE_CASES = {
    "ifname": (
        ("server1", "eth1", PortIdType.INTERFACE_NAME),
        IdentityMap(),
        NicNeighbour(ref=ref("server1", "eth1")),
    ),
    "mac-via-mapping": (
        ("server2", "52:54:00:aa:00:01", PortIdType.MAC_ADDRESS),
        MAPPED,
        NicNeighbour(ref=ref("server2", "eth1")),
    ),
    "mac-via-mapping-without-system-name": (
        ("", "5254.00aa.0001", PortIdType.MAC_ADDRESS),
        MAPPED,
        NicNeighbour(ref=ref("server2", "eth1")),
    ),
    "local-via-mapping": (
        ("server3", "7", PortIdType.LOCAL),
        MAPPED,
        NicNeighbour(ref=ref("server3", "eth1")),
    ),
    "alias-via-mapping": (
        ("server3", "uplink-b", PortIdType.INTERFACE_ALIAS),
        MAPPED,
        NicNeighbour(ref=ref("server3", "eth2")),
    ),
    "mac-unmapped": (
        ("server2", "52:54:00:aa:00:99", PortIdType.MAC_ADDRESS),
        MAPPED,
        Unresolved(reason="node server2: MAC port id '52:54:00:aa:00:99' is not in the MAC map"),
    ),
    "local-unmapped": (
        ("server1", "3", PortIdType.LOCAL),
        MAPPED,
        Unresolved(reason="node server1: LOCAL port id '3' is not in the local-id map"),
    ),
    "mac-mapped-to-another-node": (
        ("server1", "52:54:00:aa:00:01", PortIdType.MAC_ADDRESS),
        MAPPED,
        Unresolved(reason="MAC 52:54:00:aa:00:01 is mapped to server2/eth1 but the system name is 'server1'"),
    ),
    "unsupported-subtype": (
        ("server1", "10.0.0.9", PortIdType.NETWORK_ADDRESS),
        MAPPED,
        Unresolved(reason="node server1: port id subtype NETWORK_ADDRESS is not supported"),
    ),
    "bad-ifname": (
        ("server1", "this-name-is-far-too-long", PortIdType.INTERFACE_NAME),
        IdentityMap(),
        Unresolved(
            reason="node server1: 'this-name-is-far-too-long' is not a port name of platform linux "
            "(e.g. 'eth1' in containerlab, 'eth1' in OpenConfig)"
        ),
    ),
    "switch-ifname-any-form": (
        ("spine1", "e1-2", PortIdType.INTERFACE_NAME),
        IdentityMap(),
        FabricNeighbour(switch=INVENTORY["spine1"].name, port=PortName("ethernet-1/2")),
    ),
    "switch-mac-port-id": (
        ("spine1", "1a:00:00:00:00:64", PortIdType.MAC_ADDRESS),
        IdentityMap(),
        Unresolved(reason="switch spine1 sent port id '1a:00:00:00:00:64' of subtype MAC_ADDRESS"),
    ),
    "no-system-name": (
        ("", "eth1", PortIdType.INTERFACE_NAME),
        IdentityMap(),
        Unresolved(reason="no system name (chassis id 'aa:bb:cc:00:00:01', port id 'eth1')"),
    ),
}


@pytest.mark.parametrize("case", sorted(SUBTYPE_CASES))
def test_port_id_subtypes(case):
    (system, port_id, kind), identity, expected = SUBTYPE_CASES[case]
    r = rec("sw1", "ethernet-1/1", system, port_id, kind=kind, chassis="aa:bb:cc:00:00:01")
    assert resolve(r, INVENTORY, identity) == expected


@pytest.mark.parametrize(
    ("identity", "system", "expected"),
    [
        (MAPPED, "srv-01.dc1.example", "server1"),  # explicit map, case-insensitive
        (IdentityMap(strip_domain=True), "server2.dc1.example", "server2"),
        (IdentityMap(strip_domain=True), "sw1.dc1.example", None),  # a switch, by its FQDN
        (IdentityMap(), "server2.dc1.example", "server2.dc1.example"),  # no mapping: taken as written
    ],
    ids=["explicit-map", "strip-domain", "switch-fqdn", "no-mapping"],
)
def test_hostname_mapping(identity, system, expected):
    r = rec(
        "spine1" if expected is None else "sw1",
        "ethernet-1/1",
        system,
        "ethernet-1/49" if expected is None else "eth1",
    )
    got = resolve(r, INVENTORY, identity)
    if expected is None:
        assert got == FabricNeighbour(switch=SW1, port=PortName("ethernet-1/49"))
    else:
        assert got == NicNeighbour(ref=ref(expected, "eth1"))


def test_neighbours_outside_the_node_inventory_are_foreign():
    identity = IdentityMap(nodes=frozenset({NodeName("server1")}))
    assert resolve(rec("sw1", "ethernet-1/9", "mgmt-router", "Gi0/1"), INVENTORY, identity) == Foreign(
        system_name="mgmt-router"
    )
    assert isinstance(resolve(rec("sw1", "ethernet-1/1", "server1", "eth1"), INVENTORY, identity), NicNeighbour)


@pytest.mark.parametrize(
    ("text", "mac"),
    [("52:54:00:AA:00:01", "52:54:00:aa:00:01"), ("5254.00aa.0001", "52:54:00:aa:00:01"), ("eth1", None)],
)
def test_normalise_mac(text, mac):
    assert normalise_mac(text) == mac


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"hostname": {}}, r"identity.hostname: \{\} is not a setting; did you mean 'hostnames'\?"),
        ({"macs": {"not-a-mac": "server1/eth1"}}, r"identity.macs.not-a-mac: 'not-a-mac' is not a MAC address"),
        (
            {"macs": {"52:54:00:aa:00:01": "server1"}},
            r"identity.macs.52:54:00:aa:00:01: 'server1' is not NODE/NIC",
        ),
        (
            {"local_ids": {"server1/3": "bad nic"}},
            r"identity.local_ids.server1/3: 'bad nic' is not a port name",
        ),
    ],
    ids=["unknown-key", "bad-mac", "mac-target-not-node-nic", "bad-local-nic"],
)
def test_identity_config_errors_name_the_entry(doc, message):
    with pytest.raises(ValidationError, match=message):
        validate(IdentityMap, doc, prefix="identity")
