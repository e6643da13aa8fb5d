"""A running fabric for controller tests: the lab's switches as in-process
emulators (real gNMI over TLS with passwords), fabricd's core and API on a
real SQLite store, all on this test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import yaml

from controller.settings.model import Settings
from labs.emulator.host import EmulatorHost
from labs.files.build import build_specs
from labs.files.lab import Lab
from labs.files.spec import SwitchSpec
from labs.files.topofile import load_lab
from labs.run.inventory import portmap
from labs.run.material import Material, create_material
from proto.fabric.v1 import fabric_pb2, fabric_pb2_grpc
from tests.stack import Stack, settings, stack

ROOT = Path(__file__).resolve().parents[2]
FAST = {
    "reconcile": {"backoff_initial": "0.05s", "backoff_max": "0.5s", "full_interval": "60s"},
    "gnmi": {"timeout": "2s", "connect_timeout": "2s"},
}


def inventory_doc(lab: Lab, host: EmulatorHost, m: Material) -> dict[str, Any]:
    switches: dict[str, Any] = {}
    for sw in lab.switches():
        entry: dict[str, Any] = {
            "address": host[sw.name].address,
            "platform": sw.platform,
            "role": sw.role,
            "asn": sw.asn,
            "router_id": str(sw.router_id),
            "plaintext": m.tls is None,
            "credentials": {"username": m.credentials.username, "password_file": str(m.password_file)},
        }
        if m.tls is not None:
            entry["tls"] = {"ca_file": str(m.ca_file), "server_name": sw.name}
        switches[sw.name] = entry
    return {"version": 1, "switches": switches}


@dataclasses.dataclass
class Fabric:
    lab: Lab
    host: EmulatorHost
    material: Material
    tmp: Path
    settings: Settings
    stack: Stack | None = None

    @property
    def service(self):  # type: ignore[no-untyped-def]
        assert self.stack is not None
        return self.stack.service

    def channel(self) -> grpc.aio.Channel:
        assert self.stack is not None
        return grpc.aio.insecure_channel(self.stack.address)

    def gnmi(self, switch: str) -> Any:
        """pygnmi's sync client to a switch, as a person would use it (TLS with
        the lab CA, the lab password). Use it in a worker thread."""
        from pygnmi.client import gNMIclient

        host, _, port = self.host[switch].address.rpartition(":")
        return gNMIclient(
            target=(host, int(port)),
            username=self.material.credentials.username,
            password=self.material.credentials.password,
            path_root=str(self.material.ca_file),
            override=switch,
        )

    def config(self, switch: str) -> Any:
        return self.host[switch].config_json(qualify=False)

    @contextlib.asynccontextmanager
    async def controller(self) -> AsyncIterator[Stack]:
        """Start (or restart) fabricd on the same store."""
        async with stack(self.settings) as st:
            self.stack = st
            try:
                yield st
            finally:
                self.stack = None


@contextlib.asynccontextmanager
async def lab_fabric(
    tmp: Path,
    lab_file: str = "labs/seed.clab.yml",
    *,
    specs_hook: Callable[[list[SwitchSpec], Material], list[SwitchSpec]] | None = None,
    **raw: Any,
) -> AsyncIterator[Fabric]:
    lab = load_lab(ROOT / lab_file)
    material = create_material(lab, tmp)
    specs = build_specs(lab, tls=material.tls, credentials=material.credentials)
    if specs_hook is not None:
        specs = specs_hook(specs, material)
    async with EmulatorHost.start(specs) as host:
        (tmp / "inventory.yml").write_text(yaml.safe_dump(inventory_doc(lab, host, material)))
        (tmp / "portmap.yml").write_text(yaml.safe_dump(portmap(lab)))
        doc = {**FAST, "inventory": str(tmp / "inventory.yml"), "port_map": str(tmp / "portmap.yml"), **raw}
        yield Fabric(lab=lab, host=host, material=material, tmp=tmp, settings=settings(tmp, **doc))


async def eventually(check: Callable[[], Any | Awaitable[Any]], *, within: float = 30.0, what: str = "") -> Any:
    """Wait for a condition with a generous deadline (never a timing assert)."""
    deadline = time.monotonic() + within
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(0.05)
    raise AssertionError(f"not true within {within}s: {what or check}")


# ----------------------------------------------------------------- requests


def net_ref(name: str, namespace: str = "default") -> fabric_pb2.NetworkRef:
    return fabric_pb2.NetworkRef(namespace=namespace, name=name)


def attach_req(
    pod: str = "pod-a",
    network: str = "blue",
    *,
    node: str = "server1",
    nic: str = "eth1",
    container: str = "c1",
    namespace: str = "default",
    net_namespace: str = "default",
    ifname: str = "net1",
) -> fabric_pb2.AttachRequest:
    return fabric_pb2.AttachRequest(
        id=fabric_pb2.AttachmentId(
            pod_namespace=namespace,
            pod_name=pod,
            pod_uid=f"{pod}-uid",
            network=net_ref(network, net_namespace),
            interface=ifname,
        ),
        container_id=container,
        node=node,
        nic=nic,
    )


async def create_networks(stub: fabric_pb2_grpc.FabricStub, *nets: tuple[str, int], shared: bool = False) -> None:
    for name, vni in nets:
        await stub.CreateNetwork(
            fabric_pb2.CreateNetworkRequest(
                network=fabric_pb2.Network(name=name, namespace="default", vni=vni, shared=shared)
            ),
            timeout=10,
        )


def find(tree: Any, *path: Any) -> Any:
    """Walk unqualified JSON: names, and (key, value) to pick a list entry."""
    node = tree
    for step in path:
        if node is None:
            return None
        if isinstance(step, tuple):
            key, value = step
            node = next((e for e in node if str(e.get(key)) == str(value)), None)
        else:
            node = node.get(step) if isinstance(node, dict) else None
    return node


def ni(config: Any, name: str) -> Any:
    return find(config, "network-instances", "network-instance", ("name", name))


def trunk(config: Any, port: str) -> Any:
    return find(config, "interfaces", "interface", ("name", port), "ethernet", "switched-vlan", "config")
