"""etcd 3.6 (the tools build) on loopback: one member or a cluster of three,
each member a process the tests can kill -9, stop and restart."""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.servers.tools import free_port, tool


@dataclasses.dataclass
class Member:
    name: str
    data_dir: Path
    client_port: int
    peer_port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def client_url(self) -> str:
        return f"http://127.0.0.1:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://127.0.0.1:{self.peer_port}"


@dataclasses.dataclass
class EtcdCluster:
    members: list[Member]
    state: str = "new"

    @property
    def endpoints(self) -> list[str]:
        return [m.client_url for m in self.members]

    def _argv(self, m: Member) -> list[str]:
        initial = ",".join(f"{x.name}={x.peer_url}" for x in self.members)
        return [
            str(tool("etcd")),
            f"--name={m.name}",
            f"--data-dir={m.data_dir}",
            f"--listen-client-urls={m.client_url}",
            f"--advertise-client-urls={m.client_url}",
            f"--listen-peer-urls={m.peer_url}",
            f"--initial-advertise-peer-urls={m.peer_url}",
            f"--initial-cluster={initial}",
            f"--initial-cluster-state={self.state}",
            "--initial-cluster-token=fabricd-tests",
            "--log-level=warn",
            "--listen-metrics-urls=",
        ]

    def start(self, m: Member) -> None:
        with m.log.open("ab") as log:
            m.proc = subprocess.Popen(self._argv(m), stdout=log, stderr=log)

    def kill(self, m: Member, sig: int = signal.SIGKILL) -> None:
        if m.proc is not None and m.proc.poll() is None:
            m.proc.send_signal(sig)
            m.proc.wait(30)
        m.proc = None

    def wait_healthy(self, within: float = 60.0, members: list[Member] | None = None) -> None:
        deadline = time.monotonic() + within
        for m in members or self.members:
            while True:
                try:
                    with urllib.request.urlopen(f"{m.client_url}/health", timeout=2) as r:
                        if b'"health":"true"' in r.read():
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"etcd {m.name} not healthy within {within}s:\n{m.log.read_text()[-2000:]}")
                time.sleep(0.1)


@contextlib.contextmanager
def etcd_cluster(tmp: Path, size: int = 1) -> Iterator[EtcdCluster]:
    members = [
        Member(
            name=f"etcd{i}",
            data_dir=tmp / f"etcd{i}",
            client_port=free_port(),
            peer_port=free_port(),
            log=tmp / f"etcd{i}.log",
        )
        for i in range(size)
    ]
    cluster = EtcdCluster(members=members)
    try:
        for m in members:
            cluster.start(m)
        cluster.wait_healthy()
        cluster.state = "existing"  # a restarted member rejoins
        yield cluster
    finally:
        for m in members:
            cluster.kill(m, signal.SIGTERM)
