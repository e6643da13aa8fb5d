"""Benchmark plumbing: a generated lab served by the emulator host process
(``fabric-lab`` runner, dataplane none) and fabricd as its own process, as
in production; the bench process is the client."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
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
def scratch(prefix: str) -> Iterator[Path]:
    """A directory of the run's files (labs, stores, logs), removed when the
    block ends normally; kept, and named on stderr, when it raises or with
    BENCH_KEEP=1 (a bench all made dozens of them)."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    ok = False
    try:
        yield tmp
        ok = True
    finally:
        if ok and not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            sys.stderr.write(f"bench: files kept in {tmp}\n")


@contextlib.contextmanager
def generated_lab(*, leaves: int, servers_per_leaf: int, spines: int = 2, name: str = "bench") -> Iterator[LabRun]:
    with scratch(f"fabricd-{name}-") as tmp:
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
class Pki:
    """fabricd's API with mutual TLS: a CA, the server's pair (name
    ``fabricd``), an operator ``fabricctl`` and one node certificate per
    name asked for (``<dir>/<name>.crt``, ``.key``)."""

    dir: Path
    ca: bytes

    def pair(self, name: str) -> tuple[bytes, bytes]:
        return (self.dir / f"{name}.crt").read_bytes(), (self.dir / f"{name}.key").read_bytes()

    def credentials(self, name: str) -> grpc.ChannelCredentials:
        cert, key = self.pair(name)
        return grpc.ssl_channel_credentials(root_certificates=self.ca, private_key=key, certificate_chain=cert)


#: the server name fabricd's certificate carries (a unix socket has none)
TLS_OPTIONS = (("grpc.ssl_target_name_override", "fabricd"),)


def make_pki(directory: Path, nodes: Sequence[str]) -> Pki:
    from labs.run.certs import create_ca, issue_client_cert, issue_server_cert, write_pair

    directory.mkdir(parents=True, exist_ok=True)
    ca = create_ca("fabricd bench CA")
    write_pair(directory, "ca", ca)
    write_pair(directory, "server", issue_server_cert(ca, "fabricd"))
    write_pair(directory, "fabricctl", issue_client_cert(ca, "fabricctl", role="operator"))
    for n in nodes:
        write_pair(directory, n, issue_client_cert(ca, n, role="node"))
    return Pki(dir=directory, ca=(directory / "ca.crt").read_bytes())


@dataclasses.dataclass
class Fabricd:
    proc: subprocess.Popen[bytes]
    socket: str
    settings: Path
    pki: Pki | None = None
    metrics: str = ""
    """``host:port`` of its /metrics"""

    def channel(self, who: str = "fabricctl") -> grpc.aio.Channel:
        """A channel to the API (with mTLS: as ``who``)."""
        if self.pki is None:
            return grpc.aio.insecure_channel(f"unix:{self.socket}")
        return grpc.aio.secure_channel(f"unix:{self.socket}", self.pki.credentials(who), options=TLS_OPTIONS)

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

    def cpu_by_thread(self) -> dict[str, float]:
        """:meth:`cpu_seconds` split by thread: fabricd's event loop (its
        main thread), its store writer, fabricd-front (the API front end's
        process), and the rest (gRPC's I/O threads, the metrics server,
        exited threads)."""
        pid = self.proc.pid
        loop = _task_cpu(pid, pid)
        store = sum(_task_cpu(pid, t) for t in _tasks(pid) if _task_name(pid, t).startswith("fabricd-store"))
        front = sum(cpu_seconds(p) for p in self.front_pids())
        rest = self.cpu_seconds() - loop - store - front
        return {"event_loop": loop, "store_writer": store, "front_end": front, "grpc_and_other": rest}

    def front_pids(self) -> list[int]:
        return [p for p in _tree(self.proc.pid) if p != self.proc.pid and _task_name(p, p) == "fabricd-front"]

    def front_end(self) -> str:
        """What serves fabricd's API: fabricd-front (its child) or grpc.aio in its process."""
        return "fabricd-front (Go)" if self.front_pids() else "grpc.aio (in fabricd's process)"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (and its reaped children); 0 once gone."""
    return _stat_cpu(f"/proc/{pid}/stat", 4)


def _stat_cpu(path: str, fields: int) -> float:
    """The first ``fields`` CPU times of a /proc stat file (utime, stime, cutime,
    cstime), in seconds; 0 once the process or thread is gone."""
    try:
        with open(path) as f:
            values = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in values[11 : 11 + fields]) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scrape(address: str, timeout: float = 60) -> str:
    """One /metrics page of fabricd at ``address`` (host:port)."""
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=timeout) as resp:
        return str(resp.read().decode())


def _tasks(pid: int) -> list[int]:
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


def _task_name(pid: int, tid: int) -> str:
    try:
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def _task_cpu(pid: int, tid: int) -> float:
    """User + system CPU time of one thread (0 once gone)."""
    return _stat_cpu(f"/proc/{pid}/task/{tid}/stat", 2)


def settle_own_heap() -> None:
    """Collect and freeze this (client) process's heap before a timed run:
    the load generator's own full collections (50 ms at the start of a
    burst, measured) would otherwise pause the load mid-measurement, a pause
    that is not the daemon's."""
    gc.collect()
    gc.freeze()


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


