"""The seed scenario on the Linux seed lab, through scripts/seed-scenario.py
(the base of `make demo`): fabricd as its own process, networks and NADs
with fabricctl, pods attached by fabric-cni as Multus would
(`fabric-lab pod`), the ping matrix, VXLAN on the spine, 802.1Q on the node
NIC, VLANs leaving the leaf ports with their pods, and nothing left."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from labs.pods import runtime, scenario
from labs.run import runner
from tests.e2e import helpers as h

pytestmark = pytest.mark.e2e

script = h.seed_script
attachments = h.attachments


def fabric_lab(state, *args: str) -> subprocess.CompletedProcess[str]:
    exe = str(Path(sys.executable).parent / "fabric-lab")
    return subprocess.run(
        [exe, *args[:2], "seed", "--state-dir", state.state_dir, *args[2:]],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_seed_scenario(e2e_root):
    sdir = e2e_root / "seed"
    up = script("up", "--state-dir", str(sdir), "--metrics", "127.0.0.1:0")
    state = runner.status("seed", state_dir=sdir)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert "with mutual TLS" in up.stdout and "export FABRICCTL_SERVER=" in up.stdout
        assert "spine1 sees pod-a -> pod-b (blue) inside VXLAN VNI 1111: yes" in up.stdout
        assert "NOT AS EXPECTED" not in up.stdout
        matrix = up.stdout[up.stdout.index("ping matrix") :].split("\n\n")[0]
        cells = "\n".join(matrix.splitlines()[2:]).split()
        assert (cells.count("ok"), cells.count("--"), len(matrix.splitlines())) == (6, 20, 8), matrix
        assert state is not None

        # the NADs carry only what is the network's; each node's settings are in its node file
        for f in (sdir / runtime.NADS_DIR).glob("*.yml"):
            conf = json.loads(yaml.safe_load(f.read_text())["spec"]["config"])
            assert set(conf) <= {"cniVersion", "name", "type", "network", "uplink", "mtu", "ipam", "capabilities"}

        # fabricd placed each pod interface behind the leaf of its uplink
        atts = {(a["pod_name"], a["interface"]): a for a in attachments(state)}
        where = {k: (a["node"], a["nic"], a["switch"], a["vni"]) for k, a in atts.items()}
        assert where == {
            ("pod-a", "net1"): ("server1", "eth1", "sw1", 1111),
            ("pod-a", "net2"): ("server1", "eth1", "sw1", 2222),
            ("pod-b", "net1"): ("server2", "eth2", "sw2", 1111),
            ("pod-b", "net2"): ("server2", "eth2", "sw2", 2222),
            ("pod-c", "net1"): ("server3", "eth2", "sw2", 3333),
            ("pod-d", "net1"): ("server1", "eth1", "sw1", 3333),
        }
        # server1's eth1 carries three VLANs, one shared sub-interface each
        vlans = {atts[k]["vlan"] for k in (("pod-a", "net1"), ("pod-a", "net2"), ("pod-d", "net1"))}
        assert {f"eth1v{v}" for v in vlans} <= set(h.links(state, "server1"))
        # the pod's frames leave server1 tagged with blue's VLAN
        blue = atts[("pod-a", "net1")]["vlan"]
        with h.capture(state, "server1", "eth1", "-e", "vlan") as cap:
            r = fabric_lab(state, "pod", "exec", "pod-a", "--", "ping", "-c", "2", "-W", "2", "10.11.0.2")
            assert r.returncode == 0, r.stdout + r.stderr
        assert f"vlan {blue}," in cap.text and "10.11.0.1 > 10.11.0.2: ICMP echo request" in cap.text

        # what fabricd configured on the leaves, read back over gNMI
        before = scenario.switch_leftovers(state)
        assert {"sw1: VNI 3333", "sw2: VNI 1111", "sw1: network instance fabricd-vni-2222"} <= set(before)

        # deleting pod-d takes red's VLAN off sw1's port to server1; blue and green stay
        red = atts[("pod-d", "net1")]["vlan"]
        r = fabric_lab(state, "pod", "delete", "pod-d")
        assert r.returncode == 0, r.stdout + r.stderr
        assert {a["pod_name"] for a in attachments(state)} == {"pod-a", "pod-b", "pod-c"}

        def sw1_port1_vlans() -> set[int]:
            cfg = scenario.switch_config(state, "sw1")
            return {
                int(v)
                for k, v in scenario._walk(cfg)
                if k == "trunk-vlans" and v in {blue, red, atts[("pod-a", "net2")]["vlan"]}
            }

        h.wait_for("red's VLAN off sw1", lambda: red not in sw1_port1_vlans() and blue in sw1_port1_vlans())
        assert f"eth1v{red}" not in h.links(state, "server1")  # its last user went
        assert "pod-d" not in {r.name for r in runtime.records(Path(state.state_dir))}
        r = fabric_lab(state, "pod", "list")
        assert r.returncode == 0 and "default/pod-a\tserver1\trunning\tnet1 10.11.0.1/24" in r.stdout

        # a pod whose second network fails is not half made: its first network is undone too
        bad = e2e_root / "bad-pod.yml"
        sel = [{"name": "blue-network", "ips": ["10.11.0.9/24"]},
               {"name": "green-network", "ips": ["10.22.0.9/24"], "cni-args": {"uplink": "eth9"}}]  # fmt: skip
        bad.write_text(json.dumps({"kind": "Pod", "metadata": {"name": "pod-x", "annotations": {
            "k8s.v1.cni.cncf.io/networks": json.dumps(sel)}}}))  # fmt: skip
        r = fabric_lab(state, "pod", "create", "--node", "server2", str(bad))
        assert r.returncode == 1, r.stdout + r.stderr
        assert "network 2 (default/green-network as net2)" in r.stderr and "(CNI error 101)" in r.stderr
        assert "eth9" in r.stderr
        assert "pod-x" not in {a["pod_name"] for a in attachments(state)}
        assert not [n for n in os.listdir("/run/netns") if "pod-default.pod-x" in n]
        assert "pod-x" not in {r.name for r in runtime.records(Path(state.state_dir))}
    finally:
        down = script("down", "--state-dir", str(sdir))
    assert down.returncode == 0, down.stdout + down.stderr
    assert "no VNI and no switched port left on the leaves (read back over gNMI)" in down.stdout
    assert state is not None and h.leftovers(state) == []
