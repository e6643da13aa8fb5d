"""The lab's Kubernetes: a bare kube-apiserver with its own etcd, and one
"kubelet" per node (``fabric-lab pod create --kubeconfig``), as processes
of a running lab (the seed scenario with ``--k8s``, ``make demo K8S=1``, the
e2e tier).

The servers are the ones ``make tools`` builds into the tools cache
(``scripts/tools.py path NAME``); nothing is downloaded here. Everything
lives in ``STATE_DIR/kube/`` (so ``down`` removes it): etcd's data, the
API server's CA, serving certificate, ServiceAccount key and admin token,
the admin ``kubeconfig``, logs, and a process record per process, by which
:func:`stop` stops exactly those. Loopback only.

A bare API server has no controller manager and no scheduler: Pods carry
``spec.nodeName``, Node objects are created here, nothing garbage-collects
pods, and a deleted pod stays until its kubelet deletes it with grace 0.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import secrets
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from labs.errors import LabRunError
from labs.run import procs
from labs.run.certs import create_ca, issue_server_cert, write_pair
from labs.run.statefile import LabState

DIR = "kube"
ROOT = Path(__file__).resolve().parents[2]


def directory(state: LabState) -> Path:
    return Path(state.state_dir) / DIR


def kubeconfig(state: LabState) -> Path:
    return directory(state) / "admin.kubeconfig"


def tool(name: str) -> Path:
    """A server of the tools build (``make tools``)."""
    spec = importlib.util.spec_from_file_location("fabricd_tools", ROOT / "scripts" / "tools.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    path = Path(mod.tool_path(name))
    if not path.exists():
        raise LabRunError(f"{name} is not built at {path}: run `make tools` (the Kubernetes lab needs it)")
    return path


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def apiserver_argv(*, etcd: str, port: int, d: Path, cert: Path, key: Path, ca: Path) -> list[str]:
    """kube-apiserver's flags for a bare loopback server (tests/servers/apiserver.py uses them too)."""
    return [
        str(tool("kube-apiserver")),
        f"--etcd-servers={etcd}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={port}",
        f"--tls-cert-file={cert}",
        f"--tls-private-key-file={key}",
        f"--client-ca-file={ca}",
        f"--token-auth-file={d / 'tokens.csv'}",
        "--service-account-issuer=https://kubernetes.default.svc",
        f"--service-account-key-file={d / 'sa.pub'}",
        f"--service-account-signing-key-file={d / 'sa.key'}",
        "--service-cluster-ip-range=10.96.0.0/16",
        "--authorization-mode=Node,RBAC",
        # bare: the endpoint reconciler would refuse the loopback address every 10 s, and no controller
        # manager creates the `default` ServiceAccount the admission plugin wants
        "--endpoint-reconciler-type=none",
        "--disable-admission-plugins=ServiceAccount",
    ]


def write_credentials(d: Path, ca_pem: bytes, url: str) -> tuple[str, Path]:
    """The admin token (system:masters), the ServiceAccount key pair and the
    admin kubeconfig in ``d``: (token, kubeconfig)."""
    token = secrets.token_hex(16)
    (d / "tokens.csv").write_text(f'{token},admin,admin,"system:masters"\n')
    (d / "tokens.csv").chmod(0o600)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (d / "sa.key").write_bytes(private)
    (d / "sa.key").chmod(0o600)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (d / "sa.pub").write_bytes(public)
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "lab", "cluster": {"server": url, "certificate-authority-data": base64.b64encode(
            ca_pem).decode()}}],
        "users": [{"name": "admin", "user": {"token": token}}],
        "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": "admin"}}],
        "current-context": "lab",
    }  # fmt: skip
    path = d / "admin.kubeconfig"
    path.write_text(yaml.safe_dump(doc))
    path.chmod(0o600)
    return token, path


def _spawn(d: Path, role: str, argv: Sequence[str]) -> procs.ProcessRecord:
    log = d / f"{role}.log"
    try:
        pid = procs.spawn_detached(argv, log)
    except OSError as e:
        raise LabRunError(f"cannot start {role}: {e.strerror}") from None
    rec = procs.record(role, pid, argv=argv) or procs.ProcessRecord(
        role=role, pid=pid, start_time=-1, cmdline=tuple(argv)
    )
    (d / f"{role}.json").write_text(json.dumps(rec.to_dict()))
    return rec


