"""The interface naming rule and the request checks of the VLAN seam (cni/vlan/names.py)."""

from __future__ import annotations

import pytest

from cni.vlan.errors import VlanInvalid
from cni.vlan.names import KERNEL_SEP, check_request, ifname_problem, vlan_ifname, vlan_problem


def test_short_names_are_parent_v_vlan():
    assert vlan_ifname("trunk-a", 10) == "trunk-av10"
    assert vlan_ifname("eth1", 4094) == "eth1v4094"
    assert vlan_ifname("e1-1", 10, sep=KERNEL_SEP) == "e1-1.10"
    assert vlan_ifname("enp0s31f6", 4094) == "enp0s31f6v4094"  # exactly 14


def test_long_names_are_cut_to_15_deterministically():
    name = vlan_ifname("enx00e04c680001", 10)
    assert len(name) == 15
    assert name.startswith("enx00e04") and name.endswith("v10")
    assert vlan_ifname("enx00e04c680001", 10) == name  # deterministic
    other = vlan_ifname("enx00e04c680002", 10)
    assert other != name and len(other) == 15  # same cut prefix, other parent
    assert vlan_ifname("a-fifteen-chars", 4094, sep=KERNEL_SEP).endswith(".4094")
    assert ifname_problem(vlan_ifname("a-fifteen-chars", 4094)) is None


@pytest.mark.parametrize("parent", ["e", "eth1", "abcdefghij", "abcdefghijk", "abcdefghijklmno"])
@pytest.mark.parametrize("vlan", [1, 10, 999, 4094])
def test_every_name_is_a_valid_interface_name(parent, vlan):
    for sep in ("v", "."):
        name = vlan_ifname(parent, vlan, sep=sep)
        assert ifname_problem(name) is None, name
        assert name.endswith(f"{sep}{vlan}")


def test_interface_name_problems():
    assert ifname_problem("eth1") is None
    assert "longer than 15" in ifname_problem("x" * 16)
    assert "not allowed" in ifname_problem("eth/1")
    assert "not allowed" in ifname_problem("eth 1")
    assert "not allowed" in ifname_problem("eth1:0")
    assert "not allowed" in ifname_problem("..")
    assert "non-empty string" in ifname_problem("")
    assert "non-empty string" in ifname_problem(7)


def test_vlan_problems():
    assert vlan_problem(1) is None and vlan_problem(4094) is None
    for bad in (0, 4095, -1, True, "10", 10.0, None):
        assert "not an integer in 1..4094" in vlan_problem(bad)


def test_check_request_names_parent_vlan_and_every_problem():
    with pytest.raises(VlanInvalid) as e:
        check_request("eth/1", 5000)
    assert str(e.value) == (
        "VLAN 5000 of eth/1: interface name 'eth/1': '/', ':', white space, '.' and '..' are not allowed; "
        "VLAN id 5000: not an integer in 1..4094"
    )
    assert e.value.parent == "eth/1" and e.value.vlan == 5000
    check_request("eth1", 10)


def test_the_seam_imports_lean():
    """The CNI plugin is a short-lived process: the seam (both backends and
    the tagger's wire protocol) pulls in no asyncio, subprocess, logging,
    lab or plugin code, nor the tagger process. (dataclasses it may: the
    plugin's own config is made of them, so it is loaded anyway.)"""
    import subprocess
    import sys

    code = "import sys; import cni.vlan.backend; print(' '.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    )
    assert {"cni.vlan.kernel", "cni.vlan.client", "cni.vlan.protocol", "cni.vlan.netlink"} <= loaded
    heavy = {"asyncio", "subprocess", "logging", "labs", "grpc", "yaml", "hashlib", "threading", "pydantic"}
    assert not heavy & loaded
    assert not {m for m in loaded if m.startswith(("cni.plugin", "cni.vlan.tagger"))}
