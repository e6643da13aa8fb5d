from __future__ import annotations

import pytest

from models.ids import SwitchName
from tests import golden_util
from topology.errors import FactsError
from topology.facts import ChassisIdType, PortIdType, Role, SwitchFacts


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"platform": "junos"}, "unknown platform 'junos' \\(known: linux, openconfig, srlinux\\)"),
        ({"role": "border"}, "role 'border' is not one of leaf, spine"),
        ({"router_id": "10.0.0.300"}, "router_id '10.0.0.300' is not an IP address"),
        ({"vtep_address": "vtep1"}, "vtep_address 'vtep1' is not an IP address"),
        ({"asn": 0}, "asn 0 is not in 1..4294967295"),
        ({"name": "sw/1"}, "must be non-empty, without '/'"),
    ],
    ids=["platform", "role", "router-id", "vtep", "asn", "name"],
)
def test_switch_facts_are_validated(fields, message):
    base = {"name": SwitchName("sw1"), "role": Role.LEAF, "platform": "openconfig"}
    with pytest.raises(FactsError, match=message):
        SwitchFacts(**{**base, **fields})


def test_a_switch_port_in_any_form_is_its_openconfig_name():
    sw = SwitchFacts(name=SwitchName("sw1"), role=Role.LEAF, platform="openconfig", asn=4_200_000_001)
    assert sw.port("e1-49") == sw.port("ethernet-1/49") == "ethernet-1/49"


@pytest.mark.parametrize(
    ("text", "subtype"),
    [
        ("INTERFACE_NAME", PortIdType.INTERFACE_NAME),
        ("openconfig-lldp-types:MAC_ADDRESS", PortIdType.MAC_ADDRESS),
        ("ifname", PortIdType.INTERFACE_NAME),
        ("local", PortIdType.LOCAL),
    ],
)
def test_port_id_subtypes_parse_with_or_without_prefix(text, subtype):
    assert PortIdType.parse(text) is subtype


def test_an_unknown_subtype_is_a_facts_error():
    with pytest.raises(FactsError, match="unknown LLDP chassis-id-type 'FOO'"):
        ChassisIdType.parse("FOO")


def test_a_golden_mismatch_fails_with_a_diff(tmp_path, monkeypatch):
    monkeypatch.delenv("FABRIC_REGEN_GOLDEN", raising=False)
    case = tmp_path / "case.txt"
    case.write_text("one\ntwo\n")
    golden_util.check_text(case, "one\ntwo\n")
    with pytest.raises(AssertionError, match=r"(?s)--- .*case.txt \(golden\).*-two\n\+three"):
        golden_util.check_text(case, "one\nthree\n")
    monkeypatch.setenv("FABRIC_REGEN_GOLDEN", "1")
    golden_util.check_text(case, "one\nthree\n")
    assert case.read_text() == "one\nthree\n"
