"""The TokenReview cache: answers are reused for kubernetes.token_cache, never past the token's own
expiry, for at most MAX_ENTRIES tokens; an API server that cannot be asked is asked again next time.
The API server here is an in-repo fake of the one call (TokenReview create); the real one is in
test_node_tokens.py."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from controller.kube import tokens
from controller.kube.client import KubeUnavailable
from controller.kube.tokens import TokenReviewer
from controller.settings.kube import KubernetesSettings
from models.errors import PermissionDeniedError


class FakeReviews:
    def __init__(self) -> None:
        self.calls = 0
        self.down = False

    async def create(self, resource: Any, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        if self.down:
            raise KubeUnavailable("down")
        node = body["spec"]["token"].split(".")[2]
        extra = {"authentication.kubernetes.io/pod-name": ["agent"], "authentication.kubernetes.io/node-name": [node]}
        if node == "unbound":
            extra = {}
        user = {"username": "system:serviceaccount:fabricd:fabric-cni-node", "extra": extra}
        return {"status": {"authenticated": True, "audiences": ["fabricd"], "user": user}}


def jwt(node: str, exp: float) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"exp": exp}).encode()).decode().rstrip("=")
    return f"e30.{payload}.{node}"


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def reviewer(fake: FakeReviews, clock: Clock, cache: float = 60.0) -> TokenReviewer:
    settings = KubernetesSettings(enabled=True, node_tokens=True, token_cache=cache)
    return TokenReviewer(fake, settings, clock=clock)  # type: ignore[arg-type]


async def test_answers_are_reused_until_the_ttl_or_the_tokens_expiry():
    fake, clock = FakeReviews(), Clock()
    r = reviewer(fake, clock)
    long, short = jwt("server1", 5000), jwt("server2", 1010)
    assert (await r.caller(long)).identity == "server1"
    assert (await r.caller(long)).identity == "server1" and fake.calls == 1
    await r.caller(short)
    clock.now = 1011  # past the short token's exp (10 s), inside the 60 s TTL
    await r.caller(short)
    await r.caller(long)
    assert fake.calls == 3
    clock.now = 1061
    await r.caller(long)
    assert fake.calls == 4


async def test_refusals_are_cached_outages_are_not():
    fake, clock = FakeReviews(), Clock()
    r = reviewer(fake, clock)
    for _ in range(2):
        with pytest.raises(PermissionDeniedError, match="not bound to a pod"):
            await r.caller(jwt("unbound", 5000))
    assert fake.calls == 1
    fake.down = True
    for _ in range(2):
        with pytest.raises(KubeUnavailable):
            await r.caller(jwt("server1", 5000))
    assert fake.calls == 3
    fake.down = False
    assert (await r.caller(jwt("server1", 5000))).identity == "server1"


async def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(tokens, "MAX_ENTRIES", 8)
    fake, clock = FakeReviews(), Clock()
    r = reviewer(fake, clock)
    for i in range(20):
        await r.caller(jwt(f"node{i}", 5000))
    assert len(r._cache) == 8
    await r.caller(jwt("node19", 5000))
    await r.caller(jwt("node0", 5000))  # the oldest went first
    assert fake.calls == 21
