"""Fixtures of the lab tests: the shipped labs, a stand-in emulator host."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from labs.files.topofile import load_lab
from labs.run import runner

LABS = Path(__file__).resolve().parents[2] / "labs"


@pytest.fixture(scope="session")
def seed():
    return load_lab(LABS / "seed.clab.yml")


@pytest.fixture(scope="session")
def dc():
    return load_lab(LABS / "dc-2s4l.clab.yml")


# A real process honouring the host contract of labs/files/spec.py: it reads
# SPECS.json, listens on a 127.0.0.1 port per switch (and one for admin),
# writes READY.json atomically and serves until SIGTERM. STANDIN_MODE=fail
# exits 4 before READY, STANDIN_MODE=hang never writes READY;
# STANDIN_CHILD=FILE starts a child in its session and writes its pid to FILE.
STANDIN_HOST = textwrap.dedent(
    """
    import argparse, json, os, signal, socket, sys, threading

    parser = argparse.ArgumentParser()
    parser.add_argument("--specs", required=True)
    parser.add_argument("--ready", required=True)
    args = parser.parse_args()
    with open(args.specs) as fh:
        doc = json.load(fh)
    mode = os.environ.get("STANDIN_MODE", "ok")
    print(f"stand-in host: {len(doc['switches'])} switches, mode {mode}", flush=True)
    if mode == "fail":
        print("stand-in host: cannot start: told to fail", file=sys.stderr, flush=True)
        sys.exit(4)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    servers = {}
    for spec in doc["switches"]:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen()
        servers[spec["name"]] = s
    admin = socket.socket()
    admin.bind(("127.0.0.1", 0))
    admin.listen()
    if os.environ.get("STANDIN_CHILD"):  # a helper in the host's session, as a real host may have
        import subprocess
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        with open(os.environ["STANDIN_CHILD"], "w") as fh:
            fh.write(str(child.pid))
    if mode != "hang":
        ready = {
            "pid": os.getpid(),
            "switches": {n: "127.0.0.1:%d" % s.getsockname()[1] for n, s in servers.items()},
            "admin": "127.0.0.1:%d" % admin.getsockname()[1],
        }
        with open(args.ready + ".tmp", "w") as fh:
            json.dump(ready, fh)
        os.replace(args.ready + ".tmp", args.ready)
        print("stand-in host: ready", flush=True)
    stop.wait()
    print("stand-in host: SIGTERM, stopping", flush=True)
    """
)


@pytest.fixture
def standin_host(tmp_path, monkeypatch):
    """Points fabric-lab at the stand-in host; yields the state root."""
    script = tmp_path / "standin_host.py"
    script.write_text(STANDIN_HOST)
    monkeypatch.setenv(runner.ENV_HOST_CMD, f"{sys.executable} {script}")
    root = tmp_path / "state"
    monkeypatch.setenv("FABRIC_LAB_STATE_DIR", str(root))
    monkeypatch.delenv("STANDIN_MODE", raising=False)
    yield root
    # whatever a test left running, stop it (by its own state files)
    if root.exists():
        for sdir in root.iterdir():
            runner.down(sdir.name)
    assert not root.exists() or not any(root.iterdir())


def pid_alive(pid: int) -> bool:
    from labs.run import procs

    st = procs.stat(pid)
    return st is not None and not st.zombie and os.path.exists(f"/proc/{pid}")
