"""The Kubernetes API as fabricd uses it: list, watch, get, patch, create.

kubernetes_asyncio supplies the connection: the kubeconfig (tokens, client
certificates, exec plugins) or the in-cluster ServiceAccount (its token
re-read as the kubelet rotates it), TLS, a pooled aiohttp session. Requests
go through its ``ApiClient.call_api`` as raw JSON: the controllers parse each
object once into typed views (:mod:`controller.kube.objects`), and a watch
stream is read line by line here, so an expired watch is ours to see.

Errors are translated once, here::

    FabricError
     +-- TemporaryError
     |    +-- KubeUnavailable   cannot reach the API server, 5xx, 429, timeouts
     |    +-- KubeExpired       410 Gone: the resourceVersion is too old; relist
     |    +-- KubeConflict      409: someone changed the object first; read it again
     +-- PermanentError
          +-- KubeNotFound      404 (a NotFoundError)
          +-- KubeRefused       400, 401, 403, 422...: fabricd's request or rights must change
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from models.errors import NotFoundError, PermanentError, TemporaryError, shown

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"


class KubeUnavailable(TemporaryError):
    pass


class KubeExpired(TemporaryError):
    pass


class KubeConflict(TemporaryError):
    pass


class KubeNotFound(NotFoundError):
    pass


class KubeRefused(PermanentError):
    pass


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    kind: str
    plural: str
    group: str = ""
    version: str = "v1"
    namespaced: bool = True

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        base = f"/api/{self.version}" if not self.group else f"/apis/{self.group}/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return f"{base}/{name}" if name else base


NADS = Resource(kind="NetworkAttachmentDefinition", plural="network-attachment-definitions", group="k8s.cni.cncf.io")
PODS = Resource(kind="Pod", plural="pods")
NODES = Resource(kind="Node", plural="nodes", namespaced=False)
EVENTS = Resource(kind="Event", plural="events")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED, BOOKMARK
    object: dict[str, Any]


def _error(status: int, body: bytes, what: str) -> Exception:
    try:
        doc = json.loads(body)
        message = doc.get("message", "") if isinstance(doc, dict) else ""
    except ValueError:
        message = body[:200].decode(errors="replace")
    text = f"{what}: API server answered {status}: {shown(message, 300)}"
    if status == 410:
        return KubeExpired(text)
    if status == 409:
        return KubeConflict(text)
    if status == 404:
        return KubeNotFound(text)
    if status == 429 or status >= 500:
        return KubeUnavailable(text)
    return KubeRefused(text)


class KubeClient:
    """One connection to one API server (see the module docstring)."""

    def __init__(self, api_client: Any, *, server: str) -> None:
        self._api = api_client
        self.server = server

    @staticmethod
    async def connect(kubeconfig: Path | None, *, context: str = "") -> KubeClient:
        """From a kubeconfig file, or in-cluster when ``kubeconfig`` is None."""
        from kubernetes_asyncio.client import ApiClient, Configuration
        from kubernetes_asyncio.config import ConfigException, load_incluster_config, load_kube_config

        conf = Configuration()
        try:
            if kubeconfig is None:
                load_incluster_config(client_configuration=conf)
            else:
                await load_kube_config(config_file=str(kubeconfig), context=context or None, client_configuration=conf)
        except (ConfigException, OSError, ValueError, KeyError) as e:
            where = f"kubeconfig {kubeconfig}" if kubeconfig else "the in-cluster ServiceAccount"
            raise KubeRefused(f"kubernetes: cannot use {where}: {e}") from None
        return KubeClient(ApiClient(configuration=conf), server=str(conf.host))

    async def close(self) -> None:
        await self._api.close()

    async def _call(self, method: str, path: str, **kw: Any) -> Any:
        """One request (``_send``'s keywords), its JSON answer; errors translated."""
        resp = await self._send(method, path, **kw)
        try:
            data = await resp.read()
        except (OSError, TimeoutError) as e:
            raise KubeUnavailable(f"{method} {path}: {e!r}") from None
        finally:
            resp.release()
        if resp.status >= 400:
            raise _error(resp.status, data, f"{method} {path}")
        return json.loads(data or b"null")

    async def _send(
        self,
        method: str,
        path: str,
        *,
        query: Iterable[tuple[str, str]] = (),
        body: Any = None,
        content_type: str = "application/json",
        deadline: float | tuple[float, float] = 30.0,
    ) -> Any:
        import aiohttp
        from kubernetes_asyncio.client.exceptions import ApiException

        headers = {"Accept": "application/json", "Content-Type": content_type}
        try:
            return await self._api.call_api(
                path,
                method,
                query_params=list(query),
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=deadline,
            )
        except (aiohttp.ClientError, OSError, TimeoutError, ApiException) as e:
            raise KubeUnavailable(f"{method} {path}: cannot reach the API server at {self.server}: {e!r}") from None

    async def list(self, resource: Resource, namespace: str | None = None) -> tuple[list[dict[str, Any]], str]:
        """Every object (paged) and the list's resourceVersion to watch from."""
        items: list[dict[str, Any]] = []
        token = ""
        while True:
            query = [("limit", "500")] + ([("continue", token)] if token else [])
            doc = await self._call("GET", resource.path(namespace), query=query)
            items.extend(doc.get("items") or [])
            meta = doc.get("metadata") or {}
            token = meta.get("continue") or ""
            if not token:
                return items, str(meta.get("resourceVersion", ""))

    async def watch(
        self, resource: Resource, namespace: str | None, resource_version: str, *, server_timeout: int = 300
    ) -> AsyncIterator[WatchEvent]:
        """Changes after ``resource_version`` until the server ends the watch
        (``server_timeout`` seconds); :class:`KubeExpired` when the version is too
        old (410, as an answer or as an ERROR event)."""
        query = [
            ("watch", "1"),
            ("resourceVersion", resource_version),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(server_timeout)),
        ]
        path = resource.path(namespace)
        resp = await self._send("GET", path, query=query, deadline=(30.0, server_timeout + 30.0))
        try:
            if resp.status >= 400:
                raise _error(resp.status, await resp.read(), f"watch {path}")
            while True:
                try:
                    line = await resp.content.readline()
                except (OSError, TimeoutError) as e:
                    raise KubeUnavailable(f"watch {path}: {e!r}") from None
                if not line:
                    return
                if not line.strip():
                    continue
                doc = json.loads(line)
                kind, obj = doc.get("type", ""), doc.get("object") or {}
                if kind == "ERROR":
                    code = int(obj.get("code") or 500)
                    raise _error(code, json.dumps(obj).encode(), f"watch {path}")
                yield WatchEvent(type=kind, object=obj)
        finally:
            resp.release()

    async def get(self, resource: Resource, namespace: str | None, name: str) -> dict[str, Any]:
        return dict(await self._call("GET", resource.path(namespace, name)))

    async def patch(
        self, resource: Resource, namespace: str | None, name: str, body: Any, *, content_type: str = MERGE_PATCH
    ) -> dict[str, Any]:
        return dict(await self._call("PATCH", resource.path(namespace, name), body=body, content_type=content_type))

    async def create(self, resource: Resource, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        return dict(await self._call("POST", resource.path(namespace), body=body))

    async def delete(self, resource: Resource, namespace: str | None, name: str) -> None:
        await self._call("DELETE", resource.path(namespace, name))


async def sleep_or(event: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds`` or until ``event``; True when the event came."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
        return True
    except TimeoutError:
        return False
