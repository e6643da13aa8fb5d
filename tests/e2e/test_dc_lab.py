"""dc-2s4l on the Linux dataplane (2 spines, 4 leaves, 8 servers): LLDP
from lldpd over gNMI, a VNI pushed with plain pygnmi Sets carried over
VXLAN between leaf1 and leaf3 with 802.1Q on the server links, EVPN in FRR,
isolation of another VNI in the same subnet, removal over gNMI, and `down`
leaving nothing behind."""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from typing import Any

import pytest

from labs.dataplane import endpoint
from labs.files.topofile import load_lab
from labs.run import runner
from tests.e2e import helpers as h
from tests.labs.conftest import LABS
from tests.labs.emulator import ocdocs

pytestmark = pytest.mark.e2e

LAB_FILE = LABS / "dc-2s4l.clab.yml"


def root_links() -> set[str]:
    out = subprocess.run(["ip", "-j", "link", "show"], capture_output=True, text=True, check=True).stdout
    return {d["ifname"] for d in json.loads(out)}


@pytest.fixture(scope="module")
def dc_lab(e2e_root):
    before = root_links()
    sdir = e2e_root / "dc"
    state = runner.up(LAB_FILE, state_dir=sdir, timeout=120)
    assert state.dataplane == "linux" and state.prefix.startswith("fdt")
    yield state
    runner.down(state.lab, state_dir=sdir)
    assert h.leftovers(state) == []
    assert root_links() == before


@pytest.fixture(scope="module")
def lab():
    return load_lab(LAB_FILE)


def test_every_lldp_adjacency_of_the_lab_is_visible_over_gnmi(dc_lab, lab):
    want: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for e in lab.sidecar.expect.lldp:
        want[e.switch].add((e.port, e.neighbor, e.neighbor_port))
    assert sum(len(v) for v in want.values()) == 32
    for sw in dc_lab.switches:
        h.wait_for(f"LLDP of {sw.name} over gNMI", lambda sw=sw: h.lldp_over_gnmi(dc_lab, sw.name) == want[sw.name])


# pygnmi's subscription thread re-raises the CANCELLED of its closed channel
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_lldp_changes_stream_on_change(dc_lab):
    """A server NIC going down is a delete on its leaf's LLDP state; back up, an update."""
    path = "/lldp/interfaces/interface[name=ethernet-1/4]/neighbors"
    req = {"subscription": [{"path": path, "mode": "on_change"}], "mode": "stream", "encoding": "json_ietf"}
    with h.client(dc_lab, "leaf4") as gc:
        sub = gc.subscribe_stream(subscribe=req)
        try:
            while "sync_response" not in sub.get_update(h.DEADLINE):
                pass
            assert h.in_node(dc_lab, "server8", "ip", "link", "set", "eth2", "down").returncode == 0
            deleted = _next_matching(sub, lambda u: u.get("delete"))
            assert any(d["path"].endswith("/state/system-name") for d in deleted["delete"])
            assert h.in_node(dc_lab, "server8", "ip", "link", "set", "eth2", "up").returncode == 0
            node = dc_lab.node("server8")
            assert node is not None
            subprocess.run(["lldpcli", "-u", node.lldp_socket, "update"], capture_output=True, check=True)
            updated = _next_matching(sub, lambda u: any(x.get("val") == "server8" for x in u.get("update", [])))
            assert any(x["path"].endswith("state/port-id") and x["val"] == "eth2" for x in updated["update"])
        finally:
            gc.close()  # a STREAM lasts until its channel closes
            sub.close()
            h.end_subscriptions()


def _next_matching(sub: Any, pred: Any) -> dict[str, Any]:
    import time

    end = time.monotonic() + h.DEADLINE
    while time.monotonic() < end:
        msg = sub.get_update(max(0.1, end - time.monotonic()))
        update = msg.get("update") or {}
        if pred(update):
            return update
    raise AssertionError("no matching notification")


def leaf_documents(lab) -> dict[str, dict[str, Any]]:
    """Per leaf: the replaces of docs/openconfig-profile.md for the sidecar's
    endpoints (VLAN, VLAN<->VNI, MAC-VRF, trunk on the server port) and the
    deletes taking the per-VNI objects away again."""
    segments = {s.name: s for s in lab.sidecar.expect.segments}
    per_leaf: dict[str, dict[str, Any]] = defaultdict(lambda: {"vnis": {}, "trunks": defaultdict(set)})
    for ep in lab.sidecar.expect.endpoints:
        seg = segments[ep.segment]
        peer = next(lab.peer(p) for p in lab.ports(ep.node) if p.names.linux == ep.nic)
        assert peer is not None
        per_leaf[peer.node]["vnis"][seg.vni] = seg.vlan
        per_leaf[peer.node]["trunks"][peer.names.oc].add(seg.vlan)
    out = {}
    for leaf, d in per_leaf.items():
        replace = list(ocdocs.base_objects())
        deletes = []
        for i, (vni, vlan) in enumerate(sorted(d["vnis"].items()), start=1):
            objs = ocdocs.vni_objects(vni, vlan, evi=i)
            replace += objs
            deletes += [p for p, _ in objs]
        for port, vlans in sorted(d["trunks"].items()):
            replace.append(ocdocs.trunk(port, sorted(vlans)))
            deletes.append(f"/interfaces/interface[name={port}]/ethernet/switched-vlan")
        out[leaf] = {"replace": replace, "delete": deletes}
    return out


