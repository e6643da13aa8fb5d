"""The seed scenario through the Kubernetes API (``seed-scenario.py up
--k8s``, ``make demo K8S=1``, the e2e tier): the same pods and ping matrix
as :mod:`labs.pods.scenario`, but users speak Kubernetes.

- fabricd runs with ``kubernetes.enabled`` against the lab's API server
  (:mod:`labs.run.kube`), the namespace ``default`` granted VNIs 2000-3999;
- the Node objects server1..3 are created, and each node's kubelet
  (``fabric-lab pod create --kubeconfig --node``) follows its pods;
- blue (VNI 1111) is an operator's network (``fabricctl network create``)
  that its NAD ``blue-network`` binds to by name; ``green-network`` (VNI
  2222) and ``red-network`` (3333) name only their VNI, inside the grant,
  so fabricd creates their networks, owned by the NADs;
- the pods are created with kubectl; the kubelets run fabric-cni as Multus
  would, with each node's own identity.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from labs.errors import LabRunError
from labs.pods import runtime
from labs.pods.scenario import NAMESPACE, PODS, fabricctl
from labs.run import kube
from labs.run.statefile import LabState

NODES = ("server1", "server2", "server3")
#: what fabricd's settings grant the scenario's namespace
GRANTS = {NAMESPACE: ["2000-3999"]}
DEADLINE_S = 120.0
NAD_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "network-attachment-definitions.k8s.cni.cncf.io"},
    "spec": {
        "group": "k8s.cni.cncf.io",
        "scope": "Namespaced",
        "names": {"plural": "network-attachment-definitions", "singular": "network-attachment-definition",
                  "kind": "NetworkAttachmentDefinition", "shortNames": ["net-attach-def"]},
        "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
            "type": "object", "properties": {"spec": {"type": "object", "properties": {"config": {"type": "string"}}}},
        }}}],
    },
}  # fmt: skip

Progress = Callable[[str], None]


def kubernetes_settings(state: LabState) -> dict[str, Any]:
    """fabricd's ``kubernetes`` section for the lab."""
    return {
        "enabled": True,
        "kubeconfig": str(kube.kubeconfig(state)),
        "grants": GRANTS,
        "pod_grace": "2s",
        "resync": "2s",
    }


def nad(name: str, **ref: Any) -> dict[str, Any]:
    config = {"cniVersion": "1.0.0", "name": name, "type": "fabric-cni", **ref,
              "ipam": {"type": "static"}, "capabilities": {"ips": True, "mac": True}}  # fmt: skip
    return {
        "apiVersion": "k8s.cni.cncf.io/v1",
        "kind": "NetworkAttachmentDefinition",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"config": json.dumps(config)},
    }


NADS = (nad("blue-network", network=f"{NAMESPACE}/blue"), nad("green-network", VNI="2222"),
        nad("red-network", VNI="3333"))  # fmt: skip


def node_doc(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}}}


def wait(what: str, check: Callable[[], object], within: float = DEADLINE_S) -> object:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.25)
    raise LabRunError(f"not done within {within:.0f} s: {what}")


def nad_status(state: LabState, name: str) -> dict[str, Any]:
    out = kube.kubectl(state, "get", "net-attach-def", name, "-n", NAMESPACE, "-o", "json", check=False)
    if not out:
        return {}
    text = (json.loads(out)["metadata"].get("annotations") or {}).get("fabricd.io/status", "")
    return dict(json.loads(text)) if text else {}


def running_pods(state: LabState) -> set[str]:
    return {r.name for r in runtime.records(Path(state.state_dir)) if r.phase == "running"}


def setup(state: LabState, *, progress: Progress = print) -> None:
    kube.apply(state, NAD_CRD)
    kube.kubectl(state, "wait", "--for=condition=Established", "crd/network-attachment-definitions.k8s.cni.cncf.io")
    kube.apply(state, *(node_doc(n) for n in NODES))
    for n in NODES:
        kube.start_kubelet(state, n)
    progress(f"Nodes {', '.join(NODES)}, each with its kubelet (fabric-lab pod create --kubeconfig --node)")
    fabricctl(state, "network", "create", "blue", "--vni", "1111", "-n", NAMESPACE)
    progress("network blue (VNI 1111) with fabricctl: the operator's")
    kube.apply(state, *NADS)
    for doc in NADS:
        name = doc["metadata"]["name"]

        def ready(name: str = name) -> dict[str, Any]:
            st = nad_status(state, name)
            return st if st.get("state") == "Ready" else {}

        st = wait(f"NAD {name} Ready", ready)
        assert isinstance(st, dict)
        progress(f"NAD {name}: {st['network']} VNI {st['vni']} EVI {st['evi']} (owner {st['owner']})")
    kube.apply(state, *(p.manifest() for p in PODS))
    want = {p.name for p in PODS}
    wait("every pod running", lambda: want <= running_pods(state))
    progress(f"pods {', '.join(sorted(want))} running (kubectl apply; the kubelets ran fabric-cni)")


def teardown(state: LabState, *, progress: Progress = print) -> None:
    """Delete the pods through the API (the kubelets run DEL), then the NADs;
    pods of a stopped kubelet get their DEL here."""
    names = [p.name for p in PODS]
    kube.kubectl(state, "delete", "pod", "-n", NAMESPACE, "--wait=false", "--ignore-not-found", *names, check=False)
    with_kubelet = {n for n in NODES if kube.kubelet_running(state, n)}
    sdir = Path(state.state_dir)
    try:
        wait("pods deleted by their kubelets",
             lambda: not [r for r in runtime.records(sdir) if r.node in with_kubelet], within=60)  # fmt: skip
    finally:
        for rec in runtime.records(sdir):  # a stopped kubelet's pods
            runtime.delete(sdir, rec.ref, progress=progress)
    kube.kubectl(state, "delete", "net-attach-def", "-n", NAMESPACE, "--all", "--wait=false", check=False)
    progress("pods and NADs deleted through the API")
