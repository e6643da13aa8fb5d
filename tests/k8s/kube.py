"""Kubernetes objects for the tests, and reading them back."""

from __future__ import annotations

import json
from typing import Any

from labs.pods.kubescenario import NAD_CRD, node_doc
from tests.servers.apiserver import ApiServer

__all__ = ["NAD_CRD", "NODES", "node_doc"]

NODES = ("server1", "server2", "server3")


def nad_doc(namespace: str, name: str, config: dict[str, Any] | str) -> dict[str, Any]:
    text = config if isinstance(config, str) else json.dumps(config)
    return {
        "apiVersion": "k8s.cni.cncf.io/v1",
        "kind": "NetworkAttachmentDefinition",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"config": text},
    }


def fabric_nad(namespace: str, name: str, **ref: Any) -> dict[str, Any]:
    """A NAD as users write it: fabric-cni naming its network by ``network`` or ``VNI``."""
    config = {"cniVersion": "1.0.0", "name": name, "type": "fabric-cni", **ref, "ipam": {"type": "static"}}
    return nad_doc(namespace, name, config)


def pod_doc(namespace: str, name: str, node: str, networks: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "annotations": {"k8s.v1.cni.cncf.io/networks": networks}},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "example.invalid/none"}]},
    }


def nad(api: ApiServer, namespace: str, name: str) -> dict[str, Any] | None:
    r = api.kubectl("get", "net-attach-def", name, "-n", namespace, "-o", "json", check=False)
    return json.loads(r.stdout) if r.returncode == 0 else None


def status(api: ApiServer, namespace: str, name: str) -> dict[str, Any]:
    doc = nad(api, namespace, name) or {}
    text = (doc.get("metadata", {}).get("annotations") or {}).get("fabricd.io/status", "")
    return json.loads(text) if text else {}


def events(api: ApiServer, namespace: str, name: str) -> list[dict[str, Any]]:
    doc = api.request("GET", f"/api/v1/namespaces/{namespace}/events?fieldSelector=involvedObject.name%3D{name}")
    return list(doc.get("items") or [])


def reasons(api: ApiServer, namespace: str, name: str) -> set[str]:
    return {e["reason"] for e in events(api, namespace, name)}


def pod_uid(api: ApiServer, namespace: str, name: str) -> str:
    return str(api.request("GET", f"/api/v1/namespaces/{namespace}/pods/{name}")["metadata"]["uid"])


def set_phase(api: ApiServer, namespace: str, name: str, phase: str) -> None:
    """What a kubelet reports (the status subresource)."""
    api.kubectl(
        "patch", "pod", name, "-n", namespace, "--subresource=status", "--type=merge",
        "-p", json.dumps({"status": {"phase": phase}}),
    )  # fmt: skip


def fabric_settings(api: ApiServer, namespaces: list[str], **kube: Any) -> dict[str, Any]:
    """fabricd's ``kubernetes`` section for a test: its namespaces, the first one granted VNIs 5000-5099,
    short grace and resync (tests wait on conditions, never on time)."""
    return {
        "enabled": True,
        "kubeconfig": str(api.kubeconfig),
        "namespaces": namespaces,
        "grants": {namespaces[0]: ["5000-5099"]},
        "pod_grace": "0.5s",
        "resync": "1s",
        **kube,
    }
