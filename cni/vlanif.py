"""The VLAN port seam: "VLAN V of interface P" as an untagged Linux interface.

Two backends behind :class:`VlanBackend`, chosen at run time by
:func:`backend_for`:

- :class:`KernelVlanBackend`: the kernel's 802.1Q sub-interface
  ``<parent>.<vlan>`` (netlink). Needs CONFIG_VLAN_8021Q (module ``8021q``
  on stock kernels); where it is missing it fails with a message that says
  so and names the way out.
- :class:`TaggerVlanBackend`: a client of the userspace 802.1Q tagger
  (``python -m labs.vlan.tagger``, one per network namespace), which gives
  each VLAN as a tap device ``<parent>v<vlan>``.

``ensure`` is idempotent and returns the interface name (up);
``release`` is idempotent. Reference counting of shared sub-interfaces is
the caller's (the CNI plugin's) business: a second ``ensure`` returns the same
interface, one ``release`` removes it.

Errors, one tree (``temporary``: retrying may help)::

    VlanError                 root; .parent, .vlan, .cause; str() names all three
    +-- VlanUnsupported       permanent: this host cannot give VLANs this way
    |                         (no CONFIG_VLAN_8021Q, no tagger, no /dev/net/tun)
    +-- VlanInvalid           permanent: a bad request (VLAN id, interface
    |                         name, no such parent, a name taken by another
    |                         interface, the tagger serves another namespace)
    +-- VlanUnreachable       temporary: the tagger's control socket does not
                              answer (not running, timed out)

Netlink and socket errors are translated here, once. Imports stay lean (the
CNI plugin is a short-lived process): standard-library C modules only.
"""

from __future__ import annotations

import errno
import functools
import json
import os
import socket
import stat
import struct
import zlib
from typing import Any, Literal, Protocol

from cni import netlink

IFNAMSIZ = 16  # with the terminating NUL: names have at most 15 characters
VLAN_MIN, VLAN_MAX = 1, 4094
KERNEL_SEP = "."  # eth1.10: the kernel's 802.1Q sub-interface
TAGGER_SEP = "v"  # eth1v10: the tagger's tap (not to be taken for a VLAN device)
IFLA_VLAN_ID = 1
PROTOCOL_VERSION = 1
MAX_LINE = 1 << 20  # a control-protocol line longer than this is an error

Mode = Literal["auto", "kernel", "tagger"]

NO_8021Q_WAY_OUT = (
    "boot a kernel with CONFIG_VLAN_8021Q=y or =m (stock Debian/Ubuntu kernels have it as module 8021q), "
    "or use the userspace tagger: run `python -m labs.vlan.tagger --socket PATH` in this network namespace "
    'and pick backend_for("tagger", tagger_socket=PATH)'
)


class VlanError(Exception):
    """Root of the VLAN seam's errors: ``VLAN <vlan> of <parent>: <cause>``."""

    temporary = False

    def __init__(self, cause: str, *, parent: str | None = None, vlan: int | None = None) -> None:
        self.cause = cause
        self.parent = parent
        self.vlan = vlan
        where = f"VLAN {vlan} of {parent}: " if parent is not None and vlan is not None else ""
        where = where or (f"{parent}: " if parent is not None else "")
        super().__init__(where + cause)


class VlanUnsupported(VlanError):
    """This host cannot give VLAN interfaces with this backend."""


class VlanInvalid(VlanError):
    """The request is wrong (VLAN id, names, parent, namespace)."""


class VlanUnreachable(VlanError):
    """The tagger's control socket does not answer; try again later."""

    temporary = True


def ifname_problem(name: object) -> str | None:
    """Why ``name`` is not a valid Linux interface name (None if it is)."""
    if not isinstance(name, str) or not name:
        return f"interface name {name!r}: not a non-empty string"
    if len(name.encode()) >= IFNAMSIZ:
        return f"interface name {name!r}: longer than {IFNAMSIZ - 1} bytes"
    if name in (".", "..") or any(c in "/:" or c.isspace() for c in name):
        return f"interface name {name!r}: '/', ':', white space, '.' and '..' are not allowed"
    return None


