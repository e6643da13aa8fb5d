"""Pod manifests and NetworkAttachmentDefinitions for ``fabric-lab pod``,
and what Multus makes of them (pure).

- :func:`load_pod`: a Pod manifest (YAML): name, namespace (default
  ``default``), uid (made up when absent), ``spec.nodeName``, the
  network sysctls of ``spec.securityContext.sysctls`` (``net.*``, set in
  the pod's namespace before its networks) and the
  ``k8s.v1.cni.cncf.io/networks`` annotation, parsed by
  :mod:`models.annotations`.
- :func:`load_nads`: every NetworkAttachmentDefinition in the YAML files of
  a directory (as ``fabricctl nad`` / RenderNAD writes them), by
  ``namespace/name``.
- :func:`attachments`: per selected network, in order, what Multus runs:
  the pod interface name (``net1``, ``net2``... unless the annotation names
  one), the NAD's CNI config with ``runtimeConfig`` for the capabilities
  the config declares (``ips``, ``mac``) and the annotation's ``cni-args``
  as ``args.cni``, and ``CNI_ARGS`` as the runtime sets it.

Errors are LabFileErrors naming the file and field.
"""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from labs.errors import LabFileError
from models.annotations import ANNOTATION, AnnotationError, NetworkSelection, ifnames, parse_networks

NAD_KIND = "NetworkAttachmentDefinition"
_SYSCTL = re.compile(r"^net\.[a-z0-9_.\-/]+$")
#: Multus passes these annotation fields as runtimeConfig when the plugin declares the capability
CAPABILITIES = {"ips": "ips", "mac": "mac"}


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PodSpec:
    namespace: str
    name: str
    uid: str
    node: str | None  # spec.nodeName
    networks: tuple[NetworkSelection, ...]
    file: str
    sysctls: tuple[tuple[str, str], ...] = ()  # spec.securityContext.sysctls (net.*)

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Nad:
    namespace: str
    name: str
    config: Mapping[str, Any]  # the CNI config of spec.config
    file: str

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Attachment:
    """One network of a pod as Multus runs it."""

    nad: str  # namespace/name
    ifname: str
    config: Mapping[str, Any]
    cni_args: str


