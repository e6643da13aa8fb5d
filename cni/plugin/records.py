"""The node's local records: the pod interfaces fabric-cni made, the users of
each shared VLAN sub-interface, and Detach calls still owed to fabricd.

One directory per node, because a lab runs several "nodes" on one host and
the path is host-global::

    <stateDir>/<node>/           0700; stateDir: node file, $FABRIC_CNI_STATE_DIR, /run/fabric-cni
      lock                       flock(2): one plugin run at a time reads and changes state.json
      state.json                 NodeState, replaced atomically (write + rename)
      log.jsonl                  one JSON line per run; the previous MiB in log.jsonl.1

``state.json``::

    {"version": 1, "node": "server1",
     "attachments": {KEY: Record},            KEY = "<CNI network>/<container ID>/<ifname>"
     "vlans": {"eth1/10": VlanUse},           users: the KEYs of records on it
     "pendingDetach": [PendingDetach]}        DELs whose Detach fabricd did not hear yet

A sub-interface is ensured when its first user comes and released when its
last user goes, both under the lock, so concurrent ADDs and DELs of pods on
one VLAN never race. Errors: CniError 5 (the directory cannot be used or
state.json is unreadable), 11 (the lock is held too long).
"""

# No `from __future__ import annotations` here: typing.NamedTuple would compile each field's string
# annotation at every plugin start (cni/README.md, Start-up).
import contextlib
import errno
import fcntl
import json
import os
import time
from collections.abc import Iterator
from typing import Any, NamedTuple

from cni.plugin.errors import IO_FAILURE, TRY_AGAIN, CniError

VERSION = 1
LOCK_TIMEOUT_S = 30.0
LOG_MAX_BYTES = 1 << 20


class Record(NamedTuple):
    """One pod interface made by ADD."""

    key: str
    network: str  # the CNI network name
    fabric_network: str  # NAMESPACE/NAME at fabricd (as it resolved a VNI reference)
    container_id: str
    ifname: str
    netns: str
    pod_namespace: str
    pod_name: str
    pod_uid: str
    uplink: str
    vlan: int
    subif: str  # the shared VLAN sub-interface (the macvlan's master)
    backend: str  # kernel | tagger
    controller: str
    delegate: dict[str, Any]  # the delegate's config as sent for ADD
    result: dict[str, Any] | None = None  # the delegate's result (1.1.0 shape); None while ADD runs
    created: float = 0.0
    vni: int = 0  # the network's VNI (0 in records of older versions)


class VlanUse:
    """A shared VLAN sub-interface and the records on it (its users change in place)."""

    __slots__ = ("backend", "ifname", "parent", "users", "vlan")

    def __init__(self, *, parent: str, vlan: int, ifname: str, backend: str, users: list[str]) -> None:
        self.parent = parent
        self.vlan = vlan
        self.ifname = ifname
        self.backend = backend
        self.users = users

    def to_dict(self) -> dict[str, Any]:
        return {"parent": self.parent, "vlan": self.vlan, "ifname": self.ifname, "backend": self.backend,
                "users": list(self.users)}  # fmt: skip


class PendingDetach(NamedTuple):
    controller: str
    pod_namespace: str
    pod_name: str
    pod_uid: str
    network: str  # NAMESPACE/NAME; "" when known only by its VNI (a DEL without a record)
    ifname: str
    container_id: str
    since: float
    vni: int = 0
    cni_network: str = ""  # the CNI network name it was attached through ("" in older records)


def record_key(network: str, container_id: str, ifname: str) -> str:
    return f"{network}/{container_id}/{ifname}"


def vlan_key(parent: str, vlan: int) -> str:
    return f"{parent}/{vlan}"


