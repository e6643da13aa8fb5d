"""The node's own settings: the node-local file, then the environment, then
defaults. Nothing here ever comes from a NetworkAttachmentDefinition: a NAD
is cluster-wide and written by tenants, so the plugin (root on the node)
takes from it only what is the network's (cni.plugin.config).

The file is JSON (the plugin starts lean: no YAML parser), written by the
node's installer, at ``/etc/fabric-cni/node.json`` or where
``$FABRIC_CNI_NODE_CONFIG`` says (a lab's nodes share one filesystem, so
the lab names one file per node)::

    {"controller": "unix:///run/fabricd/api.sock",
     "tls": {"ca": "/etc/fabric-cni/ca.crt", "cert": "/etc/fabric-cni/node.crt",
             "key": "/etc/fabric-cni/node.key", "serverName": "fabricd"},
     "token": null,
     "node": "server1",
     "stateDir": "/run/fabric-cni",
     "vlanBackend": {"mode": "auto", "taggerSocket": "/run/fabric-cni/tagger.sock"},
     "uplink": "eth1",
     "attachTimeout": 30}

``token`` (instead of ``tls.cert``/``tls.key``) is the path of the node
agent's projected ServiceAccount token (audience ``fabricd``), which the
DaemonSet keeps fresh there: sent as ``authorization: Bearer`` over TLS
(``tls.ca``, ``tls.serverName``) to fabricd's token listener, it proves the
node without a hand-made certificate (docs/security.md).

Every key is optional. Where a key is absent: ``node`` from ``$NODENAME``,
then ``$K8S_NODE_NAME``, then the host name; ``stateDir``,
``vlanBackend.taggerSocket`` and ``vlanBackend.mode`` from
``$FABRIC_CNI_STATE_DIR``, ``$FABRIC_CNI_TAGGER_SOCKET`` and
``$FABRIC_CNI_VLAN_BACKEND``; the rest from the defaults below. A missing
file at the default path means all defaults; a file named by
``$FABRIC_CNI_NODE_CONFIG`` must exist. Unknown keys are refused, every
problem is named at once with the file (CniError 7; 5 when it cannot be
read).
"""

# No `from __future__ import annotations` here: typing.NamedTuple would compile each field's string
# annotation at every plugin start (cni/README.md, Start-up).
import json
import os
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from cni.plugin.errors import INVALID_CONFIG, IO_FAILURE, CniError, problems_error
from cni.vlan.names import ifname_problem
from proto.fabric.v1 import DEFAULT_ADDRESS

ENV_NODE_CONFIG = "FABRIC_CNI_NODE_CONFIG"
DEFAULT_NODE_CONFIG = "/etc/fabric-cni/node.json"
ENV_STATE_DIR = "FABRIC_CNI_STATE_DIR"
ENV_TAGGER_SOCKET = "FABRIC_CNI_TAGGER_SOCKET"
ENV_VLAN_BACKEND = "FABRIC_CNI_VLAN_BACKEND"
#: the node name's sources after the file, in order (Calico's, then the downward API's usual name)
NODE_NAME_ENV = ("NODENAME", "K8S_NODE_NAME")
DEFAULT_STATE_DIR = "/run/fabric-cni"
DEFAULT_CONTROLLER = DEFAULT_ADDRESS
DEFAULT_ATTACH_TIMEOUT = 30.0  # CRI-O gives a CNI ADD 60 s (kubelet 4 min): answer well inside
ATTACH_TIMEOUT_RANGE = (1.0, 300.0)
VLAN_MODES = ("auto", "kernel", "tagger")
MAX_FILE_BYTES = 64 * 1024
MAX_VALUE = 4096  # characters of one setting (paths, addresses)

#: the node file's keys; also the keys a NAD must never carry (config.NODE_KEYS adds none)
KEYS = ("controller", "tls", "token", "node", "stateDir", "vlanBackend", "uplink", "attachTimeout")
TLS_KEYS = ("ca", "cert", "key", "serverName")
VLAN_KEYS = ("mode", "taggerSocket")
#: what a NAD says, named when someone puts it into the node file
NETWORK_KEYS = ("network", "vni", "VNI", "ipam", "mtu", "name", "type", "cniVersion")

_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_HOST_PORT = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]+):([0-9]{1,5})")


class Tls(NamedTuple):
    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    server_name: str | None = None


