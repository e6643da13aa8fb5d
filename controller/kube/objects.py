"""Typed, frozen views of the Kubernetes objects fabricd reads, parsed once
from the API's JSON (raw dicts stop here)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from models.annotations import ANNOTATION, AnnotationError, parse_networks

#: the taint that says a node is shut down for good (Kubernetes' non-graceful node shutdown)
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"
#: fabricd's finalizer on the NADs it acts on, and its status annotation
FINALIZER = "fabricd.io/network"
STATUS_ANNOTATION = "fabricd.io/status"
FINISHED = frozenset({"Succeeded", "Failed"})


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PodView:
    namespace: str
    name: str
    uid: str
    node: str
    phase: str
    deleting: bool
    #: the NADs (``namespace/name``) its networks annotation selects; () if none or unreadable
    nads: tuple[str, ...]

    @staticmethod
    def of(obj: Mapping[str, Any]) -> PodView:
        meta = _meta(obj)
        ns = str(meta.get("namespace", ""))
        text = (meta.get("annotations") or {}).get(ANNOTATION, "")
        try:
            nads = tuple(s.ref for s in parse_networks(str(text), default_namespace=ns))
        except AnnotationError:
            nads = ()
        return PodView(
            namespace=ns,
            name=str(meta.get("name", "")),
            uid=str(meta.get("uid", "")),
            node=str((obj.get("spec") or {}).get("nodeName") or ""),
            phase=str((obj.get("status") or {}).get("phase") or "Pending"),
            deleting=bool(meta.get("deletionTimestamp")),
            nads=nads,
        )

    @property
    def finished(self) -> bool:
        return self.phase in FINISHED


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NodeView:
    name: str
    uid: str
    out_of_service: bool
    #: what LLDP may call it: the Hostname addresses and the kubernetes.io/hostname label (lower case)
    hostnames: tuple[str, ...]

    @staticmethod
    def of(obj: Mapping[str, Any]) -> NodeView:
        meta = _meta(obj)
        taints = (obj.get("spec") or {}).get("taints") or []
        addresses = (obj.get("status") or {}).get("addresses") or []
        names = {str(a.get("address", "")).lower() for a in addresses if a.get("type") == "Hostname"}
        label = (meta.get("labels") or {}).get("kubernetes.io/hostname")
        if label:
            names.add(str(label).lower())
        return NodeView(
            name=str(meta.get("name", "")),
            uid=str(meta.get("uid", "")),
            out_of_service=any(t.get("key") == OUT_OF_SERVICE for t in taints if isinstance(t, Mapping)),
            hostnames=tuple(sorted(n for n in names if n)),
        )


def node_aliases(nodes: Iterable[NodeView]) -> tuple[dict[str, str], list[str]]:
    """LLDP system name -> node name for the nodes whose hostnames differ from their names, and what was left
    out, said. A node sets its own Hostname address and ``kubernetes.io/hostname`` label (NodeRestriction lets
    a kubelet): one that names another node (server1 labelled ``server2``) would take that node's LLDP records
    and NICs, and a name two nodes claim belongs to neither. Both are left out: the node names stay."""
    nodes = list(nodes)
    names = {n.name for n in nodes}
    claims: dict[str, set[str]] = {}
    for n in nodes:
        for h in n.hostnames:
            if h != n.name:
                claims.setdefault(h, set()).add(n.name)
    aliases: dict[str, str] = {}
    refused: list[str] = []
    for h, by in sorted(claims.items()):
        if h in names:
            refused.append(f"{', '.join(sorted(by))} call(s) itself {h!r}, the name of another node")
        elif len(by) > 1:
            refused.append(f"{', '.join(sorted(by))} all call themselves {h!r}")
        else:
            aliases[h] = next(iter(by))
    return aliases, refused


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NadView:
    namespace: str
    name: str
    uid: str
    resource_version: str
    config: str
    finalizers: tuple[str, ...]
    deleting: bool
    status: str  # the current value of fabricd's status annotation

    @staticmethod
    def of(obj: Mapping[str, Any]) -> NadView:
        meta = _meta(obj)
        return NadView(
            namespace=str(meta.get("namespace", "")),
            name=str(meta.get("name", "")),
            uid=str(meta.get("uid", "")),
            resource_version=str(meta.get("resourceVersion", "")),
            config=str((obj.get("spec") or {}).get("config") or ""),
            finalizers=tuple(str(f) for f in meta.get("finalizers") or ()),
            deleting=bool(meta.get("deletionTimestamp")),
            status=str((meta.get("annotations") or {}).get(STATUS_ANNOTATION, "")),
        )

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"
