"""One plugin run: its environment, config, node, state and the things it
talks to (fabricd, the VLAN backend), made when first needed."""

from __future__ import annotations

import dataclasses
import os
import re
from typing import TYPE_CHECKING

from cni.plugin.config import CniEnv, NetConf
from cni.plugin.errors import INVALID_CONFIG, TRY_AGAIN, VLAN_BACKEND, CniError
from cni.plugin.records import NodeStore
from cni.vlan.backend import VlanBackend, backend_for
from cni.vlan.client import TaggerVlanBackend
from cni.vlan.errors import VlanError
from cni.vlan.kernel import KernelVlanBackend

if TYPE_CHECKING:
    from cni.plugin.controller import Controller

TAGGER_HINT = (
    "fabric-cni takes the tagger's socket from vlanBackend.taggerSocket in the network configuration, "
    "else from $FABRIC_CNI_TAGGER_SOCKET on the node"
)
_NODE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def node_name(conf: NetConf) -> str:
    """The config's ``node``, else the host name of this UTS namespace
    (lower case, as kubelet names its node)."""
    if conf.node:
        return conf.node
    name = os.uname().nodename.lower()
    if not _NODE.match(name):
        raise CniError(
            INVALID_CONFIG,
            f"node: not in the config, and this host's name {name!r} is not a Kubernetes node name: "
            'set "node" in the network configuration',
        )
    return name


def vlan_error(e: VlanError) -> CniError:
    """A VLAN seam error as the CniError to answer."""
    code = TRY_AGAIN if e.temporary else VLAN_BACKEND
    return CniError(code, str(e))


@dataclasses.dataclass
class Run:
    env: CniEnv
    conf: NetConf
    node: str
    store: NodeStore
    timings: dict[str, float] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)  # what the run log says besides the outcome
    _controller: Controller | None = None

    @staticmethod
    def make(env: CniEnv, conf: NetConf, timings: dict[str, float] | None = None) -> Run:
        node = node_name(conf)
        return Run(
            env=env,
            conf=conf,
            node=node,
            store=NodeStore(conf.state_dir, node),
            timings=timings if timings is not None else {},
        )

    def controller(self) -> Controller:
        if self._controller is None:
            from cni.plugin.controller import Controller

            self._controller = Controller(self.conf, timings=self.timings)
        return self._controller

    def close(self) -> None:
        if self._controller is not None:
            self._controller.close()
            self._controller = None

    def backend(self) -> VlanBackend:
        """The VLAN backend of the config (``auto``: the kernel's 802.1Q,
        else the tagger at ``taggerSocket``)."""
        try:
            return backend_for(self.conf.vlan_mode, self.conf.tagger_socket)  # type: ignore[arg-type]
        except VlanError as e:
            err = vlan_error(e)
            if self.conf.vlan_mode != "kernel" and not e.temporary:
                err = CniError(err.code, f"{err.msg}. {TAGGER_HINT}")
            raise err from None

    def backend_named(self, kind: str) -> VlanBackend:
        """The backend that made a recorded sub-interface (to release it)."""
        if kind == "kernel":
            return KernelVlanBackend()
        if self.conf.tagger_socket is None:
            raise CniError(
                VLAN_BACKEND,
                "a VLAN sub-interface of this node came from the userspace tagger, but no tagger socket is "
                "configured (vlanBackend.taggerSocket or $FABRIC_CNI_TAGGER_SOCKET)",
            )
        return TaggerVlanBackend(self.conf.tagger_socket)