class NodeConf(NamedTuple):
    """The node's settings, every source applied."""

    file: str  # where they came from ("" = no file: environment and defaults)
    controller: str  # unix:///path.sock or HOST:PORT
    tls: Tls | None
    token: str | None  # the file of the node's ServiceAccount token (read at each run: it rotates)
    node: str  # the Kubernetes node name
    node_source: str  # where the name came from (for messages)
    state_dir: str
    vlan_mode: str
    tagger_socket: str | None
    uplink: str | None  # the default uplink when the NAD names none
    attach_timeout: float

    @property
    def grpc_target(self) -> str:
        """The controller address as a gRPC target."""
        if self.controller.startswith("unix:") and not self.controller.startswith("unix://"):
            return "unix://" + self.controller[len("unix:") :]
        return self.controller


def controller_problem(value: str) -> str | None:
    if value.startswith("unix:"):
        path = value[len("unix://") :] if value.startswith("unix://") else value[len("unix:") :]
        return None if path.startswith("/") else f"controller: {value!r}: a unix socket path must be absolute"
    m = _HOST_PORT.fullmatch(value)
    if m is None or not 0 < int(m.group(2)) < 65536:
        return f"controller: {value[:80]!r} is not unix:///path.sock or HOST:PORT"
    return None


def node_name_problem(name: str) -> str | None:
    if len(name) <= 253 and _DNS_SUBDOMAIN.fullmatch(name):
        return None
    return f"{name[:80]!r} is not a Kubernetes node name (DNS-1123 subdomain)"


