"""Several fabricd processes sharing one etcd store and the seed lab's
switch emulators, for the HA tier: start, kill -9, SIGSTOP/SIGCONT, ask each
for its role (GetController)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import grpc
import yaml

from labs.emulator.host import EmulatorHost
from labs.files.build import build_specs
from labs.files.topofile import load_lab
from labs.run.inventory import portmap
from labs.run.material import create_material
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.controller.fabric import ROOT, inventory_doc
from tests.servers.etcd import EtcdCluster

#: a short lease for tests (correctness, not times: bench ha measures the defaults)
HA_FAST = {"lease_ttl": "2s", "renew_deadline": "1.4s", "retry_period": "0.3s", "max_staleness": "3s"}
NETWORKS = [("blue", 1111), ("green", 2222), ("red", 3333)]


def etcd_settings(tmp: Path, name: str, endpoints: list[str], prefix: str, **raw: Any) -> Path:
    doc: dict[str, Any] = {
        "api": {"insecure": True, "listen": [f"unix://{tmp}/{name}.sock"], "attach_timeout": "5s"},
        "store": {"backend": "etcd", "endpoints": endpoints, "prefix": prefix, "timeout": "2s"},
        "ha": {"name": name, **HA_FAST},
        "inventory": str(tmp / "inventory.yml"),
        "port_map": str(tmp / "portmap.yml"),
        "metrics": {"listen": "127.0.0.1:0"},
        "reconcile": {"backoff_initial": "0.05s", "backoff_max": "0.5s"},
        "gnmi": {"timeout": "3s", "connect_timeout": "2s"},
        "log": {"level": "info", "format": "json"},
    }
    for k, v in raw.items():
        doc[k] = {**doc.get(k, {}), **v} if isinstance(v, dict) else v
    path = tmp / f"{name}.yml"
    path.write_text(yaml.safe_dump(doc))
    return path


@dataclasses.dataclass
class Instance:
    name: str
    settings: Path
    log: Path
    address: str
    proc: asyncio.subprocess.Process | None = None
    #: how tests reach its API (insecure unless a test sets up TLS)
    connect: Callable[[str], grpc.aio.Channel] = grpc.aio.insecure_channel

    async def start(self) -> None:
        out = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "controller.main", "--config", str(self.settings), stdout=out, stderr=out
            )
        finally:
            os.close(out)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(sig)
            if sig in (signal.SIGKILL, signal.SIGTERM):
                try:
                    await asyncio.wait_for(self.proc.wait(), 30)
                except TimeoutError:
                    self.proc.kill()
                    await self.proc.wait()

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    async def controller(self, deadline: float = 2.0) -> Any | None:
        """GetController, or None when it does not answer."""
        async with self.connect(self.address) as ch:
            try:
                return await fabric_pb2_grpc.FabricStub(ch).GetController(
                    fabric_pb2.GetControllerRequest(), timeout=deadline
                )
            except grpc.aio.AioRpcError:
                return None


@dataclasses.dataclass
class HaLab:
    tmp: Path
    host: EmulatorHost
    etcd: EtcdCluster
    prefix: str
    instances: list[Instance]

    async def leader(self, *, within: float = 60.0, exclude: tuple[str, ...] = ()) -> Instance:
        """The instance that says it leads (and that the others agree on)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for inst in self.instances:
                if not inst.running or inst.name in exclude:
                    continue
                st = await inst.controller(deadline=1.0)
                if st is not None and st.role == "leader":
                    return inst
            await asyncio.sleep(0.1)
        raise AssertionError(f"no leader among {[i.name for i in self.instances if i.running]} within {within}s")

    async def serving(self, *, within: float = 60.0) -> None:
        """Until every running instance answers GetController."""
        deadline = time.monotonic() + within
        for inst in self.instances:
            while inst.running and await inst.controller(deadline=1.0) is None:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{inst.name} does not answer:\n{inst.log.read_text()[-3000:]}")
                await asyncio.sleep(0.1)

    def followers(self, leader: Instance) -> list[Instance]:
        return [i for i in self.instances if i is not leader and i.running]

    async def stop(self) -> None:
        for inst in self.instances:
            if inst.proc is not None and inst.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    inst.proc.send_signal(signal.SIGCONT)
                await inst.kill(signal.SIGTERM)


@contextlib.asynccontextmanager
async def ha_lab(
    tmp: Path,
    etcd: EtcdCluster,
    *,
    count: int = 3,
    connect: Callable[[str], grpc.aio.Channel] | None = None,
    **raw: Any,
) -> AsyncIterator[HaLab]:
    lab = load_lab(ROOT / "labs/seed.clab.yml")
    m = create_material(lab, tmp)
    prefix = f"/t-{uuid.uuid4().hex[:8]}"
    async with EmulatorHost.start(build_specs(lab, tls=m.tls, credentials=m.credentials)) as host:
        (tmp / "inventory.yml").write_text(yaml.safe_dump(inventory_doc(lab, host, m)))
        (tmp / "portmap.yml").write_text(yaml.safe_dump(portmap(lab)))
        instances = []
        for i in range(count):
            name = f"fd{i}"
            path = etcd_settings(tmp, name, etcd.endpoints, prefix, **raw)
            inst = Instance(name, path, tmp / f"{name}.log", f"unix:{tmp}/{name}.sock")
            if connect is not None:
                inst.connect = connect
            instances.append(inst)
        ha = HaLab(tmp=tmp, host=host, etcd=etcd, prefix=prefix, instances=instances)
        try:
            for inst in instances:
                await inst.start()
            await ha.serving()
            yield ha
        finally:
            await ha.stop()


async def create_networks(address: str) -> None:
    async with grpc.aio.insecure_channel(address) as ch:
        stub = fabric_pb2_grpc.FabricStub(ch)
        for name, vni in NETWORKS:
            await stub.CreateNetwork(
                fabric_pb2.CreateNetworkRequest(network=fabric_pb2.Network(name=name, namespace="default", vni=vni)),
                timeout=10,
            )
