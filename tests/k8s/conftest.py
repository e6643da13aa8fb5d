"""One real kube-apiserver (the tools build, with its etcd) for the whole
Kubernetes tier, the NAD CRD installed and the seed lab's Nodes created; each
test takes fresh namespaces (a bare API server never finishes deleting one)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from tests.k8s.kube import NAD_CRD, NODES, node_doc
from tests.servers.apiserver import ApiServer, kube_apiserver

_names = itertools.count(1)


@pytest.fixture(scope="session")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    with kube_apiserver(tmp_path_factory.mktemp("kube-apiserver")) as api:
        api.apply(NAD_CRD)
        api.kubectl("wait", "--for=condition=Established", "crd/network-attachment-definitions.k8s.cni.cncf.io")
        api.apply(*(node_doc(n) for n in NODES))
        yield api


@pytest.fixture
def namespaces(kube: ApiServer) -> Iterator[list[str]]:
    """Two fresh namespaces (a tenant's and another tenant's)."""
    n = next(_names)
    names = [kube.namespace(f"t{os.getpid()}-{n}-a"), kube.namespace(f"t{os.getpid()}-{n}-b")]
    yield names
    # Nodes are shared: put back any the test deleted or tainted
    kube.apply(*(node_doc(n) for n in NODES))
    for node in NODES:
        kube.kubectl("taint", "node", node, "node.kubernetes.io/out-of-service-", check=False)
