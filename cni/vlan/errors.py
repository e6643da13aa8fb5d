"""The VLAN seam's one error tree (``temporary``: retrying may help)::

    VlanError                 root; .parent, .vlan, .cause; str() names all three
    +-- VlanUnsupported       permanent: this host cannot give VLANs this way
    |                         (no CONFIG_VLAN_8021Q, no tagger, no /dev/net/tun)
    +-- VlanInvalid           permanent: a bad request (VLAN id, interface
    |                         name, no such parent, a name taken by another
    |                         interface, the tagger serves another namespace)
    +-- VlanUnreachable       temporary: the tagger's control socket does not
                              answer (not running, timed out)

Netlink and socket errors are translated into these once, where they are
caught (:mod:`cni.vlan.kernel`, :mod:`cni.vlan.client`); the tagger's error
answers by :func:`cni.vlan.protocol.parse_response`.
"""

from __future__ import annotations


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
