"""Node agents as the DaemonSet runs them, on the test API server: the
ServiceAccount, one pod per node bound to it (spec.nodeName), and each
pod's projected token (TokenRequest, audience ``fabricd``, bound to the pod)
exactly as the kubelet asks for it; and fabricd's settings to accept them."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from tests.servers.apiserver import ApiServer

AGENT = "fabric-cni-node"
AUDIENCE = "fabricd"


@dataclasses.dataclass
class NodeAgents:
    api: ApiServer
    namespace: str
    tokens: dict[str, str]  # node -> its agent pod's token

    def token(self, *, account: str = AGENT, audience: str = AUDIENCE, pod: str | None = None,
              node: str | None = None, seconds: int = 3600) -> str:  # fmt: skip
        """A fresh token of ``account`` valid for ``seconds`` (the API server's least is 600): bound to ``pod``
        (or the agent pod of ``node``), or to nothing."""
        spec: dict[str, Any] = {"audiences": [audience], "expirationSeconds": seconds}
        name = pod or (f"agent-{node}" if node else None)
        if name:
            uid = self.api.request("GET", f"/api/v1/namespaces/{self.namespace}/pods/{name}")["metadata"]["uid"]
            spec["boundObjectRef"] = {"kind": "Pod", "apiVersion": "v1", "name": name, "uid": uid}
        path = f"/api/v1/namespaces/{self.namespace}/serviceaccounts/{account}/token"
        doc = self.api.request("POST", path, {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                              "spec": spec})  # fmt: skip
        return str(doc["status"]["token"])

    def review(self, token: str, audience: str = AUDIENCE) -> dict[str, Any]:
        doc = self.api.request("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
            "spec": {"token": token, "audiences": [audience]}})  # fmt: skip
        return dict(doc["status"])

    def settings(self, **over: Any) -> dict[str, Any]:
        """fabricd's ``kubernetes`` section: node tokens on, only this namespace watched (the pods of the
        tests' attachments live elsewhere, so their Attach is trusted as without Kubernetes)."""
        return {
            "enabled": True,
            "kubeconfig": str(self.api.kubeconfig),
            "namespaces": [self.namespace],
            "node_tokens": True,
            "node_agent": f"{self.namespace}/{AGENT}",
            "resync": "1s",
            **over,
        }


def agent_pod(namespace: str, name: str, node: str, account: str = AGENT) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"nodeName": node, "serviceAccountName": account,
                 "containers": [{"name": "install", "image": "example.invalid/fabric-cni-node"}]},
    }  # fmt: skip


def node_agents(api: ApiServer, nodes: tuple[str, ...], namespace: str = "") -> NodeAgents:
    ns = api.namespace(namespace or f"fabricd-{os.getpid()}")
    api.apply(
        *({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": n, "namespace": ns}}
          for n in (AGENT, "someone-else")),
        *(agent_pod(ns, f"agent-{node}", node) for node in nodes),
        agent_pod(ns, "other-app", nodes[0], account="someone-else"),
    )  # fmt: skip
    agents = NodeAgents(api=api, namespace=ns, tokens={})
    agents.tokens = {node: agents.token(node=node) for node in nodes}
    return agents
