"""The seed scenario through a real Kubernetes API server (root; the path of
`make demo K8S=1`): kube-apiserver and etcd from the tools build, fabricd
watching it, NADs and pods created with kubectl, a kubelet per node playing
kubelet + Multus (`fabric-lab pod create --kubeconfig`). Pods ping across
sw1/sw2 as without Kubernetes; deleting a NAD in use leaves it Terminating
with an Event; deleting a pod detaches it; deleting the Node object of a
node whose kubelet is stopped detaches everything of that node with no CNI
DEL ever, and the leaves are clean, read back over gNMI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from labs.pods import kubescenario, runtime, scenario
from labs.run import kube, runner
from tests.e2e import helpers as h

pytestmark = pytest.mark.e2e

script = h.seed_script
attachments = h.attachments


def reasons(state, kind: str, name: str) -> set[str]:
    out = kube.kubectl(state, "get", "events", "-n", "default", "-o", "json",
                       f"--field-selector=involvedObject.kind={kind},involvedObject.name={name}")  # fmt: skip
    return {e["reason"] for e in json.loads(out)["items"]}


def exists(state, *what: str) -> bool:
    return bool(kube.kubectl(state, "get", *what, "-n", "default", "--ignore-not-found", "-o", "name").strip())


def test_the_seed_scenario_through_the_kubernetes_api(e2e_root):
    sdir = e2e_root / "seed-k8s"
    up = script("up", "--k8s", "--state-dir", str(sdir), "--metrics", "127.0.0.1:0")
    state = runner.status("seed", state_dir=sdir)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert "NAD green-network: default/green-network VNI 2222" in up.stdout
        assert "(owner kubernetes:default/green-network)" in up.stdout and "(owner api)" in up.stdout
        assert "spine1 sees pod-a -> pod-b (blue) inside VXLAN VNI 1111: yes" in up.stdout
        assert "NOT AS EXPECTED" not in up.stdout
        matrix = up.stdout[up.stdout.index("ping matrix") :].split("\n\n")[0]
        cells = "\n".join(matrix.splitlines()[2:]).split()
        assert (cells.count("ok"), cells.count("--")) == (6, 20), matrix
        assert state is not None

        atts = attachments(state)
        assert {(a["pod_name"], a["switch"], a["vni"], a["pod_phase"]) for a in atts} == {
            ("pod-a", "sw1", 1111, "Running"), ("pod-a", "sw1", 2222, "Running"),
            ("pod-b", "sw2", 1111, "Running"), ("pod-b", "sw2", 2222, "Running"),
            ("pod-c", "sw2", 3333, "Running"), ("pod-d", "sw1", 3333, "Running"),
        }  # fmt: skip
        nets = {n["name"]: n["owner"] for n in json.loads(scenario.fabricctl(state, "-o", "json", "network", "list"))}
        assert nets == {"blue": "api", "green-network": "kubernetes:default/green-network",
                        "red-network": "kubernetes:default/red-network"}  # fmt: skip

        # deleting a NAD in use: Terminating with an Event, nothing cut off
        kube.kubectl(state, "delete", "net-attach-def", "red-network", "-n", "default", "--wait=false")
        h.wait_for("red-network Terminating", lambda: kubescenario.nad_status(state, "red-network").get("state")
                   == "Terminating")  # fmt: skip
        h.wait_for("InUse Event", lambda: "InUse" in reasons(state, "NetworkAttachmentDefinition", "red-network"))
        assert exists(state, "net-attach-def", "red-network")
        assert {a["pod_name"] for a in attachments(state) if a["vni"] == 3333} == {"pod-c", "pod-d"}
        assert "sw1: VNI 3333" in scenario.switch_leftovers(state)

        # deleting a pod: its kubelet runs DEL, then deletes it with grace 0; fabricd detached it
        kube.kubectl(state, "delete", "pod", "pod-d", "-n", "default", "--wait=false")
        h.wait_for("pod-d gone from the API", lambda: not exists(state, "pod", "pod-d"))
        assert "pod-d" not in {a["pod_name"] for a in attachments(state)}
        h.wait_for("red off sw1", lambda: "sw1: VNI 3333" not in scenario.switch_leftovers(state))

        # server3's kubelet stops (a dead node)
        assert kube.stop_kubelet(state, "server3")
        # meanwhile one pod of server3 is followed alone (`pod create --kubeconfig NS/NAME`): ADD, then on
        # deletion DEL and a delete with grace 0, and the follower ends by itself
        pod_e = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pod-e", "namespace": "default",
                 "annotations": {"k8s.v1.cni.cncf.io/networks": json.dumps([{"name": "green-network",
                                                                             "ips": ["10.22.0.5/24"]}])}},
                 "spec": {"nodeName": "server3", "containers": [{"name": "c", "image": "none"}]}}  # fmt: skip
        kube.apply(state, pod_e)
        follower = subprocess.Popen(
            [str(Path(sys.executable).parent / "fabric-lab"), "pod", "create", "seed", "--state-dir", state.state_dir,
             "--kubeconfig", str(kube.kubeconfig(state)), "default/pod-e"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            h.wait_for("pod-e attached", lambda: "pod-e" in {a["pod_name"] for a in attachments(state)})
            kube.kubectl(state, "delete", "pod", "pod-e", "-n", "default", "--wait=false")
            out, _ = follower.communicate(timeout=120)
        finally:
            follower.kill()
        assert follower.returncode == 0, out
        assert "default/pod-e: deleted (grace 0)" in out
        assert not exists(state, "pod", "pod-e")
        assert "pod-e" not in {a["pod_name"] for a in attachments(state)}

        # the Node object of server3 is deleted: fabricd detaches pod-c with no DEL
        kube.kubectl(state, "delete", "node", "server3")
        h.wait_for("pod-c detached", lambda: "pod-c" not in {a["pod_name"] for a in attachments(state)})
        assert "pod-c" in {r.name for r in runtime.records(Path(state.state_dir))}  # no DEL ran on server3
        assert exists(state, "pod", "pod-c")  # nothing deleted the pod: a bare API server, its kubelet dead
        h.wait_for("VNI 3333 off every leaf", lambda: not [x for x in scenario.switch_leftovers(state) if "3333" in x])
        # the last attachment through red-network went: the NAD goes, and the network it created
        h.wait_for("red-network NAD gone", lambda: not exists(state, "net-attach-def", "red-network"))
        assert "red-network" not in {n["name"] for n in json.loads(scenario.fabricctl(state, "-o", "json", "network",
                                                                                      "list"))}  # fmt: skip
        # blue and green still reach across the leaves
        r = subprocess.run([str(Path(sys.executable).parent / "fabric-lab"), "pod", "exec", "seed", "--state-dir",
                            state.state_dir, "pod-a", "--", "ping", "-c", "2", "-W", "2", "-I", "net1", "10.11.0.2"],
                           capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        down = script("down", "--state-dir", str(sdir))
    assert down.returncode == 0, down.stdout + down.stderr
    assert "no VNI and no switched port left on the leaves (read back over gNMI)" in down.stdout
    assert state is not None and h.leftovers(state) == []
