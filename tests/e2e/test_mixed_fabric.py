"""A mixed fabric (labs/mixed.clab.yml): two SR Linux leaves and two
openconfig leaves under an SR Linux spine, fabricd configuring each in its
own YANG. Pods of one network behind an SR Linux leaf and an openconfig leaf
reach each other over VXLAN, another network in the same subnet stays apart;
once the last pod is gone nothing fabricd owns is left on any switch, read
back with plain pygnmi; and the SR Linux switches' whole configuration, with
the service and after it, is valid against Nokia's 25.3.1 models."""

from __future__ import annotations

import json
from typing import Any

import pytest

from labs.pods import scenario
from labs.pods.scenario import PodNet, ScenarioPod
from labs.run import fabricd_proc, runner
from tests.e2e import helpers as h
from tests.labs.conftest import LABS
from tests.models import srl_yang

pytestmark = pytest.mark.e2e

NETWORKS = (("blue", 1111), ("red", 3333))
#: server N: eth1 to an SR Linux leaf (leaf1, leaf2), eth2 to an openconfig one (leaf3, leaf4)
PODS = (
    ScenarioPod(name="pod-a", node="server1", nets=(PodNet(network="blue", address="10.11.0.1/24"),)),
    ScenarioPod(name="pod-b", node="server2", nets=(PodNet(network="blue", address="10.11.0.2/24", uplink="eth2"),)),
    ScenarioPod(name="pod-c", node="server2", nets=(PodNet(network="red", address="10.11.0.12/24"),)),
    ScenarioPod(name="pod-d", node="server1", nets=(PodNet(network="red", address="10.11.0.11/24", uplink="eth2"),)),
)
#: where fabricd's objects live, per platform (Get, config)
OWNED_AT = {
    "srlinux": ["/interface", "/tunnel-interface", "/network-instance"],
    "openconfig": ["/interfaces", "/network-instances"],
}


def config(state: Any, switch: str, paths: list[str]) -> list[Any]:
    with h.client(state, switch) as gc:
        got = gc.get(path=paths, datatype="config", encoding="json_ietf")
    return [u["val"] for n in got.get("notification", []) for u in n.get("update", [])]


def whole(state: Any, switch: str) -> dict[str, Any]:
    """The switch's whole configuration (a Get of the root), as one JSON_IETF document."""
    (doc,) = config(state, switch, ["/"])
    return doc


def owned(state: Any, switch: str, platform: str) -> list[str]:
    """What of fabricd's is configured on the switch, found by its naming
    scheme in what pygnmi reads (not by fabricd's code)."""
    text = json.dumps(config(state, switch, OWNED_AT[platform]))
    found = []
    for marker in ("fabricd-vni-", '"description": "fabricd"', "vxlan1.", "trunk-vlans", 'vlan-tagging": true'):
        if marker in text:
            found.append(f"{switch}: {marker}")
    if platform == "openconfig":
        found += [f"{switch}: a VNI" for _ in range(text.count('"vni"'))]
    return found


def test_one_network_across_sr_linux_and_openconfig_leaves(e2e_root):
    sdir = e2e_root / "mixed"
    state = runner.up(LABS / "mixed.clab.yml", state_dir=sdir, timeout=120)
    try:
        platforms = {sw.name: sw.platform for sw in state.switches}
        assert platforms == {
            "spine1": "srlinux",
            "leaf1": "srlinux",
            "leaf2": "srlinux",
            "leaf3": "openconfig",
            "leaf4": "openconfig",
        }
        fabricd_proc.start(state, metrics="127.0.0.1:0")
        scenario.setup(state, networks=NETWORKS, pods=PODS, progress=lambda _: None)
        atts = json.loads(scenario.fabricctl(state, "-o", "json", "attachment", "list"))
        assert {(a["pod_name"], a["switch"]) for a in atts} == {
            ("pod-a", "leaf1"),
            ("pod-b", "leaf4"),
            ("pod-c", "leaf2"),
            ("pod-d", "leaf3"),
        }

        matrix = scenario.ping_matrix(state, PODS)
        assert matrix.unexpected == [], matrix.render()
        assert matrix.reached[("pod-a/blue", "pod-b/blue")] and matrix.reached[("pod-c/red", "pod-d/red")]
        eps = {e.label: e for e in scenario.endpoints(PODS)}
        seen = scenario.spine_capture(state, eps["pod-a/blue"], eps["pod-b/blue"])
        assert "vni 1111" in seen and "10.11.0.1 > 10.11.0.2: ICMP echo request" in seen, seen

        for sw in ("spine1", "leaf1", "leaf2"):
            verdict = srl_yang.validate(whole(state, sw))
            assert verdict.ok, f"{sw} with the service: {verdict.errors}"
        assert owned(state, "leaf1", "srlinux") and owned(state, "leaf4", "openconfig")

        scenario.teardown(state, pods=PODS, progress=lambda _: None)
        leaves = [sw for sw in state.switches if sw.role == "leaf"]
        h.wait_for(
            "nothing of fabricd's on any leaf",
            lambda: not [x for sw in leaves for x in owned(state, sw.name, sw.platform)],
        )
        for sw in ("spine1", "leaf1", "leaf2"):
            verdict = srl_yang.validate(whole(state, sw))
            assert verdict.ok, f"{sw} after the service: {verdict.errors}"
    finally:
        fabricd_proc.stop(state)
        runner.down(state.lab, state_dir=sdir)
    assert h.leftovers(state) == []
