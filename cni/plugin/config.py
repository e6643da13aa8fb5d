"""What a runtime hands fabric-cni: ``CNI_*`` environment variables and the
network configuration on stdin, parsed once into frozen records (NamedTuples: the dataclasses module
alone costs the plugin's start ~10 ms, creating each dataclass ~1 ms more).

Every problem is collected before anything happens: a bad environment is
one CniError 4 naming each variable, a bad config one CniError 7 naming each
field (``uplink: 'eth 1' is not ...; mtu: ...``). The configuration is a
NetworkAttachmentDefinition's (``RenderNAD``, controller/api/nad.py;
cni/README.md) and carries only what is the network's: the fabric network
(``network``) or its VNI (``vni``/``VNI``), ``ipam``, ``mtu`` and ``uplink``.
What is the node's (the controller, its TLS files, the node name, the state
directory, the VLAN backend, the attach timeout) comes from the node file
(:mod:`cni.plugin.nodeconf`); a config carrying one of those keys is refused
naming it: a tenant who may write NADs must not point a root plugin at a
controller or a directory of their choosing.

Pure: no I/O (the environment and stdin are given).
"""

# No `from __future__ import annotations` here: typing.NamedTuple would compile each field's string
# annotation at every plugin start (cni/README.md, Start-up).
import json
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from cni.plugin import nodeconf, versions
from cni.plugin.errors import DECODE, INVALID_CONFIG, INVALID_ENV, CniError, problems_error
from cni.vlan.names import ifname_problem

COMMANDS = ("ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION")
MTU_MIN, MTU_MAX = 576, 9216
VNI_MIN, VNI_MAX = 1, 16777215
VALID_ATTACHMENTS_KEYS = ("cni.dev/valid-attachments", "cni.dev/attachments")  # libcni sends both
#: the node's settings: refused in a network configuration (nodeconf.KEYS but the default uplink)
NODE_KEYS = tuple(k for k in nodeconf.KEYS if k != "uplink")
NODE_KEYS_HINT = (
    "the node's settings, never the network's: a NetworkAttachmentDefinition may not carry them; they belong "
    f"in the node file ({nodeconf.DEFAULT_NODE_CONFIG}, or ${nodeconf.ENV_NODE_CONFIG}) written by the node's "
    "installer"
)

_CONTAINER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_NETWORK_NAME = re.compile(r"[A-Za-z0-9_.\-]+")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_MAC = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")
_DIGITS = re.compile(r"[0-9]{1,8}")

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


class Pod(NamedTuple):
    """The pod an attachment belongs to (from ``CNI_ARGS``)."""

    namespace: str
    name: str
    uid: str
    infra_container_id: str = ""


class CniEnv(NamedTuple):
    command: str
    container_id: str = ""
    netns: str = ""
    ifname: str = ""
    args: Mapping[str, str] = MappingProxyType({})
    args_text: str = ""  # CNI_ARGS as given (passed on to delegates)
    path: tuple[str, ...] = ()

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
            problems.append(f"CNI_ARGS: {item[:80]!r} is not KEY=VALUE")
            continue
        out[key.strip()] = value.strip()
    return out, problems


def parse_env(environ: Mapping[str, str]) -> CniEnv:
    """The CNI_* variables of ``environ`` for its CNI_COMMAND; CniError 4
    naming every missing or malformed one."""
    command = environ.get("CNI_COMMAND", "")
    if command not in COMMANDS:
        why = "is not set" if not command else f"is {command[:40]!r}"
        raise CniError(INVALID_ENV, f"CNI_COMMAND {why}: use one of {', '.join(COMMANDS)}")
    if command == "VERSION":
        return CniEnv(command=command)
    problems = [f"{var} is not set" for var in _REQUIRED[command] if not environ.get(var)]
    cid = environ.get("CNI_CONTAINERID", "")
    if cid and not _CONTAINER_ID.fullmatch(cid):
        problems.append(f"CNI_CONTAINERID {cid[:80]!r}: not a container ID (alphanumerics, then also '_', '.', '-')")
    ifname = environ.get("CNI_IFNAME", "")
    if ifname and (p := ifname_problem(ifname)):
        problems.append(f"CNI_IFNAME: {p}")
    netns = environ.get("CNI_NETNS", "")
    if netns and not netns.startswith("/"):
        problems.append(f"CNI_NETNS {netns[:80]!r}: not an absolute path to a network namespace")
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
    )


