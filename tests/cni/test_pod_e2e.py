"""fabric-cni ADD, DEL and CHECK against a real fabricd (seed lab emulators),
in real namespaces with the userspace tagger and the real macvlan and static
plugins (root)."""

from __future__ import annotations

import asyncio
import json

import pytest

from cni.plugin import errors
from labs.dataplane import testbed
from tests.cni.conftest import VNI_ONLY
from tests.cni.nodebed import capture
from tests.controller.fabric import eventually

pytestmark = pytest.mark.e2e


def with_ips(conf, *ips):
    return {**conf, "runtimeConfig": {"ips": list(ips)}}


async def test_add_puts_the_pod_on_the_vlan_fabricd_chose(api, bed):
    conf = await api.nad("blue")
    pod = bed.pod("a")
    res = (await bed.cni("server1", "ADD", with_ips(conf, "10.11.0.1/24"), netns=pod)).ok().json
    assert res["cniVersion"] == "1.1.0"
    assert [(i["name"], i["sandbox"]) for i in res["interfaces"]] == [("net1", pod)]
    assert res["ips"] == [{"interface": 0, "address": "10.11.0.1/24"}]

    [att] = await api.attachments()
    vlan = att.vlan
    assert (att.node, att.nic, att.switch, att.port, att.container_id) == (
        "server1",  # the host name of the node's UTS namespace
        "eth1",
        "sw1",
        "ethernet-1/1",
        "c1",
    )
    assert (att.id.pod_namespace, att.id.pod_name, att.id.pod_uid, att.id.interface) == (
        "default",
        "pod-a",
        "uid-a",
        "net1",
    )
    assert vlan in api.trunk_vlans("sw1", "ethernet-1/1")

    # one shared sub-interface of eth1 on that VLAN; the pod's macvlan (bridge mode) on it
    node_ns = bed.nodes["server1"].netns
    subif = f"eth1v{vlan}"
    assert bed.node_state("server1")["vlans"] == {
        f"eth1/{vlan}": {
            "parent": "eth1",
            "vlan": vlan,
            "ifname": subif,
            "backend": "tagger",
            "users": ["blue/c1/net1"],
        }
    }
    net1 = bed.links(pod.rsplit("/", 1)[1])["net1"]
    assert net1["linkinfo"]["info_kind"] == "macvlan" and net1["linkinfo"]["info_data"]["mode"] == "bridge"
    assert net1["mtu"] == 1500 and subif in bed.links(node_ns)

    # the pod's traffic leaves the node NIC tagged with that VLAN, and only that VLAN answers
    bed.wire_address("server1", "eth1", vlan, "10.11.0.254/24")
    with capture(bed.wire, "s1e1", "vlan") as cap:
        ping = await bed.sh(pod.rsplit("/", 1)[1], "ping", "-c", "2", "-W", "2", "10.11.0.254")
    assert ping.returncode == 0, ping.stdout
    assert f"vlan {vlan}," in cap["text"] and "10.11.0.1 > 10.11.0.254: ICMP echo request" in cap["text"]

    (await bed.cni("server1", "CHECK", {**conf, "prevResult": res}, netns=pod)).ok()

    (await bed.cni("server1", "DEL", {**conf, "prevResult": res}, netns=pod)).ok()
    assert "net1" not in bed.links(pod.rsplit("/", 1)[1])
    assert subif not in bed.links(node_ns)
    assert bed.node_state("server1")["vlans"] == {} and bed.node_state("server1")["attachments"] == {}
    assert await api.attachments() == []
    await eventually(lambda: vlan not in api.trunk_vlans("sw1", "ethernet-1/1"), what="VLAN off the leaf port")


async def test_pods_on_one_vlan_of_one_nic_share_a_sub_interface(api, bed):
    """Three pods ADDed at once: one sub-interface, counted; it goes with its last user."""
    conf = await api.nad("blue")
    pods = [bed.pod(f"s{i}") for i in range(3)]
    answers = await asyncio.gather(
        *(
            bed.cni(
                "server1",
                "ADD",
                with_ips(conf, f"10.11.0.{i + 1}/24"),
                netns=p,
                container=f"c{i}",
                pod=("default", f"pod-{i}", f"uid-{i}"),
            )
            for i, p in enumerate(pods)
        )
    )
    for a in answers:
        a.ok()
    vlans = {a.vlan for a in await api.attachments()}
    assert len(vlans) == 1
    vlan = vlans.pop()
    [use] = bed.node_state("server1")["vlans"].values()
    assert sorted(use["users"]) == ["blue/c0/net1", "blue/c1/net1", "blue/c2/net1"]
    node_ns = bed.nodes["server1"].netns
    macvlans = [lk for lk in bed.links(node_ns).values() if lk["ifname"].startswith("eth1v")]
    assert [lk["ifname"] for lk in macvlans] == [f"eth1v{vlan}"]

    # pods on one sub-interface reach each other (macvlan bridge mode)
    ping = await bed.sh(pods[0].rsplit("/", 1)[1], "ping", "-c", "1", "-W", "2", "10.11.0.3")
    assert ping.returncode == 0, ping.stdout

    for i in (0, 1):
        (await bed.cni("server1", "DEL", conf, netns=pods[i], container=f"c{i}", pod=None)).ok()
        assert f"eth1v{vlan}" in bed.links(node_ns), "released while a pod still uses it"
    assert bed.node_state("server1")["vlans"][f"eth1/{vlan}"]["users"] == ["blue/c2/net1"]
    assert [a.id.pod_name for a in await api.attachments()] == ["pod-2"]
    (await bed.cni("server1", "DEL", conf, netns=pods[2], container="c2")).ok()
    assert f"eth1v{vlan}" not in bed.links(node_ns)
    assert await api.attachments() == []


