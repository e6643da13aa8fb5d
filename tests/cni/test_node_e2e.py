"""fabric-cni GC, STATUS, DEL while fabricd is down, and each of its error
codes against a real fabricd and real namespaces (root)."""

from __future__ import annotations

import json

import pytest

from cni.plugin import errors
from tests.cni.conftest import unix_fabric
from tests.controller.fabric import eventually

pytestmark = pytest.mark.e2e


def with_ips(conf, *ips):
    return {**conf, "runtimeConfig": {"ips": list(ips)}}


def gc_conf(conf, *valid):
    return {**conf, "cni.dev/valid-attachments": [{"containerID": c, "ifname": i} for c, i in valid]}


async def test_gc_per_network(api, bed):
    blue, green = await api.nad("blue"), await api.nad("green")
    pods = {c: bed.pod(c) for c in ("c1", "c2", "c3")}
    for i, (c, p) in enumerate(pods.items(), start=1):
        who = ("default", f"pod-{c}", f"uid-{c}")
        (await bed.cni("server1", "ADD", with_ips(blue, f"10.11.0.{i}/24"), netns=p, container=c, pod=who)).ok()
        (await bed.cni("server1", "ADD", with_ips(green, f"10.22.0.{i}/24"), netns=p, container=c, pod=who,
                       ifname="net2")).ok()  # fmt: skip
    assert len(await api.attachments()) == 6

    # the runtime still knows c1 on blue: c2 and c3 go from blue, green is not touched
    (await bed.cni("server1", "GC", gc_conf(blue, ("c1", "net1")), container="", ifname="", pod=None)).ok()
    left = sorted((a.id.network.name, a.container_id) for a in await api.attachments())
    assert left == [("blue", "c1"), ("green", "c1"), ("green", "c2"), ("green", "c3")]
    st = bed.node_state("server1")
    assert sorted(st["attachments"]) == ["blue/c1/net1", "green/c1/net2", "green/c2/net2", "green/c3/net2"]
    assert "net1" not in bed.links(pods["c2"].rsplit("/", 1)[1]) and "net2" in bed.links(pods["c2"].rsplit("/", 1)[1])
    assert sorted(sorted(u["users"]) for u in st["vlans"].values()) == [
        ["blue/c1/net1"],
        ["green/c1/net2", "green/c2/net2", "green/c3/net2"],
    ]

    # GC with nothing valid empties the network, here and at fabricd
    (await bed.cni("server1", "GC", gc_conf(green), container="", ifname="", pod=None)).ok()
    assert [(a.id.network.name, a.container_id) for a in await api.attachments()] == [("blue", "c1")]
    assert [u["users"] for u in bed.node_state("server1")["vlans"].values()] == [["blue/c1/net1"]]


async def test_gc_is_scoped_by_the_cni_network_name(api, bed):
    """Item 11: two NADs of different names for one fabric network; GC of one
    (with nothing valid) never detaches the other's pods, here or at fabricd."""
    one, two = await api.nad("blue", name="blue-one"), await api.nad("blue", name="blue-two")
    pods = {c: bed.pod(c) for c in ("c1", "c2")}
    for i, (c, p) in enumerate(pods.items(), start=1):
        who = ("default", f"pod-{c}", f"uid-{c}")
        conf = one if c == "c1" else two
        (await bed.cni("server1", "ADD", with_ips(conf, f"10.11.0.{i}/24"), netns=p, container=c, pod=who)).ok()
    atts = await api.attachments()
    assert sorted((a.cni_network, a.container_id) for a in atts) == [("blue-one", "c1"), ("blue-two", "c2")]

    (await bed.cni("server1", "GC", gc_conf(one), container="", ifname="", pod=None)).ok()
    assert [(a.cni_network, a.container_id) for a in await api.attachments()] == [("blue-two", "c2")]
    assert sorted(bed.node_state("server1")["attachments"]) == ["blue-two/c2/net1"]
    assert "net1" in bed.links(pods["c2"].rsplit("/", 1)[1])
    (await bed.cni("server1", "GC", gc_conf(two, ("c2", "net1")), container="", ifname="", pod=None)).ok()
    assert [a.container_id for a in await api.attachments()] == ["c2"]


async def test_the_node_name_comes_from_the_environment_before_the_host_name(api, bed):
    """Item 21: kubelet's --hostname-override: the host name is not the node's name."""
    conf = with_ips(await api.nad("blue"), "10.11.0.1/24")
    pod = bed.pod("h")
    env = {"K8S_NODE_NAME": "server1"}
    (await bed.cni("server1", "ADD", conf, netns=pod, hostname="ip-10-0-0-7.example", env=env)).ok()
    [att] = await api.attachments()
    assert att.node == "server1"
    (await bed.cni("server1", "DEL", conf, netns=pod, hostname="ip-10-0-0-7.example", env=env)).ok()
    assert await api.attachments() == []


