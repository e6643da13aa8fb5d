"""fabric-lab pod's inputs (pure): Pod manifests, NADs as RenderNAD writes
them, and what Multus makes of them; the scenario's pods and matrix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from controller.api.nad import cni_config, manifest
from labs.errors import LabFileError
from labs.pods import scenario
from labs.pods.manifest import attachments, load_nads, load_pod, multus_config
from models.ids import Vni
from models.intent import Network


def write_nad(d: Path, name: str, vni: int, *, nad_name: str | None = None, **over) -> None:
    net = Network(namespace="default", name=name, vni=Vni(vni))
    conf = {**cni_config(net, uplink="eth1", ipam_json="", mtu=1500), **over}
    doc = yaml.safe_load(manifest(net, conf, namespace="default"))
    doc["metadata"]["name"] = nad_name or name
    (d / f"{doc['metadata']['name']}.yml").write_text(yaml.safe_dump(doc))


def write_pod(d: Path, networks: str, **meta) -> Path:
    doc = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web-0", "annotations": {"k8s.v1.cni.cncf.io/networks": networks}, **meta},
        "spec": {
            "nodeName": "server1",
            "securityContext": {"sysctls": [{"name": "net.ipv4.conf.all.arp_ignore", "value": 1}]},
        },
    }
    f = d / "pod.yml"
    f.write_text(yaml.safe_dump(doc))
    return f


@pytest.fixture
def nads(tmp_path):
    d = tmp_path / "nads"
    d.mkdir()
    write_nad(d, "blue", 1111, nad_name="blue-network")
    write_nad(d, "green", 2222, nad_name="green-network")
    return d


def test_a_pod_with_both_annotation_forms(tmp_path, nads):
    pod = load_pod(write_pod(tmp_path, "blue-network,green-network@data0", uid="u-1"))
    assert (pod.ref, pod.uid, pod.node) == ("default/web-0", "u-1", "server1")
    assert pod.sysctls == (("net.ipv4.conf.all.arp_ignore", "1"),)
    plan = attachments(pod, load_nads(nads), "sandbox1")
    assert [(a.nad, a.ifname) for a in plan] == [("default/blue-network", "net1"), ("default/green-network", "data0")]
    assert plan[0].cni_args == (
        "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=sandbox1;K8S_POD_UID=u-1"
    )
    assert plan[0].config["type"] == "fabric-cni" and "runtimeConfig" not in plan[0].config


def test_multus_passes_declared_capabilities_and_cni_args(tmp_path, nads):
    sel = json.dumps(
        [{"name": "blue-network", "ips": ["10.11.0.1/24"], "mac": "02:00:00:00:00:01", "cni-args": {"uplink": "eth2"}}]
    )
    pod = load_pod(write_pod(tmp_path, sel))
    conf = attachments(pod, load_nads(nads), "s")[0].config
    assert conf["runtimeConfig"] == {"ips": ["10.11.0.1/24"], "mac": "02:00:00:00:00:01"}
    assert conf["args"] == {"cni": {"uplink": "eth2"}}
    # a NAD that does not declare the capability gets no runtimeConfig (Multus would not pass it)
    nad = load_nads(nads)["default/blue-network"]
    bare = type(nad)(namespace=nad.namespace, name=nad.name, config={**nad.config, "capabilities": {}}, file=nad.file)
    assert "runtimeConfig" not in multus_config(bare, pod.networks[0])


BAD_PODS = [
    ("", "selects no network"),
    ("nope-network", "no NetworkAttachmentDefinition default/nope-network (known: default/blue-network, "),
    ("blue-network@net2,green-network", "interface name 'net2' is used by more than one network"),
    ('[{"name": "blue-network", "portMappings": []}]', "fabric-lab does not do portMappings"),
    ("blue,,x", "element 2 is empty"),
]


@pytest.mark.parametrize(("networks", "message"), BAD_PODS)
def test_bad_pods_are_refused_naming_the_field(tmp_path, nads, networks, message):
    with pytest.raises(LabFileError) as err:
        attachments(load_pod(write_pod(tmp_path, networks)), load_nads(nads), "s")
    assert message in str(err.value) and "pod.yml: metadata.annotations.k8s.v1.cni.cncf.io/networks" in str(err.value)


def test_bad_manifests_and_nads(tmp_path, nads):
    f = tmp_path / "x.yml"
    for text, field in [
        ("kind: Deployment\n", "kind"),
        ("kind: Pod\nmetadata: {}\n", "metadata.name"),
        ("kind: Pod\nmetadata: {name: p, annotations: {k8s.v1.cni.cncf.io/networks: b}}\n"
         "spec: {securityContext: {sysctls: [{name: kernel.shmmax, value: 1}]}}\n",
         "spec.securityContext.sysctls[0]"),
        ("kind: Pod\nmetadata: {name: p, annotations: {k8s.v1.cni.cncf.io/networks: [a]}}\n",
         "metadata.annotations.k8s.v1.cni.cncf.io/networks"),
        (": : :\n", "(file)"),
    ]:  # fmt: skip
        f.write_text(text)
        with pytest.raises(LabFileError) as err:
            load_pod(f)
        assert err.value.field == field, err.value
    (nads / "broken.yml").write_text("kind: NetworkAttachmentDefinition\nmetadata: {name: b}\nspec: {config: '{'}\n")
    with pytest.raises(LabFileError, match=r"broken.yml: \[0\].spec.config: is not JSON"):
        load_nads(nads)
    (nads / "broken.yml").write_text(
        "kind: NetworkAttachmentDefinition\nmetadata: {name: b}\nspec: {config: '{\"plugins\": []}'}\n"
    )
    with pytest.raises(LabFileError, match="a plugin list is not supported"):
        load_nads(nads)
    (nads / "broken.yml").unlink()
    write_nad(nads, "blue", 1111, nad_name="blue-network")
    (nads / "copy.yaml").write_text((nads / "blue-network.yml").read_text())
    with pytest.raises(LabFileError, match="default/blue-network is also defined in"):
        load_nads(nads)
    with pytest.raises(LabFileError, match="no such directory"):
        load_nads(tmp_path / "none")


def test_the_scenario_puts_same_network_pods_behind_different_leaves():
    uplink = {"server1": {"eth1": "sw1", "eth2": "sw2"}, "server2": {"eth1": "sw1", "eth2": "sw2"},
              "server3": {"eth1": "sw1", "eth2": "sw2"}}  # fmt: skip
    leaves: dict[str, set[str]] = {}
    for p in scenario.PODS:
        for n in p.nets:
            leaves.setdefault(n.network, set()).add(uplink[p.node][n.uplink or "eth1"])
        doc = p.manifest()
        assert load_pod_from_doc(doc).networks  # the manifest parses
    assert leaves == {"blue": {"sw1", "sw2"}, "green": {"sw1", "sw2"}, "red": {"sw1", "sw2"}}
    assert {p.node for p in scenario.PODS} == {"server1", "server2", "server3"}


def load_pod_from_doc(doc):
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
        f.write(yaml.safe_dump(doc))
        f.flush()
        return load_pod(f.name)


def test_the_matrix_says_what_is_not_as_expected():
    eps = scenario.endpoints()
    reached = {(s.label, d.label): s.network == d.network for s in eps for d in eps if s.pod != d.pod}
    m = scenario.Matrix(endpoints=tuple(eps), reached=reached)
    assert m.unexpected == [] and "!" not in "".join(m.render().splitlines()[1:])
    reached[("pod-a/blue", "pod-c/red")] = True
    m = scenario.Matrix(endpoints=tuple(eps), reached=reached)
    assert m.unexpected == ["pod-a/blue -> pod-c/red: reached, expected the opposite"]
    assert "ok!" in m.render()


def test_pod_commands_need_a_running_lab(tmp_path):
    exe = str(Path(sys.executable).parent / "fabric-lab")
    p = subprocess.run(
        [exe, "pod", "list", "seed", "--state-dir", str(tmp_path / "none")], capture_output=True, text=True, check=False
    )
    assert p.returncode == 3 and "not running" in p.stderr
