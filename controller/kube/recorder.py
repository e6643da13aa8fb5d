"""Kubernetes Events for users: refusals and state changes of fabricd's
NADs and pods, each told once (the same reason and message for the same
object is not repeated within ``repeat_after`` seconds)."""

from __future__ import annotations

import dataclasses
import datetime
import socket
import time
from collections.abc import Callable

from controller.kube.client import EVENTS, KubeClient
from controller.log import BoundLogger
from models.errors import FabricError, shown

KEEP = 4096


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ObjectRef:
    api_version: str
    kind: str
    namespace: str
    name: str
    uid: str


class Recorder:
    def __init__(
        self,
        client: KubeClient,
        log: BoundLogger,
        *,
        repeat_after: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._log = log
        self._repeat_after = repeat_after
        self._clock = clock
        self._told: dict[tuple[str, str, str], float] = {}
        self._instance = socket.gethostname()

    async def event(self, ref: ObjectRef, reason: str, message: str, *, warning: bool) -> None:
        key = (ref.uid, reason, message)
        now = self._clock()
        last = self._told.get(key)
        if last is not None and now - last < self._repeat_after:
            return
        self._told[key] = now
        if len(self._told) > KEEP:
            for k in sorted(self._told, key=self._told.__getitem__)[: KEEP // 2]:
                del self._told[k]
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{ref.name[:200]}.", "namespace": ref.namespace},
            "involvedObject": {
                "apiVersion": ref.api_version,
                "kind": ref.kind,
                "namespace": ref.namespace,
                "name": ref.name,
                "uid": ref.uid,
            },
            "reason": reason,
            "message": message[:1024],
            "type": "Warning" if warning else "Normal",
            "source": {"component": "fabricd"},
            "reportingComponent": "fabricd",
            "reportingInstance": self._instance,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        try:
            await self._client.create(EVENTS, ref.namespace, body)
        except FabricError as e:
            self._told.pop(key, None)  # tell it again on the next pass
            self._log.warning("kube.event.failed", object=f"{ref.namespace}/{ref.name}", reason=reason, error=str(e))
            return
        self._log.info(
            "kube.event",
            kind=ref.kind,
            object=f"{ref.namespace}/{ref.name}",
            reason=reason,
            message=shown(message, 200),
        )
