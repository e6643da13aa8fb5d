"""In-process controller stacks for tests: real SQLite, real gRPC servers."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from controller import topo
from controller.api.listen import parse_address
from controller.api.server import ApiServer, ServerTLS, start_server
from controller.api.service import FabricService
from controller.config import Settings, parse_settings
from controller.core.events import EventBus
from controller.core.fabric import FabricCore
from controller.inventory import Inventory
from controller.metrics import Metrics
from controller.store.sqlite import SqliteStore


def settings(tmp: Path, **raw: Any) -> Settings:
    doc: dict[str, Any] = {
        "api": {"insecure": True, "listen": ["127.0.0.1:0"]},
        "store": {"path": str(tmp / "fabricd.db")},
    }
    for key, value in raw.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = value
    return parse_settings(doc, base=tmp)


@dataclasses.dataclass
class Stack:
    core: FabricCore
    api: ApiServer
    store: SqliteStore
    registry: CollectorRegistry

    @property
    def address(self) -> str:
        return self.api.bound[0].grpc


@contextlib.asynccontextmanager
async def stack(
    s: Settings,
    inventory: Inventory | None = None,
    *,
    tls: ServerTLS | None = None,
) -> AsyncIterator[Stack]:
    store = SqliteStore(s.store_path)
    registry = CollectorRegistry()
    try:
        inventory = inventory or Inventory(switches=())
        facts = topo.switch_facts(inventory)
        topology = topo.build(s, inventory, static=topo.load_port_map(s, facts))
        core = FabricCore(s, store, inventory, topology, metrics=Metrics(registry), events=EventBus())
        await core.start()
        api = await start_server(FabricService(core), s.api.listen or (parse_address("127.0.0.1:0"),), tls=tls)
        await api.set_serving(True)
        try:
            yield Stack(core=core, api=api, store=store, registry=registry)
        finally:
            await api.stop(grace=None)
            await core.stop()
    finally:
        store.close()
