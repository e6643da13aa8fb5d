"""The rendered Kustomize output, applied server-side with --dry-run=server
to a real kube-apiserver of the pinned version (tools build), with the NAD
CRD and minimal Prometheus Operator CRDs (crds.yaml): the API server's own
validation, defaulting, RBAC escalation checks and strict field validation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml

from tests.deploy.render import OVERLAYS, data_file, rendered_text
from tests.k8s.kube import NAD_CRD
from tests.servers.apiserver import ApiServer, kube_apiserver
from tests.servers.tools import ROOT


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    with kube_apiserver(tmp_path_factory.mktemp("deploy-apiserver")) as api:
        api.apply(NAD_CRD, *yaml.safe_load_all(data_file("crds.yaml").read_text()))
        for crd in ("network-attachment-definitions.k8s.cni.cncf.io", "servicemonitors.monitoring.coreos.com",
                    "prometheusrules.monitoring.coreos.com"):  # fmt: skip
            api.kubectl("wait", "--for=condition=Established", f"crd/{crd}")
        api.namespace("fabricd")  # a dry run creates nothing: the namespaced objects need it to exist
        yield api


def dry_run(api: ApiServer, text: str):
    return api.kubectl("apply", "--server-side", "--dry-run=server", "--validate=strict",
                       "--field-manager=fabricd-deploy-test", "-f", "-", input=text, check=False)  # fmt: skip


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_api_server_accepts_every_object(cluster, overlay):
    text = rendered_text(overlay)
    proc = dry_run(cluster, text)
    assert proc.returncode == 0, proc.stderr
    count = sum(1 for d in yaml.safe_load_all(text) if d)
    assert proc.stdout.count("(server dry run)") == count, proc.stdout


def test_the_example_nad_is_accepted(cluster):
    text = (ROOT / "deploy" / "examples" / "blue-network.yaml").read_text()
    cluster.namespace("team-a")
    proc = dry_run(cluster, text)
    assert proc.returncode == 0, proc.stderr


def test_a_misspelt_field_of_a_custom_kind_is_refused(cluster):
    """The CRDs are strict enough to fail: ``interval`` misspelt in the ServiceMonitor."""
    docs = [d for d in yaml.safe_load_all(rendered_text("production")) if d and d["kind"] == "ServiceMonitor"]
    docs[0]["spec"]["endpoints"][0]["intervall"] = "30s"
    proc = dry_run(cluster, yaml.safe_dump(docs[0]))
    assert proc.returncode != 0 and "intervall" in proc.stderr, proc.stderr
