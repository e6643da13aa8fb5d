"""The userspace tagger between two namespaces: namespaces A and B joined by
``trunk-a`` <-> ``trunk-b``, a tagger in each (root; CI runs these).

VLAN 10 and VLAN 20 get addresses of one subnet (10.10.0.1/.2 on VLAN 10,
.3/.4 on VLAN 20). Each namespace answers ARP only for addresses of the
receiving interface and routes each peer through its own VLAN's tap, so
whether VLAN 10 reaches VLAN 20 is up to the tagger (L2), not to routing.
"""

from __future__ import annotations

import hashlib
import random
import textwrap

import pytest

from labs.dataplane import testbed
from tests.vlan.conftest import links, mac_of, ns_python, ping, ping_ok

pytestmark = pytest.mark.e2e

ADDR = {("a", 10): "10.10.0.1", ("b", 10): "10.10.0.2", ("a", 20): "10.10.0.3", ("b", 20): "10.10.0.4"}


def vlans_10_and_20(pair) -> dict[tuple[str, int], str]:
    """ensure(trunk, 10) and ensure(trunk, 20) on both sides, addresses and
    per-VLAN host routes; {(side, vlan): tap}."""
    taps = {}
    for side, ns, tagger in (("a", pair.a, pair.tagger_a), ("b", pair.b, pair.tagger_b)):
        for vlan in (10, 20):
            taps[side, vlan] = tagger.client().ensure(f"trunk-{side}", vlan)
            testbed.ip("addr", "add", f"{ADDR[side, vlan]}/24", "dev", taps[side, vlan], netns=ns)
    for side, peer, ns in (("a", "b", pair.a), ("b", "a", pair.b)):
        for vlan in (10, 20):
            testbed.ip("route", "add", f"{ADDR[peer, vlan]}/32", "dev", taps[side, vlan], netns=ns)
    return taps


def test_vlans_ping_across_tagged_on_the_wire_and_isolated(pair, capture):
    taps = vlans_10_and_20(pair)
    assert taps == {("a", 10): "trunk-av10", ("a", 20): "trunk-av20", ("b", 10): "trunk-bv10", ("b", 20): "trunk-bv20"}
    wire = capture(pair.a, "trunk-a")
    ping_ok(pair.a, ADDR["b", 10], dev=taps["a", 10])
    ping_ok(pair.a, ADDR["b", 20], dev=taps["a", 20])
    lines = wire.stop()
    echo10 = [x for x in lines if "vlan 10," in x and f"{ADDR['a', 10]} > {ADDR['b', 10]}: ICMP echo request" in x]
    reply10 = [x for x in lines if "vlan 10," in x and f"{ADDR['b', 10]} > {ADDR['a', 10]}: ICMP echo reply" in x]
    echo20 = [x for x in lines if "vlan 20," in x and f"{ADDR['a', 20]} > {ADDR['b', 20]}: ICMP echo request" in x]
    reply20 = [x for x in lines if "vlan 20," in x and f"{ADDR['b', 20]} > {ADDR['a', 20]}: ICMP echo reply" in x]
    assert echo10 and reply10 and echo20 and reply20, "\n".join(lines)
    assert all("ethertype 802.1Q (0x8100)" in x for x in echo10 + reply10 + echo20 + reply20)
    assert not [x for x in lines if "ICMP echo" in x and "802.1Q" not in x], "untagged echo on the trunk"

    # L2 isolation: VLAN 10 asks for VLAN 20's address of the same subnet
    src_mac = mac_of(pair.a, taps["a", 10])
    on_b10 = capture(pair.b, taps["b", 10], f"arp and ether src {src_mac}")
    on_b20 = capture(pair.b, taps["b", 20], f"ether src {src_mac}")
    res = ping(pair.a, ADDR["b", 20], dev=taps["a", 10], count=3)
    assert res.returncode != 0 and " 0 received" in res.stdout, res.stdout
    asked = on_b10.stop()
    assert any(f"Request who-has {ADDR['b', 20]}" in x for x in asked), asked  # it went out, on VLAN 10
    assert on_b20.stop() == []  # and never reached VLAN 20
    stats = pair.tagger_b.client().stats()["trunk-b"]
    assert stats["vlans"]["10"]["to_tap"] > 0 and stats["vlans"]["20"]["to_tap"] > 0
    assert stats["tx_dropped"] == stats["rx_truncated"] == stats["errors"] == 0