def vlan_problem(vlan: object) -> str | None:
    """Why ``vlan`` is not a usable VLAN id (None if it is)."""
    if isinstance(vlan, bool) or not isinstance(vlan, int) or not VLAN_MIN <= vlan <= VLAN_MAX:
        return f"VLAN id {vlan!r}: not an integer in {VLAN_MIN}..{VLAN_MAX}"
    return None


def check_request(parent: object, vlan: object) -> None:
    """Raise VlanInvalid naming every problem of (parent, vlan)."""
    problems = [p for p in (ifname_problem(parent), vlan_problem(vlan)) if p]
    if problems:
        raise VlanInvalid("; ".join(problems), parent=str(parent), vlan=vlan if isinstance(vlan, int) else None)


def vlan_ifname(parent: str, vlan: int, *, sep: str = TAGGER_SEP) -> str:
    """The one naming rule: ``<parent><sep><vlan>`` (``eth1v10``, ``eth1.10``);
    when that exceeds 15 characters, the parent is cut and 4 hex digits of
    its CRC-32 keep names of different parents apart:
    ``enx00e04c680001`` + 10 -> ``enx00e043f2av10`` (deterministic)."""
    tail = f"{sep}{vlan}"
    name = parent + tail
    if len(name.encode()) < IFNAMSIZ:
        return name
    digest = f"{zlib.crc32(parent.encode()) & 0xFFFF:04x}"
    keep = IFNAMSIZ - 1 - len(tail) - len(digest)
    return parent.encode()[:keep].decode(errors="ignore") + digest + tail


class VlanBackend(Protocol):
    """Gives VLAN ``vlan`` of ``parent`` as an untagged interface."""

    @property
    def name(self) -> str:
        """``kernel`` or ``tagger``."""
        ...

    def ensure(self, parent: str, vlan: int) -> str:
        """Create (if needed) and bring up the interface; its name."""
        ...

    def release(self, parent: str, vlan: int) -> None:
        """Remove the interface if it exists."""
        ...


# -- the kernel's 802.1Q -------------------------------------------------


@functools.cache
def probe_8021q() -> tuple[bool, str]:
    """(does the kernel know link kind "vlan", the kernel's answer). Asks
    to create a VLAN link without its properties: a kernel with 802.1Q
    refuses with EINVAL ("VLAN properties not specified", after loading
    the module), one without it with EOPNOTSUPP ("Unknown device type").
    Nothing is ever created. Cached for the life of the process."""
    try:
        with netlink.Rtnl() as nl:
            nl.add_link(None, "vlan")
    except netlink.NetlinkError as e:
        if e.errno == errno.EOPNOTSUPP:
            return False, e.kernel_message or e.strerror or "Operation not supported"
        if e.errno == errno.EINVAL:
            return True, e.kernel_message or "VLAN properties not specified"
        if e.errno in (errno.EPERM, errno.EACCES):
            raise VlanUnsupported(f"cannot probe the kernel for 802.1Q: {e.strerror} (needs CAP_NET_ADMIN)") from None
        raise VlanError(f"cannot probe the kernel for 802.1Q: {e.strerror}") from None
    except OSError as e:
        raise VlanError(f"cannot probe the kernel for 802.1Q: netlink: {e.strerror}") from None
    return True, "created a VLAN link without properties (unexpected)"  # pragma: no cover


def kernel_has_8021q() -> bool:
    """Whether the running kernel has 802.1Q VLAN devices (cached)."""
    return probe_8021q()[0]


def no_8021q_cause() -> str:
    return (
        f"this kernel has no 802.1Q VLAN devices (CONFIG_VLAN_8021Q is not set; the kernel says "
        f'"{probe_8021q()[1]}"): {NO_8021Q_WAY_OUT}'
    )


