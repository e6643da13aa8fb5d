"""The TokenReview cache, against the real API server: answers are reused for kubernetes.token_cache,
never past the token's own expiry, for at most MAX_ENTRIES tokens; refusals are cached, an API server
that cannot be reached is asked again next time. The reviewer's clock is the only seam (a token's exp is
real, so the tests move fabricd's idea of now instead of waiting ten minutes)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from controller.kube import tokens
from controller.kube.client import KubeClient, KubeUnavailable
from controller.kube.tokens import TokenReviewer, token_expiry
from controller.settings.kube import KubernetesSettings
from models.errors import PermissionDeniedError
from tests.k8s.nodetokens import AGENT, NodeAgents, node_agents
from tests.servers.tools import free_port


@pytest.fixture(scope="module")
def agents(kube):
    return node_agents(kube, ("server1",), namespace="fabricd-token-cache")


class Reviews(KubeClient):
    """The real client, counting the TokenReviews it sends; while ``down`` it sends them to an address where
    nothing listens (a real connection refused)."""

    def __init__(self, live: KubeClient, dead: KubeClient) -> None:
        super().__init__(live._api, server=live.server)
        self.dead = dead
        self.down = False
        self.calls = 0

    async def create(self, resource: Any, namespace: str | None, body: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        if self.down:
            return await self.dead.create(resource, namespace, body)
        return await super().create(resource, namespace, body)

    async def close(self) -> None:
        await self.dead.close()
        await super().close()


@dataclasses.dataclass
class Clock:
    now: float

    def __call__(self) -> float:
        return self.now


def expiry(token: str) -> float:
    exp = token_expiry(token)
    assert exp is not None, "a TokenRequest token carries exp"
    return exp


async def reviewer(agents: NodeAgents, tmp_path: Path, clock: Clock, cache: float = 600.0) -> TokenReviewer:
    conf = yaml.safe_load(agents.api.kubeconfig.read_text())
    for cluster in conf["clusters"]:
        cluster["cluster"]["server"] = f"https://127.0.0.1:{free_port()}"
    dead_config = tmp_path / "unreachable.kubeconfig"
    dead_config.write_text(yaml.safe_dump(conf))
    live = await KubeClient.connect(agents.api.kubeconfig)
    reviews = Reviews(live, await KubeClient.connect(dead_config))
    settings = KubernetesSettings(
        enabled=True, node_tokens=True, token_cache=cache, node_agent=f"{agents.namespace}/{AGENT}"
    )
    return TokenReviewer(reviews, settings, clock=clock)


def calls(r: TokenReviewer) -> int:
    return r._client.calls  # type: ignore[attr-defined]


async def test_answers_are_reused_until_the_ttl_or_the_tokens_expiry(agents, tmp_path):
    long, short = agents.token(node="server1"), agents.token(node="server1", seconds=600)
    t0, short_exp = expiry(long) - 3600, expiry(short)
    clock = Clock(t0)
    r = await reviewer(agents, tmp_path, clock, cache=600)
    try:
        assert (await r.caller(long)).identity == "server1"
        assert (await r.caller(long)).identity == "server1" and calls(r) == 1
        clock.now = t0 + 599
        await r.caller(long)
        assert calls(r) == 1
        clock.now = t0 + 601  # past the 600 s TTL
        await r.caller(long)
        assert calls(r) == 2
        clock.now = short_exp - 10
        assert (await r.caller(short)).identity == "server1" and calls(r) == 3
        clock.now = short_exp - 1
        await r.caller(short)
        assert calls(r) == 3
        clock.now = short_exp + 1  # past the token's own exp, well inside the TTL it was cached with
        await r.caller(short)  # the real API server still accepts it (its clock is the real one)
        assert calls(r) == 4
    finally:
        await r.close()


async def test_refusals_are_cached_outages_are_not(agents, tmp_path):
    clock = Clock(0.0)
    r = await reviewer(agents, tmp_path, clock)
    try:
        clock.now = expiry(agents.tokens["server1"]) - 3000
        unbound = agents.token()  # the node agent's ServiceAccount, bound to no pod
        for _ in range(2):
            with pytest.raises(PermissionDeniedError, match="not bound to a pod"):
                await r.caller(unbound)
        assert calls(r) == 1
        r._client.down = True  # type: ignore[attr-defined]
        for _ in range(2):
            with pytest.raises(KubeUnavailable, match="cannot reach the API server"):
                await r.caller(agents.tokens["server1"])
        assert calls(r) == 3
        r._client.down = False  # type: ignore[attr-defined]
        assert (await r.caller(agents.tokens["server1"])).identity == "server1"
        assert calls(r) == 4
    finally:
        await r.close()


async def test_the_cache_is_bounded(agents, tmp_path, monkeypatch):
    monkeypatch.setattr(tokens, "MAX_ENTRIES", 8)
    issued = [agents.token(node="server1") for _ in range(20)]
    r = await reviewer(agents, tmp_path, Clock(expiry(issued[0]) - 3000))
    try:
        for token in issued:
            assert (await r.caller(token)).identity == "server1"
        assert len(r._cache) == 8
        await r.caller(issued[19])
        await r.caller(issued[0])  # the oldest went first
        assert calls(r) == 21
    finally:
        await r.close()
