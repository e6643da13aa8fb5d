from __future__ import annotations

import pytest

from models.ids import PortName
from models.intent import Placement
from tests.topology.golden import assert_golden
from tests.topology.seed import PORT_MAP, SW1, SW2, SWITCHES, ref
from topology.errors import FactsError, PortMapError
from topology.facts import StaticLink
from topology.portmap import StaticPortMap, parse_port_map


def test_seed_map_normalises_every_port_to_its_openconfig_name():
    pm = parse_port_map(PORT_MAP, SWITCHES)
    assert len(pm) == 6
    assert pm.placement(ref("server2", "eth1")) == Placement(switch=SW1, port=PortName("ethernet-1/2"))
    assert pm.placement(ref("server3", "eth2")) == Placement(switch=SW2, port=PortName("ethernet-1/3"))
    assert pm.placement(ref("server9", "eth1")) is None
    assert pm.by_ref[ref("server1", "eth1")].line == 2


@pytest.mark.parametrize("port", ["e1-5", "ethernet-1/5"], ids=["containerlab", "openconfig"])
def test_any_name_of_the_port_is_accepted(port):
    pm = parse_port_map(f"server1/eth1: sw1/{port}\n", SWITCHES)
    assert pm.links == (
        StaticLink(
            node=ref("server1", "eth1").node,
            nic=ref("server1", "eth1").nic,
            switch=SW1,
            port=PortName("ethernet-1/5"),
            line=1,
        ),
    )


@pytest.mark.parametrize("text", ["", "# nothing yet\n"], ids=["empty", "comment-only"])
def test_an_empty_map_is_valid(text):
    assert len(parse_port_map(text, SWITCHES)) == 0


def test_links_are_sorted_whatever_the_order_written():
    text = "server2/eth1: sw1/e1-2\nserver1/eth1: sw1/e1-1\n"
    assert [str(link.ref) for link in parse_port_map(text, SWITCHES).links] == [
        "server1/eth1",
        "server2/eth1",
    ]


ERROR_CASES = {
    "unknown-switch": "server1/eth1: sw9/e1-1\n",
    "spine": "server1/eth1: spine1/e1-7\n",
    "bad-port-name": "server1/eth1: sw1/Ethernet1\n",
    "bad-nic-name": "server1/not a nic: sw1/e1-1\n",
    "nic-mapped-twice": "server1/eth1: sw1/e1-1\nserver2/eth1: sw1/e1-2\nserver1/eth1: sw2/e1-1\n",
    "port-claimed-twice": "server1/eth1: sw1/e1-1\nserver2/eth1: sw1/ethernet-1/1\n",
    "not-node-slash-nic": "server1: sw1/e1-1\nserver2/eth1: sw1\n",
    "nested-value": "server1:\n  eth1: sw1/e1-1\n",
    "not-a-mapping": "- server1/eth1: sw1/e1-1\n",
    "not-yaml": "server1/eth1: [sw1/e1-1\n",
    "every-problem-at-once": (
        "server1/eth1: sw1/e1-1\nserver1/eth1: sw1/e1-2\nserver2/eth1: sw1/e1-1\n"
        "server3/eth1: sw7/e1-3\nserver3/eth2: sw2/e1-0\n"
    ),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_errors_name_line_and_entry(case):
    with pytest.raises(PortMapError) as err:
        parse_port_map(ERROR_CASES[case], SWITCHES, source="ports.yaml")
    assert err.value.problems
    assert_golden(f"portmap-errors/{case}.txt", str(err.value) + "\n")


def test_every_problem_is_reported_not_only_the_first():
    with pytest.raises(PortMapError) as err:
        parse_port_map(ERROR_CASES["every-problem-at-once"], SWITCHES)
    assert [p.line for p in err.value.problems] == [2, 3, 4, 5]


def test_a_map_built_in_code_refuses_a_nic_twice():
    link = StaticLink(node=ref("s", "eth1").node, nic=ref("s", "eth1").nic, switch=SW1, port=PortName("ethernet-1/1"))
    with pytest.raises(FactsError, match="mapped twice"):
        StaticPortMap(links=(link, link))