def _recorded(d: Path, role: str) -> procs.ProcessRecord | None:
    try:
        rec = procs.ProcessRecord.from_dict(json.loads((d / f"{role}.json").read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return rec if procs.alive(rec) else None


def _wait(what: str, check: Callable[[], bool], rec: procs.ProcessRecord, log: Path, within: float) -> None:
    deadline = time.monotonic() + within
    while not check():
        if procs.reap(rec.pid) is not None or not procs.alive(rec):
            raise LabRunError(f"{what} exited (log {log}):\n{log.read_text(errors='replace')[-3000:]}")
        if time.monotonic() > deadline:
            raise LabRunError(f"{what} not ready within {within:.0f} s (log {log})")
        time.sleep(0.2)


def _get(url: str, *, ctx: ssl.SSLContext | None = None, token: str = "") -> bool:
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start_apiserver(state: LabState, *, within: float = 120.0) -> Path:
    """etcd and kube-apiserver for the lab (idempotent); the admin kubeconfig."""
    d = directory(state)
    if _recorded(d, "kube-apiserver") is not None and kubeconfig(state).exists():
        return kubeconfig(state)
    d.mkdir(mode=0o700, exist_ok=True)
    client, peer = _port(), _port()
    etcd_url = f"http://127.0.0.1:{client}"
    etcd = _spawn(d, "etcd", [
        str(tool("etcd")), "--name=lab", f"--data-dir={d / 'etcd'}",
        f"--listen-client-urls={etcd_url}", f"--advertise-client-urls={etcd_url}",
        f"--listen-peer-urls=http://127.0.0.1:{peer}", f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
        f"--initial-cluster=lab=http://127.0.0.1:{peer}", "--log-level=warn", "--listen-metrics-urls=",
    ])  # fmt: skip
    _wait("etcd", lambda: _get(f"{etcd_url}/health"), etcd, d / "etcd.log", within)
    ca = create_ca("fabric-lab kube-apiserver CA")
    ca_file, _ = write_pair(d, "ca", ca)
    cert, key = write_pair(d, "apiserver", issue_server_cert(ca, "localhost", ips=("127.0.0.1",)))
    port = _port()
    url = f"https://127.0.0.1:{port}"
    token, path = write_credentials(d, ca.cert_pem, url)
    argv = apiserver_argv(etcd=etcd_url, port=port, d=d, cert=cert, key=key, ca=ca_file)
    api = _spawn(d, "kube-apiserver", argv)
    ctx = ssl.create_default_context(cafile=str(ca_file))
    _wait("kube-apiserver", lambda: _get(f"{url}/readyz", ctx=ctx, token=token), api, d / "kube-apiserver.log", within)
    return path


def kubectl(state: LabState, *args: str, input: str | None = None, check: bool = True) -> str:
    p = subprocess.run(
        [str(tool("kubectl")), f"--kubeconfig={kubeconfig(state)}", *args],
        input=input, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if check and p.returncode != 0:
        raise LabRunError(f"kubectl {' '.join(args)}: {p.stderr.strip()}")
    return p.stdout


def apply(state: LabState, *docs: object) -> None:
    kubectl(state, "apply", "-f", "-", input="\n---\n".join(yaml.safe_dump(d) for d in docs))


def start_kubelet(state: LabState, node: str) -> procs.ProcessRecord:
    """The node's kubelet: ``fabric-lab pod create --kubeconfig`` for ``node`` (idempotent)."""
    d = directory(state)
    role = f"kubelet-{node}"
    existing = _recorded(d, role)
    if existing is not None:
        return existing
    exe = str(Path(sys.executable).parent / "fabric-lab")
    argv = [exe, "pod", "create", state.lab, "--state-dir", state.state_dir,
            "--kubeconfig", str(kubeconfig(state)), "--node", node, "*"]  # fmt: skip
    return _spawn(d, role, argv)


def kubelet_running(state: LabState, node: str) -> bool:
    return _recorded(directory(state), f"kubelet-{node}") is not None


def stop_kubelet(state: LabState, node: str) -> bool:
    rec = _recorded(directory(state), f"kubelet-{node}")
    return procs.stop(rec, grace=10.0) if rec is not None else False


def stop(state: LabState) -> list[procs.ProcessRecord]:
    return stop_dir(directory(state))


def stop_dir(d: Path) -> list[procs.ProcessRecord]:
    """Every kubelet, then the API server, then etcd, of the lab's ``kube``
    directory ``d``; those that were running."""
    if not d.is_dir():
        return []
    kubelets = [r for f in sorted(d.glob("kubelet-*.json")) if (r := _recorded(d, f.stem)) is not None]
    stopped = procs.stop_all(kubelets, grace=10.0)
    for role in ("kube-apiserver", "etcd"):
        rec = _recorded(d, role)
        if rec is not None and procs.stop(rec, grace=30.0):
            stopped.append(rec)
    return stopped