# ------------------------------------------------------------- network config


class NetRef(NamedTuple):
    """A fabric network as a NAD names it: ``NAMESPACE/NAME``, or only its
    VNI (fabricd resolves it to the one network with that VNI that the
    pod's namespace may use)."""

    namespace: str = ""
    name: str = ""
    vni: int = 0

    @staticmethod
    def parse(text: str) -> "NetRef":
        """``NAMESPACE/NAME`` (as records keep a resolved network)."""
        ns, _, name = text.partition("/")
        return NetRef(namespace=ns, name=name)

    @property
    def by_vni(self) -> bool:
        return self.vni != 0

    def __str__(self) -> str:
        return f"VNI {self.vni}" if self.by_vni else f"{self.namespace}/{self.name}"


class NetConf(NamedTuple):
    cni_version: str
    name: str  # the CNI network name
    network: NetRef  # the fabric network (fabricd's NetworkRef)
    uplink: str | None  # after an ``args.cni.uplink`` override; None: the node's default
    mtu: int  # 0: the delegate's default
    ipam: Mapping[str, Any] | None
    runtime_config: Mapping[str, Any]  # ips, mac: passed to the delegate
    args: Mapping[str, Any] | None  # "args" (Multus cni-args in args.cni): passed to the delegate
    prev_result: Mapping[str, Any] | None  # 1.1.0-shaped
    valid_attachments: tuple[tuple[str, str], ...] | None  # GC: (containerID, ifname)
    ignored_node_keys: tuple[str, ...] = ()  # DEL: node keys of an old NAD, never used


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
        problems.append(f"{key}: {json.dumps(value)[:60]} is not a non-empty string")
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


def _vni(doc: Mapping[str, Any], problems: list[str]) -> int:
    """``vni`` or ``VNI``: an integer or a string of digits in 1..16777215; 0 when absent."""
    keys = [k for k in ("vni", "VNI") if k in doc]
    if len(keys) == 2:
        problems.append("vni, VNI: both given: give one")
        return 0
    if not keys:
        return 0
    key, value = keys[0], doc[keys[0]]
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not VNI_MIN <= value <= VNI_MAX:
        what = f"an integer, or a string of digits, in {VNI_MIN}..{VNI_MAX}"
        problems.append(f"{key}: {json.dumps(value)[:40]} is not a VNI ({what})")
        return 0
    return value


def _network(doc: Mapping[str, Any], problems: list[str]) -> NetRef:
    text = _str(doc, "network", problems)
    vni = _vni(doc, problems)
    if text is not None and vni:
        problems.append(
            f"network, {'vni' if 'vni' in doc else 'VNI'}: both given: name the network or its VNI, not both"
        )
        return NetRef()
    if vni:
        return NetRef(vni=vni)
    if text is None:
        if not any(k in doc for k in ("network", "vni", "VNI")):
            problems.append('network is required: "NAMESPACE/NAME" of the fabric network, or "vni": its VNI')
        return NetRef()
    ns, sep, name = text.partition("/")
    if not sep or not _DNS_LABEL.fullmatch(ns) or not _DNS_LABEL.fullmatch(name):
        problems.append(f"network: {text[:80]!r} is not NAMESPACE/NAME (DNS-1123 labels)")
    return NetRef(namespace=ns, name=name)


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
                    problems.append(f"runtimeConfig.ips: {ip[:60]!r} is not an address with a prefix (10.1.0.5/24)")
            out["ips"] = list(ips)
    mac = rc.get("mac")
    if mac is not None:
        if not isinstance(mac, str) or not _MAC.fullmatch(mac):
            problems.append(f"runtimeConfig.mac: {json.dumps(mac)[:40]} is not a MAC address (02:00:00:00:00:01)")
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


def _uplink(doc: Mapping[str, Any], args: Mapping[str, Any] | None, problems: list[str]) -> str | None:
    """The NAD's ``uplink``, overridden by Multus cni-args (``args.cni.uplink``)."""
    uplink = _str(doc, "uplink", problems)
    cni_args = args.get("cni") if args else None
    if cni_args is not None and not isinstance(cni_args, dict):
        problems.append("args.cni: is not an object")
    elif cni_args and "uplink" in cni_args:
        override = cni_args["uplink"]
        if not isinstance(override, str) or ifname_problem(override):
            problems.append(f"args.cni.uplink: {json.dumps(override)[:40]} is not an interface name")
        else:
            uplink = override
    if uplink is not None and (p := ifname_problem(uplink)):
        problems.append(f"uplink: {p}")
    return uplink


