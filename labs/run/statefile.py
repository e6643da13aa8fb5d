"""The lab's state directory and state file.

``fabric-lab up`` records everything it creates in ``STATE_DIR/state.json``
(written atomically, updated as it goes) so that ``down`` removes exactly
that, also after a crash or a half-finished ``up``. The directory::

    STATE_DIR/                     default /run/fabric-lab/<lab>, mode 0700
      .fabric-lab-state            marker: only such a directory is ever removed
      state.json                   LabState (below)
      specs.json                   SPECS.json for the emulator host (0600: keys, password)
      ready.json                   READY.json written by the host
      emulator-host.log            the host's stdout and stderr
      gnmi-password                the per-run gNMI password (0600)
      pki/ca.crt, ca.key           the lab CA
      pki/<switch>.crt, .key       switch server certificates
      pki/client-<name>.crt, .key  client certificates (fabricd to switches, fabricctl, nodes)
      pki/fabricd-api.crt, .key    the lab fabricd's API certificate (labs.run.identities)

``processes`` are stopped first (by pid, checked against their start time),
then ``resources`` in reverse order of creation by the handler registered for
their ``kind`` (:mod:`labs.run.teardown`); the Linux dataplane's kinds (network
namespaces, UTS namespace mounts, FRR's temporary directories) are in
:mod:`labs.dataplane.resources`. A Linux lab adds ``n/<node>/`` per node (UTS
namespace file, daemon configs, sockets, logs: :mod:`labs.dataplane.names`;
fabric-cni's node file in ``n/<node>/fabric-cni/``: :mod:`labs.run.identities`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from labs.errors import LabStateError
from labs.run.procs import ProcessRecord

DEFAULT_ROOT = Path("/run/fabric-lab")
ENV_ROOT = "FABRIC_LAB_STATE_DIR"
MARKER = ".fabric-lab-state"
STATE_FILE = "state.json"
VERSION = 1

Phase = Literal["starting", "running", "failed"]


def resolve_state_dir(lab_name: str, explicit: Path | str | None = None) -> Path:
    """``explicit`` (``--state-dir``) as given, else ``$FABRIC_LAB_STATE_DIR/<lab>``,
    else ``/run/fabric-lab/<lab>``."""
    if explicit is not None:
        return Path(explicit).absolute()
    root = os.environ.get(ENV_ROOT) or str(DEFAULT_ROOT)
    return Path(root).absolute() / lab_name


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SwitchRecord:
    name: str
    address: str  # host:port of its gNMI server ("" until READY)
    platform: str
    role: str
    asn: int
    router_id: str
    vtep_interface: str
    cert_file: str | None = None  # server certificate (None: plaintext)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NodeRecord:
    """A node of a Linux lab: its namespaces and daemon paths (labs.dataplane.names)."""

    name: str
    role: str  # leaf | spine | node
    netns: str  # network namespace (host-global name, prefixed)
    dir: str  # the node's directory in the state directory
    uts: str  # its persistent UTS namespace (a bind-mounted file)
    lldp_socket: str
    frr_dir: str | None = None  # switches: FRR's vty socket directory
    vlan_socket: str | None = None  # the control socket of its VLAN tagger, once one runs


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LabState:
    lab: str
    lab_file: str
    lab_sha256: str
    sidecar_file: str | None
    state_dir: str
    phase: Phase
    started_at: str  # ISO 8601, UTC
    dataplane: str
    evpn_asn: int
    plaintext: bool
    #: switches require a client certificate signed by the lab CA
    client_auth: bool
    ca_file: str | None
    #: the client certificate fabricd presents when switches require one
    client_cert_file: str | None
    client_key_file: str | None
    username: str
    password_file: str
    switches: tuple[SwitchRecord, ...] = ()
    admin: str | None = None
    processes: tuple[ProcessRecord, ...] = ()
    #: other things to remove, in creation order: {"kind": ..., ...}
    resources: tuple[Mapping[str, Any], ...] = ()
    #: dataplane linux: the prefix of host-global names, the nodes, the VLAN backend
    prefix: str = ""
    nodes: tuple[NodeRecord, ...] = ()
    vlan_backend: str | None = None
    version: int = VERSION

    def node(self, name: str) -> NodeRecord | None:
        return next((n for n in self.nodes if n.name == name), None)

    def to_json(self) -> str:
        d = dataclasses.asdict(self)
        d["processes"] = [p.to_dict() for p in self.processes]
        d["resources"] = [dict(r) for r in self.resources]
        return json.dumps(d, indent=2, sort_keys=True) + "\n"

    @staticmethod
    def from_json(text: str) -> LabState:
        d = json.loads(text)
        if d.get("version") != VERSION:
            raise ValueError(f"state version {d.get('version')!r}, this fabric-lab reads {VERSION}")
        d["switches"] = tuple(SwitchRecord(**s) for s in d.get("switches", ()))
        d["processes"] = tuple(ProcessRecord.from_dict(p) for p in d.get("processes", ()))
        d["resources"] = tuple(d.get("resources", ()))
        d["nodes"] = tuple(NodeRecord(**n) for n in d.get("nodes", ()))
        return LabState(**d)


def is_state_dir(path: Path) -> bool:
    return (path / MARKER).exists()


def make_state_dir(path: Path) -> None:
    """Create (or adopt an empty) directory and mark it as ours."""
    if path.exists() and not is_state_dir(path) and any(path.iterdir()):
        raise LabStateError(f"{path} is not a fabric-lab state directory and not empty: refusing to use it")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    (path / MARKER).write_text("fabric-lab state directory: `fabric-lab down` removes it\n")


def write_state(state: LabState) -> None:
    path = Path(state.state_dir) / STATE_FILE
    tmp = path.with_name(f".{STATE_FILE}.tmp")
    tmp.write_text(state.to_json())
    os.replace(tmp, path)


def read_state(path: Path) -> LabState | None:
    """The state in directory ``path``; None if there is none. A state file
    that cannot be read raises LabStateError (``down`` then sweeps)."""
    file = path / STATE_FILE
    try:
        text = file.read_text()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise LabStateError(f"{file}: cannot read it: {e.strerror}") from None
    try:
        return LabState.from_json(text)
    except (ValueError, TypeError, KeyError) as e:
        raise LabStateError(f"{file}: not a state file this fabric-lab understands: {e}") from None