async def test_double_add_is_idempotent(api, bed):
    conf = with_ips(await api.nad("blue"), "10.11.0.1/24")
    pod = bed.pod("d")
    first = (await bed.cni("server1", "ADD", conf, netns=pod)).ok().json
    again = (await bed.cni("server1", "ADD", conf, netns=pod)).ok().json
    assert again == first  # same interface, same MAC
    assert len(await api.attachments()) == 1
    [use] = bed.node_state("server1")["vlans"].values()
    assert use["users"] == ["blue/c1/net1"]

    # the pod's interface vanished behind our back: a repeated ADD makes it again
    await bed.sh(pod.rsplit("/", 1)[1], "ip", "link", "del", "net1")
    remade = (await bed.cni("server1", "ADD", conf, netns=pod)).ok().json
    assert remade["interfaces"][0]["name"] == "net1" and "net1" in bed.links(pod.rsplit("/", 1)[1])
    assert [u["users"] for u in bed.node_state("server1")["vlans"].values()] == [["blue/c1/net1"]]
    (await bed.cni("server1", "DEL", conf, netns=pod)).ok()
    assert bed.node_state("server1")["vlans"] == {}


async def test_del_of_unknown_and_repeated_del_succeed(api, bed):
    conf = await api.nad("blue")
    pod = bed.pod("u")
    # never added: nothing here, nothing at fabricd, success
    (await bed.cni("server1", "DEL", conf, netns=pod, container="never")).ok()
    (await bed.cni("server1", "DEL", conf, netns="", container="never", pod=None)).ok()
    (await bed.cni("server1", "ADD", with_ips(conf, "10.11.0.1/24"), netns=pod)).ok()
    for _ in range(2):
        (await bed.cni("server1", "DEL", conf, netns=pod)).ok()
    # the pod's namespace is gone already (the runtime deleted it): DEL still succeeds
    (await bed.cni("server1", "ADD", with_ips(conf, "10.11.0.1/24"), netns=pod, container="c2")).ok()
    testbed.delete_netns(pod.rsplit("/", 1)[1])
    (await bed.cni("server1", "DEL", conf, netns=pod, container="c2")).ok()
    assert await api.attachments() == [] and bed.node_state("server1")["vlans"] == {}
    log = (bed.state_dir / "server1" / "log.jsonl").read_text()
    assert "nothing of it on this node" in log


async def test_a_stale_container_del_changes_nothing(api, bed):
    """The pod's sandbox was recreated (container c2 replaced c1); the late DEL of c1,
    or of a container never seen, must leave the switch and the sub-interface alone."""
    conf = await api.nad("blue")
    old_pod, new_pod = bed.pod("old"), bed.pod("new")
    (await bed.cni("server1", "ADD", with_ips(conf, "10.11.0.1/24"), netns=old_pod, container="c1")).ok()
    (await bed.cni("server1", "ADD", with_ips(conf, "10.11.0.1/24"), netns=new_pod, container="c2")).ok()
    [att] = await api.attachments()
    assert att.container_id == "c2"
    vlan = att.vlan
    leaf_before = api.fab.config("sw1")
    node_ns = bed.nodes["server1"].netns

    (await bed.cni("server1", "DEL", conf, netns=old_pod, container="c1")).ok()
    (await bed.cni("server1", "DEL", conf, netns="", container="c0-never-seen")).ok()

    [att] = await api.attachments()
    assert att.container_id == "c2" and att.vlan == vlan
    assert api.fab.config("sw1") == leaf_before
    assert f"eth1v{vlan}" in bed.links(node_ns)
    assert bed.node_state("server1")["vlans"][f"eth1/{vlan}"]["users"] == ["blue/c2/net1"]
    assert "net1" in bed.links(new_pod.rsplit("/", 1)[1])
    (await bed.cni("server1", "CHECK", conf, netns=new_pod, container="c2")).ok()


