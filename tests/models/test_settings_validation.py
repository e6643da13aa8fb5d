from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.errors import ValidationError
from models.ids import NicName, NodeName, Vni
from models.intent import Attachment, AttachmentId, Network, NetworkKey
from models.platforms import PortNameError, UnknownPlatformError, profile
from models.platforms.registry import renderer
from models.settings import parse_fabric_settings
from models.validation import attachment_problems, network_problems
from tests.golden_util import GOLDEN, check_text


def test_defaults():
    s = parse_fabric_settings(None)
    assert (s.evpn.asn, s.evpn.route_distinguisher) == (65000, "auto")
    assert 100 in s.vlan_pool and 4000 not in s.vlan_pool and s.vlan_pool.size == 3900


def test_every_settings_problem_is_reported_at_once():
    bad = {
        "evpn": {"asn": 4200000000, "route_distinguisher": "sometimes"},
        "vlan_pool": {"ranges": ["100-50", "abc", 7000], "reserved": "none"},
        "switch_pools": {"sw1": {"ranges": []}},
        "ports": {"when_empty": "park", "park_vlan": 150},
        "default_mtu": 12,
        "colour": "blue",
    }
    with pytest.raises(ValidationError) as e:
        parse_fabric_settings(bad)
    check_text(GOLDEN / "errors" / "settings.txt", "\n".join(str(p) for p in e.value.problems) + "\n")


def test_park_vlan_inside_the_pool_is_refused():
    with pytest.raises(ValidationError, match=r"fabric.ports.park_vlan: 150 is inside vlan_pool"):
        parse_fabric_settings({"ports": {"when_empty": "park", "park_vlan": 150}})


def test_network_and_attachment_problems_are_collected():
    net = Network(namespace="Bad_NS", name="", vni=Vni(0), mtu=100, description="x" * 300)
    aid = AttachmentId(
        pod_namespace="",
        pod_name="Pod!",
        pod_uid="",
        network=NetworkKey("a", "b"),
        interface="this-is-too-long-for-linux",
    )
    att = Attachment(id=aid, container_id="", node=NodeName("Node 1"), nic=NicName("eth/1"))
    lines = [str(p) for p in network_problems(net)] + [str(p) for p in attachment_problems(att)]
    check_text(GOLDEN / "errors" / "requests.txt", "\n".join(lines) + "\n")


@pytest.mark.parametrize(
    ("platform", "given", "clab", "oc"),
    [
        ("openconfig", "e1-1", "e1-1", "ethernet-1/1"),
        ("openconfig", "ethernet-1/49", "e1-49", "ethernet-1/49"),
        ("openconfig", "e2-12", "e2-12", "ethernet-2/12"),
        ("linux", "eth1", "eth1", "eth1"),
    ],
)
def test_port_names(platform, given, clab, oc):
    names = profile(platform).port_names(given)
    assert (names.clab, names.oc, names.linux, names.lldp) == (clab, oc, clab, oc)


def test_port_name_errors():
    with pytest.raises(PortNameError, match=r"'eth1' is not a port name of platform openconfig"):
        profile("openconfig").port_names("eth1")
    with pytest.raises(UnknownPlatformError, match=r"unknown platform 'eos'"):
        profile("eos")
    with pytest.raises(UnknownPlatformError, match=r"'linux' is not a switch platform fabricd configures"):
        renderer("linux")


@pytest.mark.parametrize("suffix", ["\n", "\r\n", "\t", "\x00", " ", "\u2028"])
def test_a_name_with_a_trailing_control_character_is_refused(suffix):
    """`$` matched before a final newline: `green\\n` was taken as a look-alike of `green`."""
    net = Network(namespace="default", name="green" + suffix, vni=Vni(2222))
    assert [p.field for p in network_problems(net)] == ["network.name"]
    aid = AttachmentId(
        pod_namespace="default" + suffix,
        pod_name="pod" + suffix,
        pod_uid="uid" + suffix,
        network=NetworkKey("default", "green"),
        interface="net1" + suffix,
    )
    att = Attachment(
        id=aid, container_id="c1" + suffix, node=NodeName("server1" + suffix), nic=NicName("eth1" + suffix)
    )
    fields = {p.field for p in attachment_problems(att)}
    assert fields == {"id.pod_namespace", "id.pod_name", "id.pod_uid", "id.interface", "container_id", "node", "nic"}


@given(st.text(min_size=1, max_size=40).filter(lambda t: any(not c.isprintable() or c.isspace() for c in t)))
def test_no_name_with_a_control_character_or_space_is_ever_accepted(text):
    net = Network(namespace=text, name=text, vni=Vni(1))
    assert {p.field for p in network_problems(net)} >= {"network.name", "network.namespace"}
    aid = AttachmentId(pod_namespace=text, pod_name=text, pod_uid=text, network=NetworkKey("a", "b"), interface=text)
    att = Attachment(id=aid, container_id=text, node=NodeName(text), nic=NicName(text))
    assert {p.field for p in attachment_problems(att)} >= {
        "id.pod_namespace",
        "id.pod_name",
        "id.pod_uid",
        "id.interface",
        "container_id",
        "node",
        "nic",
    }


def test_a_problem_never_repeats_a_huge_value():
    net = Network(namespace="default", name="x" * 8_000_000, vni=Vni(1))
    (problem,) = network_problems(net)
    assert len(str(problem)) < 200 and "(8000000 characters)" in str(problem)
