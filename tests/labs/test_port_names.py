"""Port names come from the platform profile, in the loader too."""

from __future__ import annotations

import pytest

from models.platforms import PortNameError, profile

# containerlab, Linux, OpenConfig, LLDP
TABLE = [
    ("openconfig", "e1-1", "e1-1", "ethernet-1/1", "ethernet-1/1"),
    ("openconfig", "e1-49", "e1-49", "ethernet-1/49", "ethernet-1/49"),
    ("openconfig", "e8-64", "e8-64", "ethernet-8/64", "ethernet-8/64"),
    ("openconfig", "e1-999", "e1-999", "ethernet-1/999", "ethernet-1/999"),
    ("linux", "eth1", "eth1", "eth1", "eth1"),
    ("linux", "eth2", "eth2", "eth2", "eth2"),
]


@pytest.mark.parametrize(("platform", "clab", "linux", "oc", "lldp"), TABLE)
def test_every_form_maps_to_all_four(platform, clab, linux, oc, lldp):
    prof = profile(platform)
    for given in (clab, linux, oc, lldp):
        names = prof.port_names(given)
        assert (names.clab, names.linux, names.oc, names.lldp) == (clab, linux, oc, lldp)


@pytest.mark.parametrize("bad", ["eth1", "e0-1", "e1-1000", "ethernet-1/0", "Ethernet1/1", "e1/1"])
def test_not_openconfig_port_names(bad):
    with pytest.raises(PortNameError, match="not a port name of platform openconfig"):
        profile("openconfig").port_names(bad)


def test_loaded_lab_ports_carry_all_names(seed, dc):
    sw1 = {p.names.clab: p.names for p in seed.ports("sw1")}
    assert list(sw1) == ["e1-1", "e1-2", "e1-3", "e1-49"]
    assert sw1["e1-49"].oc == "ethernet-1/49" and sw1["e1-49"].linux == "e1-49"
    server1 = [p.names for p in dc.ports("server1")]
    assert [(n.clab, n.oc) for n in server1] == [("eth1", "eth1"), ("eth2", "eth2")]
    for lab in (seed, dc):
        for link in lab.links:
            for end in (link.a, link.b):
                assert profile(lab.nodes[end.node].platform).port_names(end.names.clab) == end.names