async def test_a_040_config_chained_after_a_prev_result(api, bed):
    """An older runtime speaks 0.4.0 and chains fabric-cni after its primary plugin."""
    conf = with_ips(await api.nad("blue", cniVersion="0.4.0"), "10.11.0.1/24")
    pod = bed.pod("v")
    prev = {
        "cniVersion": "0.4.0",
        "interfaces": [{"name": "eth0", "mac": "0a:58:0a:f4:00:05", "sandbox": pod}],
        "ips": [{"version": "4", "interface": 0, "address": "10.244.0.5/24", "gateway": "10.244.0.1"}],
        "dns": {"nameservers": ["10.96.0.10"]},
    }
    res = (await bed.cni("server1", "ADD", {**conf, "prevResult": prev}, netns=pod)).ok().json
    assert res["cniVersion"] == "0.4.0"
    assert [i["name"] for i in res["interfaces"]] == ["eth0", "net1"]
    assert res["ips"] == [
        {"version": "4", "interface": 0, "address": "10.244.0.5/24", "gateway": "10.244.0.1"},
        {"version": "4", "interface": 1, "address": "10.11.0.1/24"},
    ]
    assert res["dns"] == {"nameservers": ["10.96.0.10"]}
    (await bed.cni("server1", "CHECK", {**conf, "prevResult": res}, netns=pod)).ok()
    (await bed.cni("server1", "DEL", {**conf, "prevResult": res}, netns=pod)).ok()
    assert await api.attachments() == []


async def test_the_founding_notes_vni_only_nad(api, bed):
    """Item 20: {"cniVersion": "0.3.0", "type": "fabric-cni", "VNI": "1111"}: fabricd resolves the VNI
    for the pod's namespace; the node records the network it resolved to, so DEL needs no lookup; the
    node's default uplink carries it (the NAD names none)."""
    conf = VNI_ONLY
    pod = bed.pod("n")
    res = (await bed.cni("server1", "ADD", conf, netns=pod)).ok().json
    assert res["cniVersion"] == "0.3.0"
    assert res["ips"] == [{"version": "4", "interface": 0, "address": "10.11.0.1/24"}]
    [att] = await api.attachments()
    assert (att.id.network.namespace, att.id.network.name, att.nic, att.cni_network) == (
        "default",
        "blue",
        "eth1",
        "blue-by-vni",
    )
    [rec] = bed.node_state("server1")["attachments"].values()
    assert (rec["fabric_network"], rec["vni"]) == ("default/blue", 1111)

    # CHECK is not defined for 0.3.0: answered as the reference plugins answer it
    doc = (await bed.cni("server1", "CHECK", conf, netns=pod)).error(errors.INCOMPATIBLE_VERSION)
    assert doc["msg"].startswith("config version does not allow CHECK")

    # a pod namespace that may not use the network with that VNI: fabricd says so, nothing is made
    other = ("other", "pod-o", "uid-o")
    doc = (await bed.cni("server1", "ADD", conf, netns=bed.pod("o"), container="c9", pod=other)).error(
        errors.CONTROLLER_REFUSED
    )
    assert (
        "FAILED_PRECONDITION" in doc["msg"]
        and "no network with VNI 1111 that pod namespace 'other' may use" in doc["msg"]
    )
    assert len(await api.attachments()) == 1

    (await bed.cni("server1", "DEL", conf, netns=pod)).ok()
    assert await api.attachments() == [] and bed.node_state("server1")["attachments"] == {}

    # DEL without a record (the node lost it): the VNI reference again, fabricd resolves it
    (await bed.cni("server1", "ADD", conf, netns=pod, container="c2")).ok()
    st = bed.state_dir / "server1" / "state.json"
    doc = json.loads(st.read_text())
    doc["attachments"], doc["vlans"] = {}, {}
    st.write_text(json.dumps(doc))
    (await bed.cni("server1", "DEL", conf, netns=pod, container="c2")).ok()
    assert await api.attachments() == []
    (await bed.cni("server1", "DEL", conf, netns=pod, container="c3", pod=other)).ok()  # nothing anywhere: OK


@pytest.mark.parametrize("version", ["0.2.0", "0.3.1"])
async def test_older_configs_get_their_versions_result(api, bed, version):
    """Item 19: a 0.2.0 config gets {"ip4": ...}, a 0.3.1 one ips with their version."""
    conf = with_ips(await api.nad("blue", cniVersion=version), "10.11.0.1/24")
    pod = bed.pod("w")
    res = (await bed.cni("server1", "ADD", conf, netns=pod)).ok().json
    if version == "0.2.0":
        assert res == {"cniVersion": "0.2.0", "ip4": {"ip": "10.11.0.1/24"}, "dns": {}}
    else:
        assert res["cniVersion"] == "0.3.1" and res["ips"] == [
            {"version": "4", "interface": 0, "address": "10.11.0.1/24"}
        ]
        assert [i["name"] for i in res["interfaces"]] == ["net1"]
    (await bed.cni("server1", "DEL", conf, netns=pod)).ok()
    assert await api.attachments() == []
