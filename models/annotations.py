"""The Multus pod annotation ``k8s.v1.cni.cncf.io/networks``: which networks
a pod selects, and how.

Two forms, as Multus reads them:

- short: ``blue-network,other-ns/net-c,green-network@eth5``, each element
  ``[NAMESPACE/]NAME[@IFNAME]``;
- JSON: a list of objects ``{"name": ..., "namespace": ..., "interface":
  ..., "mac": ..., "ips": [...], "cni-args": {...}}`` (also Multus's
  ``interfaceRequest``, ``portMappings``, ``bandwidth``, ``default-route``,
  ``infiniband-guid``, ``ipam-claim-reference``: accepted and reported in
  ``unsupported`` for the caller to refuse or ignore).

:func:`parse_networks` collects every problem into one
:class:`AnnotationError` naming the element and field. :func:`ifnames`
gives each selection its pod interface name the way Multus does: the one
asked for, else ``net<position>`` (1-based). Names (namespace, name, pod
interface) are checked by the rules fabricd's API applies to attachments
(:mod:`models.validation`), so a selection parsed here is one the API takes.
Pure: the lab's pod manifests and fabricd's Kubernetes side both use it.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from models import validation
from models.errors import Problem

ANNOTATION = "k8s.v1.cni.cncf.io/networks"
_MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
_USED = ("name", "namespace", "interface", "interfaceRequest", "mac", "ips", "cni-args")
_UNUSED = ("portMappings", "bandwidth", "default-route", "infiniband-guid", "ipam-claim-reference")


class AnnotationError(ValueError):
    """The annotation is malformed; ``problems`` names each problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{ANNOTATION}: " + "; ".join(problems))


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NetworkSelection:
    """One network a pod selects: the NetworkAttachmentDefinition
    ``namespace/name`` and what the pod asks of its interface."""

    name: str
    namespace: str  # the pod's namespace when the annotation names none
    interface: str | None = None
    mac: str | None = None
    ips: tuple[str, ...] = ()
    cni_args: Mapping[str, Any] | None = None
    unsupported: tuple[str, ...] = ()  # Multus keys given that the caller may not implement

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


def parse_networks(text: str, *, default_namespace: str) -> list[NetworkSelection]:
    """The selections of an annotation value (empty: none)."""
    stripped = text.strip()
    if not stripped:
        return []
    if stripped[0] in '[{"':
        return _parse_json(stripped, default_namespace)
    return _parse_short(stripped, default_namespace)


def _names(*, namespace: str | None = None, name: str | None = None, interface: str | None = None) -> list[Problem]:
    """The problems of the names given, by the API's rules."""
    found: list[Problem] = []
    if namespace is not None:
        validation.dns_label("namespace", namespace, found)
    if name is not None:
        validation.dns_subdomain("name", name, found)
    if interface is not None:
        validation.ifname("interface", interface, found)
    return found


def _parse_short(text: str, default_namespace: str) -> list[NetworkSelection]:
    out: list[NetworkSelection] = []
    problems: list[str] = []
    for i, raw in enumerate(text.split(",")):
        item = raw.strip()
        where = f"element {i + 1} {item!r}"
        if not item:
            problems.append(f"element {i + 1} is empty (a stray ',')")
            continue
        if item.count("@") > 1 or item.count("/") > 1:
            problems.append(f"{where}: expected [NAMESPACE/]NAME[@IFNAME]")
            continue
        ref, _, ifname = item.partition("@")
        ns, _, name = ref.rpartition("/")
        if "@" in item and not ifname:
            problems.append(f"{where}: '@' without an interface name")
        found = _names(namespace=ns or default_namespace, name=name, interface=ifname or None)
        problems += [f"{where}: {p.field} {p.value!r} {p.why}" for p in found]
        out.append(NetworkSelection(name=name, namespace=ns or default_namespace, interface=ifname or None))
    if problems:
        raise AnnotationError(problems)
    return out


def _parse_json(text: str, default_namespace: str) -> list[NetworkSelection]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise AnnotationError([f"not JSON: {e.msg} at column {e.colno}"]) from None
    except RecursionError:  # '[' nested deeper than json goes: any pod author can write it
        raise AnnotationError(["not JSON: nested too deeply"]) from None
    if isinstance(doc, dict):
        raise AnnotationError(["the JSON form is a list of objects: wrap the object in [ ]"])
    if not isinstance(doc, list):
        kind = {str: "string", int: "number", float: "number", bool: "boolean"}.get(type(doc), "null")
        raise AnnotationError([f"the JSON form is a list of objects, not a {kind}"])
    out: list[NetworkSelection] = []
    problems: list[str] = []
    for i, item in enumerate(doc):
        where = f"[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: {json.dumps(item)[:40]} is not an object")
            continue
        sel = _element(item, where, default_namespace, problems)
        if sel is not None:
            out.append(sel)
    if problems:
        raise AnnotationError(problems)
    return out


def _element(item: dict[str, Any], where: str, default_ns: str, problems: list[str]) -> NetworkSelection | None:
    before = len(problems)
    unknown = sorted(set(item) - set(_USED) - set(_UNUSED))
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(unknown)} (Multus knows {', '.join(_USED + _UNUSED)})")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        problems.append(f"{where}.name: is required (the NetworkAttachmentDefinition's name)")
        name = ""
    ns = item.get("namespace", default_ns)
    if not isinstance(ns, str) or not ns:
        problems.append(f"{where}.namespace: {ns!r} is not a namespace")
        ns = default_ns
    iface = item.get("interface", item.get("interfaceRequest"))
    if iface is not None and not isinstance(iface, str):
        problems.append(f"{where}.interface: {iface!r} is not a string")
        iface = None
    found = _names(namespace=ns, name=name, interface=iface) if name else _names(interface=iface)
    problems += [f"{where}.{p}" for p in found]
    mac = item.get("mac")
    if mac is not None and (not isinstance(mac, str) or not _MAC.match(mac)):
        problems.append(f"{where}.mac: {mac!r} is not a MAC address like 02:00:00:00:00:01")
    ips = item.get("ips", [])
    if not isinstance(ips, list) or not all(isinstance(x, str) for x in ips):
        problems.append(f"{where}.ips: {json.dumps(ips)[:40]} is not a list of strings")
        ips = []
    for ip in ips:
        if "/" not in ip or not _is_interface(ip):
            problems.append(f"{where}.ips: {ip!r} is not an address with a prefix length (10.1.0.5/24)")
    cni_args = item.get("cni-args")
    if cni_args is not None and not isinstance(cni_args, dict):
        problems.append(f"{where}.cni-args: is not an object")
    if len(problems) > before:
        return None
    return NetworkSelection(
        name=name,
        namespace=ns,
        interface=iface,
        mac=mac,
        ips=tuple(ips),
        cni_args=cni_args,
        unsupported=tuple(k for k in _UNUSED if k in item),
    )


def _is_interface(text: str) -> bool:
    try:
        ipaddress.ip_interface(text)
    except ValueError:
        return False
    return True


def ifnames(selections: Sequence[NetworkSelection]) -> list[str]:
    """The pod interface name of each selection: its ``interface``, else
    ``net<position>``. AnnotationError if two get the same name."""
    names = [s.interface or f"net{i}" for i, s in enumerate(selections, start=1)]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise AnnotationError([f"interface name {n!r} is used by more than one network" for n in dup])
    return names
