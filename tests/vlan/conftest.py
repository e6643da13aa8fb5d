"""Fixtures of the VLAN backend tests: a trunk between two namespaces with a
tagger in each, captures, and commands inside namespaces.

Names carry the per-run prefix ``fdv<pid>-``; stale namespaces of dead runs
are swept at the start of the session and before every pair.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cni.vlan.errors import VlanError
from cni.vlan.kernel import kernel_has_8021q
from labs.dataplane import testbed

ROOT = Path(__file__).resolve().parents[2]


def kernel_8021q() -> bool | None:
    """Whether the kernel has 802.1Q; None if this process cannot tell
    (probing needs CAP_NET_ADMIN)."""
    try:
        return kernel_has_8021q()
    except VlanError:
        return None


@pytest.fixture(scope="session", autouse=True)
def _sweep_stale_runs():
    if os.geteuid() == 0:
        testbed.sweep_stale()


@pytest.fixture
def pair(tmp_path):
    with testbed.trunk_pair(tmp_path / "run") as p:
        yield p


def ns_run(netns: str, *argv: str, check: bool = True, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(
        ["ip", "netns", "exec", netns, *argv], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and res.returncode != 0:
        raise AssertionError(f"{netns}: {' '.join(argv)}: exit {res.returncode}\n{res.stdout}\n{res.stderr}")
    return res


def ns_python(netns: str, code: str, *args: str, check: bool = True, timeout: float = 60.0):
    """Python code run inside ``netns`` with this checkout importable."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run(
        ["ip", "netns", "exec", netns, sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    if check and res.returncode != 0:
        raise AssertionError(f"{netns}: python failed: exit {res.returncode}\n{res.stdout}\n{res.stderr}")
    return res


def ping(netns: str, dst: str, *, dev: str | None = None, count: int = 3, wait: float = 1.0, size: int | None = None,
         dont_fragment: bool = False) -> subprocess.CompletedProcess[str]:  # fmt: skip
    argv = ["ping", "-n", "-c", str(count), "-i", "0.2", "-W", str(wait)]
    argv += ["-I", dev] if dev else []
    argv += ["-s", str(size)] if size is not None else []
    argv += ["-M", "do"] if dont_fragment else []
    return ns_run(netns, *argv, dst, check=False)


def ping_ok(netns: str, dst: str, **kw) -> subprocess.CompletedProcess[str]:
    """Ping until one round succeeds (ARP and the taps may need a moment)."""
    deadline = time.monotonic() + 20.0
    while True:
        res = ping(netns, dst, **kw)
        if res.returncode == 0:
            return res
        if time.monotonic() > deadline:
            raise AssertionError(f"{netns}: ping {dst} {kw} failed:\n{res.stdout}\n{res.stderr}")


def mac_of(netns: str, dev: str) -> str:
    out = testbed.ip("-o", "link", "show", "dev", dev, netns=netns)
    m = re.search(r"link/ether ([0-9a-f:]{17})", out)
    assert m, out
    return m.group(1)


def links(netns: str) -> set[str]:
    out = testbed.ip("-o", "link", "show", netns=netns)
    return {line.split(":", 2)[1].strip().split("@")[0] for line in out.splitlines()}


class Capture:
    """``tcpdump -e -nn`` on ``dev`` in ``netns`` until :meth:`stop`."""

    def __init__(self, netns: str, dev: str, workdir: Path, *, bpf: str = "") -> None:
        self.out = workdir / f"tcpdump-{netns}-{dev}.txt"
        self.err = workdir / f"tcpdump-{netns}-{dev}.err"
        argv = ["ip", "netns", "exec", netns, "tcpdump", "-e", "-nn", "-l", "-i", dev, *bpf.split()]
        with self.out.open("w") as out, self.err.open("w") as err:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err)
        deadline = time.monotonic() + 20.0
        while "listening on" not in self.err.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"tcpdump on {netns}/{dev} did not start: {self.err.read_text()}")
            time.sleep(0.05)

    def stop(self) -> list[str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return [line for line in self.out.read_text().splitlines() if line.strip()]


@pytest.fixture
def capture(tmp_path):
    """capture(netns, dev, bpf="") -> Capture; every capture stopped at the end."""
    started: list[Capture] = []

    def start(netns: str, dev: str, bpf: str = "") -> Capture:
        c = Capture(netns, dev, tmp_path, bpf=bpf)
        started.append(c)
        return c

    yield start
    for c in started:
        c.stop()