async def test_status_up_down_and_limited(fabric, bed):
    async with fabric.up() as api:
        conf = await api.nad("blue")
        (await bed.cni("server1", "STATUS", conf, container="", ifname="", pod=None)).ok()
    # fabricd stopped: it cannot serve ADD
    doc = (await bed.cni("server1", "STATUS", conf, container="", ifname="", pod=None)).error(errors.NOT_AVAILABLE)
    assert fabric.socket in doc["msg"]
    async with fabric.up(networks=False) as api:
        pod = bed.pod("s")
        (await bed.cni("server1", "ADD", with_ips(conf, "10.11.0.1/24"), netns=pod)).ok()
        # the node's tagger dies (taking the pod's sub-interface): existing pods lost connectivity
        from labs.dataplane.tagger import stop_tagger

        stop_tagger(bed.nodes["server1"].tagger)
        doc = (await bed.cni("server1", "STATUS", conf, container="", ifname="", pod=None)).error(
            errors.NOT_AVAILABLE_LIMITED
        )
        assert "existing pods of this node lost their VLAN sub-interfaces" in doc["msg"]
        # its DEL still succeeds: the macvlan and the tap went with the tagger, IPAM is released
        (await bed.cni("server1", "DEL", conf, netns=pod)).ok()
        st = bed.node_state("server1")
        assert st["attachments"] == {} and st["vlans"] == {}
        assert await api.attachments() == []
        # a node without pods and without its tagger: cannot serve ADD
        doc = (await bed.cni("server1", "STATUS", conf, container="", ifname="", pod=None)).error(errors.NOT_AVAILABLE)
        assert "no tagger socket at" in doc["msg"]
        (await bed.cni("server2", "STATUS", conf, container="", ifname="", pod=None)).ok()


async def test_del_with_the_controller_down_is_told_later(fabric, bed):
    """DEL succeeds locally at once; the Detach is owed and sent on the next
    run that reaches fabricd (here STATUS, which runtimes call periodically)."""
    pod = bed.pod("x")
    async with fabric.up() as api:
        conf = await api.nad("blue")
        (await bed.cni("server1", "ADD", with_ips(conf, "10.11.0.1/24"), netns=pod)).ok()
        [att] = await api.attachments()
    (await bed.cni("server1", "DEL", conf, netns=pod)).ok()
    st = bed.node_state("server1")
    assert st["attachments"] == {} and st["vlans"] == {}
    assert [(p["pod_name"], p["container_id"], p["ifname"]) for p in st["pendingDetach"]] == [("pod-a", "c1", "net1")]
    assert f"eth1v{att.vlan}" not in bed.links(bed.nodes["server1"].netns)
    async with fabric.up(networks=False) as api:
        assert len(await api.attachments()) == 1  # fabricd kept it: nobody told it yet
        (await bed.cni("server1", "STATUS", conf, container="", ifname="", pod=None)).ok()
        assert await api.attachments() == []
        assert bed.node_state("server1")["pendingDetach"] == []
        await eventually(lambda: api.trunk_vlans("sw1", "ethernet-1/1") == [], what="VLAN off the leaf")


async def test_a_new_add_is_never_overtaken_by_an_owed_detach(fabric, bed):
    pod = bed.pod("y")
    async with fabric.up() as api:
        conf = with_ips(await api.nad("blue"), "10.11.0.1/24")
        (await bed.cni("server1", "ADD", conf, netns=pod)).ok()
    (await bed.cni("server1", "DEL", conf, netns=pod)).ok()  # Detach owed
    async with fabric.up(networks=False) as api:
        (await bed.cni("server1", "ADD", conf, netns=pod)).ok()  # the same container again
        (await bed.cni("server1", "STATUS", conf, container="", ifname="", pod=None)).ok()
        [att] = await api.attachments()
        assert att.container_id == "c1" and bed.node_state("server1")["pendingDetach"] == []


# ----------------------------------------------------------------- errors


async def test_11_try_again_when_fabricd_is_unreachable(fabric, bed):
    async with fabric.up() as api:
        conf = await api.nad("blue")
    doc = (await bed.cni("server1", "ADD", conf, netns=bed.pod("e"))).error(errors.TRY_AGAIN)
    assert f"fabricd at unix://{fabric.socket} is not reachable" in doc["msg"] and "try again later" in doc["msg"]
    assert bed.node_state("server1").get("attachments", {}) == {}


