"""Intent: networks and pod attachments (typed, frozen)."""

from __future__ import annotations

import dataclasses

from models.ids import NicName, NodeName, PortName, SwitchName, Vni

#: the owner of a network created through the API (CreateNetwork, e.g. ``fabricctl network create``)
OWNER_API = "api"
NAD_OWNER_PREFIX = "kubernetes:"


def nad_owner(namespace: str, name: str) -> str:
    """The owner of a network created by the NetworkAttachmentDefinition ``namespace/name``."""
    return f"{NAD_OWNER_PREFIX}{namespace}/{name}"


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class NetworkKey:
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"

    @staticmethod
    def parse(text: str, *, default_namespace: str = "") -> NetworkKey:
        """``ns/name`` or ``name`` (then ``default_namespace``)."""
        ns, sep, name = text.partition("/")
        return NetworkKey(ns, name) if sep else NetworkKey(default_namespace, ns)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Network:
    namespace: str
    name: str
    vni: Vni
    #: usable from pods of every namespace (else only from ``namespace``)
    shared: bool = False
    #: 0 = the fabric default
    mtu: int = 0
    description: str = ""
    #: who created it and alone may delete it: ``api`` or ``kubernetes:NS/NAD`` (:func:`nad_owner`)
    owner: str = OWNER_API
    #: when its attachments are READY: "committed", "forwarding"; "" = the fabric's default
    readiness: str = ""

    @property
    def key(self) -> NetworkKey:
        return NetworkKey(self.namespace, self.name)

    def usable_from(self, pod_namespace: str) -> bool:
        return self.shared or pod_namespace == self.namespace


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, order=True)
class AttachmentId:
    pod_namespace: str
    pod_name: str
    pod_uid: str
    network: NetworkKey
    interface: str

    def __str__(self) -> str:
        return f"{self.pod_namespace}/{self.pod_name}({self.pod_uid}):{self.interface}@{self.network}"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    id: AttachmentId
    container_id: str
    node: NodeName
    nic: NicName
    #: the CNI network (config) name the runtime attached through; scopes GC ("" = not given)
    cni_network: str = ""


@dataclasses.dataclass(frozen=True, slots=True, order=True)
class Placement:
    """Where a node NIC is cabled: a leaf and its port (OpenConfig name)."""

    switch: SwitchName
    port: PortName

    def __str__(self) -> str:
        return f"{self.switch}/{self.port}"
