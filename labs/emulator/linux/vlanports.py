"""VLAN ``L`` of a switch's trunk port as an untagged interface in the
switch's namespace: the VLAN backend seam (``cni.vlan``) driven from the
emulator host in the root namespace.

* ``tagger``: the userspace 802.1Q tagger running in the switch namespace
  (started by the runner, ``cni.vlan.tagger``), asked over its control socket;
  its taps are named ``<port>v<L>``.
* ``kernel``: 802.1Q sub-interfaces ``<port>.<L>``, made with ``ip -n NS``
  (kernels with CONFIG_VLAN_8021Q).

Both are idempotent; errors come out as :class:`VlanPortError`.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from cni.vlan.client import TaggerVlanBackend
from cni.vlan.errors import VlanError
from cni.vlan.names import KERNEL_SEP, vlan_ifname
from labs.dataplane.cmd import arun
from labs.errors import LabCommandError
from labs.files.spec import LinuxSwitchSpec


class VlanPortError(Exception):
    """The backend could not give or take back a VLAN of a port."""


class VlanPorts(Protocol):
    @property
    def name(self) -> str: ...

    async def ensure(self, port: str, vlan: int) -> str: ...

    async def release(self, port: str, vlan: int) -> None: ...


class TaggerVlanPorts:
    name = "tagger"

    def __init__(self, socket: str) -> None:
        self._client = TaggerVlanBackend(socket, same_netns=False)

    async def ensure(self, port: str, vlan: int) -> str:
        try:
            ifname: str = await asyncio.to_thread(self._client.ensure, port, vlan)
            return ifname
        except VlanError as e:
            raise VlanPortError(str(e)) from None

    async def release(self, port: str, vlan: int) -> None:
        try:
            await asyncio.to_thread(self._client.release, port, vlan)
        except VlanError as e:
            raise VlanPortError(str(e)) from None


class KernelVlanPorts:
    name = "kernel"

    def __init__(self, netns: str) -> None:
        self._netns = netns

    async def ensure(self, port: str, vlan: int) -> str:
        ifname = vlan_ifname(port, vlan, sep=KERNEL_SEP)
        ip = ["ip", "-n", self._netns, "link"]
        try:
            have = await arun([*ip, "show", ifname], check=False)
            if not have:
                await arun([*ip, "add", "link", port, "name", ifname, "type", "vlan", "id", str(vlan)])
            await arun([*ip, "set", ifname, "up"])
        except LabCommandError as e:
            raise VlanPortError(str(e)) from None
        return ifname

    async def release(self, port: str, vlan: int) -> None:
        ifname = vlan_ifname(port, vlan, sep=KERNEL_SEP)
        await arun(["ip", "-n", self._netns, "link", "del", ifname], check=False)


def vlan_ports(linux: LinuxSwitchSpec) -> VlanPorts:
    if linux.vlan_backend == "tagger":
        if not linux.vlan_socket:
            raise VlanPortError("vlan_backend tagger needs vlan_socket")
        return TaggerVlanPorts(linux.vlan_socket)
    return KernelVlanPorts(linux.netns)