def test_a_tcp_transfer_over_vlan_10_arrives_intact(pair):
    taps = vlans_10_and_20(pair)
    ping_ok(pair.a, ADDR["b", 10], dev=taps["a", 10])
    size = 4 * 1024 * 1024
    got = testbed.tcp_transfer(pair.b, pair.a, ADDR["b", 10], size)
    assert got["bytes"] == size
    assert got["sha256"] == hashlib.sha256(random.Random(7).randbytes(size)).hexdigest()
    print(f"4 MiB over VLAN 10 through two taggers: {size / got['seconds'] / 1e6:.1f} MB/s")


def test_a_vlan_tap_in_a_bridge_reaches_a_third_namespace(pair):
    """A leaf delivers VLAN 10 of its port into the bridge of a VNI: here
    B's VLAN-10 tap and a veth to namespace C share bridge br10."""
    tap_a = pair.tagger_a.client().ensure("trunk-a", 10)
    tap_b = pair.tagger_b.client().ensure("trunk-b", 10)
    c = pair.add_netns("c")
    testbed.ip("link", "add", "br10", "type", "bridge", netns=pair.b)
    testbed.ip("link", "add", "host-c", "netns", pair.b, "type", "veth", "peer", "name", "eth1", "netns", c)
    for dev in (tap_b, "host-c"):
        testbed.ip("link", "set", dev, "master", "br10", netns=pair.b)
    for ns, dev in ((pair.b, "host-c"), (pair.b, "br10"), (c, "eth1")):
        testbed.ip("link", "set", dev, "up", netns=ns)
    testbed.ip("addr", "add", "10.10.0.1/24", "dev", tap_a, netns=pair.a)
    testbed.ip("addr", "add", "10.10.0.30/24", "dev", "eth1", netns=c)
    ping_ok(pair.a, "10.10.0.30")
    ping_ok(c, "10.10.0.1")
    got = testbed.tcp_transfer(c, pair.a, "10.10.0.30", 1 << 20, seed=3)
    assert got["sha256"] == hashlib.sha256(random.Random(3).randbytes(1 << 20)).hexdigest()


def test_pods_share_a_vlan_tap_through_macvlans(pair):
    """The CNI's shape: one VLAN interface of the uplink, a macvlan (bridge
    mode) per pod on it, in the pod's namespace."""
    tap_a = pair.tagger_a.client().ensure("trunk-a", 10)
    client_b = pair.tagger_b.client()
    tap_b = client_b.ensure("trunk-b", 10)
    assert client_b.ensure("trunk-b", 10) == tap_b  # the second pod's ensure
    testbed.ip("addr", "add", "10.10.0.1/24", "dev", tap_a, netns=pair.a)
    pods = [pair.add_netns("pod1"), pair.add_netns("pod2")]
    for i, pod in enumerate(pods, start=1):
        testbed.ip("link", "add", f"net{i}", "link", tap_b, "type", "macvlan", "mode", "bridge", netns=pair.b)
        testbed.ip("link", "set", f"net{i}", "netns", pod, netns=pair.b)
        testbed.ip("addr", "add", f"10.10.0.1{i}/24", "dev", f"net{i}", netns=pod)
        testbed.ip("link", "set", f"net{i}", "up", netns=pod)
    ping_ok(pods[0], "10.10.0.1")
    ping_ok(pods[1], "10.10.0.1")
    ping_ok(pods[0], "10.10.0.12")  # pod to pod on the same tap: macvlan bridge mode
    ping_ok(pair.a, "10.10.0.11")


def test_taps_follow_the_trunk_mtu(tmp_path):
    with testbed.trunk_pair(tmp_path / "run", mtu=9000) as pair:
        tap_a = pair.tagger_a.client().ensure("trunk-a", 10)
        tap_b = pair.tagger_b.client().ensure("trunk-b", 10)
        for ns, tap in ((pair.a, tap_a), (pair.b, tap_b)):
            assert " mtu 9000 " in testbed.ip("-o", "link", "show", "dev", tap, netns=ns)
        testbed.ip("addr", "add", "10.10.0.1/24", "dev", tap_a, netns=pair.a)
        testbed.ip("addr", "add", "10.10.0.2/24", "dev", tap_b, netns=pair.b)
        ping_ok(pair.a, "10.10.0.2", size=8972, dont_fragment=True)  # a 9000-byte IP packet, tagged: 9018 on the wire
        res = ping(pair.a, "10.10.0.2", size=8973, dont_fragment=True, count=1)
        assert res.returncode != 0 and "message too long" in (res.stdout + res.stderr).lower()


