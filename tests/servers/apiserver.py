"""A real kube-apiserver (the tools build) on loopback, backed by its own etcd.

A bare API server: no controller manager and no scheduler. So there is no
``default`` ServiceAccount (the ServiceAccount admission plugin is off), a
deleted namespace stays Terminating (tests use a fresh namespace each), Pods
need ``spec.nodeName`` and the tests create the Node objects, and a deleted
Pod bound to a node stays until something deletes it with grace 0 (as a
kubelet would). Its serving certificate comes from a test CA; the admin
authenticates with a static token (``system:masters``); ServiceAccount
tokens are signed with a key of its own (TokenReview works)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from labs.run.certs import create_ca, issue_server_cert, write_pair
from labs.run.kube import apiserver_argv, write_credentials
from tests.servers.etcd import EtcdCluster, etcd_cluster
from tests.servers.tools import free_port, tool


@dataclasses.dataclass
class ApiServer:
    url: str
    token: str
    ca_file: Path
    kubeconfig: Path
    log: Path
    etcd: EtcdCluster
    proc: subprocess.Popen[bytes]

    def kubectl(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [str(tool("kubectl")), f"--kubeconfig={self.kubeconfig}", *args],
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)}: exit {proc.returncode}\n{proc.stderr}")
        return proc

    def apply(self, *docs: dict[str, Any], server_side: bool = False) -> None:
        args = ["apply", "-f", "-"] + (["--server-side"] if server_side else [])
        self.kubectl(*args, input="\n---\n".join(yaml.safe_dump(d) for d in docs))

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """A raw API call as the admin (JSON in, JSON out)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Content-Type", "application/json")
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return json.loads(r.read() or b"null")

    def namespace(self, name: str) -> str:
        self.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
        return name


def _wait_ready(url: str, token: str, ca_file: Path, proc: subprocess.Popen[bytes], log: Path, within: float) -> None:
    ctx = ssl.create_default_context(cafile=str(ca_file))
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"kube-apiserver exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        req = urllib.request.Request(f"{url}/readyz")
        req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"kube-apiserver not ready within {within}s:\n{log.read_text()[-4000:]}")


@contextlib.contextmanager
def kube_apiserver(tmp: Path, *extra: str) -> Iterator[ApiServer]:
    tmp.mkdir(parents=True, exist_ok=True)
    with etcd_cluster(_mk(tmp / "etcd")) as etcd:
        ca = create_ca("kube-apiserver test CA")
        ca_file, _ = write_pair(tmp, "ca", ca)
        cert, key = write_pair(tmp, "apiserver", issue_server_cert(ca, "localhost", ips=("127.0.0.1",)))
        port = free_port()
        url = f"https://127.0.0.1:{port}"
        token, kubeconfig = write_credentials(tmp, ca.cert_pem, url)
        log = tmp / "kube-apiserver.log"
        etcd_urls = ",".join(etcd.endpoints)
        argv = [*apiserver_argv(etcd=etcd_urls, port=port, d=tmp, cert=cert, key=key, ca=ca_file), *extra]
        with log.open("ab") as fh:
            proc = subprocess.Popen(argv, stdout=fh, stderr=fh)
        try:
            _wait_ready(url, token, ca_file, proc, log, within=120)
            yield ApiServer(url=url, token=token, ca_file=ca_file, kubeconfig=kubeconfig, log=log, etcd=etcd, proc=proc)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _mk(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
