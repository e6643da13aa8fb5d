"""The test API server itself: it starts, serves the objects fabricd will
watch (Nodes, Pods bound to nodes, the NetworkAttachmentDefinition CRD), and
issues and reviews bound ServiceAccount tokens."""

from __future__ import annotations

import json
import time

import pytest

from labs.pods.kubescenario import NAD_CRD
from tests.servers.apiserver import kube_apiserver
from tests.servers.tools import versions

pytestmark = pytest.mark.slow


def test_a_real_api_server_serves_nodes_pods_nads_and_tokens(tmp_path):
    t0 = time.monotonic()
    with kube_apiserver(tmp_path) as api:
        ready = time.monotonic() - t0
        version = json.loads(api.kubectl("version", "-o", "json").stdout)
        assert version["serverVersion"]["gitVersion"] == versions()["K8S_VERSION"]
        api.apply(NAD_CRD)
        api.kubectl("wait", "--for=condition=Established", "crd/network-attachment-definitions.k8s.cni.cncf.io")
        ns = api.namespace("t1")
        api.apply(
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "server1"}},
            {
                "apiVersion": "k8s.cni.cncf.io/v1",
                "kind": "NetworkAttachmentDefinition",
                "metadata": {"name": "blue", "namespace": ns},
                "spec": {"config": json.dumps({"cniVersion": "0.3.1", "type": "fabric-cni", "VNI": "1111"})},
            },
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "fabric-cni", "namespace": ns}},
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": "p1",
                    "namespace": ns,
                    "annotations": {"k8s.v1.cni.cncf.io/networks": "blue"},
                },
                "spec": {
                    "nodeName": "server1",
                    "serviceAccountName": "fabric-cni",
                    "containers": [{"name": "c", "image": "example.invalid/none"}],
                },
            },
        )
        nad = json.loads(api.kubectl("get", "net-attach-def", "blue", "-n", ns, "-o", "json").stdout)
        assert json.loads(nad["spec"]["config"])["VNI"] == "1111"
        pod = api.request("GET", f"/api/v1/namespaces/{ns}/pods/p1")
        # a bound token of the pod (audience fabricd), reviewed by the API server
        token = api.kubectl(
            "create", "token", "fabric-cni", "-n", ns, "--audience=fabricd", "--bound-object-kind=Pod",
            "--bound-object-name=p1",
        ).stdout.strip()  # fmt: skip
        review = api.request(
            "POST",
            "/apis/authentication.k8s.io/v1/tokenreviews",
            {
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenReview",
                "spec": {"token": token, "audiences": ["fabricd"]},
            },
        )
        status = review["status"]
        assert status["authenticated"] and status["audiences"] == ["fabricd"]
        extra = status["user"]["extra"]
        assert extra["authentication.kubernetes.io/pod-name"] == ["p1"]
        assert extra["authentication.kubernetes.io/pod-uid"] == [pod["metadata"]["uid"]]
        assert extra["authentication.kubernetes.io/node-name"] == ["server1"]
        wrong = api.request(
            "POST",
            "/apis/authentication.k8s.io/v1/tokenreviews",
            {
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenReview",
                "spec": {"token": token, "audiences": ["other"]},
            },
        )
        assert not wrong["status"].get("authenticated")
    assert ready < 120
