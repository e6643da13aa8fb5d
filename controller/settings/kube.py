"""The ``kubernetes`` settings: opt-in watching of NetworkAttachmentDefinitions,
Pods and Nodes (docs/kubernetes-controllers.md)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import AfterValidator, Field, PlainValidator, WithJsonSchema

from controller.settings.fields import CommaList, Duration, FilePath
from models.configfile import problem, section
from models.errors import Problem
from models.nad import VniRange
from models.validation import dns_label


def _grants(doc: object) -> Mapping[str, tuple[VniRange, ...]]:
    if not isinstance(doc, Mapping):
        raise problem("must map a namespace to a list of VNI ranges ('5000-5999' or '7000')")
    out: dict[str, tuple[VniRange, ...]] = {}
    for ns, ranges in doc.items():
        bad: list[Problem] = []
        dns_label(str(ns), str(ns), bad)
        if bad:
            raise problem("is not a namespace name (a DNS-1123 label)", field=str(ns), value=ns)
        items = ranges if isinstance(ranges, list | tuple) else [ranges]
        parsed = []
        for i, r in enumerate(items):
            try:
                parsed.append(VniRange.parse(str(r)))
            except ValueError as e:
                raise problem(str(e), field=f"{ns}.{i}", value=r) from None
        out[str(ns)] = tuple(parsed)
    return MappingProxyType(out)


def _namespaces(value: tuple[str, ...]) -> tuple[str, ...]:
    for ns in value:
        bad: list[Problem] = []
        dns_label("namespace", ns, bad)
        if bad:
            raise problem("is not a namespace name (a DNS-1123 label)", value=ns)
    return value


def _service_account(value: str) -> str:
    ns, sep, name = value.partition("/")
    bad: list[Problem] = []
    dns_label("namespace", ns, bad)
    dns_label("name", name, bad)
    if not sep or bad:
        raise problem("is not NAMESPACE/NAME of a ServiceAccount", value=value)
    return value


@section
class KubernetesSettings:
    enabled: bool = False
    """watch NetworkAttachmentDefinitions, Pods and Nodes of a Kubernetes API server (off: networks come from
    fabricctl alone, cleanup from CNI DEL and GC)"""
    kubeconfig: FilePath | None = None
    """the kubeconfig to reach the API server with; unset: in-cluster (the pod's ServiceAccount)"""
    context: str = ""
    """the kubeconfig context; empty: its current context"""
    namespaces: Annotated[tuple[str, ...], CommaList, AfterValidator(_namespaces)] = ()
    """the namespaces whose NADs and Pods fabricd acts on; empty: every namespace"""
    grants: Annotated[
        Mapping[str, tuple[VniRange, ...]],
        PlainValidator(_grants),
        WithJsonSchema({"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}),
    ] = dataclasses.field(default_factory=lambda: MappingProxyType({}))
    """namespace -> VNI ranges (``'5000-5999'``, ``'7000'``) in which that namespace's NADs may create networks;
    a NAD may always bind to an existing network its namespace may use"""
    pod_grace: Duration = 30.0
    """how long an attachment whose pod is gone (by UID) or Succeeded/Failed, or whose Node is deleted or tainted
    out-of-service, is kept before fabricd detaches it"""
    verify_attach: bool = True
    """check each node's Attach against the API: the pod exists with that UID, in that namespace, on that node"""
    resync: Annotated[Duration, Field(gt=0)] = 10.0
    """how often every NAD's status and every cleanup is re-evaluated even without a change"""
    node_tokens: bool = False
    """accept fabric-cni's projected ServiceAccount token (gRPC metadata ``authorization: Bearer``, on
    ``api.token_listen``) as the node's identity: verified with a TokenReview, the node taken from the token's
    pod binding; client certificates keep working"""
    node_agent: Annotated[str, AfterValidator(_service_account)] = "fabricd/fabric-cni-node"
    """NAMESPACE/NAME of the node agent's ServiceAccount (the DaemonSet's): only its pod-bound tokens are nodes"""
    token_audience: Annotated[str, Field(min_length=1, max_length=253)] = "fabricd"
    """the audience node tokens must carry (and the TokenReview asks for)"""
    token_cache: Annotated[Duration, Field(ge=0, le=600)] = 60.0
    """how long a TokenReview's answer is reused (never past the token's expiry; at most 4,096 tokens); 0: ask
    every time"""

    def granted(self, namespace: str) -> tuple[VniRange, ...]:
        return self.grants.get(namespace, ())

    def watches(self, namespace: str) -> bool:
        return not self.namespaces or namespace in self.namespaces


def grants_doc(settings: KubernetesSettings) -> dict[str, Any]:
    return {ns: [str(r) for r in ranges] for ns, ranges in settings.grants.items()}