class NodeState:
    """state.json, read under the node's lock and changed in place."""

    __slots__ = ("attachments", "node", "pending", "vlans")

    def __init__(
        self,
        *,
        node: str,
        attachments: dict[str, Record] | None = None,
        vlans: dict[str, VlanUse] | None = None,
        pending: list[PendingDetach] | None = None,
    ) -> None:
        self.node = node
        self.attachments: dict[str, Record] = {} if attachments is None else attachments
        self.vlans: dict[str, VlanUse] = {} if vlans is None else vlans
        self.pending: list[PendingDetach] = [] if pending is None else pending

    def add_user(self, *, parent: str, vlan: int, ifname: str, backend: str, key: str) -> None:
        use = self.vlans.setdefault(
            vlan_key(parent, vlan), VlanUse(parent=parent, vlan=vlan, ifname=ifname, backend=backend, users=[])
        )
        if key not in use.users:
            use.users.append(key)

    def drop_user(self, *, parent: str, vlan: int, key: str) -> VlanUse | None:
        """Remove ``key`` from the users; the VlanUse if that was the last."""
        vk = vlan_key(parent, vlan)
        use = self.vlans.get(vk)
        if use is None:
            return None
        if key in use.users:
            use.users.remove(key)
        if use.users:
            return None
        del self.vlans[vk]
        return use

    def drop_pending(self, *, pod_uid: str, ifname: str, network: str = "", vni: int = 0) -> None:
        """A new ADD of this pod interface on the network ``NAMESPACE/NAME``
        (or the network of ``vni``) supersedes Detach calls owed for it."""

        def same(p: PendingDetach) -> bool:
            return bool((network and p.network == network) or (vni and p.vni == vni))

        self.pending = [p for p in self.pending if not (p.pod_uid == pod_uid and p.ifname == ifname and same(p))]

    def to_json(self) -> str:
        doc = {
            "version": VERSION,
            "node": self.node,
            "attachments": {k: r._asdict() for k, r in sorted(self.attachments.items())},
            "vlans": {k: v.to_dict() for k, v in sorted(self.vlans.items())},
            "pendingDetach": [p._asdict() for p in self.pending],
        }
        return json.dumps(doc, indent=1, sort_keys=True) + "\n"

    @staticmethod
    def from_json(text: str, node: str) -> "NodeState":
        doc = json.loads(text)
        if doc.get("version") != VERSION:
            raise ValueError(f"state version {doc.get('version')!r}, this fabric-cni reads {VERSION}")
        return NodeState(
            node=node,
            attachments={k: Record(**r) for k, r in doc.get("attachments", {}).items()},
            vlans={k: VlanUse(**v) for k, v in doc.get("vlans", {}).items()},
            pending=[PendingDetach(**p) for p in doc.get("pendingDetach", [])],
        )


class NodeStore:
    """The state directory of one node."""

    def __init__(self, root: str, node: str, *, log_max_bytes: int = LOG_MAX_BYTES) -> None:
        self.dir = os.path.join(root, node)
        self.node = node
        self.log_max_bytes = log_max_bytes

    @property
    def file(self) -> str:
        return os.path.join(self.dir, "state.json")

    def _mkdir(self) -> None:
        try:
            os.makedirs(self.dir, mode=0o700, exist_ok=True)
        except OSError as e:
            raise CniError(IO_FAILURE, f"cannot create the state directory {self.dir}: {e.strerror}") from None

    def read(self) -> NodeState:
        """The state without the lock (for looking, never for changing)."""
        try:
            with open(self.file) as fh:
                text = fh.read()
        except FileNotFoundError:
            return NodeState(node=self.node)
        except OSError as e:
            raise CniError(IO_FAILURE, f"cannot read {self.file}: {e.strerror}") from None
        try:
            return NodeState.from_json(text, self.node)
        except (ValueError, TypeError, KeyError) as e:
            raise CniError(
                IO_FAILURE,
                f"{self.file} is not a state file this fabric-cni understands ({e}); it counts the users of "
                "VLAN sub-interfaces, so it is not replaced automatically: inspect it, then move it away",
            ) from None

    @contextlib.contextmanager
    def locked(self, timeout: float = LOCK_TIMEOUT_S) -> Iterator[NodeState]:
        """The state under the node's lock; written back when the block ends
        without an exception and the state changed."""
        self._mkdir()
        lock = os.path.join(self.dir, "lock")
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as e:
            raise CniError(IO_FAILURE, f"cannot open {lock}: {e.strerror}") from None
        try:
            _flock(fd, timeout, lock)
            state = self.read()
            before = state.to_json()
            yield state
            after = state.to_json()
            if after != before:
                self._write(after)
        finally:
            os.close(fd)  # releases the lock

    def _write(self, text: str) -> None:
        tmp = os.path.join(self.dir, ".state.json.tmp")
        try:
            with open(tmp, "w") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.file)
        except OSError as e:
            raise CniError(IO_FAILURE, f"cannot write {self.file}: {e.strerror}") from None

    def log(self, entry: dict[str, Any]) -> None:
        """Append one line to log.jsonl (best effort: never fails a run)."""
        path = os.path.join(self.dir, "log.jsonl")
        line = json.dumps(entry, sort_keys=True, default=str) + "\n"
        with contextlib.suppress(OSError):
            self._mkdir_quiet()
            if os.path.exists(path) and os.stat(path).st_size > self.log_max_bytes:
                os.replace(path, os.path.join(self.dir, "log.jsonl.1"))
            with open(path, "a") as fh:
                fh.write(line)

    def _mkdir_quiet(self) -> None:
        os.makedirs(self.dir, mode=0o700, exist_ok=True)


def _flock(fd: int, timeout: float, path: str) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as e:
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise CniError(IO_FAILURE, f"cannot lock {path}: {e.strerror}") from None
        if time.monotonic() > deadline:
            raise CniError(
                TRY_AGAIN, f"{path} is locked by another fabric-cni run for more than {timeout:.0f} s; try again"
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