def read(environ: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    """(path, the node file's JSON object); ("", {}) when the default file
    does not exist. CniError 5 when it cannot be read, 7 when it is not a
    JSON object."""
    path = environ.get(ENV_NODE_CONFIG) or DEFAULT_NODE_CONFIG
    named = bool(environ.get(ENV_NODE_CONFIG))
    where = f"node configuration {path}" + (f" (${ENV_NODE_CONFIG})" if named else "")
    if not path.startswith("/"):
        raise CniError(INVALID_CONFIG, f"{where}: not an absolute path")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        if named:
            raise CniError(IO_FAILURE, f"{where}: no such file; the node's installer writes it") from None
        return "", {}
    except OSError as e:
        raise CniError(IO_FAILURE, f"{where}: cannot read it: {e.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise CniError(INVALID_CONFIG, f"{where}: larger than {MAX_FILE_BYTES} bytes; not a node file")
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, RecursionError):
        raise CniError(INVALID_CONFIG, f"{where}: not JSON text") from None
    except json.JSONDecodeError as e:
        raise CniError(INVALID_CONFIG, f"{where}: not JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    if not isinstance(doc, dict):
        raise CniError(INVALID_CONFIG, f"{where}: a JSON {type(doc).__name__}, not an object")
    return path, doc


def parse(doc: Mapping[str, Any], *, file: str, environ: Mapping[str, str], hostname: str) -> NodeConf:
    """The node's settings from the file's object, the environment and the
    host name; CniError 7 naming the file and every problem."""
    problems = _unknown(doc, KEYS, "")
    controller = _text(doc, "controller", problems) or DEFAULT_CONTROLLER
    if p := controller_problem(controller):
        problems.append(p)
    tls = _tls(doc.get("tls"), problems)
    token = _text(doc, "token", problems)
    if token is not None:
        if not token.startswith("/"):
            problems.append(f"token: {token[:80]!r} is not an absolute path")
        if tls is None or tls.ca is None:
            problems.append("token: needs tls.ca (a token is sent over TLS only, to a fabricd it verifies)")
        elif tls.cert is not None:
            problems.append("token: and tls.cert/tls.key both name the node: choose one")
    vb = doc.get("vlanBackend", {})
    if not isinstance(vb, dict):
        problems.append(f"vlanBackend: {json.dumps(vb)[:60]} is not an object")
        vb = {}
    problems += _unknown(vb, VLAN_KEYS, "vlanBackend.")
    mode = _text(vb, "mode", problems, "vlanBackend.") or environ.get(ENV_VLAN_BACKEND) or "auto"
    if mode not in VLAN_MODES:
        where = "vlanBackend.mode" if "mode" in vb else f"${ENV_VLAN_BACKEND}"
        problems.append(f"{where}: {mode[:40]!r} is not one of {', '.join(VLAN_MODES)}")
    tagger = _text(vb, "taggerSocket", problems, "vlanBackend.") or environ.get(ENV_TAGGER_SOCKET) or None
    if tagger is not None and not tagger.startswith("/"):
        where = "vlanBackend.taggerSocket" if "taggerSocket" in vb else f"${ENV_TAGGER_SOCKET}"
        problems.append(f"{where}: {tagger[:80]!r} is not an absolute path")
    state_dir = _text(doc, "stateDir", problems) or environ.get(ENV_STATE_DIR) or DEFAULT_STATE_DIR
    if not state_dir.startswith("/"):
        where = "stateDir" if "stateDir" in doc else f"${ENV_STATE_DIR}"
        problems.append(f"{where}: {state_dir[:80]!r} is not an absolute path")
    uplink = _text(doc, "uplink", problems)
    if uplink is not None and (p := ifname_problem(uplink)):
        problems.append(f"uplink: {p}")
    timeout = doc.get("attachTimeout", DEFAULT_ATTACH_TIMEOUT)
    lo, hi = ATTACH_TIMEOUT_RANGE
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not lo <= timeout <= hi:
        problems.append(f"attachTimeout: {json.dumps(timeout)[:40]} is not a number of seconds in {lo:g}..{hi:g}")
        timeout = DEFAULT_ATTACH_TIMEOUT
    node, source = _node_name(doc, environ, hostname, problems)
    if problems:
        what = f"node configuration {file}" if file else "node configuration (no node file: the environment)"
        raise problems_error(INVALID_CONFIG, what, problems)
    return NodeConf(
        file=file,
        controller=controller,
        tls=tls,
        token=token,
        node=node,
        node_source=source,
        state_dir=state_dir,
        vlan_mode=mode,
        tagger_socket=tagger,
        uplink=uplink,
        attach_timeout=float(timeout),
    )


def load(environ: Mapping[str, str]) -> NodeConf:
    """The node's settings on this node (reads the file and the host name)."""
    path, doc = read(environ)
    return parse(doc, file=path, environ=environ, hostname=os.uname().nodename)


def _node_name(
    doc: Mapping[str, Any], environ: Mapping[str, str], hostname: str, problems: list[str]
) -> tuple[str, str]:
    """The node name and its source: the file, $NODENAME, $K8S_NODE_NAME,
    then the host name in lower case (as kubelet names its node)."""
    name = _text(doc, "node", problems)
    if name is not None:
        if p := node_name_problem(name):
            problems.append(f"node: {p}")
        return name, "node"
    for var in NODE_NAME_ENV:
        value = environ.get(var, "")
        if value:
            if p := node_name_problem(value):
                problems.append(f"${var}: {p}")
            return value, f"${var}"
    name = hostname.lower()
    if p := node_name_problem(name):
        problems.append(f'node: not set (nor ${", $".join(NODE_NAME_ENV)}), and the host name {p}: set "node"')
    return name, "the host name"


def _unknown(doc: Mapping[str, Any], known: tuple[str, ...], prefix: str) -> list[str]:
    out = []
    for key in doc:
        if key in known:
            continue
        if not prefix and key in NETWORK_KEYS:
            out.append(f"{key}: is the network's, not the node's: it goes into the NetworkAttachmentDefinition")
            continue
        import difflib

        close = difflib.get_close_matches(str(key), known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"
        out.append(f"{prefix}{str(key)[:40]}: is not a setting of the node file{hint}")
    return out


def _text(doc: Mapping[str, Any], key: str, problems: list[str], prefix: str = "") -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        problems.append(f"{prefix}{key}: {json.dumps(value)[:60]} is not a non-empty string")
        return None
    if len(value) > MAX_VALUE:
        problems.append(f"{prefix}{key}: {value[:60]!r}... is longer than {MAX_VALUE} characters")
        return None
    return value


def _tls(raw: object, problems: list[str]) -> Tls | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(f"tls: {json.dumps(raw)[:60]} is not an object")
        return None
    problems += _unknown(raw, TLS_KEYS, "tls.")
    files = {}
    for key in TLS_KEYS:
        value = raw.get(key)
        if value is None:
            continue
        if key == "serverName":
            ok, why = isinstance(value, str) and bool(value), "is not a non-empty string"
        else:
            ok, why = isinstance(value, str) and value.startswith("/"), "is not an absolute path"
        if not ok:
            problems.append(f"tls.{key}: {json.dumps(value)[:80]} {why}")
            continue
        files[key] = value
    if ("cert" in files) != ("key" in files):
        problems.append("tls: cert and key go together (the node's client certificate and its key)")
    return Tls(ca=files.get("ca"), cert=files.get("cert"), key=files.get("key"), server_name=files.get("serverName"))
