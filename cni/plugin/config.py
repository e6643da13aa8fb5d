"""What a runtime hands fabric-cni: ``CNI_*`` environment variables and the
network configuration on stdin, parsed once into frozen dataclasses.

Every problem is collected before anything happens: a bad environment is
one CniError 4 naming each variable, a bad config one CniError 7 naming each
field (``uplink: 'eth 1' is not ...; mtu: ...``). The configuration format
is what ``RenderNAD`` emits (controller/api/nad.py), documented in
cni/README.md. Node-local settings that a cluster-wide NAD cannot know (the
state directory, the lab's tagger socket) come from the config if it has
them, else from the environment (``FABRIC_CNI_*``), else defaults.

Pure: no I/O (the environment and stdin are given).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import Any

from cni.plugin import versions
from cni.plugin.errors import DECODE, INVALID_CONFIG, INVALID_ENV, CniError, problems_error
from cni.vlan.names import ifname_problem
from proto.fabric.v1 import DEFAULT_ADDRESS

COMMANDS = ("ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION")
ENV_STATE_DIR = "FABRIC_CNI_STATE_DIR"
ENV_TAGGER_SOCKET = "FABRIC_CNI_TAGGER_SOCKET"
ENV_VLAN_BACKEND = "FABRIC_CNI_VLAN_BACKEND"
DEFAULT_STATE_DIR = "/run/fabric-cni"
DEFAULT_CONTROLLER = DEFAULT_ADDRESS
DEFAULT_ATTACH_TIMEOUT = 30.0  # CRI-O gives a CNI ADD 60 s (kubelet 4 min): answer well inside
ATTACH_TIMEOUT_RANGE = (1.0, 300.0)
VLAN_MODES = ("auto", "kernel", "tagger")
MTU_MIN, MTU_MAX = 576, 9216
VALID_ATTACHMENTS_KEYS = ("cni.dev/valid-attachments", "cni.dev/attachments")  # libcni sends both

_CONTAINER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_NETWORK_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
_HOST_PORT = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+):([0-9]{1,5})$")

#: which CNI_* variables each command needs
_REQUIRED = {
    "ADD": ("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"),
    "DEL": ("CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"),
    "CHECK": ("CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"),
    "GC": ("CNI_PATH",),
    "STATUS": (),
}
POD_ARGS = ("K8S_POD_NAMESPACE", "K8S_POD_NAME", "K8S_POD_UID")


# ---------------------------------------------------------------- environment


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Pod:
    """The pod an attachment belongs to (from ``CNI_ARGS``)."""

    namespace: str
    name: str
    uid: str
    infra_container_id: str = ""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class CniEnv:
    command: str
    container_id: str = ""
    netns: str = ""
    ifname: str = ""
    args: Mapping[str, str] = dataclasses.field(default_factory=dict)
    args_text: str = ""  # CNI_ARGS as given (passed on to delegates)
    path: tuple[str, ...] = ()
    #: node-local settings (FABRIC_CNI_*) used when the config has none
    state_dir: str = ""
    tagger_socket: str = ""
    vlan_backend: str = ""

    @property
    def pod(self) -> Pod | None:
        """The pod of CNI_ARGS, None when namespace, name or UID is missing."""
        ns, name, uid = (self.args.get(k, "") for k in POD_ARGS)
        if not (ns and name and uid):
            return None
        return Pod(namespace=ns, name=name, uid=uid, infra_container_id=self.args.get("K8S_POD_INFRA_CONTAINER_ID", ""))


def parse_cni_args(text: str) -> tuple[dict[str, str], list[str]]:
    """``K=V;K=V`` -> ({K: V}, problems). Empty items are allowed."""
    out: dict[str, str] = {}
    problems = []
    for item in text.split(";"):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            problems.append(f"CNI_ARGS: {item!r} is not KEY=VALUE")
            continue
        out[key.strip()] = value.strip()
    return out, problems


def parse_env(environ: Mapping[str, str]) -> CniEnv:
    """The CNI_* variables of ``environ`` for its CNI_COMMAND; CniError 4
    naming every missing or malformed one."""
    command = environ.get("CNI_COMMAND", "")
    if command not in COMMANDS:
        why = "is not set" if not command else f"is {command!r}"
        raise CniError(INVALID_ENV, f"CNI_COMMAND {why}: use one of {', '.join(COMMANDS)}")
    if command == "VERSION":
        return CniEnv(command=command)
    problems = [f"{var} is not set" for var in _REQUIRED[command] if not environ.get(var)]
    cid = environ.get("CNI_CONTAINERID", "")
    if cid and not _CONTAINER_ID.match(cid):
        problems.append(f"CNI_CONTAINERID {cid!r}: not a container ID (alphanumerics, then also '_', '.', '-')")
    ifname = environ.get("CNI_IFNAME", "")
    if ifname and (p := ifname_problem(ifname)):
        problems.append(f"CNI_IFNAME: {p}")
    netns = environ.get("CNI_NETNS", "")
    if netns and not netns.startswith("/"):
        problems.append(f"CNI_NETNS {netns!r}: not an absolute path to a network namespace")
    args, arg_problems = parse_cni_args(environ.get("CNI_ARGS", ""))
    problems += arg_problems
    if command == "ADD" and not arg_problems:
        missing = [k for k in POD_ARGS if not args.get(k)]
        if missing:
            problems.append(f"CNI_ARGS has no {', '.join(missing)} (the runtime or Multus passes the pod's identity)")
    if problems:
        raise problems_error(INVALID_ENV, f"CNI {command}", problems)
    return CniEnv(
        command=command,
        container_id=cid,
        netns=netns,
        ifname=ifname,
        args=args,
        args_text=environ.get("CNI_ARGS", ""),
        path=tuple(p for p in environ.get("CNI_PATH", "").split(":") if p),
        state_dir=environ.get(ENV_STATE_DIR, ""),
        tagger_socket=environ.get(ENV_TAGGER_SOCKET, ""),
        vlan_backend=environ.get(ENV_VLAN_BACKEND, ""),
    )


# ------------------------------------------------------------- network config


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Tls:
    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    server_name: str | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NetConf:
    cni_version: str
    name: str  # the CNI network name
    network_namespace: str  # the fabric network (fabricd's NetworkRef)
    network_name: str
    uplink: str  # after an ``args.cni.uplink`` override
    mtu: int  # 0: the delegate's default
    controller: str  # unix:///path.sock or HOST:PORT
    tls: Tls | None
    ipam: Mapping[str, Any] | None
    node: str | None  # None: the UTS namespace's host name
    vlan_mode: str
    tagger_socket: str | None
    state_dir: str
    attach_timeout: float
    runtime_config: Mapping[str, Any]  # ips, mac: passed to the delegate
    args: Mapping[str, Any] | None  # "args" (Multus cni-args in args.cni): passed to the delegate
    prev_result: Mapping[str, Any] | None  # 1.1.0-shaped
    valid_attachments: tuple[tuple[str, str], ...] | None  # GC: (containerID, ifname)

    @property
    def network(self) -> str:
        return f"{self.network_namespace}/{self.network_name}"

    @property
    def grpc_target(self) -> str:
        """The controller address as a gRPC target."""
        if self.controller.startswith("unix:") and not self.controller.startswith("unix://"):
            return "unix://" + self.controller[len("unix:") :]
        return self.controller


def decode(data: bytes) -> dict[str, Any]:
    """stdin as a JSON object; CniError 6 if it is not one."""
    try:
        doc = json.loads(data)
    except UnicodeDecodeError:
        raise CniError(DECODE, "the network configuration on stdin is not UTF-8 text") from None
    except RecursionError:
        raise CniError(DECODE, "the network configuration on stdin is nested too deeply to be a config") from None
    except json.JSONDecodeError as e:
        where = f"line {e.lineno} column {e.colno}"
        if not data.strip():
            raise CniError(DECODE, "no network configuration on stdin (expected a JSON object)") from None
        raise CniError(DECODE, f"the network configuration on stdin is not JSON: {e.msg} at {where}") from None
    if not isinstance(doc, dict):
        raise CniError(DECODE, f"the network configuration on stdin is a JSON {type(doc).__name__}, not an object")
    return doc


def _str(doc: Mapping[str, Any], key: str, problems: list[str], *, required: bool = False) -> str | None:
    value = doc.get(key)
    if value is None:
        if required:
            problems.append(f"{key} is required")
        return None
    if not isinstance(value, str) or not value:
        problems.append(f"{key}: {value!r} is not a non-empty string")
        return None
    return value


def _obj(doc: Mapping[str, Any], key: str, problems: list[str]) -> Mapping[str, Any] | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(f"{key}: {json.dumps(value)[:60]} is not an object")
        return None
    return value


def controller_problem(value: str) -> str | None:
    if value.startswith("unix:"):
        path = value[len("unix://") :] if value.startswith("unix://") else value[len("unix:") :]
        return None if path.startswith("/") else f"controller: {value!r}: a unix socket path must be absolute"
    m = _HOST_PORT.match(value)
    if m is None or not 0 < int(m.group(2)) < 65536:
        return f"controller: {value!r} is not unix:///path.sock or HOST:PORT"
    return None


def _network(value: str | None, problems: list[str]) -> tuple[str, str]:
    if value is None:
        return "", ""
    ns, sep, name = value.partition("/")
    if not sep or not _DNS_LABEL.match(ns) or not _DNS_LABEL.match(name):
        problems.append(f"network: {value!r} is not NAMESPACE/NAME (DNS-1123 labels)")
    return ns, name


def _runtime_config(doc: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    rc = _obj(doc, "runtimeConfig", problems) or {}
    out: dict[str, Any] = {}
    ips = rc.get("ips")
    if ips is not None:
        if not isinstance(ips, list) or not all(isinstance(i, str) for i in ips):
            problems.append(f"runtimeConfig.ips: {json.dumps(ips)[:60]} is not a list of strings")
        else:
            import ipaddress

            for ip in ips:
                try:
                    ipaddress.ip_interface(ip)
                    if "/" not in ip:
                        raise ValueError
                except ValueError:
                    problems.append(f"runtimeConfig.ips: {ip!r} is not an address with a prefix (10.1.0.5/24)")
            out["ips"] = list(ips)
    mac = rc.get("mac")
    if mac is not None:
        if not isinstance(mac, str) or not _MAC.match(mac):
            problems.append(f"runtimeConfig.mac: {mac!r} is not a MAC address (02:00:00:00:00:01)")
        else:
            out["mac"] = mac
    return out


def _valid_attachments(doc: Mapping[str, Any], problems: list[str]) -> tuple[tuple[str, str], ...] | None:
    key = next((k for k in VALID_ATTACHMENTS_KEYS if k in doc), None)
    if key is None:
        return None
    raw = doc[key]
    if not isinstance(raw, list):
        problems.append(f"{key}: is not a list")
        return None
    out = []
    for i, item in enumerate(raw):
        cid = item.get("containerID") if isinstance(item, dict) else None
        ifname = item.get("ifname") if isinstance(item, dict) else None
        if not isinstance(cid, str) or not cid or not isinstance(ifname, str) or not ifname:
            problems.append(f"{key}[{i}]: {json.dumps(item)[:60]} is not {{containerID, ifname}}")
            continue
        out.append((cid, ifname))
    return tuple(out)


def parse_netconf(data: bytes, env: CniEnv) -> NetConf:
    """The network configuration on stdin; CniError 6 (not a JSON object),
    1 (cniVersion) or 7 (naming every bad field)."""
    doc = decode(data)
    version = versions.require_supported(doc.get("cniVersion"))
    versions.require_command(env.command, version)
    problems: list[str] = []
    name = _str(doc, "name", problems, required=True)
    if name is not None and not _NETWORK_NAME.match(name):
        problems.append(f"name: {name!r} is not a network name (alphanumerics, '_', '.', '-')")
    _str(doc, "type", problems, required=True)
    ns, net = _network(_str(doc, "network", problems, required=True), problems)
    uplink = _str(doc, "uplink", problems, required=True)
    args = _obj(doc, "args", problems)
    cni_args = args.get("cni") if args else None
    if cni_args is not None and not isinstance(cni_args, dict):
        problems.append("args.cni: is not an object")
    elif cni_args and "uplink" in cni_args:
        override = cni_args["uplink"]
        if not isinstance(override, str) or ifname_problem(override):
            problems.append(f"args.cni.uplink: {override!r} is not an interface name")
        else:
            uplink = override
    if uplink is not None and (p := ifname_problem(uplink)):
        problems.append(f"uplink: {p}")
    mtu = doc.get("mtu", 0)
    if isinstance(mtu, bool) or not isinstance(mtu, int) or (mtu and not MTU_MIN <= mtu <= MTU_MAX):
        problems.append(f"mtu: {mtu!r} is not 0 or an integer in {MTU_MIN}..{MTU_MAX}")
        mtu = 0
    controller = _str(doc, "controller", problems) or DEFAULT_CONTROLLER
    if p := controller_problem(controller):
        problems.append(p)
    tls = _tls(_obj(doc, "tls", problems), problems)
    ipam = _obj(doc, "ipam", problems)
    if ipam is not None and not isinstance(ipam.get("type"), str):
        problems.append('ipam: has no "type" (e.g. {"type": "static"})')
    node = _str(doc, "node", problems)
    if node is not None and not _DNS_SUBDOMAIN.match(node):
        problems.append(f"node: {node!r} is not a Kubernetes node name (DNS-1123 subdomain)")
    vb = _obj(doc, "vlanBackend", problems) or {}
    mode = vb.get("mode") or env.vlan_backend or "auto"
    if mode not in VLAN_MODES:
        where = "vlanBackend.mode" if vb.get("mode") else f"${ENV_VLAN_BACKEND}"
        problems.append(f"{where}: {mode!r} is not one of {', '.join(VLAN_MODES)}")
    tagger = _str(vb, "taggerSocket", problems) or env.tagger_socket or None
    if tagger is not None and not tagger.startswith("/"):
        problems.append(f"vlanBackend.taggerSocket: {tagger!r} is not an absolute path")
    state_dir = _str(doc, "stateDir", problems) or env.state_dir or DEFAULT_STATE_DIR
    if not state_dir.startswith("/"):
        problems.append(f"stateDir: {state_dir!r} is not an absolute path")
    timeout = doc.get("attachTimeout", DEFAULT_ATTACH_TIMEOUT)
    lo, hi = ATTACH_TIMEOUT_RANGE
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not lo <= timeout <= hi:
        problems.append(f"attachTimeout: {timeout!r} is not a number of seconds in {lo:g}..{hi:g}")
        timeout = DEFAULT_ATTACH_TIMEOUT
    runtime = _runtime_config(doc, problems)
    prev = _obj(doc, "prevResult", problems)
    for key in ("interfaces", "ips", "routes"):
        items = (prev or {}).get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            problems.append(f"prevResult.{key}: {json.dumps(items)[:60]} is not a list of objects")
    valid = _valid_attachments(doc, problems)
    ips_given = isinstance(doc.get("runtimeConfig"), dict) and "ips" in doc["runtimeConfig"]  # (reported if bad)
    if env.command == "ADD" and ipam is not None and not ips_given and not _static_has_addresses(ipam, runtime, args):
        problems.append(
            'ipam: "static" has no address for this pod: give "ips" in the pod\'s network annotation '
            "(runtimeConfig.ips) or ipam.addresses"
        )
    if env.command == "GC" and valid is None:
        problems.append(f"{VALID_ATTACHMENTS_KEYS[0]} is required for GC")
    if problems:
        raise problems_error(INVALID_CONFIG, "invalid network configuration", problems)
    assert name is not None and uplink is not None
    return NetConf(
        cni_version=version,
        name=name,
        network_namespace=ns,
        network_name=net,
        uplink=uplink,
        mtu=mtu,
        controller=controller,
        tls=tls,
        ipam=ipam,
        node=node,
        vlan_mode=str(mode),
        tagger_socket=tagger,
        state_dir=state_dir,
        attach_timeout=float(timeout),
        runtime_config=runtime,
        args=args,
        prev_result=versions.normalize(prev) if prev else None,
        valid_attachments=valid,
    )


def _static_has_addresses(ipam: Mapping[str, Any], runtime: Mapping[str, Any], args: Mapping[str, Any] | None) -> bool:
    """Whether the static IPAM plugin will find an address (it fails without one)."""
    if ipam.get("type") != "static":
        return True
    cni_args = (args or {}).get("cni")
    return bool(ipam.get("addresses") or runtime.get("ips") or (isinstance(cni_args, dict) and cni_args.get("ips")))


def _tls(raw: Mapping[str, Any] | None, problems: list[str]) -> Tls | None:
    if raw is None:
        return None
    files = {}
    for key in ("ca", "cert", "key", "serverName"):
        value = raw.get(key)
        if value is None:
            continue
        if key == "serverName":
            ok, why = isinstance(value, str) and bool(value), "is not a non-empty string"
        else:
            ok, why = isinstance(value, str) and value.startswith("/"), "is not an absolute path"
        if not ok:
            problems.append(f"tls.{key}: {value!r} {why}")
            continue
        files[key] = value
    if ("cert" in files) != ("key" in files):
        problems.append("tls: cert and key go together (the node's client certificate and its key)")
    return Tls(ca=files.get("ca"), cert=files.get("cert"), key=files.get("key"), server_name=files.get("serverName"))