class KernelVlanBackend:
    """802.1Q sub-interfaces ``<parent>.<vlan>`` in the caller's namespace."""

    name = "kernel"

    def _require(self, parent: str, vlan: int) -> None:
        check_request(parent, vlan)
        if not kernel_has_8021q():
            raise VlanUnsupported(no_8021q_cause(), parent=parent, vlan=vlan)

    def ensure(self, parent: str, vlan: int) -> str:
        self._require(parent, vlan)
        ifname = vlan_ifname(parent, vlan, sep=KERNEL_SEP)
        try:
            with netlink.Rtnl() as nl:
                lower = nl.get_link(parent)
                if lower is None:
                    raise VlanInvalid("no such interface in this network namespace", parent=parent, vlan=vlan)
                link = nl.get_link(ifname)
                if link is None:
                    try:
                        nl.add_link(
                            ifname, "vlan", link=lower.ifindex, data=netlink.attr(IFLA_VLAN_ID, struct.pack("=H", vlan))
                        )
                    except netlink.NetlinkError as e:
                        if e.errno != errno.EEXIST:
                            raise
                    link = nl.get_link(ifname)
                if link is None or not _is_vlan_of(link, lower.ifindex, vlan):
                    raise VlanInvalid(f"{ifname} exists and is not its 802.1Q sub-interface", parent=parent, vlan=vlan)
                if not link.up:
                    nl.set_up(link.ifindex)
        except netlink.NetlinkError as e:
            raise _translate(e, parent, vlan) from None
        return ifname

    def release(self, parent: str, vlan: int) -> None:
        self._require(parent, vlan)
        ifname = vlan_ifname(parent, vlan, sep=KERNEL_SEP)
        try:
            with netlink.Rtnl() as nl:
                link = nl.get_link(ifname)
                if link is None:
                    return
                lower = nl.get_link(parent)
                if lower is None or not _is_vlan_of(link, lower.ifindex, vlan):
                    raise VlanInvalid(
                        f"{ifname} is not its 802.1Q sub-interface: not removing it", parent=parent, vlan=vlan
                    )
                try:
                    nl.delete_link(link.ifindex)
                except netlink.NetlinkError as e:
                    if e.errno != errno.ENODEV:
                        raise
        except netlink.NetlinkError as e:
            raise _translate(e, parent, vlan) from None


def _is_vlan_of(link: netlink.Link, parent_index: int, vlan: int) -> bool:
    vid = link.info_data.get(IFLA_VLAN_ID, b"")
    return (
        link.kind == "vlan" and link.link == parent_index and len(vid) >= 2 and struct.unpack("=H", vid[:2])[0] == vlan
    )


def _translate(e: netlink.NetlinkError, parent: str, vlan: int) -> VlanError:
    cause = f"netlink: {e.strerror}"
    if e.errno in (errno.EPERM, errno.EACCES):
        return VlanUnsupported(cause + " (needs CAP_NET_ADMIN)", parent=parent, vlan=vlan)
    if e.errno == errno.EOPNOTSUPP:
        return VlanUnsupported(no_8021q_cause(), parent=parent, vlan=vlan)
    if e.errno in (errno.EINVAL, errno.ENODEV, errno.EEXIST, errno.ERANGE):
        return VlanInvalid(cause, parent=parent, vlan=vlan)
    return VlanError(cause, parent=parent, vlan=vlan)


# -- the userspace tagger's control socket --------------------------------


def netns_id() -> int:
    """The inode of this process's network namespace (``net:[N]``)."""
    return os.stat("/proc/self/ns/net").st_ino


def encode_request(op: str, **fields: Any) -> bytes:
    return json.dumps({"op": op, **fields}, separators=(",", ":")).encode() + b"\n"


def parse_response(line: bytes, *, parent: str | None = None, vlan: int | None = None) -> dict[str, Any]:
    """The answer's fields if ``ok``; else the VlanError its ``code`` names."""
    try:
        doc = json.loads(line)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("ok"), bool):
        raise VlanError(
            f"the tagger answered something that is not a response: {line[:200]!r}", parent=parent, vlan=vlan
        )
    if doc["ok"]:
        return doc
    error = str(doc.get("error") or "the tagger gave no reason")
    error = error.removeprefix(f"VLAN {vlan} of {parent}: ")  # said once, by VlanError
    cls = {"invalid": VlanInvalid, "unsupported": VlanUnsupported}.get(str(doc.get("code")), VlanError)
    raise cls(f"tagger: {error}", parent=parent, vlan=vlan)


