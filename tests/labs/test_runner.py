"""fabric-lab up/status/inventory/down against a stand-in emulator host (a
real process honouring the contract of labs/files/spec.py, see conftest.py). The
real emulator host arrives with labs/emulator."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from labs.cli import main
from labs.files.spec import specs_from_json
from labs.run import procs
from labs.run.statefile import read_state
from tests.labs.conftest import LABS, pid_alive

SEED = str(LABS / "seed.clab.yml")
#: the in-memory lab (the sidecars say linux; these tests run the stand-in host)
MEMORY = ("--dataplane", "none")


def fabric_lab(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def host_pid(sdir: Path) -> int:
    return read_state(sdir).processes[0].pid


def wait_gone(pid: int, deadline: float = 30.0) -> bool:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        procs.reap(pid)
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_up_status_inventory_down(standin_host, capsys):
    code, out, err = fabric_lab(capsys, "up", SEED, *MEMORY)
    assert code == 0, err
    sdir = standin_host / "seed"
    lines = [line.split("\t") for line in out.splitlines()]
    assert [(name, role) for name, role, _ in lines] == [
        ("spine1", "spine"),
        ("sw1", "leaf"),
        ("sw2", "leaf"),
    ]
    for _, _, address in lines:
        host, port = address.rsplit(":", 1)
        assert host == "127.0.0.1"
        socket.create_connection((host, int(port)), timeout=5).close()  # really listening
    assert "waiting for 3 switches" in err and "up, 3 switches" in err

    state = read_state(sdir)
    host = state.processes[0]
    assert (state.phase, host.role) == ("running", "emulator-host")
    assert host.start_time == procs.stat(host.pid).start_time
    assert "--specs" in host.cmdline and str(sdir / "specs.json") in host.cmdline
    assert procs.stat(host.pid).session == host.pid  # its own session
    # secrets: 0600 files in a 0700 directory, never printed
    password = (sdir / "gnmi-password").read_text()
    assert mode(sdir) == 0o700 and mode(sdir / "gnmi-password") == 0o600
    assert mode(sdir / "specs.json") == 0o600 and mode(sdir / "pki" / "sw1.key") == 0o600
    specs, _ = specs_from_json((sdir / "specs.json").read_text())
    assert [s.name for s in specs] == ["spine1", "sw1", "sw2"]
    assert specs[1].credentials.password == password and specs[1].tls.client_ca_pem is None
    assert specs[1].tls.cert_pem == (sdir / "pki" / "sw1.crt").read_bytes()

    code, out, _ = fabric_lab(capsys, "status", "seed")
    assert code == 0
    assert out.startswith(f"seed: running (emulator host pid {host.pid}")
    assert out.count("listening") == 3
    # what each node really is, here and under containerlab
    said = "sw1\there: the switch emulator, profile openconfig (in memory); containerlab: a Linux container"
    assert f"{said}, no switch there" in out
    assert "server1\there: no node (in-memory lab); containerlab: a Linux container (kind linux" in out

    code, inv_text, _ = fabric_lab(capsys, "inventory", SEED)
    assert code == 0
    inv = yaml.safe_load(inv_text)
    assert inv["lab"] == "seed" and "evpn_asn" not in inv  # fabricd takes the EVPN ASN from its settings
    assert {n: s["address"] for n, s in inv["switches"].items()} == {n: a for n, _, a in lines}
    sw1 = inv["switches"]["sw1"]
    assert (sw1["asn"], sw1["router_id"], sw1["vtep_interface"]) == (65001, "10.0.0.11", "loopback0")
    assert sw1["tls"]["ca_file"] == str(sdir / "pki" / "ca.crt") and sw1["tls"]["server_name"] == "sw1"
    assert sw1["credentials"] == {"username": "admin", "password_file": str(sdir / "gnmi-password")}
    assert password not in inv_text + out + err

    code, _, err = fabric_lab(capsys, "down", "seed")
    assert code == 0 and f"stopped emulator-host (pid {host.pid})" in err
    assert wait_gone(host.pid)
    assert not sdir.exists()
    code, out, _ = fabric_lab(capsys, "status", "seed")
    assert (code, out) == (3, "seed: not running\n")
    code, _, err = fabric_lab(capsys, "down", "seed")  # idempotent
    assert code == 0 and "nothing to remove" in err


def test_up_is_idempotent(standin_host, capsys):
    assert fabric_lab(capsys, "up", SEED, *MEMORY)[0] == 0
    pid = host_pid(standin_host / "seed")
    code, out, err = fabric_lab(capsys, "up", SEED, *MEMORY)
    assert code == 0 and "already running" in err
    assert host_pid(standin_host / "seed") == pid and out.count("127.0.0.1:") == 3


def test_down_after_the_host_was_killed(standin_host, capsys, tmp_path):
    child_file = tmp_path / "child.pid"
    os.environ["STANDIN_CHILD"] = str(child_file)
    try:
        assert fabric_lab(capsys, "up", SEED, *MEMORY)[0] == 0
    finally:
        del os.environ["STANDIN_CHILD"]
    sdir = standin_host / "seed"
    pid, child = host_pid(sdir), int(child_file.read_text())
    assert pid_alive(child)
    os.kill(pid, signal.SIGKILL)
    assert wait_gone(pid)
    code, out, _ = fabric_lab(capsys, "status", "seed")
    assert code == 3 and "leftovers of an earlier run" in out
    assert fabric_lab(capsys, "down", "seed")[0] == 0
    assert wait_gone(child), "the host's session member outlived down"
    assert not sdir.exists()


def test_up_restarts_a_crashed_lab(standin_host, capsys):
    assert fabric_lab(capsys, "up", SEED, *MEMORY)[0] == 0
    pid = host_pid(standin_host / "seed")
    os.kill(pid, signal.SIGKILL)
    assert wait_gone(pid)
    code, _, err = fabric_lab(capsys, "up", SEED, *MEMORY)
    assert code == 0 and "earlier run: removed" in err
    assert host_pid(standin_host / "seed") != pid


def test_a_host_that_fails_to_start(standin_host, capsys, monkeypatch):
    monkeypatch.setenv("STANDIN_MODE", "fail")
    code, _, err = fabric_lab(capsys, "up", SEED, *MEMORY)
    assert code == 1
    assert "the emulator host exited with code 4 before it was ready" in err
    assert "| stand-in host: cannot start: told to fail" in err
    sdir = standin_host / "seed"
    assert read_state(sdir).phase == "failed"  # kept for a look ...
    monkeypatch.setenv("STANDIN_MODE", "ok")
    assert fabric_lab(capsys, "up", SEED, *MEMORY)[0] == 0  # ... and never in the way


def test_a_host_that_is_never_ready(standin_host, capsys, monkeypatch):
    monkeypatch.setenv("STANDIN_MODE", "hang")
    code, _, err = fabric_lab(capsys, "up", SEED, *MEMORY, "--timeout", "1")
    assert code == 1 and "not ready within 1 s" in err
    pid = host_pid(standin_host / "seed")
    assert wait_gone(pid)  # a half-finished up leaves no process behind
    assert fabric_lab(capsys, "down", "seed")[0] == 0
    assert not (standin_host / "seed").exists()


def test_stale_leftovers_never_make_up_fail(standin_host, capsys):
    sdir = standin_host / "seed"
    sdir.mkdir(parents=True)
    (sdir / ".fabric-lab-state").write_text("")
    (sdir / "state.json").write_text("{not json")
    # a host an earlier up started but crashed before recording
    leftover = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(300)", "--specs", str(sdir / "specs.json")],
        start_new_session=True,
    )
    try:
        code, _, err = fabric_lab(capsys, "up", SEED, *MEMORY)
        assert code == 0, err
        assert f"stopped a leftover process (pid {leftover.pid})" in err
        leftover.wait(timeout=30)  # (down reaped it already: its status is gone)
        assert not pid_alive(leftover.pid)
    finally:
        leftover.kill()
        leftover.wait()


def test_a_reused_pid_is_never_signalled(standin_host, capsys):
    assert fabric_lab(capsys, "up", SEED, *MEMORY)[0] == 0
    sdir = standin_host / "seed"
    pid = host_pid(sdir)
    os.kill(pid, signal.SIGKILL)
    assert wait_gone(pid)
    # an unrelated process now holds the recorded pid (simulated: rewrite the
    # record to point at it; its start time differs)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=True)
    try:
        text = (sdir / "state.json").read_text().replace(f'"pid": {pid}', f'"pid": {other.pid}')
        (sdir / "state.json").write_text(text)
        assert fabric_lab(capsys, "down", "seed")[0] == 0
        assert other.poll() is None, "down killed a process that was not its own"
    finally:
        other.kill()
        other.wait()


def test_refuses_a_directory_that_is_not_a_state_dir(standin_host, capsys, tmp_path):
    foreign = tmp_path / "precious"
    foreign.mkdir()
    (foreign / "data.txt").write_text("keep me")
    code, _, err = fabric_lab(capsys, "up", SEED, *MEMORY, "--state-dir", str(foreign))
    assert code == 1 and "not a fabric-lab state directory" in err
    code, _, err = fabric_lab(capsys, "down", "seed", "--state-dir", str(foreign))
    assert code == 1 and "not removing it" in err
    assert (foreign / "data.txt").read_text() == "keep me"


def test_explicit_state_dir_and_changed_lab_files(standin_host, capsys, tmp_path):
    labdir = tmp_path / "lab"
    labdir.mkdir()
    for f in ("seed.clab.yml", "seed.fabric.yml"):
        shutil.copy(LABS / f, labdir / f)
    sdir = tmp_path / "mystate"
    lab = str(labdir / "seed.clab.yml")
    assert fabric_lab(capsys, "up", lab, *MEMORY, "--state-dir", str(sdir))[0] == 0
    pid = host_pid(sdir)
    assert not (standin_host / "seed").exists()
    side = labdir / "seed.fabric.yml"
    side.write_text(side.read_text().replace("validate: fast", "validate: full"))
    code, _, err = fabric_lab(capsys, "up", lab, *MEMORY, "--state-dir", str(sdir))
    assert code == 0 and "restarting" in err
    assert host_pid(sdir) != pid
    specs, _ = specs_from_json((sdir / "specs.json").read_text())
    assert {s.validate for s in specs} == {"full"}
    assert fabric_lab(capsys, "down", lab, "--state-dir", str(sdir))[0] == 0
    assert not sdir.exists()


NOBODY_UP = """
import importlib, os, pkgutil, sys
import labs, labs.cli
for m in pkgutil.walk_packages(labs.__path__, "labs."):  # all of fabric-lab, loaded while the checkout is readable
    importlib.import_module(m.name)
