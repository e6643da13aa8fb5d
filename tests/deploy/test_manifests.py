"""The manifests as rendered by Kustomize: valid Kubernetes objects of the
pinned version (kubernetes-validate, strict), least-privilege RBAC, the
SQLite rules of the Deployment, and settings fabricd's own loader accepts."""

from __future__ import annotations

import re
from typing import Any

import kubernetes_validate
import pytest
import yaml

from cni.install import SA_DIR
from controller.settings.load import load_settings
from tests.deploy.render import CUSTOM_KINDS, OVERLAYS, find, kube_version, rendered, rendered_text
from tests.golden_util import check_text
from tests.servers.tools import ROOT

#: the ClusterRole fabricd needs: what controller/kube calls, nothing else
FABRICD_RULES = {
    ("k8s.cni.cncf.io", "network-attachment-definitions"): {"get", "list", "watch", "patch"},
    ("", "pods"): {"get", "list", "watch"},
    ("", "nodes"): {"get", "list", "watch"},
    ("", "events"): {"create"},
    ("authentication.k8s.io", "tokenreviews"): {"create"},
}


def schema_version() -> str:
    """The newest schema version kubernetes-validate ships that is not newer than the pinned Kubernetes."""
    want = tuple(int(x) for x in kube_version().split(".")[:2])
    shipped = sorted({tuple(int(x) for x in v.split(".")[:2]) for v in _shipped()})
    best = max(v for v in shipped if v <= want)
    return f"{best[0]}.{best[1]}.0"


def _shipped() -> list[str]:
    import importlib.resources

    root = importlib.resources.files(kubernetes_validate) / "kubernetes-json-schema"
    return [p.name.removeprefix("v").split("-")[0] for p in root.iterdir() if p.name.endswith("-local-strict")]


def test_the_schema_version_is_the_pinned_minor():
    assert schema_version().split(".")[:2] == kube_version().split(".")[:2]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid_for_the_pinned_kubernetes(overlay):
    docs = rendered(overlay)
    store = {"PodDisruptionBudget"} if overlay == "ha" else {"PersistentVolumeClaim"}  # etcd: no volume of ours
    assert {d["kind"] for d in docs} >= {"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
                                         "ConfigMap", "Deployment", "Service",
                                         "DaemonSet", "ServiceMonitor", "PrometheusRule"} | store  # fmt: skip
    problems = []
    for d in docs:
        if d["kind"] in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(d, schema_version(), strict=True)
        except kubernetes_validate.ValidationError as e:
            problems.append(f"{d['kind']}/{d['metadata']['name']}: {e.message} at {list(e.path)}")
    assert not problems, "\n".join(problems)


def test_strict_validation_catches_a_misplaced_field():
    """The check above can fail: a probe put one level too high is refused."""
    dep = find(rendered("production"), "Deployment", "fabricd")
    bad: dict[str, Any] = yaml.safe_load(yaml.safe_dump(dep))
    bad["spec"]["template"]["spec"]["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": "metrics"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, schema_version(), strict=True)