def wait_serving(address: str, timeout: float, pki: Pki | None = None) -> None:
    deadline = time.monotonic() + timeout
    ch = (
        grpc.secure_channel(address, pki.credentials("fabricctl"), options=TLS_OPTIONS)
        if pki
        else grpc.insecure_channel(address)
    )
    with ch:
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
def fabricd(
    lab: LabRun, *, store: Path | None = None, extra: dict[str, Any] | None = None, pki: Pki | None = None
) -> Iterator[Fabricd]:
    """fabricd on a unix socket: insecure, or with mutual TLS (``pki``)."""
    sock = str(lab.dir / "api.sock")
    api: dict[str, Any] = {"insecure": True, "listen": [f"unix://{sock}"], "attach_timeout": "30s"}
    if pki is not None:
        tls = {
            "cert": str(pki.dir / "server.crt"),
            "key": str(pki.dir / "server.key"),
            "client_ca": str(pki.dir / "ca.crt"),
        }
        api = {**api, "insecure": False, "tls": tls}
    doc: dict[str, Any] = {
        "api": api,
        "store": {"path": str(store or lab.dir / "fabricd.db")},
        "inventory": str(lab.inventory),
        "port_map": str(lab.portmap),
        "metrics": {"listen": f"127.0.0.1:{free_port()}"},
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
        wait_serving(f"unix:{sock}", 120, pki)
        yield Fabricd(proc=proc, socket=sock, settings=settings, pki=pki, metrics=doc["metrics"]["listen"])
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


async def leave_in_sync(stub: Any, within: float = 120.0) -> None:
    """Wait until every leaf has what fabricd wants (the detaches' removals applied) before fabricd stops: the
    next run's fabricd, on a store of its own, must find the lab as the first one did. Objects left behind
    would be fabricd's that its store has no record of, and it would hold those leaves (docs/security.md)."""
    from proto.fabric.v1 import fabric_pb2

    deadline = time.monotonic() + within
    while True:
        sws = (await stub.ListSwitches(fabric_pb2.ListSwitchesRequest(), timeout=10)).switches
        left = [s.name for s in sws if s.role == "leaf" and not (s.in_sync and not s.pending_changes)]
        if not left:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"leaves not in sync {within:.0f} s after the run: {', '.join(left)}")
        await asyncio.sleep(0.1)


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    s = sorted(samples)
    return {
        "n": len(s),
        "p50_ms": round(statistics.median(s) * 1000, 3),
        "p90_ms": round(s[int(len(s) * 0.9) - 1] * 1000, 3),
        "p99_ms": round(s[max(0, int(len(s) * 0.99) - 1)] * 1000, 3),
        "max_ms": round(s[-1] * 1000, 3),
    }
