"""The kernel's 802.1Q backend: on a kernel without CONFIG_VLAN_8021Q (this
machine) it fails clearly; its netlink machinery is exercised with a kind
this kernel has (macvlan), in a scratch namespace."""

from __future__ import annotations

import json
import textwrap

import pytest

from cni.vlan import kernel
from cni.vlan.backend import backend_for
from cni.vlan.errors import VlanUnsupported
from cni.vlan.kernel import KernelVlanBackend, kernel_has_8021q
from labs.dataplane import testbed
from tests.vlan.conftest import kernel_8021q, ns_python

WAY_OUT = (
    "boot a kernel with CONFIG_VLAN_8021Q=y or =m (stock Debian/Ubuntu kernels have it as module 8021q), "
    "or use the userspace tagger: run `python -m cni.vlan.tagger --socket PATH` in this network namespace "
    'and pick backend_for("tagger", tagger_socket=PATH)'
)


@pytest.mark.e2e
@pytest.mark.skipif(kernel_8021q() is True, reason="this kernel has 802.1Q (the test is for kernels without)")
def test_the_kernel_backend_says_there_is_no_8021q_and_the_way_out():
    cause = (
        'this kernel has no 802.1Q VLAN devices (CONFIG_VLAN_8021Q is not set; the kernel says "Unknown device '
        f'type"): {WAY_OUT}'
    )
    with pytest.raises(VlanUnsupported) as e:
        backend_for("kernel")
    assert str(e.value) == "kernel backend: " + cause
    for call in (KernelVlanBackend().ensure, KernelVlanBackend().release):
        with pytest.raises(VlanUnsupported) as e:
            call("eth1", 10)
        assert str(e.value) == "VLAN 10 of eth1: " + cause
        assert not e.value.temporary


@pytest.mark.e2e
def test_the_probe_creates_nothing():
    before = testbed.ip("-o", "link", "show")
    found, said = kernel.probe_8021q.__wrapped__()
    assert found is kernel_has_8021q()
    assert said == ("VLAN properties not specified" if found else "Unknown device type")
    assert testbed.ip("-o", "link", "show") == before


NETLINK_LIFECYCLE = textwrap.dedent(
    """
    import errno, json, struct, socket
    from cni.vlan import netlink
    out = {}
    with netlink.Rtnl() as nl:
        parent = nl.get_link("trunk-a")
        out["parent_kind"] = parent.kind
        mode = netlink.attr(1, struct.pack("=I", 4))  # IFLA_MACVLAN_MODE bridge
        nl.add_link("mv0", "macvlan", link=parent.ifindex, data=mode)
        try:
            nl.add_link("mv0", "macvlan", link=parent.ifindex, data=mode)
        except netlink.NetlinkError as e:
            out["again"] = errno.errorcode[e.errno]
        mv = nl.get_link("mv0")
        out["kind"], out["link_is_parent"], out["up_before"] = mv.kind, mv.link == parent.ifindex, mv.up
        out["mode"] = struct.unpack("=I", mv.info_data[1])[0]
        nl.set_up(mv.ifindex)
        out["up_after"] = nl.get_link("mv0").up
        nl.delete_link(mv.ifindex)
        out["gone"] = nl.get_link("mv0") is None
        try:
            nl.add_link("x0", "no-such-kind")
        except netlink.NetlinkError as e:
            out["unknown_kind"] = [e.errno == errno.EOPNOTSUPP, e.kernel_message]
    print(json.dumps(out))
    """
)


@pytest.mark.e2e
def test_the_netlink_calls_of_the_kernel_backend_work(pair):
    res = ns_python(pair.a, NETLINK_LIFECYCLE)
    assert json.loads(res.stdout) == {
        "parent_kind": "veth",
        "again": "EEXIST",
        "kind": "macvlan",
        "link_is_parent": True,
        "up_before": False,
        "mode": 4,
        "up_after": True,
        "gone": True,
        "unknown_kind": [True, "Unknown device type"],
    }


KERNEL_BACKEND = textwrap.dedent(
    """
    import json, subprocess
    from cni.vlan.errors import VlanError
    from cni.vlan.kernel import KernelVlanBackend
    b = KernelVlanBackend()
    out = {}
    try:
        out["name"] = b.ensure("trunk-a", 10)
        out["again"] = b.ensure("trunk-a", 10)
        out["link"] = subprocess.run(["ip", "-d", "link", "show", "trunk-a.10"], capture_output=True, text=True).stdout
        b.release("trunk-a", 10)
        b.release("trunk-a", 10)
        out["after"] = subprocess.run(["ip", "link", "show", "trunk-a.10"], capture_output=True).returncode
    except VlanError as e:
        out["error"] = [type(e).__name__, str(e)]
    print(json.dumps(out))
    """
)


@pytest.mark.e2e
def test_the_kernel_backend_in_a_namespace(pair):
    """On this machine: the clear error, from inside a namespace too; on a
    kernel with 802.1Q: a real sub-interface, idempotent both ways."""
    out = json.loads(ns_python(pair.a, KERNEL_BACKEND).stdout)
    if not kernel_has_8021q():
        assert out["error"][0] == "VlanUnsupported"
        assert out["error"][1].startswith("VLAN 10 of trunk-a: this kernel has no 802.1Q VLAN devices")
        return
    assert out["name"] == out["again"] == "trunk-a.10"
    assert "vlan protocol 802.1Q id 10" in out["link"] and ",UP" in out["link"]
    assert out["after"] != 0
