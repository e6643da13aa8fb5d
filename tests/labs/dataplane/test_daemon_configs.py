"""What the Linux lab gives its daemons and links, per lab file (golden
files: `make golden` rewrites them; review the diff)."""

from __future__ import annotations

import pytest

from labs.dataplane import frr, lldpd, netns
from tests.labs.golden import check_golden


def rendered(lab) -> str:
    out = [f"# ip -batch - (root namespace), lab {lab.name}\n"]
    out.append(netns.link_commands(lab, {n: f"fl-{lab.name}-{n}" for n in lab.nodes}))
    for name, node in lab.nodes.items():
        out.append(f"\n# ===== {name} ({node.role})\n## ip -n NS -batch -\n{netns.node_commands(lab, name)}")
        out.append(f"## lldpd.conf\n{lldpd.config(lab, name)}")
        if node.is_switch:
            out.append(f"## zebra.conf\n{frr.zebra_config(lab, name)}")
            out.append(f"## bgpd.conf\n{frr.bgpd_config(lab, name)}")
    return "".join(out)


@pytest.mark.parametrize("name", ["seed", "dc"])
def test_daemon_configs_golden(name, request):
    lab = request.getfixturevalue(name)
    check_golden(f"dataplane/{lab.name}.daemons.txt", rendered(lab))


def test_bgp_unnumbered_only_on_links_between_switches(dc):
    assert frr.fabric_ports(dc, "leaf1") == ["e1-49", "e1-50"]
    assert frr.fabric_ports(dc, "spine2") == ["e1-1", "e1-2", "e1-3", "e1-4"]
    leaf = frr.bgpd_config(dc, "leaf4")
    assert "router bgp 4200000001" in leaf and "  advertise-all-vni" in leaf
    assert "network 10.0.0.14/32" in leaf and "neighbor e1-1 " not in leaf
    assert "advertise-all-vni" not in frr.bgpd_config(dc, "spine1")


def test_switch_ports_advertise_their_openconfig_name(seed):
    conf = lldpd.config(seed, "sw1")
    assert "configure ports e1-49 lldp portidsubtype local ethernet-1/49 description ethernet-1/49" in conf
    assert "portidsubtype local" not in lldpd.config(seed, "server1")


def test_lldpd_is_restricted_to_the_lab_ports(seed):
    from labs.run.statefile import NodeRecord

    node = NodeRecord(name="sw1", role="leaf", netns="x", dir="/s/n/sw1", uts="/s/n/sw1/uts", lldp_socket="/s/l.sock")
    argv = lldpd.argv(seed, node)
    assert argv[argv.index("-I") + 1] == argv[argv.index("-C") + 1] == "e1-1,e1-2,e1-3,e1-49"
    assert argv[argv.index("-u") + 1] == "/s/l.sock"


def test_frr_daemons_get_every_path_and_no_tcp_vty():
    from labs.run.statefile import NodeRecord

    node = NodeRecord(
        name="sw1", role="leaf", netns="x", dir="/s/n/sw1", uts="/s/u", lldp_socket="/s/l", frr_dir="/s/n/sw1/frr"
    )
    argv = frr.argv("bgpd", node)
    assert "-N" not in argv
    pairs = dict(zip(argv[1::2], argv[2::2], strict=False))
    assert pairs["--vty_socket"] == "/s/n/sw1/frr" and pairs["-z"] == "/s/n/sw1/frr/zserv.api"
    assert pairs["-P"] == "0" and pairs["-i"] == "/s/n/sw1/frr/bgpd.pid"
