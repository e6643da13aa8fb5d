"""With two fabricd on etcd, the Kubernetes controllers run on the leader
only (a follower writing NAD finalizers or status would race the leader), and
move with the leadership: a NAD created after the leader stopped is served
by the instance that took over. Real kube-apiserver, real 3-member etcd."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from controller.daemon import Daemon
from controller.ha.election import Role
from tests.controller.fabric import eventually
from tests.ha.harness import HA_FAST
from tests.k8s.kube import fabric_nad, fabric_settings, status
from tests.stack import settings

pytestmark = pytest.mark.slow


@contextlib.asynccontextmanager
async def instance(tmp: Path, name: str, store: dict[str, Any], kube: dict[str, Any]) -> AsyncIterator[Daemon]:
    d = Daemon(settings(tmp, store=store, ha={"name": name, **HA_FAST}, kubernetes=kube), owns_process=False)
    task = asyncio.create_task(d.run())
    await asyncio.wait_for(d.ready.wait(), 60)
    try:
        yield d
    finally:
        d.stopping.set()
        assert await asyncio.wait_for(task, 60) == 0


def leading(d: Daemon) -> bool:
    return d.ha is not None and d.ha.election.role is Role.LEADER


async def test_the_kubernetes_controllers_run_on_the_leader_and_move_with_it(tmp_path, etcd3, kube, namespaces):
    ns, _ = namespaces
    store = {"backend": "etcd", "endpoints": etcd3.endpoints, "prefix": f"/t-{uuid.uuid4().hex[:8]}"}
    conf = fabric_settings(kube, namespaces)
    for name in "ab":
        (tmp_path / name).mkdir()
    async with instance(tmp_path / "a", "a", store, conf) as a:
        await eventually(lambda: leading(a) and a.kube is not None, what="a leads and runs the controllers")
        async with instance(tmp_path / "b", "b", store, conf) as b:
            kube.apply(fabric_nad(ns, "blue", VNI="5001"))
            await eventually(lambda: status(kube, ns, "blue").get("state") == "Ready", what="NAD blue ready")
            assert not leading(b) and b.kube is None  # the follower watches nothing of Kubernetes
            assert "kubernetes" not in b.leader_hooks.running

            a.stopping.set()  # the leader goes: b takes over, controllers and all
            await eventually(lambda: leading(b) and b.kube is not None, what="b takes over the controllers")
            assert a.kube is None
            kube.apply(fabric_nad(ns, "green", VNI="5002"))
            await eventually(lambda: status(kube, ns, "green").get("state") == "Ready", what="b serves NAD green")
            assert b.ha is not None and b.ha.leader_service is not None
            nets = b.ha.leader_service.state.networks
            assert {k.name for k in nets if k.namespace == ns} == {"blue", "green"}
