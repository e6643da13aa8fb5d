"""Benchmark plumbing: a generated lab served by the emulator host process
(``fabric-lab`` runner, dataplane none) and fabricd as its own process, as
in production; the bench process is the client."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import grpc
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

from labs.files.generate import generate, write
from labs.files.topofile import load_lab
from labs.run import runner
from labs.run.inventory import inventory, portmap


@dataclasses.dataclass
class LabRun:
    dir: Path
    state_dir: Path
    inventory: Path
    portmap: Path
    switches: dict[str, str]  # name -> address
    admin: str  # the emulator host's admin service
    host_pids: tuple[int, ...] = ()  # the emulator host's processes

    def host_cpu_seconds(self) -> float:
        return sum(cpu_seconds(p) for p in self.host_pids)


@contextlib.contextmanager
def generated_lab(*, leaves: int, servers_per_leaf: int, spines: int = 2, name: str = "bench") -> Iterator[LabRun]:
    tmp = Path(tempfile.mkdtemp(prefix=f"fabricd-{name}-"))
    clab, sidecar = generate(leaves=leaves, spines=spines, servers_per_leaf=servers_per_leaf, name=name)
    lab_file, _ = write(tmp, clab, sidecar)
    state_dir = tmp / "lab"
    state = runner.up(lab_file, state_dir=state_dir, dataplane="none", timeout=300)
    try:
        inv = tmp / "inventory.yml"
        inv.write_text(yaml.safe_dump(inventory(state)))
        pm = tmp / "portmap.yml"
        pm.write_text(yaml.safe_dump(portmap(load_lab(lab_file))))
        yield LabRun(
            dir=tmp,
            state_dir=state_dir,
            inventory=inv,
            portmap=pm,
            switches={s.name: s.address for s in state.switches},
            admin=state.admin or "",
            host_pids=tuple(p.pid for p in state.processes),
        )
    finally:
        runner.down(name, state_dir=state_dir)


@dataclasses.dataclass
class Fabricd:
    proc: subprocess.Popen[bytes]
    socket: str
    settings: Path

    @property
    def address(self) -> str:
        return f"unix://{self.socket}"

    def rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self) -> float:
        """CPU time of fabricd and every process under it."""
        return sum(cpu_seconds(p) for p in _tree(self.proc.pid))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (and its reaped children); 0 once gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """This (client) process's CPU time."""
    t = os.times()
    return t.user + t.system


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def wait_serving(address: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(address) as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        while time.monotonic() < deadline:
            try:
                resp = stub.Check(health_pb2.HealthCheckRequest(), timeout=2)
                if resp.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"fabricd at {address} did not become SERVING within {timeout}s")


@contextlib.contextmanager
def fabricd(lab: LabRun, *, store: Path | None = None, extra: dict[str, Any] | None = None) -> Iterator[Fabricd]:
    sock = str(lab.dir / "api.sock")
    doc: dict[str, Any] = {
        "api": {"insecure": True, "listen": [f"unix://{sock}"], "attach_timeout": "30s"},
        "store": {"path": str(store or lab.dir / "fabricd.db")},
        "inventory": str(lab.inventory),
        "port_map": str(lab.portmap),
        "metrics": {"listen": "127.0.0.1:0"},
        "log": {"level": "warning"},
        "gnmi": {"timeout": "10s"},
    }
    for k, v in (extra or {}).items():
        doc[k] = {**doc.get(k, {}), **v} if isinstance(v, dict) else v
    settings = lab.dir / "fabricd.yml"
    settings.write_text(yaml.safe_dump(doc))
    log = open(lab.dir / "fabricd.log", "ab")  # noqa: SIM115
    argv = [sys.executable, "-m", "controller.main", "--config", str(settings)]
    profile = os.environ.get("BENCH_PROFILE_FABRICD")  # a path: run fabricd under cProfile
    if profile:
        argv[1:1] = ["-m", "cProfile", "-o", profile]
    proc = subprocess.Popen(argv, stderr=log, stdout=log)
    try:
        wait_serving(f"unix:{sock}", 120)
        yield Fabricd(proc=proc, socket=sock, settings=settings)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    s = sorted(samples)
    return {
        "n": len(s),
        "p50_ms": round(statistics.median(s) * 1000, 3),
        "p90_ms": round(s[int(len(s) * 0.9) - 1] * 1000, 3),
        "p99_ms": round(s[max(0, int(len(s) * 0.99) - 1)] * 1000, 3),
        "max_ms": round(s[-1] * 1000, 3),
    }
