"""The kernel backend: 802.1Q sub-interfaces ``<parent>.<vlan>`` made over
netlink in the caller's network namespace. Needs CONFIG_VLAN_8021Q (module
``8021q`` on stock kernels); where it is missing it fails with a message
that says so and names the way out (the userspace tagger).
"""

from __future__ import annotations

import errno
import functools
import struct

from cni.vlan import netlink
from cni.vlan.errors import VlanError, VlanInvalid, VlanUnsupported
from cni.vlan.names import KERNEL_SEP, check_request, vlan_ifname

IFLA_VLAN_ID = 1

NO_8021Q_WAY_OUT = (
    "boot a kernel with CONFIG_VLAN_8021Q=y or =m (stock Debian/Ubuntu kernels have it as module 8021q), "
    "or use the userspace tagger: run `python -m cni.vlan.tagger --socket PATH` in this network namespace "
    'and pick backend_for("tagger", tagger_socket=PATH)'
)


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