def _rules(role: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        assert "*" not in rule["verbs"] and "*" not in rule["resources"], rule
        assert not rule.get("resourceNames") or rule["resources"] == ["nodes"], rule
        for group in rule["apiGroups"]:
            for res in rule["resources"]:
                out.setdefault((group, res), set()).update(rule["verbs"])
    return out


def test_rbac_is_one_least_privilege_role_per_component():
    docs = rendered("production")
    assert _rules(find(docs, "ClusterRole", "fabricd")) == FABRICD_RULES
    assert _rules(find(docs, "ClusterRole", "fabric-cni-node")) == {("", "nodes"): {"get"}}
    for name in ("fabricd", "fabric-cni-node"):
        binding = find(docs, "ClusterRoleBinding", name)
        assert binding["roleRef"]["name"] == name
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": name, "namespace": "fabricd"}]
    assert not [d for d in docs if d["kind"] in ("Role", "RoleBinding")]


def test_the_sqlite_store_has_one_writer():
    docs = rendered("production")
    dep = find(docs, "Deployment", "fabricd")
    assert dep["spec"]["replicas"] == 1 and dep["spec"]["strategy"] == {"type": "Recreate"}
    pod = dep["spec"]["template"]["spec"]
    claims = [v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"] if "persistentVolumeClaim" in v]
    assert claims == ["fabricd-store"]
    assert find(docs, "PersistentVolumeClaim", "fabricd-store")["spec"]["accessModes"] == ["ReadWriteOnce"]
    [c] = pod["containers"]
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    assert {p["name"]: p["containerPort"] for p in c["ports"]}["metrics"] == 9464


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_settings_parse_with_fabricds_loader(overlay, tmp_path):
    docs = rendered(overlay)
    data = find(docs, "ConfigMap", "fabricd-settings")["data"]
    for name, text in data.items():
        (tmp_path / name).write_text(text)
    dep = find(docs, "Deployment", "fabricd")
    env = _env(dep)
    settings = load_settings(tmp_path / "fabricd.yml", env=env)
    assert settings.kubernetes.enabled and settings.kubernetes.kubeconfig is None  # in-cluster
    assert settings.kubernetes.node_tokens and settings.kubernetes.node_agent == "fabricd/fabric-cni-node"
    mounts = {m["mountPath"] for m in dep["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]}
    assert "/etc/fabricd/tls" in mounts
    if overlay == "ha":
        assert settings.store.backend == "etcd" and len(settings.store.endpoints) == 3
        assert settings.ha.name == "fabricd-7d9f-abcde" and settings.ha.advertise == "10.244.1.7:50051"
        assert settings.ha.peer_tls is not None and settings.store.tls is not None
        files = [settings.ha.peer_tls.cert, settings.ha.peer_tls.key, settings.ha.peer_tls.ca, settings.store.tls.ca]
        assert all(any(str(f).startswith(m + "/") for m in mounts) for f in files), files
    else:
        assert settings.store.backend == "sqlite"
        assert str(settings.store.path).startswith("/var/lib/fabricd/")
        assert "/var/lib/fabricd" in mounts
    assert settings.metrics.listen.endswith(":9464")
    if overlay == "lab":
        assert settings.log.level == "debug"


def _env(dep: dict[str, Any]) -> dict[str, str]:
    """The container's environment as the kubelet makes it: field references of a pod, $(VAR) expanded."""
    pod = {"metadata.name": "fabricd-7d9f-abcde", "status.podIP": "10.244.1.7"}
    env: dict[str, str] = {}
    for e in dep["spec"]["template"]["spec"]["containers"][0].get("env", []):
        if "valueFrom" in e:
            env[e["name"]] = pod[e["valueFrom"]["fieldRef"]["fieldPath"]]
        else:
            env[e["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], e["value"])
    return {k: v for k, v in env.items() if k.startswith("FABRICD_")}


def test_with_etcd_three_fabricd_roll_one_at_a_time_on_different_nodes():
    docs = rendered("ha")
    dep = find(docs, "Deployment", "fabricd")
    assert dep["spec"]["replicas"] == 3
    assert dep["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    pod = dep["spec"]["template"]["spec"]
    assert not [v for v in pod["volumes"] if "persistentVolumeClaim" in v]
    assert not [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    [term] = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    pdb = find(docs, "PodDisruptionBudget", "fabricd")
    assert pdb["spec"]["minAvailable"] == 2
    assert pdb["spec"]["selector"]["matchLabels"] == dep["spec"]["selector"]["matchLabels"]
    data = find(docs, "ConfigMap", "fabricd-settings")["data"]
    assert set(data) == {"fabricd.yml", "inventory.yml"}  # the settings replaced, the inventory kept


def test_the_node_agent_uses_a_token_for_fabricd_only():
    ds = find(rendered("production"), "DaemonSet", "fabric-cni-node")
    pod = ds["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "fabric-cni-node"
    assert not pod.get("automountServiceAccountToken")
    tokens = {
        v["name"]: s["serviceAccountToken"]
        for v in pod["volumes"]
        for s in v.get("projected", {}).get("sources", [])
        if "serviceAccountToken" in s
    }
    assert tokens["fabricd-token"]["audience"] == "fabricd" and tokens["fabricd-token"]["expirationSeconds"] <= 3600
    # the API server's token reads the node's uplink label where fabric-cni install looks (it was never mounted:
    # the label was never read); no audience: the API server's own
    assert "audience" not in tokens["kube-api-token"] and tokens["kube-api-token"]["expirationSeconds"] <= 3600
    install = next(c for c in pod["containers"] if c["name"] == "install")
    mounts = {m["name"]: m["mountPath"] for m in install["volumeMounts"]}
    assert mounts["kube-api-token"] == str(SA_DIR) and mounts["fabricd-token"] != str(SA_DIR)
    assert "--uplink-label=fabricd.io/uplink" in install["args"]
    env = {e["name"]: e for e in install["env"]}
    assert env["NODE_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}
    hostpaths = {v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
    assert hostpaths == {"/opt/cni/bin", "/etc/fabric-cni"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_plain_manifests_are_the_rendered_overlays(overlay):
    """deploy/manifests/OVERLAY.yaml (for kubectl apply -f without Kustomize) is the overlay rendered;
    ``make golden`` rewrites them."""
    header = (
        f"# Generated from deploy/kustomize/overlays/{overlay} by `kubectl kustomize` (make golden);\n"
        "# edit the Kustomize files, not this one.\n"
    )
    check_text(ROOT / "deploy" / "manifests" / f"{overlay}.yaml", header + rendered_text(overlay))
