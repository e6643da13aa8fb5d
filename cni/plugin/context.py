"""One plugin run: its environment, the network's config, the node's
settings, its records and the things it talks to (fabricd, the VLAN
backend), made when first needed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cni.plugin.config import CniEnv, NetConf
from cni.plugin.errors import INVALID_CONFIG, TRY_AGAIN, VLAN_BACKEND, CniError
from cni.plugin.nodeconf import ENV_TAGGER_SOCKET, NodeConf
from cni.plugin.records import NodeStore
from cni.vlan.backend import VlanBackend, backend_for
from cni.vlan.client import TaggerVlanBackend
from cni.vlan.errors import VlanError
from cni.vlan.kernel import KernelVlanBackend

if TYPE_CHECKING:
    from cni.plugin.controller import Controller

TAGGER_HINT = (
    "fabric-cni takes the tagger's socket from vlanBackend.taggerSocket in the node file, "
    f"else from ${ENV_TAGGER_SOCKET} on the node"
)


def vlan_error(e: VlanError) -> CniError:
    """A VLAN seam error as the CniError to answer."""
    code = TRY_AGAIN if e.temporary else VLAN_BACKEND
    return CniError(code, str(e))


class Run:
    __slots__ = ("_controller", "conf", "env", "node_conf", "notes", "store", "timings")

    def __init__(
        self, *, env: CniEnv, conf: NetConf, node_conf: NodeConf, store: NodeStore, timings: dict[str, float]
    ) -> None:
        self.env = env
        self.conf = conf  # the network's
        self.node_conf = node_conf  # the node's
        self.store = store
        self.timings = timings
        self.notes: list[str] = []  # what the run log says besides the outcome
        self._controller: Controller | None = None

    @staticmethod
    def make(env: CniEnv, conf: NetConf, node_conf: NodeConf, timings: dict[str, float] | None = None) -> Run:
        run = Run(
            env=env,
            conf=conf,
            node_conf=node_conf,
            store=NodeStore(node_conf.state_dir, node_conf.node),
            timings=timings if timings is not None else {},
        )
        if conf.ignored_node_keys:
            run.notes.append(
                f"ignored the node's settings in the network configuration: {', '.join(conf.ignored_node_keys)}"
            )
        return run

    @property
    def node(self) -> str:
        return self.node_conf.node

    @property
    def uplink(self) -> str:
        """The NIC of this pod interface: the NAD's (or the pod's cni-args),
        else the node file's default; CniError 7 when neither names one."""
        uplink = self.conf.uplink or self.node_conf.uplink
        if uplink is None:
            where = self.node_conf.file or "the node file (none here)"
            raise CniError(
                INVALID_CONFIG,
                f"uplink: the network configuration names none, and neither does {where}: set the node's "
                '"uplink", or "uplink" in the NetworkAttachmentDefinition',
            )
        return uplink

    def controller(self) -> Controller:
        if self._controller is None:
            from cni.plugin.controller import Controller

            self._controller = Controller(self.node_conf, timings=self.timings)
        return self._controller

    def close(self) -> None:
        if self._controller is not None:
            self._controller.close()
            self._controller = None

    def backend(self) -> VlanBackend:
        """The node's VLAN backend (``auto``: the kernel's 802.1Q, else the
        tagger at ``taggerSocket``)."""
        nc = self.node_conf
        try:
            return backend_for(nc.vlan_mode, nc.tagger_socket)  # type: ignore[arg-type]
        except VlanError as e:
            err = vlan_error(e)
            if nc.vlan_mode != "kernel" and not e.temporary:
                err = CniError(err.code, f"{err.msg}. {TAGGER_HINT}")
            raise err from None

    def backend_named(self, kind: str) -> VlanBackend:
        """The backend that made a recorded sub-interface (to release it)."""
        if kind == "kernel":
            return KernelVlanBackend()
        if self.node_conf.tagger_socket is None:
            raise CniError(
                VLAN_BACKEND,
                "a VLAN sub-interface of this node came from the userspace tagger, but no tagger socket is "
                f"configured (vlanBackend.taggerSocket in the node file, or ${ENV_TAGGER_SOCKET})",
            )
        return TaggerVlanBackend(self.node_conf.tagger_socket)