def _yaml_docs(path: Path) -> list[Any]:
    try:
        return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except OSError as e:
        raise LabFileError(path, "(file)", f"cannot read it: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise LabFileError(path, "(file)", f"not YAML: {str(e).splitlines()[0]}") from None


def load_pod(path: Path | str) -> PodSpec:
    path = Path(path)
    docs = _yaml_docs(path)
    if len(docs) != 1 or not isinstance(docs[0], dict) or docs[0].get("kind") != "Pod":
        raise LabFileError(path, "kind", "expected one Pod manifest (kind: Pod)")
    return parse_pod(docs[0], path)


def parse_pod(doc: Mapping[str, Any], path: Path | str) -> PodSpec:
    """A Pod object (a manifest, or as the API server returns it); ``path``
    names where it came from in errors."""
    path = Path(path)
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise LabFileError(path, "metadata.name", "is required")
    ns = meta.get("namespace", "default")
    if not isinstance(ns, str) or not ns:
        raise LabFileError(path, "metadata.namespace", f"{ns!r} is not a namespace")
    annotations = meta.get("annotations") or {}
    if not isinstance(annotations, dict):
        raise LabFileError(path, "metadata.annotations", "is not a mapping")
    text = annotations.get(ANNOTATION, "")
    if not isinstance(text, str):
        raise LabFileError(path, f"metadata.annotations.{ANNOTATION}", "is not a string (quote the JSON form)")
    try:
        networks = parse_networks(text, default_namespace=ns)
        ifnames(networks)
    except AnnotationError as e:
        raise LabFileError(path, f"metadata.annotations.{ANNOTATION}", "; ".join(e.problems)) from None
    if not networks:
        raise LabFileError(path, f"metadata.annotations.{ANNOTATION}", "selects no network")
    for s in networks:
        if s.unsupported:
            raise LabFileError(
                path,
                f"metadata.annotations.{ANNOTATION}",
                f"{s.ref}: fabric-lab does not do {', '.join(s.unsupported)}",
            )
    uid = meta.get("uid") or str(uuid.uuid4())
    spec: Mapping[str, Any] = doc["spec"] if isinstance(doc.get("spec"), dict) else {}
    return PodSpec(
        namespace=ns,
        name=meta["name"],
        uid=str(uid),
        node=spec.get("nodeName"),
        networks=tuple(networks),
        file=str(path),
        sysctls=_sysctls(path, spec),
    )


def _sysctls(path: Path, spec: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    ctx = spec.get("securityContext") or {}
    raw = ctx.get("sysctls", []) if isinstance(ctx, dict) else None
    field = "spec.securityContext.sysctls"
    if not isinstance(raw, list):
        raise LabFileError(path, field, "is not a list of {name, value}")
    out = []
    for i, item in enumerate(raw):
        name = item.get("name") if isinstance(item, dict) else None
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(name, str) or not _SYSCTL.match(name) or value is None:
            raise LabFileError(path, f"{field}[{i}]", f"{item!r}: a pod may set network sysctls (net.*) only")
        out.append((name, str(value)))
    return tuple(out)


def parse_nad(doc: Any, file: str, where: str) -> Nad:
    if not isinstance(doc, dict) or doc.get("kind") != NAD_KIND:
        raise LabFileError(file, f"{where}.kind", f"expected {NAD_KIND}")
    meta = doc.get("metadata") or {}
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str) or not name:
        raise LabFileError(file, f"{where}.metadata.name", "is required")
    ns = meta.get("namespace", "default")
    raw = (doc.get("spec") or {}).get("config") if isinstance(doc.get("spec"), dict) else None
    if not isinstance(raw, str):
        raise LabFileError(file, f"{where}.spec.config", "is required (the CNI configuration as a JSON string)")
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as e:
        raise LabFileError(file, f"{where}.spec.config", f"is not JSON: {e.msg}") from None
    if not isinstance(config, dict) or not isinstance(config.get("type"), str):
        hint = " (a plugin list is not supported by fabric-lab pod)" if isinstance(config, dict) else ""
        raise LabFileError(file, f"{where}.spec.config", f"is not a CNI plugin configuration with a type{hint}")
    return Nad(namespace=str(ns), name=name, config=config, file=file)


def load_nads(directory: Path | str) -> dict[str, Nad]:
    """Every NAD of the ``*.yml``/``*.yaml``/``*.json`` files in ``directory``."""
    d = Path(directory)
    if not d.is_dir():
        raise LabFileError(d, "(directory)", "no such directory of NetworkAttachmentDefinitions")
    out: dict[str, Nad] = {}
    for f in sorted(p for p in d.iterdir() if p.suffix in (".yml", ".yaml", ".json")):
        for i, doc in enumerate(_yaml_docs(f)):
            nad = parse_nad(doc, str(f), f"[{i}]")
            if nad.ref in out:
                raise LabFileError(f, f"[{i}].metadata.name", f"{nad.ref} is also defined in {out[nad.ref].file}")
            out[nad.ref] = nad
    return out


def cni_args(pod: PodSpec, sandbox: str) -> str:
    """``CNI_ARGS`` as containerd and CRI-O set it for a pod sandbox."""
    return (
        f"IgnoreUnknown=1;K8S_POD_NAMESPACE={pod.namespace};K8S_POD_NAME={pod.name};"
        f"K8S_POD_INFRA_CONTAINER_ID={sandbox};K8S_POD_UID={pod.uid}"
    )


def multus_config(nad: Nad, sel: NetworkSelection) -> dict[str, Any]:
    """The NAD's config as Multus hands it to the plugin for ``sel``."""
    conf = dict(nad.config)
    declared = conf.get("capabilities") or {}
    runtime: dict[str, Any] = {}
    if sel.ips and declared.get("ips"):
        runtime["ips"] = list(sel.ips)
    if sel.mac and declared.get("mac"):
        runtime["mac"] = sel.mac
    if runtime:
        conf["runtimeConfig"] = {**(conf.get("runtimeConfig") or {}), **runtime}
    if sel.cni_args:
        args = dict(conf.get("args") or {})
        args["cni"] = {**(args.get("cni") or {}), **sel.cni_args}
        conf["args"] = args
    return conf


def attachments(pod: PodSpec, nads: Mapping[str, Nad], sandbox: str) -> list[Attachment]:
    """What Multus runs for ``pod``, in order; LabFileError naming unknown NADs."""
    missing = [s.ref for s in pod.networks if s.ref not in nads]
    if missing:
        known = ", ".join(sorted(nads)) or "none"
        raise LabFileError(
            pod.file,
            f"metadata.annotations.{ANNOTATION}",
            f"no NetworkAttachmentDefinition {', '.join(missing)} (known: {known})",
        )
    names = ifnames(pod.networks)
    args = cni_args(pod, sandbox)
    return [
        Attachment(nad=s.ref, ifname=ifname, config=multus_config(nads[s.ref], s), cni_args=args)
        for s, ifname in zip(pod.networks, names, strict=True)
    ]
