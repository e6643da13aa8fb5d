"""The deployment as a cluster gets it: ``kubectl kustomize`` (the tools
build's kubectl, its embedded kustomize) of each overlay, parsed."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.servers.tools import ROOT, tool, versions

KUSTOMIZE = ROOT / "deploy" / "kustomize"
OVERLAYS = ("lab", "production", "ha")
#: kinds that are not Kubernetes' own: validated by the test API server against CRDs (crds.yaml)
CUSTOM_KINDS = frozenset({"ServiceMonitor", "PrometheusRule"})


@functools.cache
def rendered_text(overlay: str) -> str:
    proc = subprocess.run(
        [str(tool("kubectl")), "kustomize", str(KUSTOMIZE / "overlays" / overlay)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"kubectl kustomize {overlay}: {proc.stderr}"
    return proc.stdout


def rendered(overlay: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(rendered_text(overlay)) if d]


def find(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def kube_version() -> str:
    """The pinned Kubernetes version without its 'v' (tools/versions.env)."""
    return versions()["K8S_VERSION"].removeprefix("v")


def data_file(name: str) -> Path:
    return Path(__file__).with_name(name)
