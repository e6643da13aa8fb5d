"""Node identity from fabric-cni's projected ServiceAccount token.

fabric-cni sends the token of its node agent's pod (audience
``kubernetes.token_audience``, bound to that pod) as ``authorization:
Bearer``; fabricd asks the API server about it with a TokenReview for that
audience and accepts it as node N only when:

* the API server authenticates it for the audience (so it is unexpired,
  signed by the cluster, and its pod still exists with its UID);
* its user is the node agent's ServiceAccount (``kubernetes.node_agent``);
* it is bound to a pod on a node: ``status.user.extra`` carries
  ``authentication.kubernetes.io/pod-name`` and ``.../node-name`` (Kubernetes
  puts the node of the pod it is bound to there); N is that node, never
  anything the request says.

Answers are cached by the token's SHA-256 for ``kubernetes.token_cache``
(never past the token's own ``exp``), at most :data:`MAX_ENTRIES` tokens,
oldest first out; an API server that cannot be asked is not cached.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import json
import re
import time
from collections.abc import Callable

from controller.kube.client import KubeClient, Resource
from controller.log import get_logger
from controller.service.authz import Caller
from controller.service.tokens import MAX_TOKEN_BYTES, TokenUnauthenticated
from controller.settings.kube import KubernetesSettings
from models.errors import PermissionDeniedError, shown

TOKEN_REVIEWS = Resource(kind="TokenReview", plural="tokenreviews", group="authentication.k8s.io", namespaced=False)
EXTRA = "authentication.kubernetes.io/"
MAX_ENTRIES = 4096
_NODE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")

log = get_logger("kube.tokens")


def token_expiry(token: str) -> float | None:
    """The token's ``exp`` claim, read without verifying (only to bound the cache)."""
    try:
        payload = token.split(".")[1]
        doc = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(doc["exp"])
    except (IndexError, ValueError, KeyError, TypeError, RecursionError):  # the claims are the caller's bytes
        return None


async def open_reviewer(settings: KubernetesSettings) -> TokenReviewer:
    """A reviewer on an API connection of its own. Every fabricd authenticates its own callers (with HA a
    follower too, which then forwards as that node), so this is not one of the leader-only controllers."""
    client = await KubeClient.connect(settings.kubeconfig, context=settings.context)
    return TokenReviewer(client, settings)


class TokenReviewer:
    """:class:`controller.service.tokens.NodeTokens` by TokenReview."""

    def __init__(
        self, client: KubeClient, settings: KubernetesSettings, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._client = client
        self._settings = settings
        self._clock = clock
        ns, _, name = settings.node_agent.partition("/")
        self._user = f"system:serviceaccount:{ns}:{name}"
        self._cache: collections.OrderedDict[str, tuple[float, Caller | Exception]] = collections.OrderedDict()

    async def close(self) -> None:
        await self._client.close()

    async def caller(self, token: str) -> Caller:
        if not token or len(token) > MAX_TOKEN_BYTES:
            raise TokenUnauthenticated(f"the bearer token is empty or longer than {MAX_TOKEN_BYTES} bytes")
        key = hashlib.sha256(token.encode()).hexdigest()
        now = self._clock()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            answer = hit[1]
        else:
            answer = await self._review(token)  # TemporaryError (API server unreachable) propagates, uncached
            ttl = self._settings.token_cache
            exp = token_expiry(token)
            until = min(now + ttl, exp) if exp is not None else now + ttl
            if ttl > 0 and until > now:
                self._cache[key] = (until, answer)
                self._cache.move_to_end(key)
                while len(self._cache) > MAX_ENTRIES:
                    self._cache.popitem(last=False)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def _review(self, token: str) -> Caller | Exception:
        audience = self._settings.token_audience
        body = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenReview",
            "spec": {"token": token, "audiences": [audience]},
        }
        doc = await self._client.create(TOKEN_REVIEWS, None, body)
        status = doc.get("status") or {}
        if not status.get("authenticated"):
            why = shown(str(status.get("error") or "not authenticated"), 200)
            log.info("token.refused", why=why)
            return TokenUnauthenticated(f"the node token is not valid for audience {audience!r}: {why}")
        if audience not in (status.get("audiences") or []):
            return TokenUnauthenticated(f"the node token is not for audience {audience!r}")
        user = status.get("user") or {}
        username = str(user.get("username", ""))
        if username != self._user:
            log.info("token.not_node_agent", user=shown(username, 100))
            return PermissionDeniedError(
                f"the token is {shown(username, 100)}'s, not the node agent's {self._user} (kubernetes.node_agent)"
            )
        extra = user.get("extra") or {}
        pod = (extra.get(EXTRA + "pod-name") or [""])[0]
        node = (extra.get(EXTRA + "node-name") or [""])[0]
        if not pod or not node:
            return PermissionDeniedError(
                f"the token of {self._user} is not bound to a pod on a node (use the node agent pod's projected "
                f"token with audience {audience!r})"
            )
        if len(node) > 253 or not _NODE.fullmatch(node):
            return PermissionDeniedError(f"the token's node {shown(node, 80)} is not a node name")
        return Caller(identity=node, operator=False)