RAW_FRAMES = textwrap.dedent(
    """
    import socket
    from cni.vlan.tagger.frames import insert_tag
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind(("trunk-b", 0))
    frame = bytes.fromhex("ffffffffffff020000000099") + b"\\x88\\xb5" + b"fabricd test frame".ljust(46, b".")
    for _ in range(3):
        s.send(frame)                  # untagged
        s.send(insert_tag(frame, 30))  # a VLAN the other side does not serve
        s.send(insert_tag(frame, 10))  # served
    """
)


def test_untagged_and_unknown_vlan_frames_are_dropped_and_counted(pair):
    client = pair.tagger_a.client()
    tap = client.ensure("trunk-a", 10)
    before = client.stats()["trunk-a"]
    ns_python(pair.b, RAW_FRAMES)
    wanted = {"rx_untagged": 3, "rx_unknown_vlan": 3}
    deadline = testbed.time.monotonic() + 20
    while True:
        now = client.stats()["trunk-a"]
        if all(now[k] - before[k] >= v for k, v in wanted.items()) and now["vlans"]["10"]["to_tap"] >= 3:
            break
        assert testbed.time.monotonic() < deadline, now
        testbed.time.sleep(0.05)
    assert now["vlans"]["10"]["ifname"] == tap


def test_ensure_is_idempotent_and_release_removes_the_tap(pair):
    client = pair.tagger_a.client()
    assert client.call("ensure", parent="trunk-a", vlan=10)["created"] is True
    assert client.call("ensure", parent="trunk-a", vlan=10) == {"ok": True, "ifname": "trunk-av10", "created": False}
    assert client.ensure("trunk-a", 20, ifname="blue") == "blue"
    assert client.list() == [
        {"parent": "trunk-a", "vlan": 10, "ifname": "trunk-av10"},
        {"parent": "trunk-a", "vlan": 20, "ifname": "blue"},
    ]
    assert {"trunk-av10", "blue"} <= links(pair.a)
    assert " promiscuity 1 " in testbed.ip("-d", "-o", "link", "show", "dev", "trunk-a", netns=pair.a)
    client.release("trunk-a", 10)
    assert "trunk-av10" not in links(pair.a) and "blue" in links(pair.a)
    assert client.call("release", parent="trunk-a", vlan=10) == {"ok": True, "released": False}
    client.release("trunk-a", 20)
    assert links(pair.a) == {"lo", "trunk-a"}
    assert client.stats() == {}  # the trunk socket is closed with its last VLAN
    assert " promiscuity 0 " in testbed.ip("-d", "-o", "link", "show", "dev", "trunk-a", netns=pair.a)


def test_ensure_errors_name_parent_vlan_and_cause(pair):
    from cni.vlan.client import TaggerVlanBackend
    from cni.vlan.errors import VlanInvalid

    client = pair.tagger_a.client()
    with pytest.raises(VlanInvalid) as e:
        client.ensure("eth9", 10)
    assert str(e.value) == "VLAN 10 of eth9: tagger: eth9: no such interface in the tagger's network namespace"
    with pytest.raises(VlanInvalid, match=r"^VLAN 10 of lo: tagger: lo: not an Ethernet interface"):
        client.ensure("lo", 10)
    client.ensure("trunk-a", 10)
    with pytest.raises(
        VlanInvalid, match=r"^VLAN 10 of trunk-a: tagger: VLAN 10 of trunk-a is already served as trunk-av10, not x"
    ):
        client.ensure("trunk-a", 10, ifname="x")
    with pytest.raises(VlanInvalid, match=r"^VLAN 20 of trunk-a: tagger: trunk-av10 already serves VLAN 10 of trunk-a"):
        client.ensure("trunk-a", 20, ifname="trunk-av10")
    with pytest.raises(VlanInvalid, match=r"^VLAN 20 of trunk-a: tagger: lo already exists and is not a free tap"):
        client.ensure("trunk-a", 20, ifname="lo")
    # the seam's promise: the interface is in the caller's namespace
    with pytest.raises(VlanInvalid, match=r"this tagger serves network namespace net:\[\d+\], the request comes from"):
        TaggerVlanBackend(pair.tagger_a.socket).ensure("trunk-a", 30)
    assert client.list() == [{"parent": "trunk-a", "vlan": 10, "ifname": "trunk-av10"}]


def test_a_client_in_the_taggers_namespace_uses_the_default_backend(pair):
    code = textwrap.dedent(
        """
        import sys
        from cni.vlan.backend import backend_for
        b = backend_for("auto", tagger_socket=sys.argv[1])
        print(b.name, b.ensure("trunk-b", 42))
        b.release("trunk-b", 42)
        """
    )
    assert ns_python(pair.b, code, pair.tagger_b.socket).stdout.split() == ["tagger", "trunk-bv42"]
    assert "trunk-bv42" not in links(pair.b)