async def test_101_refused_unknown_network_and_nic(api, bed):
    conf = await api.nad("blue")
    doc = (await bed.cni("server1", "ADD", {**conf, "network": "default/nope"}, netns=bed.pod("e"))).error(
        errors.CONTROLLER_REFUSED
    )
    assert "NOT_FOUND" in doc["msg"] and "default/nope" in doc["msg"]
    doc = (await bed.cni("server1", "ADD", conf | {"args": {"cni": {"uplink": "eth7"}}}, netns=bed.pod("f"))).error(
        errors.CONTROLLER_REFUSED
    )
    assert "eth7" in doc["msg"]
    assert await api.attachments() == []


async def test_102_unreadable_node_credentials(api, bed):
    conf = await api.nad("blue")
    doc = (
        await bed.cni("server1", "ADD", conf, netns=bed.pod("e"), node_conf={"tls": {"ca": "/nonexistent/ca.pem"}})
    ).error(errors.NOT_AUTHORIZED)
    assert "tls.ca /nonexistent/ca.pem: cannot read" in doc["msg"]


async def test_103_no_vlan_left_on_the_leaf(tmp_path, bed):
    pools = {"switch_pools": {"sw1": {"ranges": ["200-200"]}}}
    async with unix_fabric(tmp_path, fabric=pools) as f, f.up() as api:
        bed.controller = f"unix://{f.socket}"
        pod = bed.pod("p")
        (await bed.cni("server1", "ADD", with_ips(await api.nad("blue"), "10.11.0.1/24"), netns=pod)).ok()
        green = with_ips(await api.nad("green"), "10.22.0.1/24")
        doc = (await bed.cni("server1", "ADD", green, netns=pod, ifname="net2")).error(errors.VLANS_EXHAUSTED)
        assert "sw1" in doc["msg"]


async def test_104_no_vlan_backend_and_nothing_half_applied(api, bed):
    conf = await api.nad("blue")
    doc = (await bed.cni("server1", "ADD", conf, netns=bed.pod("e"), node_conf={"vlanBackend": None})).error(
        errors.VLAN_BACKEND
    )
    assert "no 802.1Q" in doc["msg"] and "vlanBackend.taggerSocket in the node file" in doc["msg"]
    doc = (
        await bed.cni("server1", "ADD", conf, netns=bed.pod("f"), node_conf={"vlanBackend": {"mode": "kernel"}})
    ).error(errors.VLAN_BACKEND)
    assert "CONFIG_VLAN_8021Q" in doc["msg"]
    assert await api.attachments() == []  # the Attach was undone
    assert bed.node_state("server1").get("attachments", {}) == {}


async def test_105_delegate_missing_or_failing_and_nothing_half_applied(api, bed):
    conf = await api.nad("blue")
    doc = (await bed.cni("server1", "ADD", conf, netns=bed.pod("e"), env={"CNI_PATH": "/nonexistent"})).error(
        errors.DELEGATE_FAILED
    )
    assert "macvlan plugin is not in CNI_PATH /nonexistent" in doc["msg"]
    # macvlan refuses an MTU above its master's (the node NIC's 1500)
    doc = (await bed.cni("server1", "ADD", {**conf, "mtu": 9000}, netns=bed.pod("f"))).error(errors.DELEGATE_FAILED)
    assert doc["msg"].startswith("macvlan ADD:") and "MTU" in doc["msg"]
    assert await api.attachments() == []
    st = bed.node_state("server1")
    assert st["attachments"] == {} and st["vlans"] == {}
    assert not [n for n in bed.links(bed.nodes["server1"].netns) if n.startswith("eth1v")]


async def test_106_check_finds_what_is_wrong(api, bed):
    conf = with_ips(await api.nad("blue"), "10.11.0.1/24")
    pod = bed.pod("k")
    res = (await bed.cni("server1", "ADD", conf, netns=pod)).ok().json
    doc = (await bed.cni("server1", "CHECK", {**conf, "prevResult": res}, netns=pod, container="c9")).error(
        errors.CHECK_FAILED
    )
    assert "has no record of it" in doc["msg"]
    await bed.sh(pod.rsplit("/", 1)[1], "ip", "link", "del", "net1")
    doc = (await bed.cni("server1", "CHECK", {**conf, "prevResult": res}, netns=pod)).error(errors.CHECK_FAILED)
    assert doc["msg"].startswith("net1 of container c1 on network blue: macvlan CHECK:")
    log = [json.loads(line) for line in (bed.state_dir / "server1" / "log.jsonl").read_text().splitlines()]
    assert log[-1]["command"] == "CHECK" and log[-1]["error"] == errors.CHECK_FAILED
