"""What the e2e tests do to a running Linux lab: plain pygnmi clients (as a
user would), pings and captures inside nodes, and the check that nothing of
a lab is left."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from labs.dataplane.netns import NETNS_DIR, mount_points
from labs.run import procs
from labs.run.statefile import LabState

LLDP = "/lldp/interfaces/interface/neighbors/neighbor/state"
DEADLINE = 30.0


def client(state: LabState, switch: str) -> Any:
    from pygnmi.client import gNMIclient

    sw = next(s for s in state.switches if s.name == switch)
    host, port = sw.address.rsplit(":", 1)
    return gNMIclient(
        target=(host, int(port)),
        username=state.username,
        password=Path(state.password_file).read_text(),
        path_root=state.ca_file,
        override=switch,
        timeout=30,
    )


def lldp_over_gnmi(state: LabState, switch: str) -> set[tuple[str, str, str]]:
    """(local OpenConfig port, neighbour system name, port id) by a gNMI Get."""
    with client(state, switch) as gc:
        reply = gc.get(path=[LLDP], encoding="json_ietf")
    out = set()
    for n in reply.get("notification", []):
        for u in n.get("update", []):
            path, val = u["path"], u["val"]
            port = path.split("interface[name=", 1)[1].split("]", 1)[0]
            out.add((port, val["system-name"], val["port-id"]))
    return out


def end_subscriptions() -> None:
    """Wait for pygnmi's subscription threads to end (after their channel
    closed), so that what they raise is reported in the test that ran them."""
    for t in threading.enumerate():
        if t.name.endswith("(enqueue_updates)"):
            t.join(10)


def wait_for(what: str, check: Any, deadline: float = DEADLINE, interval: float = 0.2) -> Any:
    """``check()``'s first truthy value; AssertionError naming ``what`` after ``deadline``."""
    end = time.monotonic() + deadline
    last = None
    while time.monotonic() < end:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {deadline:.0f} s (last: {last!r})")


def in_node(state: LabState, node: str, *argv: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    n = state.node(node)
    assert n is not None, node
    return subprocess.run(
        ["ip", "netns", "exec", n.netns, *argv], capture_output=True, text=True, timeout=timeout, check=False
    )


def pings(state: LabState, node: str, address: str, count: int = 1) -> bool:
    return in_node(state, node, "ping", "-c", str(count), "-W", "1", "-q", address).returncode == 0


def links(state: LabState, node: str) -> dict[str, dict[str, Any]]:
    n = state.node(node)
    assert n is not None, node
    out = subprocess.run(["ip", "-n", n.netns, "-j", "-d", "link", "show"], capture_output=True, text=True, check=True)
    return {d["ifname"]: d for d in json.loads(out.stdout)}


def vtysh(state: LabState, switch: str, command: str) -> str:
    n = state.node(switch)
    assert n is not None and n.frr_dir is not None, switch
    return subprocess.run(
        ["vtysh", "--vty_socket", n.frr_dir, "-c", command], capture_output=True, text=True, check=True
    ).stdout


@dataclasses.dataclass
class Capture:
    text: str = ""


@contextlib.contextmanager
def capture(state: LabState, node: str, iface: str, *tcpdump_args: str) -> Iterator[Capture]:
    """tcpdump on ``iface`` of ``node`` while the block runs; its decoded output."""
    n = state.node(node)
    assert n is not None, node
    proc = subprocess.Popen(
        ["ip", "netns", "exec", n.netns, "tcpdump", "-i", iface, "-nn", "-l", *tcpdump_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    box = Capture()
    try:
        assert proc.stderr is not None
        fd = proc.stderr.fileno()
        seen, end = b"", time.monotonic() + 10
        while b"listening on" not in seen and time.monotonic() < end and proc.poll() is None:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                seen += os.read(fd, 4096)
        assert b"listening on" in seen, f"tcpdump did not start: {seen.decode(errors='replace')}"
        yield box
        time.sleep(0.3)  # the last frames
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
        box.text = out.decode(errors="replace")


def leftovers(state: LabState) -> list[str]:
    """Anything of the lab still on the host: namespaces, mounts, processes,
    FRR temporary directories, the state directory."""
    left = []
    prefix = f"{state.prefix}{state.lab}-"
    names = os.listdir(NETNS_DIR) if NETNS_DIR.is_dir() else []
    left += [f"network namespace {n}" for n in names if n.startswith(prefix)]
    left += [f"mount {m}" for m in mount_points() if m.startswith(state.state_dir + "/")]
    for rec in state.processes:
        procs.reap(rec.pid)
        if procs.alive(rec):
            left.append(f"process {rec.role} {rec.pid}")
    left += [f"{r['path']}" for r in state.resources if r.get("kind") == "frr-tmpdir" and Path(r["path"]).exists()]
    if Path(state.state_dir).exists():
        left.append(f"state directory {state.state_dir}")
    return left


SEED_SCRIPT = str(Path(__file__).resolve().parents[2] / "scripts" / "seed-scenario.py")


def seed_script(*args: str) -> subprocess.CompletedProcess[str]:
    """``scripts/seed-scenario.py ARGS`` (the base of `make demo`)."""
    return subprocess.run(
        [sys.executable, SEED_SCRIPT, *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ),
        check=False,
    )


def attachments(state: LabState) -> list[dict[str, Any]]:
    """``fabricctl -o json attachment list`` as the lab's operator."""
    from labs.pods import scenario

    return list(json.loads(scenario.fabricctl(state, "-o", "json", "attachment", "list")))
