"""``fabric-lab pod``: pods on the nodes of a running Linux lab, attached to
their networks the way Multus attaches them.

``create`` reads a Pod manifest and the NetworkAttachmentDefinitions
(:mod:`labs.pods.manifest`), makes the pod's network namespace
(``<prefix><lab>-pod-<namespace>.<name>``, recorded in the lab's state file
*before* it exists, so ``down`` removes it like every namespace of the lab)
and runs the CNI plugin each NAD names (``type``, found in ``CNI_PATH``:
fabric-cni's directory, then ``/usr/lib/cni``) once per selected network,
in order, inside the node's network and UTS namespace, with ``CNI_*`` as a
runtime sets them. When one network fails, the ones before it and the
failed one get their DEL (as Multus does) and nothing is left. ``delete``
runs DEL in reverse order with each ADD's result as ``prevResult``.

The node side comes from the lab, as from a node's installer: fabric-cni
runs with ``$FABRIC_CNI_NODE_CONFIG`` naming the node's own node file
(fabricd's address, the node's certificate, its name, the state directory
``STATE_DIR/cni``, its VLAN tagger, its default uplink), which the lab's
fabricd writes when it starts (:mod:`labs.run.identities`); where the
kernel has no 802.1Q the node's VLAN tagger is started on first use. What
each pod got is in ``STATE_DIR/pods/<namespace>.<name>.json``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from labs.dataplane import names, netns, vlan
from labs.dataplane.cmd import run
from labs.dataplane.endpoint import LOCK_FILE
from labs.dataplane.resources import netns_resource
from labs.dataplane.spawn import in_node
from labs.errors import LabNotRunning, LabRunError, LabStateError
from labs.pods.manifest import Attachment, Nad, PodSpec, attachments, load_nads, load_pod
from labs.run.identities import node_file
from labs.run.statefile import LabState, NodeRecord, read_state, write_state

PODS_DIR = "pods"
NADS_DIR = "nads"
SYSTEM_CNI_PATH = "/usr/lib/cni"
PLUGIN_TIMEOUT_S = 120.0

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PodNetwork:
    nad: str
    ifname: str
    config: dict[str, Any]  # as given to the plugin for ADD
    result: dict[str, Any] | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PodRecord:
    namespace: str
    name: str
    uid: str
    node: str
    netns: str
    sandbox: str  # CNI_CONTAINERID
    networks: tuple[PodNetwork, ...] = ()
    phase: str = "creating"  # creating | running | deleting

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def netns_path(self) -> str:
        return str(netns.NETNS_DIR / self.netns)

    def addresses(self) -> list[tuple[str, str, str]]:
        """(ifname, NAD, address) of every address the plugins gave."""
        out = []
        for n in self.networks:
            for ip in (n.result or {}).get("ips", []):
                out.append((n.ifname, n.nad, str(ip.get("address", ""))))
        return out

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True) + "\n"

    @staticmethod
    def from_json(text: str) -> PodRecord:
        d = json.loads(text)
        d["networks"] = tuple(PodNetwork(**n) for n in d.get("networks", ()))
        return PodRecord(**d)


class PluginError(LabRunError):
    """A CNI plugin answered an error (its code and message)."""

    def __init__(self, what: str, code: int | None, msg: str) -> None:
        self.code = code
        super().__init__(f"{what}: {msg}" + (f" (CNI error {code})" if code is not None else ""))


# ------------------------------------------------------------------ plumbing


@contextlib.contextmanager
def _locked(sdir: Path) -> Iterator[None]:
    """The lab's lock for changes of its state file (shared with endpoints)."""
    with open(sdir / LOCK_FILE, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def running_linux(sdir: Path) -> LabState:
    state = read_state(sdir)
    if state is None or state.phase != "running":
        raise LabNotRunning(f"no running lab in {sdir}")
    if state.dataplane != "linux":
        raise LabRunError(f"lab {state.lab} runs with dataplane {state.dataplane}: pods need the Linux dataplane")
    return state


def pod_netns(state: LabState, namespace: str, name: str) -> str:
    return names.netns_name(state.prefix, state.lab, f"pod-{namespace}.{name}")


def _record_path(sdir: Path, namespace: str, name: str) -> Path:
    return sdir / PODS_DIR / f"{namespace}.{name}.json"


def _write(sdir: Path, rec: PodRecord) -> None:
    path = _record_path(sdir, rec.namespace, rec.name)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(rec.to_json())
    os.replace(tmp, path)


def records(sdir: Path) -> list[PodRecord]:
    out = []
    for f in sorted((sdir / PODS_DIR).glob("*.json")) if (sdir / PODS_DIR).is_dir() else []:
        try:
            out.append(PodRecord.from_json(f.read_text()))
        except (OSError, ValueError, TypeError) as e:
            raise LabStateError(f"{f}: not a pod record this fabric-lab understands: {e}") from None
    return out


def find(sdir: Path, ref: str) -> PodRecord:
    """The pod ``NAMESPACE/NAME``, or ``NAME`` when it is unique."""
    ns, _, name = ref.rpartition("/")
    found = [r for r in records(sdir) if r.name == name and (not ns or r.namespace == ns)]
    if len(found) != 1:
        known = ", ".join(r.ref for r in records(sdir)) or "none"
        why = "is ambiguous" if found else "does not exist"
        raise LabRunError(f"pod {ref} {why} (pods: {known})")
    return found[0]


def cni_path() -> list[str]:
    """fabric-cni's directory (this Python's scripts), then the system plugins."""
    return [str(Path(sys.executable).parent), SYSTEM_CNI_PATH]


def _plugin(kind: str, path: Sequence[str]) -> str:
    for d in path:
        exe = Path(d) / kind
        if exe.is_file() and os.access(exe, os.X_OK):
            return str(exe)
    raise LabRunError(f"the CNI plugin {kind!r} is not in CNI_PATH {':'.join(path)}")


def node_conf(sdir: Path, node: str) -> Path:
    """The node's fabric-cni node file; LabRunError when nobody wrote it."""
    path = node_file(sdir, node)
    if not path.is_file():
        raise LabRunError(
            f"node {node} has no fabric-cni node file ({path}): the lab's fabricd writes one per node when it "
            "starts (scripts/seed-scenario.py up); with a fabricd of your own, write it as cni/README.md says"
        )
    return path


def run_plugin(
    sdir: Path,
    node: NodeRecord,
    command: str,
    config: dict[str, Any],
    *,
    sandbox: str,
    netns_path: str,
    ifname: str,
    cni_args: str,
) -> dict[str, Any] | None:
    """One plugin call inside ``node``, as a runtime makes it; ADD's result."""
    path = cni_path()
    exe = _plugin(str(config.get("type")), path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CNI_", "FABRIC_CNI_"))}
    env.update(
        CNI_COMMAND=command,
        CNI_CONTAINERID=sandbox,
        CNI_NETNS=netns_path,
        CNI_IFNAME=ifname,
        CNI_ARGS=cni_args,
        CNI_PATH=":".join(path),
        FABRIC_CNI_NODE_CONFIG=str(node_conf(sdir, node.name)),
    )
    what = f"{Path(exe).name} {command} {ifname} on {node.name}"
    try:
        p = subprocess.run(
            in_node(node, [exe]),
            input=json.dumps(config).encode(),
            env=env,
            capture_output=True,
            timeout=PLUGIN_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PluginError(what, None, f"no answer within {PLUGIN_TIMEOUT_S:.0f} s") from None
    out = p.stdout.decode(errors="replace").strip()
    try:
        doc = json.loads(out) if out else None
    except ValueError:
        doc = None
    if p.returncode != 0:
        if isinstance(doc, dict) and "code" in doc:
            raise PluginError(what, doc.get("code"), str(doc.get("msg", "")))
        raise PluginError(what, None, (p.stderr.decode(errors="replace").strip() or out or "failed")[-500:])
    if command == "ADD":
        if not isinstance(doc, dict):
            raise PluginError(what, None, f"answered {out[:200]!r}, not a result")
        return doc
    return None


# -------------------------------------------------------------------- create


def _node(state: LabState, name: str | None, pod: PodSpec) -> NodeRecord:
    if not name:
        raise LabRunError(f"pod {pod.ref}: say which node (--node, or spec.nodeName in {pod.file})")
    n = state.node(name)
    if n is None or n.role != "node":
        nodes = ", ".join(x.name for x in state.nodes if x.role == "node") or "none"
        raise LabRunError(f"lab {state.lab}: no node {name!r} to run pods on (nodes: {nodes})")
    return n


def ensure_node(sdir: Path, name: str) -> NodeRecord:
    """The node ready for its CNI plugin: its VLAN tagger running when the
    lab uses taggers (a node's installer runs it; the lab starts it on the
    node's first use)."""
    with _locked(sdir):
        state = running_linux(sdir)
        return _ensure_tagger(state, name)[1]


def _ensure_tagger(state: LabState, name: str) -> tuple[LabState, NodeRecord]:
    node = state.node(name)
    assert node is not None, name
    if state.vlan_backend == "tagger" and node.vlan_socket is None:
        state = vlan.start_taggers(state, [node])
    current = state.node(name)
    assert current is not None
    return state, current


def _prepare(sdir: Path, node: NodeRecord, ns_name: str, sysctls: Sequence[tuple[str, str]]) -> NodeRecord:
    """Under the lab's lock: the node's tagger (when the lab uses taggers)
    and the pod's namespace (recorded before it is made) with its sysctls."""
    with _locked(sdir):
        state, current = _ensure_tagger(running_linux(sdir), node.name)
        write_state(dataclasses.replace(state, resources=(*state.resources, netns_resource(ns_name))))
    netns.delete_netns(ns_name)  # a leftover of a crashed create
    run(["ip", "netns", "add", ns_name])
    run(["ip", "-n", ns_name, "link", "set", "lo", "up"])
    if sysctls:
        run(["ip", "netns", "exec", ns_name, "sysctl", "-qw", *(f"{k}={v}" for k, v in sysctls)])
    return current


def _forget(sdir: Path, rec: PodRecord) -> None:
    """Remove the pod's namespace and every trace of it."""
    netns.delete_netns(rec.netns)
    with _locked(sdir):
        state = read_state(sdir)
        if state is not None:
            keep = tuple(r for r in state.resources if not (r.get("kind") == "netns" and r.get("name") == rec.netns))
            write_state(dataclasses.replace(state, resources=keep))
    with contextlib.suppress(FileNotFoundError):
        _record_path(sdir, rec.namespace, rec.name).unlink()


def create(
    sdir: Path,
    manifest: Path | str,
    *,
    node: str | None = None,
    nads: Path | str | None = None,
    progress: Progress = _quiet,
) -> PodRecord:
    """Create the pod of ``manifest`` on ``node``; its record."""
    pod = load_pod(manifest)
    return create_pod(sdir, pod, lambda: load_nads(nads or sdir / NADS_DIR), node=node, progress=progress)


def create_pod(
    sdir: Path,
    pod: PodSpec,
    nads: Callable[[], Mapping[str, Nad]],
    *,
    node: str | None = None,
    progress: Progress = _quiet,
) -> PodRecord:
    """Create ``pod`` on ``node`` (else its ``spec.nodeName``) with the NADs
    ``nads()`` gives (files, or the API server's); its record."""
    state = running_linux(sdir)
    n = _node(state, node or pod.node, pod)
    if _record_path(sdir, pod.namespace, pod.name).exists():
        raise LabRunError(f"pod {pod.ref} exists: `fabric-lab pod delete` it first")
    sandbox = secrets.token_hex(32)
    plan = attachments(pod, nads(), sandbox)  # every NAD found before anything
    node_conf(sdir, n.name)  # the node was installed
    ns_name = pod_netns(state, pod.namespace, pod.name)
    rec = PodRecord(namespace=pod.namespace, name=pod.name, uid=pod.uid, node=n.name, netns=ns_name, sandbox=sandbox)
    n = _prepare(sdir, n, ns_name, pod.sysctls)
    _write(sdir, rec)
    for i, att in enumerate(plan):
        try:
            result = _add(sdir, n, rec, att)
        except LabRunError as e:
            problems = _undo(
                sdir,
                n,
                rec,
                [*rec.networks, PodNetwork(nad=att.nad, ifname=att.ifname, config=dict(att.config))],
                att.cni_args,
            )
            _forget(sdir, rec)
            extra = f"; cleaning up: {'; '.join(problems)}" if problems else ""
            raise LabRunError(f"pod {pod.ref}: network {i + 1} ({att.nad} as {att.ifname}): {e}{extra}") from None
        rec = dataclasses.replace(
            rec,
            networks=(
                *rec.networks,
                PodNetwork(nad=att.nad, ifname=att.ifname, config=dict(att.config), result=result),
            ),
        )
        _write(sdir, rec)
        progress(f"{pod.ref}: {att.ifname} on {att.nad}: {', '.join(_ips(result)) or 'no address'}")
    rec = dataclasses.replace(rec, phase="running")
    _write(sdir, rec)
    return rec


def _ips(result: dict[str, Any] | None) -> list[str]:
    return [str(ip.get("address")) for ip in (result or {}).get("ips", [])]


def _add(sdir: Path, node: NodeRecord, rec: PodRecord, att: Attachment) -> dict[str, Any]:
    result = run_plugin(
        sdir,
        node,
        "ADD",
        dict(att.config),
        sandbox=rec.sandbox,
        netns_path=rec.netns_path,
        ifname=att.ifname,
        cni_args=att.cni_args,
    )
    assert result is not None
    return result


def _undo(sdir: Path, node: NodeRecord, rec: PodRecord, networks: Sequence[PodNetwork], cni_args: str) -> list[str]:
    """DEL of ``networks`` in reverse order, each with its ADD's result as
    prevResult (libcni's cache); the problems (every DEL is tried)."""
    problems = []
    for net in reversed(networks):
        conf = dict(net.config)
        if net.result is not None:
            conf["prevResult"] = net.result
        try:
            run_plugin(
                sdir,
                node,
                "DEL",
                conf,
                sandbox=rec.sandbox,
                netns_path=rec.netns_path,
                ifname=net.ifname,
                cni_args=cni_args,
            )
        except LabRunError as e:
            problems.append(str(e))
    return problems


# -------------------------------------------------------------------- delete


def delete(sdir: Path, ref: str, *, progress: Progress = _quiet) -> PodRecord:
    """DEL of every network of the pod (reverse order), then its namespace."""
    state = running_linux(sdir)
    rec = find(sdir, ref)
    n = state.node(rec.node)
    if n is None:
        raise LabStateError(f"pod {rec.ref} is on node {rec.node}, which lab {state.lab} does not have")
    rec = dataclasses.replace(rec, phase="deleting")
    _write(sdir, rec)
    args = f"IgnoreUnknown=1;K8S_POD_NAMESPACE={rec.namespace};K8S_POD_NAME={rec.name};"
    args += f"K8S_POD_INFRA_CONTAINER_ID={rec.sandbox};K8S_POD_UID={rec.uid}"
    problems = _undo(sdir, n, rec, rec.networks, args)
    if problems:
        raise LabRunError(f"pod {rec.ref}: {'; '.join(problems)} (the pod is kept: delete it again)")
    for net in reversed(rec.networks):
        progress(f"{rec.ref}: {net.ifname} off {net.nad}")
    _forget(sdir, rec)
    return rec


def exec_argv(sdir: Path, ref: str, argv: Sequence[str]) -> list[str]:
    """The command line running ``argv`` in the pod's network namespace."""
    rec = find(sdir, ref)
    return ["ip", "netns", "exec", rec.netns, *argv]
