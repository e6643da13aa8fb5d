"""switch list, topology, plan and attachments against fabricd with the seed
lab's inventory and port map, while no switch answers: what an operator sees
when the fabric is unreachable."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import grpc
import pytest

from controller.ctl import errors
from proto.fabric.v1 import fabric_pb2_grpc
from tests.controller.fabric import attach_req, eventually

SEED_EDGES = {
    ("sw1", "ethernet-1/1", "server1", "eth1"),
    ("sw1", "ethernet-1/2", "server2", "eth1"),
    ("sw1", "ethernet-1/3", "server3", "eth1"),
    ("sw2", "ethernet-1/1", "server1", "eth2"),
    ("sw2", "ethernet-1/2", "server2", "eth2"),
    ("sw2", "ethernet-1/3", "server3", "eth2"),
}


async def _disconnected(api):
    async def check():
        r = await api.ctl("-o", "json", "switch", "list")
        return r.code == 0 and all(s["session"] != "connecting" for s in r.json()) and r

    return await eventually(check, what="every session tried once")


async def test_switch_list_shows_sessions_down_with_the_error(offline):
    r = await _disconnected(offline)
    by = {s["name"]: s for s in r.json()}
    assert set(by) == {"spine1", "sw1", "sw2"}
    assert by["spine1"]["session"] == "unmanaged" and by["spine1"]["in_sync"] is None
    for leaf in ("sw1", "sw2"):
        s = by[leaf]
        assert s["session"] == "disconnected" and s["in_sync"] is False and s["last_sync"] is None
        assert "UNAVAILABLE" in s["last_error"] and s["role"] == "leaf"
        assert s["vlans_used"] == 0 and s["vlans_free"] > 0
    table = await offline.ctl("switch", "list")
    assert table.code == 0
    header, *rows = table.out.splitlines()
    assert header.split()[:5] == ["NAME", "ROLE", "PLATFORM", "ADDRESS", "SESSION"]
    sw1 = next(row for row in rows if row.startswith("sw1 "))
    assert "disconnected" in sw1 or "connecting" in sw1  # it keeps retrying
    assert "never" in sw1 and "0 used," in sw1 and "UNAVAILABLE" in sw1
    assert next(row for row in rows if row.startswith("spine1 ")).split()[4] == "unmanaged"


async def test_topology_from_the_static_port_map(offline):
    r = await offline.ctl("-o", "json", "topology")
    assert r.code == 0, r.err
    topo = r.json()
    roles = {n["name"]: n["role"] for n in topo["nodes"]}
    assert roles == {
        "spine1": "spine",
        "sw1": "leaf",
        "sw2": "leaf",
        "server1": "node",
        "server2": "node",
        "server3": "node",
    }
    edges = {(x["a"], x["a_port"], x["b"], x["b_port"]) for x in topo["links"] if x["kind"] == "edge"}
    assert edges == SEED_EDGES
    assert all(x["source"] == "static" and not x["stale"] for x in topo["links"])

    r = await offline.ctl("topology")
    assert r.code == 0
    assert r.out.startswith("topology version 1: 1 spine(s), 2 leaf(s), 3 server(s), 6 link(s)")
    assert "edge  sw1     leaf  ethernet-1/1  server1  eth1" in r.out and "conflicts: none" in r.out

    r = await offline.ctl("topology", "-o", "dot")
    assert r.code == 0 and r.out.startswith("graph fabric {")
    assert '"sw1" -- "server1" [taillabel="ethernet-1/1", headlabel="eth1"' in r.out
    assert '"spine1" [label="spine1", shape="box", fillcolor="#9ecae1"]' in r.out


async def test_topology_png_and_svg_drawn_by_graphviz(offline, short_tmp):
    png = short_tmp / "seed.png"
    r = await offline.ctl("topology", "-o", "png", "--out", str(png))
    assert r.code == 0, r.err
    assert f"wrote {png}" in r.err and r.out == ""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 200 and height > 100

    r = await offline.ctl("-o", "svg", "topology")  # to stdout (not a terminal here)
    assert r.code == 0
    svg = ET.fromstring(r.raw)
    texts = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert {"spine1", "sw1", "sw2", "server1", "server2", "server3", "ethernet-1/1", "eth2"} <= texts


async def test_plan_says_why_there_is_none(offline):
    await _disconnected(offline)
    r = await offline.ctl("plan")
    assert r.code == 0
    assert "sw1: no plan: the state of sw1 is not known yet (" in r.out  # (disconnected) or (connecting): it retries
    assert "nothing to do" not in r.out
    r = await offline.ctl("-o", "json", "plan", "sw2")
    assert r.code == 0 and [p["switch"] for p in r.json()] == ["sw2"]
    r = await offline.ctl("plan", "sw9")
    assert r.code == errors.NOT_FOUND and "sw9: not a managed switch" in r.err


async def test_an_attach_behind_a_leaf_never_read_is_refused_and_nothing_kept(offline):
    # the store holds nothing of sw1: only a read of it can say whether its VLANs are someone's
    assert (await offline.ctl("network", "create", "blue", "--vni", "1111")).code == 0
    async with grpc.aio.insecure_channel(offline.stack.address) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.Attach(attach_req("pod-a", node="server1"), timeout=10)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    assert err.value.details().startswith("leaf sw1 has not been read yet")
    r = await offline.ctl("attachment", "list")
    assert (r.code, r.out) == (0, "no attachments\n")


async def test_attachment_pending_while_the_leaf_is_away(offline_known):
    offline = offline_known
    assert (await offline.ctl("network", "create", "blue", "--vni", "1111")).code == 0
    # the CNI side: Attach is stored, the leaf never confirms -> UNAVAILABLE, kept pending
    async with grpc.aio.insecure_channel(offline.stack.address) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        for pod, node in (("pod-a", "server1"), ("pod-b", "server2")):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.Attach(attach_req(pod, node=node), timeout=10)
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE and "did not confirm" in err.value.details()

    r = await offline.ctl("attachment", "list")
    assert r.code == 0
    header, *rows = r.out.splitlines()
    assert header.split() == [
        "POD",
        "PHASE",
        "INTERFACE",
        "NETWORK",
        "NODE/NIC",
        "SWITCH/PORT",
        "VLAN",
        "VNI",
        "STATE",
        "REASON",
    ]
    cells = rows[0].split()
    # no Kubernetes: the phase is not known ("-")
    assert cells[:6] == ["default/pod-a", "-", "net1", "default/blue", "server1/eth1", "sw1/ethernet-1/1"]
    assert cells[6].isdigit() and cells[7:9] == ["1111", "pending"]
    assert "waiting for sw1" in rows[0]

    r = await offline.ctl("-o", "json", "attachment", "list", "--node", "server2")
    assert r.code == 0
    [b] = r.json()
    assert b["id"] == "default/pod-b(pod-b-uid):net1@default/blue" and b["state"] == "pending"
    for flt in (("--switch", "sw1"), ("--network", "blue"), ("--pod-namespace", "default")):
        r = await offline.ctl("-o", "json", "attachment", "list", *flt)
        assert len(r.json()) == 2, flt
    r = await offline.ctl("attachment", "list", "--switch", "sw2")
    assert r.out == "no attachments\n"

    # get: by the full id, or by pod + network (fabricctl looks the UID up)
    r = await offline.ctl("-o", "yaml", "attachment", "get", b["id"])
    assert r.code == 0 and r.yaml()["node"] == "server2" and r.yaml()["vlan"] == b["vlan"] > 0
    r = await offline.ctl("attachment", "get", "pod-a", "--network", "blue")
    assert r.code == 0 and "state:" in r.out and "pending" in r.out and "sw1" in r.out
    r = await offline.ctl("attachment", "get", "pod-a", "--network", "blue", "-i", "net2")
    assert r.code == errors.NOT_FOUND and "no attachment of pod default/pod-a interface net2" in r.err
    r = await offline.ctl("attachment", "get", "default/pod-a(other-uid):net1@default/blue")
    assert r.code == errors.NOT_FOUND and "(NOT_FOUND)" in r.err
    r = await offline.ctl("attachment", "get", "pod-a")
    assert r.code == errors.USAGE and "give --network" in r.err

    # detach: another container's DEL never removes it; the owner's does
    r = await offline.ctl("attachment", "detach", "pod-a", "--network", "blue", "--container", "c-other")
    assert r.code == errors.NOT_FOUND and "for container c-other (nothing detached)" in r.err
    r = await offline.ctl("attachment", "detach", b["id"])
    assert r.code == 0 and r.out == f"attachment {b['id']} detached\n"
    r = await offline.ctl("attachment", "detach", b["id"])
    assert r.code == errors.NOT_FOUND
    r = await offline.ctl("attachment", "detach", b["id"], "--ignore-not-found")
    assert r.code == 0
    r = await offline.ctl("network", "delete", "blue")
    assert r.code == errors.FAILED and "FAILED_PRECONDITION" in r.err and "attachment" in r.err
