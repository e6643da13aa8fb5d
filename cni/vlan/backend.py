"""The VLAN port seam: "VLAN V of interface P" as an untagged Linux interface.

Two backends behind :class:`VlanBackend`, chosen at run time by
:func:`backend_for`:

- :class:`~cni.vlan.kernel.KernelVlanBackend` (:mod:`cni.vlan.kernel`): the
  kernel's 802.1Q sub-interface ``<parent>.<vlan>`` (netlink). Needs
  CONFIG_VLAN_8021Q (module ``8021q`` on stock kernels); where it is missing
  it fails with a message that says so and names the way out.
- :class:`~cni.vlan.client.TaggerVlanBackend` (:mod:`cni.vlan.client`): a
  client of the userspace 802.1Q tagger (``python -m cni.vlan.tagger``, one
  per network namespace, :mod:`cni.vlan.tagger`), which gives each VLAN as a
  tap device ``<parent>v<vlan>``.

``ensure`` is idempotent and returns the interface name (up);
``release`` is idempotent. Reference counting of shared sub-interfaces is
the caller's (the CNI plugin's) business: a second ``ensure`` returns the same
interface, one ``release`` removes it.

Errors: the tree of :mod:`cni.vlan.errors`, translated once where they are
caught. Imports stay lean (the CNI plugin is a short-lived process):
standard-library C modules only.
"""

from __future__ import annotations

import os
import stat
from typing import Literal, Protocol

from cni.vlan.client import TaggerVlanBackend
from cni.vlan.errors import VlanError, VlanInvalid, VlanUnsupported
from cni.vlan.kernel import KernelVlanBackend, kernel_has_8021q, no_8021q_cause

Mode = Literal["auto", "kernel", "tagger"]


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
