"""The MAC-VRFs' RD and route targets in FRR: read back and planned."""

from __future__ import annotations

from labs.emulator.linux.frrvni import FrrVni, commands, parse, plan

RUNNING = """\
router bgp 65001
 bgp router-id 10.0.0.11
 neighbor fabric peer-group
 !
 address-family ipv4 unicast
  network 10.0.0.11/32
 exit-address-family
 !
 address-family l2vpn evpn
  neighbor fabric activate
  advertise-all-vni
  vni 1111
   rd 10.0.0.11:7
   route-target import 65000:1111
   route-target export 65000:1111
  exit-vni
  vni 2222
   route-target both 65000:2222
  exit-vni
 exit-address-family
exit
"""


def test_parse_reads_every_vni_block():
    assert parse(RUNNING) == {
        1111: FrrVni(vni=1111, rd="10.0.0.11:7", imports=frozenset({"65000:1111"}), exports=frozenset({"65000:1111"})),
        2222: FrrVni(vni=2222, imports=frozenset({"65000:2222"}), exports=frozenset({"65000:2222"})),
    }
    assert parse("router bgp 65001\n address-family l2vpn evpn\n  advertise-all-vni\n exit-address-family\n") == {}


def test_plan_adds_changes_and_removes_exactly_the_difference():
    have = parse(RUNNING)
    want = {
        1111: FrrVni(vni=1111, rd=None, imports=frozenset({"65000:1111"}), exports=frozenset({"65000:9"})),
        3333: FrrVni(vni=3333, rd="10.0.0.11:9", imports=frozenset({"65000:3333"}), exports=frozenset({"65000:3333"})),
    }
    assert plan(want, have) == [
        "no vni 2222",
        "vni 1111",
        "no rd 10.0.0.11:7",
        "no route-target export 65000:1111",
        "route-target export 65000:9",
        "exit-vni",
        "vni 3333",
        "rd 10.0.0.11:9",
        "route-target import 65000:3333",
        "route-target export 65000:3333",
        "exit-vni",
    ]
    assert plan(have, have) == []
    assert commands(65001, []) == []
    assert commands(65001, ["no vni 1"])[:3] == ["configure terminal", "router bgp 65001", "address-family l2vpn evpn"]
