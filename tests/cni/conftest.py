"""Fixtures of the plugin tests: a real fabricd on the seed lab's emulators
(dataplane none) listening on a unix socket that the nodes' namespaces
reach, and nodes with the userspace tagger (tests/cni/nodebed.py).

This fabricd runs with ``api.insecure`` (every caller an operator): these
tests are about the plugin, not about who may call. The nodes' own
identities (mTLS, node certificates) run in the lab: tests/e2e/test_libcni.py
and the seed scenario."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.cni.nodebed import node_bed
from tests.controller.fabric import Fabric, create_networks, eventually, lab_fabric, net_ref, trunk

NETWORKS = (("blue", 1111), ("green", 2222), ("red", 3333))
#: the founding notes' NAD (a VNI, as a string), as Multus hands it over for a pod asking for 10.11.0.1/24
VNI_ONLY = {
    "cniVersion": "0.3.0",
    "name": "blue-by-vni",
    "type": "fabric-cni",
    "VNI": "1111",
    "ipam": {"type": "static"},
    "runtimeConfig": {"ips": ["10.11.0.1/24"]},
}


@dataclasses.dataclass
class Api:
    fab: Fabric
    stub: fabric_pb2_grpc.FabricStub
    socket: str

    async def nad(self, network: str, uplink: str = "eth1", **extra: Any) -> dict[str, Any]:
        """The CNI config RenderNAD gives for ``network`` as Multus hands it
        over for a pod asking for address 10.99.0.9/24 (``extra`` keys added)."""
        r = await self.stub.RenderNAD(fabric_pb2.RenderNADRequest(network=net_ref(network), uplink=uplink), timeout=10)
        conf = json.loads(r.cni_config)
        return {**conf, "runtimeConfig": {"ips": ["10.99.0.9/24"]}, **extra}

    async def attachments(self, **filters: Any) -> list[Any]:
        r = await self.stub.ListAttachments(fabric_pb2.ListAttachmentsRequest(**filters), timeout=10)
        return list(r.attachments)

    def trunk_vlans(self, switch: str, port: str) -> list[int]:
        return list((trunk(self.fab.config(switch), port) or {}).get("trunk-vlans") or [])


@dataclasses.dataclass
class UnixFabric:
    """Emulators and the settings of a fabricd listening on ``socket``;
    :meth:`up` starts (or restarts) fabricd on the same store."""

    fab: Fabric
    socket: str

    @contextlib.asynccontextmanager
    async def up(self, *, networks: bool = True) -> AsyncIterator[Api]:
        async with self.fab.controller(), self.fab.channel() as ch:
            stub = fabric_pb2_grpc.FabricStub(ch)
            if networks:
                await create_networks(stub, *NETWORKS)
            await eventually(lambda: all(s.known for s in self.fab.service.fleet.statuses()), what="switches connected")
            yield Api(fab=self.fab, stub=stub, socket=self.socket)


@contextlib.asynccontextmanager
async def unix_fabric(tmp: Path, **raw: Any) -> AsyncIterator[UnixFabric]:
    sock_dir = Path(tempfile.mkdtemp(prefix=f"fdv{os.getpid()}-api-", dir="/tmp"))  # short: sun_path
    sock = str(sock_dir / "api.sock")
    api_raw = {"listen": ["127.0.0.1:0", f"unix://{sock}"], "attach_timeout": "10s", **raw.pop("api", {})}
    try:
        async with lab_fabric(tmp, api=api_raw, **raw) as fab:
            yield UnixFabric(fab=fab, socket=sock)
    finally:
        shutil.rmtree(sock_dir, ignore_errors=True)


@pytest.fixture
async def fabric(tmp_path):
    async with unix_fabric(tmp_path) as f:
        yield f


@pytest.fixture
async def api(fabric):
    async with fabric.up() as a:
        yield a


@pytest.fixture
def bed(request):
    """The nodes; their node files name the test's ``fabric`` when it has one
    (else the test sets ``bed.controller``)."""
    if os.geteuid() != 0:
        pytest.fail("the plugin's e2e tests need root (network namespaces, the tagger, macvlan)")
    with node_bed() as b:
        if "fabric" in request.fixturenames:
            b.controller = f"unix://{request.getfixturevalue('fabric').socket}"
        yield b