class TaggerVlanBackend:
    """Taps ``<parent>v<vlan>`` made by the tagger listening on ``socket_path``.

    ``same_netns``: the request carries this process's network namespace and
    the tagger refuses it if it serves another one (the seam's promise: the
    interface is in the caller's namespace). The lab runner, which drives
    taggers of node namespaces from the root namespace, turns it off.
    """

    name = "tagger"

    def __init__(self, socket_path: str | os.PathLike[str], *, timeout: float = 10.0, same_netns: bool = True) -> None:
        self.socket_path = os.fspath(socket_path)
        self.timeout = timeout
        self.same_netns = same_netns

    def call(self, op: str, *, parent: str | None = None, vlan: int | None = None, **fields: Any) -> dict[str, Any]:
        """One request on a fresh connection; the answer (or a VlanError)."""
        if parent is not None:
            fields["parent"] = parent
        if vlan is not None:
            fields["vlan"] = vlan
        if self.same_netns and op in ("ensure", "release"):
            fields["netns"] = netns_id()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as s:
                s.settimeout(self.timeout)
                s.connect(self.socket_path)
                s.sendall(encode_request(op, **fields))
                line = _read_line(s)
        except (TimeoutError, OSError) as e:
            why = "timed out" if isinstance(e, TimeoutError) else (e.strerror or str(e))
            raise VlanUnreachable(
                f"the tagger at {self.socket_path} does not answer ({why}); is `python -m labs.vlan.tagger "
                f"--socket {self.socket_path}` running in this network namespace?",
                parent=parent,
                vlan=vlan,
            ) from None
        return parse_response(line, parent=parent, vlan=vlan)

    def ensure(self, parent: str, vlan: int, *, ifname: str | None = None) -> str:
        """``ifname``: another name for the tap than :func:`vlan_ifname`'s."""
        check_request(parent, vlan)
        extra = {}
        if ifname is not None:
            if problem := ifname_problem(ifname):
                raise VlanInvalid(problem, parent=parent, vlan=vlan)
            extra["name"] = ifname
        answer = self.call("ensure", parent=parent, vlan=vlan, **extra)
        name = answer.get("ifname")
        if not isinstance(name, str):
            raise VlanError(f"the tagger's answer names no interface: {answer}", parent=parent, vlan=vlan)
        return name

    def release(self, parent: str, vlan: int) -> None:
        check_request(parent, vlan)
        self.call("release", parent=parent, vlan=vlan)

    def list(self) -> list[dict[str, Any]]:
        """[{parent, vlan, ifname}] the tagger serves."""
        return list(self.call("list").get("vlans", []))

    def stats(self) -> dict[str, Any]:
        """Frame counters per parent and VLAN (see ``labs.vlan.protocol``)."""
        return dict(self.call("stats").get("parents", {}))

    def ping(self) -> dict[str, Any]:
        return self.call("ping")


def _read_line(s: socket.socket) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionResetError(errno.ECONNRESET, "the tagger closed the connection without an answer")
        chunks.append(chunk)
        size += len(chunk)
        if b"\n" in chunk:
            return b"".join(chunks).split(b"\n", 1)[0]
        if size > MAX_LINE:
            raise OSError(errno.EMSGSIZE, f"answer longer than {MAX_LINE} bytes")


# -- choosing ------------------------------------------------------------


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


def backend_for(mode: Mode = "auto", tagger_socket: str | os.PathLike[str] | None = None) -> VlanBackend:
    """``kernel``: 802.1Q sub-interfaces (VlanUnsupported here and now if the
    kernel has none); ``tagger``: the tagger at ``tagger_socket``; ``auto``:
    the kernel's when it has 802.1Q, else the tagger if ``tagger_socket`` is
    given and exists, else VlanUnsupported saying what is missing."""
    sock = os.fspath(tagger_socket) if tagger_socket is not None else None
    if mode == "kernel":
        if not kernel_has_8021q():
            raise VlanUnsupported("kernel backend: " + no_8021q_cause())
        return KernelVlanBackend()
    if mode == "tagger":
        if sock is None:
            raise VlanInvalid("tagger backend: no tagger socket given (tagger_socket=PATH)")
        return TaggerVlanBackend(sock)
    if mode != "auto":
        raise VlanInvalid(f"VLAN backend {mode!r}: not one of auto, kernel, tagger")
    try:
        if kernel_has_8021q():
            return KernelVlanBackend()
        cause = no_8021q_cause()
    except VlanError as e:  # cannot even probe (no CAP_NET_ADMIN): the tagger may still serve
        cause = e.cause
    if sock is not None and _is_socket(sock):
        return TaggerVlanBackend(sock)
    missing = f"no tagger socket at {sock}" if sock is not None else "no tagger socket given"
    raise VlanUnsupported(f"no VLAN backend: {missing}, and {cause}")
