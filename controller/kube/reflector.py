"""A list+watch cache of one resource kind, in one namespace or all.

It lists, then watches from the list's resourceVersion; a watch the server
ends (its timeout) resumes from the last version seen (bookmarks keep it
fresh). A watch that expired (410 Gone) lists again: the new list replaces
the cache in one step, so nothing is ever taken for deleted because a watch
broke. Any other failure marks the cache not synced and raises: the
supervisor restarts :meth:`run` with backoff, which lists again.

``synced`` is True only between a complete list and the next failure; the
controllers act on absence (cleanup) only while every cache they read is
synced.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from controller.kube.client import KubeClient, KubeExpired, Resource
from controller.kube.metrics import KubeMetrics
from controller.log import BoundLogger

T = TypeVar("T")


def key_of(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace") or ""
    return f"{ns}/{meta.get('name', '')}" if ns else str(meta.get("name", ""))


@dataclasses.dataclass(slots=True)
class Reflector(Generic[T]):
    client: KubeClient
    resource: Resource
    namespace: str | None
    parse: Callable[[Mapping[str, Any]], T]
    on_change: Callable[[], None]
    metrics: KubeMetrics
    log: BoundLogger
    watch_timeout: int = 300
    items: dict[str, T] = dataclasses.field(default_factory=dict)
    synced: bool = False

    async def run(self) -> None:
        try:
            while True:
                version = await self._list()
                try:
                    while True:
                        version = await self._watch(version)
                except KubeExpired as e:
                    self.metrics.watch_restarts.labels(self.resource.kind, "expired").inc()
                    self.log.info(
                        "kube.watch.expired", kind=self.resource.kind, namespace=self.namespace or "*", error=str(e)
                    )
        except BaseException:
            self.synced = False
            raise

    def failed(self, error: BaseException, crashed: bool) -> None:
        """The supervisor's hook: the cache is stale until the next list."""
        del crashed
        self.synced = False
        self.metrics.watch_restarts.labels(self.resource.kind, "error").inc()
        self.log.warning(
            "kube.watch.failed", kind=self.resource.kind, namespace=self.namespace or "*", error=str(error)
        )

    async def _list(self) -> str:
        objs, version = await self.client.list(self.resource, self.namespace)
        self.items = {key_of(o): self.parse(o) for o in objs}
        first = not self.synced
        self.synced = True
        self.log.info(
            "kube.listed", kind=self.resource.kind, namespace=self.namespace or "*", count=len(self.items), first=first
        )
        self.on_change()
        return version

    async def _watch(self, version: str) -> str:
        async for ev in self.client.watch(self.resource, self.namespace, version, server_timeout=self.watch_timeout):
            meta = ev.object.get("metadata") or {}
            version = str(meta.get("resourceVersion") or version)
            if ev.type == "BOOKMARK":
                continue
            key = key_of(ev.object)
            if ev.type == "DELETED":
                self.items.pop(key, None)
            elif ev.type in ("ADDED", "MODIFIED"):
                self.items[key] = self.parse(ev.object)
            else:
                continue
            self.on_change()
        return version
