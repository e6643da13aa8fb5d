"""``fabric-cni install``: what the node agent DaemonSet does on each node.

    fabric-cni install --bin-dir=/host/opt/cni/bin --conf-dir=/host/etc/fabric-cni
                       [--host-conf-dir=/etc/fabric-cni] [--controller=HOST:PORT|unix:///path]
                       [--ca=FILE] [--token=FILE] [--uplink-label=LABEL] [--watch]

1. The plugin: this executable's directory (PyInstaller's ``--onedir``: the
   ``fabric-cni`` executable beside ``_internal/``) is copied to
   ``BIN/fabric-cni.d/<hash>`` under a temporary name and renamed, then
   ``BIN/fabric-cni`` becomes a symlink to it by renaming a new symlink over
   it: a runtime starting the plugin meanwhile runs the old or the new one,
   never half of either. The previous version is kept (a plugin run may be
   loading from it), older ones removed.
2. The node file ``CONF/node.json`` (cni/plugin/nodeconf.py), written by
   rename when it changes: the controller (a host name is resolved here, in
   the pod's cluster DNS, to the Service's address, and kept as
   ``tls.serverName``: the host's resolver does not know cluster names), the
   CA and the token copied beside it (mode 0600), the node name
   (``$NODE_NAME``, the downward API), the default uplink from the Node's
   label ``--uplink-label`` when the Node has it (read with the pod's own
   ServiceAccount; skipped outside a cluster). Paths in the file are the
   host's (``--host-conf-dir``).
3. ``--watch``: again every 30 s until SIGTERM: the kubelet rotates the
   token, the Service's address may change, the label may be set later.

Standard library only (the plugin's bundle carries nothing else it needs).
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import os
import shutil
import signal
import socket
import ssl
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any

NAME = "fabric-cni"
SA_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
WATCH_EVERY = 30.0
MAX_FILE = 64 * 1024


def bundle_dir() -> Path:
    """The directory of this executable (the PyInstaller bundle)."""
    return Path(os.path.realpath(sys.executable)).parent


def _digest(src: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in src.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(src)).encode() + b"\0")
        h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()[:16]


def install_plugin(src: Path, bin_dir: Path) -> Path:
    """Copy ``src`` into ``bin_dir/fabric-cni.d/<hash>`` and point ``bin_dir/fabric-cni`` at it, both by
    rename; the directory it points to."""
    if not (src / NAME).is_file():
        raise SystemExit(f"{NAME} install: {src} holds no {NAME} executable (run the bundled one)")
    versions = bin_dir / f"{NAME}.d"
    versions.mkdir(parents=True, exist_ok=True)
    key = _digest(src)
    dest = versions / key
    if not dest.is_dir():
        tmp = versions / f".{key}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(src, tmp, symlinks=True)
        os.replace(tmp, dest)
    link = bin_dir / NAME
    previous = os.readlink(link) if link.is_symlink() else None
    target = f"{NAME}.d/{key}/{NAME}"
    if previous != target:
        tmp_link = bin_dir / f".{NAME}.tmp-{os.getpid()}"
        tmp_link.unlink(missing_ok=True)
        tmp_link.symlink_to(target)
        os.replace(tmp_link, link)
    keep = {key, Path(previous).parts[1] if previous and previous.startswith(f"{NAME}.d/") else key}
    for old in versions.iterdir():
        if old.name not in keep and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
    return dest


def _write(path: Path, data: bytes, mode: int) -> bool:
    """Write by rename when the content differs; True if it did."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return True


def _read(path: str, what: str) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read(MAX_FILE + 1)
    if len(data) > MAX_FILE or not data.strip():
        raise SystemExit(f"{NAME} install: {what} {path} is empty or larger than {MAX_FILE} bytes")
    return data


def resolve(controller: str) -> tuple[str, str | None]:
    """(the address for the node file, the TLS server name): a DNS name becomes its first address."""
    if controller.startswith("unix:"):
        return controller, None
    host, _, port = controller.rpartition(":")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return controller, None
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)
    addr = str(infos[0][4][0])
    return (f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"), host


def node_label(node: str, label: str) -> str | None:
    """The Node's ``label`` read with the pod's ServiceAccount; None outside a cluster or without it."""
    host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    if not host or not (SA_DIR / "token").exists():
        return None
    ctx = ssl.create_default_context(cafile=str(SA_DIR / "ca.crt"))
    base = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
    req = urllib.request.Request(f"{base}/api/v1/nodes/{node}")
    req.add_header("Authorization", "Bearer " + (SA_DIR / "token").read_text().strip())
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        doc = json.loads(r.read(4 * 1024 * 1024))
    value = (doc.get("metadata", {}).get("labels") or {}).get(label)
    return str(value) if value else None


def node_file(args: argparse.Namespace) -> dict[str, Any]:
    conf, host_conf = Path(args.conf_dir), Path(args.host_conf_dir or args.conf_dir)
    conf.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {}
    if args.controller:
        address, server_name = resolve(args.controller)
        doc["controller"] = address
    else:
        server_name = None
    if args.ca:
        _write(conf / "ca.crt", _read(args.ca, "--ca"), 0o644)
        doc["tls"] = {"ca": str(host_conf / "ca.crt"), **({"serverName": server_name} if server_name else {})}
    if args.token:
        _write(conf / "token", _read(args.token, "--token"), 0o600)
        doc["token"] = str(host_conf / "token")
    node = os.environ.get("NODE_NAME", "")
    if node:
        doc["node"] = node
        if args.uplink_label:
            uplink = node_label(node, args.uplink_label)
            if uplink:
                doc["uplink"] = uplink
    return doc


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"{NAME} install", description=__doc__.split("\n\n")[0])
    p.add_argument("--bin-dir", required=True, help="the host's CNI binary directory, as mounted here")
    p.add_argument("--conf-dir", required=True, help="the host's /etc/fabric-cni, as mounted here")
    p.add_argument("--host-conf-dir", default="", help="that directory's path on the host (default: --conf-dir)")
    p.add_argument("--controller", default="", help="fabricd's address: HOST:PORT or unix:///path.sock")
    p.add_argument("--ca", default="", help="the CA that signed fabricd's serving certificate")
    p.add_argument("--token", default="", help="the node agent's projected ServiceAccount token (audience fabricd)")
    p.add_argument("--uplink-label", default="", help="the Node label naming the node's default uplink NIC")
    p.add_argument("--watch", action="store_true", help="refresh every 30 s until SIGTERM")
    return p


def _say(what: str) -> None:
    """One line on stderr: the DaemonSet's log (a CLI, so no structured logger)."""
    sys.stderr.write(f"{NAME} install: {what}\n")
    sys.stderr.flush()


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if not getattr(sys, "frozen", False):
        raise SystemExit(f"{NAME} install: runs from the self-contained bundle (make plugin), not from a venv")
    if args.token and not args.ca:
        raise SystemExit(f"{NAME} install: --token needs --ca (a token is only sent over TLS)")
    dest = install_plugin(bundle_dir(), Path(args.bin_dir))
    _say(f"plugin {dest}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while True:
        text = json.dumps(node_file(args), indent=2, sort_keys=True) + "\n"
        if _write(Path(args.conf_dir) / "node.json", text.encode(), 0o644):
            _say(f"node file {Path(args.conf_dir) / 'node.json'} written")
        if not args.watch or stop.wait(WATCH_EVERY):
            return 0
