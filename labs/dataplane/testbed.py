"""Scratch network namespaces for the tagger's tests and benchmark.

Every name carries a per-run prefix ``fdv<pid>-`` (the pid of the run's
process). :func:`sweep_stale` removes namespaces of runs whose process is
gone, so a crashed run never makes the next one fail; a run removes its own
in :func:`trunk_pair`'s exit (also on failure). Interfaces inside the
namespaces need no prefix: the namespaces are private.

:func:`trunk_pair` builds the test's wire: namespaces A and B joined by a
veth pair ``trunk-a`` <-> ``trunk-b``, a tagger in each (sockets, pid files
and logs in a directory of the caller's).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from labs.dataplane.tagger import TaggerProcess, start_tagger, stop_tagger
from labs.errors import LabRunError
from labs.run import procs

PREFIX = "fdv"
_STALE = re.compile(rf"^{PREFIX}(\d+)-")


def run_prefix() -> str:
    return f"{PREFIX}{os.getpid()}-"


def run(argv: Sequence[str], *, netns: str | None = None, check: bool = True, timeout: float = 60.0) -> str:
    """Run a command (in ``netns``); its stdout. LabRunError with its stderr
    if it fails and ``check``."""
    full = ["ip", "netns", "exec", netns, *argv] if netns else list(argv)
    res = subprocess.run(full, capture_output=True, text=True, timeout=timeout, check=False)
    if check and res.returncode != 0:
        raise LabRunError(f"{' '.join(full)}: exit {res.returncode}: {res.stderr.strip() or res.stdout.strip()}")
    return res.stdout


def ip(*args: str, netns: str | None = None) -> str:
    return run(["ip", *(["-n", netns] if netns else []), *args])


def netns_names() -> list[str]:
    out = run(["ip", "netns", "list"])
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def add_netns(name: str) -> None:
    ip("netns", "add", name)
    ip("link", "set", "lo", "up", netns=name)


def delete_netns(name: str) -> None:
    """Kill whatever still runs in ``name`` (it would keep the namespace
    alive), then delete it. Idempotent."""
    if name not in netns_names():
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = [int(p) for p in run(["ip", "netns", "pids", name], check=False).split()]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 5.0
        while pids and time.monotonic() < deadline:
            for pid in pids:
                procs.reap(pid)
            pids = [p for p in pids if (st := procs.stat(p)) is not None and not st.zombie]
            time.sleep(0.05)
        if not pids:
            break
    run(["ip", "netns", "del", name], check=False)


def sweep_stale() -> list[str]:
    """Delete the namespaces of earlier runs whose process is gone."""
    swept = []
    for name in netns_names():
        m = _STALE.match(name)
        if m and int(m.group(1)) != os.getpid() and procs.stat(int(m.group(1))) is None:
            delete_netns(name)
            swept.append(name)
    return swept


def sysctl(netns: str, **values: int | str) -> None:
    run(["sysctl", "-q", "-w", *(f"{k.replace('__', '.')}={v}" for k, v in values.items())], netns=netns)


_SERVER = """
import random, socket, sys
data = random.Random(int(sys.argv[3])).randbytes(int(sys.argv[2]))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5001))
s.listen(1)
print("listening", flush=True)
s.settimeout(60)
c, _ = s.accept()
c.sendall(data)
c.close()
"""
_CLIENT = """
import hashlib, json, socket, sys, time
h, n = hashlib.sha256(), 0
t0 = time.perf_counter()
with socket.create_connection((sys.argv[1], 5001), timeout=60) as s:
    while chunk := s.recv(1 << 16):
        h.update(chunk)
        n += len(chunk)
print(json.dumps({"sha256": h.hexdigest(), "bytes": n, "seconds": time.perf_counter() - t0}))
"""


def tcp_transfer(server_ns: str, client_ns: str, address: str, size: int, *, seed: int = 7) -> dict[str, Any]:
    """``size`` bytes (``random.Random(seed).randbytes(size)``) over TCP from a
    server on ``address``:5001 in ``server_ns`` to a client in ``client_ns``;
    the client's ``{"sha256", "bytes", "seconds"}``."""
    srv = subprocess.Popen(
        ["ip", "netns", "exec", server_ns, sys.executable, "-c", _SERVER, address, str(size), str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert srv.stdout is not None
        if srv.stdout.readline().strip() != "listening":
            srv.wait(timeout=10)
            raise LabRunError(f"transfer server in {server_ns} did not start: {srv.communicate()[1]}")
        out = run([sys.executable, "-c", _CLIENT, address], netns=client_ns, timeout=120)
        if srv.wait(timeout=60) != 0:
            raise LabRunError(f"transfer server in {server_ns} failed: {srv.communicate()[1]}")
    finally:
        if srv.poll() is None:
            srv.kill()
        srv.communicate()
    doc: dict[str, Any] = json.loads(out)
    return doc


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class TrunkPair:
    prefix: str
    a: str  # namespace of trunk-a
    b: str  # namespace of trunk-b
    tagger_a: TaggerProcess
    tagger_b: TaggerProcess
    workdir: Path
    namespaces: list[str]  # every namespace of this pair (add more with .add_netns)

    def add_netns(self, suffix: str) -> str:
        name = self.prefix + suffix
        add_netns(name)
        self.namespaces.append(name)
        return name


STRONG_HOST = {
    # answer ARP only for addresses of the receiving interface: the tests put
    # VLANs in one subnet, and isolation must be the tagger's, not luck
    "net__ipv4__conf__all__arp_ignore": 1,
    "net__ipv4__conf__default__arp_ignore": 1,
    "net__ipv4__conf__all__arp_announce": 2,
    "net__ipv4__conf__default__arp_announce": 2,
}


@contextlib.contextmanager
def trunk_pair(workdir: Path, *, prefix: str | None = None, mtu: int = 1500) -> Iterator[TrunkPair]:
    """Namespaces A and B, ``trunk-a`` <-> ``trunk-b`` (``mtu``), a tagger in
    each; everything removed on exit, also on failure."""
    prefix = prefix or run_prefix()
    sweep_stale()
    names = [prefix + "a", prefix + "b"]
    started: list[TaggerProcess] = []
    try:
        for name in names:
            delete_netns(name)  # a leftover of this very pid (a reused pid)
            add_netns(name)
            sysctl(name, **STRONG_HOST)
        a, b = names
        ip("link", "add", "trunk-a", "netns", a, "mtu", str(mtu), "type", "veth",
           "peer", "name", "trunk-b", "netns", b, "mtu", str(mtu))  # fmt: skip
        ip("link", "set", "trunk-a", "up", netns=a)
        ip("link", "set", "trunk-b", "up", netns=b)
        workdir.mkdir(parents=True, exist_ok=True)
        for name in names:
            started.append(start_tagger(netns=name, socket=workdir / f"{name}.sock"))
        yield TrunkPair(
            prefix=prefix, a=a, b=b, tagger_a=started[0], tagger_b=started[1], workdir=workdir, namespaces=names
        )
    finally:
        for proc in started:
            stop_tagger(proc, grace=5.0)
        for name in reversed(names):
            delete_netns(name)