def test_a_vni_across_the_fabric_and_back(dc_lab, lab):
    docs = leaf_documents(lab)
    assert set(docs) == {"leaf1", "leaf3"}
    for leaf, doc in docs.items():
        with h.client(dc_lab, leaf) as gc:
            gc.set(replace=doc["replace"], encoding="json_ietf")
    endpoints = {e.name: e for e in lab.sidecar.expect.endpoints}
    segments = {s.name: s for s in lab.sidecar.expect.segments}
    sdir = dc_lab.state_dir
    for ep in endpoints.values():
        endpoint.add(sdir, ep.node, ep.nic, segments[ep.segment].vlan, str(ep.address))
    s1, s5, s2 = endpoints["server1-vlan10"], endpoints["server5-vlan10"], endpoints["server2-vlan20"]
    h.wait_for("server1 -> server5 on VLAN 10", lambda: h.pings(dc_lab, "server1", str(s5.address.ip)))
    assert h.pings(dc_lab, "server5", str(s1.address.ip))

    # the echo crosses a spine inside VXLAN VNI 1111 (not just flooded ARP) ...
    with (
        h.capture(dc_lab, "spine1", "e1-1", "udp", "port", "4789") as c1,
        h.capture(dc_lab, "spine2", "e1-1", "udp", "port", "4789") as c2,
    ):
        assert h.pings(dc_lab, "server1", str(s5.address.ip), count=3)
    seen = c1.text + c2.text
    assert "vni 1111" in seen and f"{s1.address.ip} > {s5.address.ip}: ICMP echo request" in seen, seen
    # ... and the server link carries it with 802.1Q tag 10
    with h.capture(dc_lab, "server1", "eth1", "-e", "vlan") as c3:
        assert h.pings(dc_lab, "server1", str(s5.address.ip), count=2)
    assert "ethertype 802.1Q (0x8100)" in c3.text and "vlan 10," in c3.text and "ICMP echo request" in c3.text

    # FRR on leaf1 learned leaf3 (10.0.0.13) as remote VTEP of VNI 1111 over EVPN
    vni = h.wait_for(
        "leaf3 as remote VTEP of VNI 1111 on leaf1",
        lambda: (
            (d := json.loads(h.vtysh(dc_lab, "leaf1", "show evpn vni 1111 json") or "{}"))
            and "10.0.0.13" in str(d.get("numRemoteVteps"))
            and d
        ),
    )
    assert vni["vxlanInterface"] == "vx1111" and vni["sviInterface"] == "br1111"
    routes = h.vtysh(dc_lab, "leaf1", "show bgp l2vpn evpn vni 1111 json")
    assert "65000:1111" in routes  # the route targets of the MAC-VRF, applied from gNMI

    # VNI 2222 / VLAN 20 on leaf1, same subnet: its endpoint reaches neither
    assert "e1-2v20" in h.links(dc_lab, "leaf1") and h.links(dc_lab, "leaf1")["e1-2v20"].get("master") == "br2222"
    assert not h.pings(dc_lab, "server2", str(s1.address.ip), count=2)
    assert not h.pings(dc_lab, "server2", str(s5.address.ip), count=2)
    assert not h.pings(dc_lab, "server1", str(s2.address.ip), count=1)

    # the dataplane reports the VNI up over gNMI
    with h.client(dc_lab, "leaf1") as gc:
        state = json.dumps(gc.get(path=[f"{ocdocs.EP}/vxlan/endpoint-vnis"], encoding="json_ietf"))
    assert '"vni-state": "UP"' in state and "dataplane-error" not in state

    # removing the config over gNMI removes exactly the VNI's Linux state (the dataplane follows the
    # commit, after the SetResponse, as a switch's does)
    for leaf, doc in docs.items():
        with h.client(dc_lab, leaf) as gc:
            gc.set(delete=doc["delete"], encoding="json_ietf")
    vni_links = {"br1111", "vx1111", "br2222", "vx2222", "e1-1v10", "e1-2v20"}
    for leaf in docs:
        names = h.wait_for(
            f"{leaf}'s VNI links gone", lambda leaf=leaf: (n := h.links(dc_lab, leaf)) and not vni_links & set(n) and n
        )
        assert {"e1-1", "e1-49", "e1-50"} <= set(names)
        running = h.wait_for(
            f"{leaf}'s FRR without the VNIs",
            lambda leaf=leaf: (
                (r := h.vtysh(dc_lab, leaf, "show running-config"))
                and "vni 1111" not in r
                and "vni 2222" not in r
                and r
            ),
        )
        assert "advertise-all-vni" in running
    assert json.loads(h.vtysh(dc_lab, "leaf1", "show evpn vni 1111 json") or "{}") == {}
    assert not h.pings(dc_lab, "server1", str(s5.address.ip), count=1)
    for ep in endpoints.values():
        endpoint.remove(sdir, ep.node, ep.nic, segments[ep.segment].vlan)
