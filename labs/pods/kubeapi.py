"""The few Kubernetes API calls the lab's kubelet makes, over plain HTTPS
(the lab never imports fabricd's controller): a kubeconfig's current context
with a bearer token or a client certificate, its CA."""

from __future__ import annotations

import base64
import contextlib
import json
import ssl
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from labs.errors import LabRunError


class KubeApiError(LabRunError):
    def __init__(self, what: str, status: int, message: str) -> None:
        self.status = status
        super().__init__(f"{what}: API server answered {status}: {message[:300]}")


def _named(items: list[dict[str, Any]], name: str, what: str, path: Path) -> dict[str, Any]:
    for item in items or []:
        if item.get("name") == name:
            return dict(item.get(what) or {})
    raise LabRunError(f"{path}: no {what} named {name!r}")


class KubeApi:
    def __init__(self, kubeconfig: Path | str) -> None:
        path = Path(kubeconfig)
        try:
            doc = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as e:
            raise LabRunError(f"{path}: cannot read the kubeconfig: {e}") from None
        ctx = _named(doc.get("contexts"), doc.get("current-context", ""), "context", path)
        cluster = _named(doc.get("clusters"), ctx.get("cluster", ""), "cluster", path)
        user = _named(doc.get("users"), ctx.get("user", ""), "user", path)
        self.server = str(cluster["server"]).rstrip("/")
        self._ssl = ssl.create_default_context()
        if "certificate-authority-data" in cluster:
            self._ssl.load_verify_locations(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
        elif "certificate-authority" in cluster:
            self._ssl.load_verify_locations(cafile=str(cluster["certificate-authority"]))
        self._token = str(user.get("token", ""))
        self._tmp = tempfile.TemporaryDirectory(prefix="fabric-lab-kube-")
        cert, key = user.get("client-certificate"), user.get("client-key")
        if "client-certificate-data" in user:
            cert, key = Path(self._tmp.name) / "c.crt", Path(self._tmp.name) / "c.key"
            cert.write_bytes(base64.b64decode(user["client-certificate-data"]))
            key.write_bytes(base64.b64decode(user["client-key-data"]))
            key.chmod(0o600)
        if cert and key:
            self._ssl.load_cert_chain(str(cert), str(key))

    def call(self, method: str, path: str, body: Any = None, *, content_type: str = "application/json") -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.server}{path}", data=data, method=method)
        req.add_header("Accept", "application/json")
        req.add_header("Content-Type", content_type)
        if self._token:
            req.add_header("Authorization", f"Bearer {self._token}")
        try:
            with urllib.request.urlopen(req, context=self._ssl, timeout=30) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            text = e.read().decode(errors="replace")
            with contextlib.suppress(ValueError, AttributeError):
                text = json.loads(text).get("message", text)
            raise KubeApiError(f"{method} {path}", e.code, text) from None
        except (urllib.error.URLError, OSError) as e:
            raise LabRunError(f"{method} {path}: cannot reach the API server at {self.server}: {e}") from None

    def pods_on(self, node: str) -> list[dict[str, Any]]:
        selector = urllib.parse.quote(f"spec.nodeName={node}")
        return list(self.call("GET", f"/api/v1/pods?fieldSelector={selector}").get("items") or [])

    def pod(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return dict(self.call("GET", f"/api/v1/namespaces/{namespace}/pods/{name}"))
        except KubeApiError as e:
            if e.status == 404:
                return None
            raise

    def nad(self, namespace: str, name: str) -> dict[str, Any]:
        path = f"/apis/k8s.cni.cncf.io/v1/namespaces/{namespace}/network-attachment-definitions/{name}"
        return dict(self.call("GET", path))

    def set_phase(self, namespace: str, name: str, phase: str) -> None:
        body = {"status": {"phase": phase}}
        path = f"/api/v1/namespaces/{namespace}/pods/{name}/status"
        self.call("PATCH", path, body, content_type="application/merge-patch+json")

    def delete_now(self, namespace: str, name: str, uid: str) -> None:
        """Delete the pod of that UID with grace 0, as a kubelet does once its sandbox is gone."""
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0, "preconditions": {"uid": uid}}
        try:
            self.call("DELETE", f"/api/v1/namespaces/{namespace}/pods/{name}", body)
        except KubeApiError as e:
            if e.status not in (404, 409):  # gone already, or another pod of that name now
                raise
