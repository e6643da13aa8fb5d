"""fabricd as its own process for a running lab (the seed scenario, demos).

Everything lives in ``STATE_DIR/fabricd/`` (so ``down`` removes it): the
switch inventory and static port map of the lab, a settings file (API on
the unix socket ``api.sock``, reachable from every node namespace; SQLite
store ``fabricd.db``; metrics on ``metrics``), its log, and its process
record ``fabricd.json`` (pid + start time: :mod:`labs.run.procs`), by which
:func:`stop` stops exactly that process. fabricd is started with the
console script, as an operator would; this module never imports it.

The API runs with mutual TLS, as the set-up users copy should: the lab
issues fabricd's certificate, fabricctl's operator certificate and one
node certificate per node, and writes each node's fabric-cni node file
(:mod:`labs.run.identities`). :func:`ctl_env` is fabricctl's environment
for the operator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from labs.errors import LabRunError
from labs.files.topofile import load_lab
from labs.run import identities, procs
from labs.run.inventory import inventory, portmap, to_yaml
from labs.run.statefile import LabState

DIR = "fabricd"
ROLE = "fabricd"


def directory(state: LabState) -> Path:
    return Path(state.state_dir) / DIR


def address(state: LabState) -> str:
    return f"unix://{directory(state) / 'api.sock'}"


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def running(state: LabState) -> procs.ProcessRecord | None:
    f = directory(state) / "fabricd.json"
    try:
        rec = procs.ProcessRecord.from_dict(json.loads(f.read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return rec if procs.alive(rec) else None


def ctl_env(state: LabState) -> dict[str, str]:
    """fabricctl's environment as the lab's operator (FABRICCTL_*)."""
    pki = identities.api_pki(state.state_dir)
    return {
        "FABRICCTL_SERVER": address(state),
        "FABRICCTL_CA": str(pki.ca),
        "FABRICCTL_CERT": str(pki.operator_cert),
        "FABRICCTL_KEY": str(pki.operator_key),
        "FABRICCTL_SERVER_NAME": identities.SERVER_NAME,
    }


def fabricctl(state: LabState, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``fabricctl ARGS`` as the lab's operator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FABRICCTL_")} | ctl_env(state)
    return subprocess.run(
        [_bin("fabricctl"), *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def healthy(state: LabState) -> bool:
    return fabricctl(state, "--timeout", "2", "health", timeout=30).returncode == 0


def start(
    state: LabState,
    *,
    metrics: str = "127.0.0.1:9464",
    timeout: float = 60.0,
    kubernetes: Mapping[str, Any] | None = None,
) -> procs.ProcessRecord:
    """Start fabricd for the lab (idempotent: a running one is kept) and
    wait until it is SERVING; ``kubernetes``: its ``kubernetes`` settings
    (the lab's API server, :mod:`labs.pods.kubescenario`)."""
    existing = running(state)
    if existing is not None:
        return existing
    d = directory(state)
    d.mkdir(mode=0o700, exist_ok=True)
    pki = identities.issue(state, controller=address(state))
    header = f"lab {state.lab}, written by labs.run.fabricd_proc"
    (d / "inventory.yml").write_text(to_yaml(inventory(state), header=header))
    (d / "portmap.yml").write_text(to_yaml(portmap(load_lab(state.lab_file)), header=header))
    settings = {
        "api": {
            "listen": [address(state)],
            "tls": {"cert": str(pki.server_cert), "key": str(pki.server_key), "client_ca": str(pki.ca)},
            "operators": [identities.OPERATOR],
            "attach_timeout": "10s",
        },
        "store": {"path": str(d / "fabricd.db")},
        "inventory": str(d / "inventory.yml"),
        "port_map": str(d / "portmap.yml"),
        # LLDP discovery checked against the lab's port map (conflicts reported)
        "topology": {"mode": "merged", "prefer": "static"},
        "metrics": {"listen": metrics},
        "log": {"level": "info", "format": "json"},
        "fabric": {"evpn": {"asn": state.evpn_asn}},
    }
    if kubernetes is not None:
        settings["kubernetes"] = dict(kubernetes)
    (d / "fabricd.yml").write_text(yaml.safe_dump(settings, sort_keys=False))
    argv = [_bin("fabricd"), "--config", str(d / "fabricd.yml")]
    log = d / "fabricd.log"
    try:
        pid = procs.spawn_detached(argv, log)
    except OSError as e:
        raise LabRunError(f"cannot start fabricd: {e.strerror}") from None
    rec = procs.record(ROLE, pid, argv=argv) or procs.ProcessRecord(
        role=ROLE, pid=pid, start_time=-1, cmdline=tuple(argv)
    )
    (d / "fabricd.json").write_text(json.dumps(rec.to_dict()))
    deadline = time.monotonic() + timeout
    while not healthy(state):
        code = procs.reap(pid)
        if code is not None or not procs.alive(rec):
            raise LabRunError(f"fabricd exited before it served (log {log}):\n{_tail(log)}")
        if time.monotonic() > deadline:
            procs.stop(rec)
            raise LabRunError(f"fabricd did not serve within {timeout:.0f} s (log {log}):\n{_tail(log)}")
        time.sleep(0.2)
    return rec


def stop(state: LabState) -> bool:
    """Stop the lab's fabricd; True if it was running."""
    rec = running(state)
    return procs.stop(rec, grace=30.0) if rec is not None else False


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(f"  | {line}" for line in path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "  (no log)"
