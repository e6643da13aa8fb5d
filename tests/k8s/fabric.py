"""fabricd in-process with the Kubernetes controllers on, over the seed lab's
switch emulators and the session's real API server."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from controller.service.authz import Caller
from controller.service.fabric import FabricService
from models.ids import NicName, NodeName
from models.intent import Attachment, AttachmentId, NetworkKey
from tests.controller.fabric import Fabric, lab_fabric
from tests.k8s.kube import fabric_settings, pod_uid
from tests.servers.apiserver import ApiServer


@contextlib.asynccontextmanager
async def kube_fabric(tmp: Path, api: ApiServer, namespaces: list[str], **kube: Any) -> AsyncIterator[Fabric]:
    async with lab_fabric(tmp, kubernetes=fabric_settings(api, namespaces, **kube)) as fab, fab.controller():
        yield fab


def attachment(
    api: ApiServer, namespace: str, pod: str, network: NetworkKey, *, node: str, nic: str = "eth1", uid: str = ""
) -> Attachment:
    return Attachment(
        id=AttachmentId(
            pod_namespace=namespace,
            pod_name=pod,
            pod_uid=uid or pod_uid(api, namespace, pod),
            network=network,
            interface="net1",
        ),
        container_id=f"c-{pod}",
        node=NodeName(node),
        nic=NicName(nic),
    )


async def attach_as_node(service: FabricService, att: Attachment) -> Any:
    """Attach as the node's fabric-cni would (a node identity, not an operator)."""
    return await service.attachments.attach(att, Caller(identity=att.node, operator=False), leaf_wait=20)