def parse_netconf(data: bytes, env: CniEnv) -> NetConf:
    """The network configuration on stdin; CniError 6 (not a JSON object),
    1 (cniVersion, or a command its version does not have) or 7 (naming
    every bad field)."""
    doc = decode(data)
    version = versions.require_supported(doc.get("cniVersion"))
    try:
        return _netconf(doc, version, env)
    except CniError as e:
        e.cni_version = version  # answered in the config's version
        raise


def _netconf(doc: Mapping[str, Any], version: str, env: CniEnv) -> NetConf:
    versions.require_command(env.command, version)
    problems: list[str] = []
    node_keys = tuple(k for k in NODE_KEYS if k in doc)
    if node_keys and env.command != "DEL":  # DEL ignores them: pods from before can still go
        problems.append(f"{', '.join(node_keys)}: {NODE_KEYS_HINT}")
    name = _str(doc, "name", problems, required=True)
    if name is not None and not _NETWORK_NAME.fullmatch(name):
        problems.append(f"name: {name[:80]!r} is not a network name (alphanumerics, '_', '.', '-')")
    _str(doc, "type", problems, required=True)
    network = _network(doc, problems)
    args = _obj(doc, "args", problems)
    uplink = _uplink(doc, args, problems)
    mtu = doc.get("mtu", 0)
    if isinstance(mtu, bool) or not isinstance(mtu, int) or (mtu and not MTU_MIN <= mtu <= MTU_MAX):
        problems.append(f"mtu: {json.dumps(mtu)[:40]} is not 0 or an integer in {MTU_MIN}..{MTU_MAX}")
        mtu = 0
    ipam = _obj(doc, "ipam", problems)
    if ipam is not None and not isinstance(ipam.get("type"), str):
        problems.append('ipam: has no "type" (e.g. {"type": "static"})')
    runtime = _runtime_config(doc, problems)
    prev = _obj(doc, "prevResult", problems)
    for key in ("interfaces", "ips", "routes"):
        items = (prev or {}).get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            problems.append(f"prevResult.{key}: {json.dumps(items)[:60]} is not a list of objects")
    valid = _valid_attachments(doc, problems)
    problems += _add_problems(env, version, doc, ipam=ipam, runtime=runtime, args=args)
    if env.command == "GC" and valid is None:
        problems.append(f"{VALID_ATTACHMENTS_KEYS[0]} is required for GC")
    if problems:
        raise problems_error(INVALID_CONFIG, "invalid network configuration", problems)
    assert name is not None
    return NetConf(
        cni_version=version,
        name=name,
        network=network,
        uplink=uplink,
        mtu=mtu,
        ipam=ipam,
        runtime_config=runtime,
        args=args,
        prev_result=versions.normalize(prev) if prev else None,
        valid_attachments=valid,
        ignored_node_keys=node_keys,
    )


def _add_problems(
    env: CniEnv,
    version: str,
    doc: Mapping[str, Any],
    *,
    ipam: Mapping[str, Any] | None,
    runtime: Mapping[str, Any],
    args: Mapping[str, Any] | None,
) -> list[str]:
    """What makes an ADD fail later, said before anything happens."""
    if env.command != "ADD":
        return []
    out = []
    ips_given = isinstance(doc.get("runtimeConfig"), dict) and "ips" in doc["runtimeConfig"]  # (reported if bad)
    if ipam is not None and not ips_given and not _static_has_addresses(ipam, runtime, args):
        out.append(
            'ipam: "static" has no address for this pod: give "ips" in the pod\'s network annotation '
            "(runtimeConfig.ips) or ipam.addresses"
        )
    if ipam is None and versions.parse(version) < versions.parse("0.3.0"):
        out.append(f"ipam: is required with cniVersion {version}, whose result is an IP address (ip4/ip6)")
    return out


def _static_has_addresses(ipam: Mapping[str, Any], runtime: Mapping[str, Any], args: Mapping[str, Any] | None) -> bool:
    """Whether the static IPAM plugin will find an address (it fails without one)."""
    if ipam.get("type") != "static":
        return True
    cni_args = (args or {}).get("cni")
    return bool(ipam.get("addresses") or runtime.get("ips") or (isinstance(cni_args, dict) and cni_args.get("ips")))