os.setgroups([])
os.setresgid(65534, 65534, 65534)
os.setresuid(65534, 65534, 65534)
os.chdir("/")
sys.exit(labs.cli.main(["up", sys.argv[1]]))
"""


def test_the_linux_dataplane_needs_root(standin_host):
    """As a user without root (uid/gid 65534, nobody), --dataplane linux is
    refused with the way out, before anything is created. The process starts
    as root only to load its code (the checkout may sit where other users
    cannot read, e.g. under /root or in a mktemp -d folder), then drops every
    privilege before fabric-lab runs; the lab files it reads are copied where
    nobody can read them."""
    shared = Path(tempfile.mkdtemp(prefix="fabric-lab-nobody-", dir="/tmp"))
    try:
        shared.chmod(0o755)
        for f in ("seed.clab.yml", "seed.fabric.yml"):
            shutil.copy(LABS / f, shared / f)
            (shared / f).chmod(0o644)
        env = dict(os.environ, FABRIC_LAB_STATE_DIR=str(shared / "state"))
        proc = subprocess.run(
            [sys.executable, "-c", NOBODY_UP, str(shared / "seed.clab.yml")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=str(LABS.parent),
        )
        assert proc.returncode == 1, proc.stderr
        assert "dataplane linux needs root" in proc.stderr and "--dataplane none" in proc.stderr
        assert not (shared / "state").exists()
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def test_malformed_lab_file(standin_host, capsys, tmp_path):
    bad = tmp_path / "bad.clab.yml"
    bad.write_text("name: bad\ntopology: {nodes: {sw1: {kind: linux}}}\n")
    code, _, err = fabric_lab(capsys, "up", str(bad), *MEMORY)
    assert code == 2
    field = "topology.nodes.sw1.labels.fabricd.role"
    assert err == f"fabric-lab: {bad}: {field}: missing: every node needs one of leaf, spine, node\n"
    assert fabric_lab(capsys, "status", str(tmp_path / "nope.clab.yml"))[0] == 2


def test_client_certificates_and_fault(standin_host, capsys):
    from cryptography import x509
    from cryptography.x509.verification import PolicyBuilder, Store

    assert fabric_lab(capsys, "client-cert", "seed", "worker-1")[0] == 3  # not running
    assert fabric_lab(capsys, "up", SEED, *MEMORY)[0] == 0
    code, out, _ = fabric_lab(capsys, "client-cert", "seed", "worker-1")
    assert code == 0
    cert, key = (Path(p) for p in out.split())
    assert mode(key) == 0o600
    ca = x509.load_pem_x509_certificate((standin_host / "seed" / "pki" / "ca.crt").read_bytes())
    verified = (
        PolicyBuilder()
        .store(Store([ca]))
        .build_client_verifier()
        .verify(x509.load_pem_x509_certificate(cert.read_bytes()), [])
    )
    assert [s.value for s in verified.subjects] == ["worker-1"]
    assert fabric_lab(capsys, "client-cert", "seed", "../evil")[0] == 2
    code, _, err = fabric_lab(capsys, "fault", "seed", "sw9", "reboot")
    assert code == 1 and "lab seed has no switch 'sw9'" in err
    if importlib.util.find_spec("labs.emulator") is None:  # the admin client is the emulator's
        code, _, err = fabric_lab(capsys, "fault", "seed", "sw1", "reboot")
        assert code == 1 and "needs the emulator's admin client" in err


def test_the_installed_console_script(standin_host):
    exe = Path(sys.executable).parent / "fabric-lab"
    env = dict(os.environ)

    def run(*argv):
        return subprocess.run([str(exe), *argv], env=env, capture_output=True, text=True, timeout=120, check=False)

    up = run("up", SEED, *MEMORY)
    assert up.returncode == 0, up.stderr
    pid = host_pid(standin_host / "seed")
    assert pid_alive(pid)  # detached: it outlives the fabric-lab process
    assert run("status", "seed").returncode == 0
    assert json.loads(json.dumps(yaml.safe_load(run("portmap", SEED).stdout)))["server3/eth2"] == "sw2/e1-3"
    down = run("down", "seed")
    assert down.returncode == 0, down.stderr
    assert wait_gone(pid)
    assert run("status", "seed").returncode == 3
