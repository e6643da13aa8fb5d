"""What differs between the platforms the emulator plays, as data and small
seams (``SwitchSpec.platform``):

* ``openconfig``: OpenConfig as fabricd defines it (docs/openconfig-profile.md);
* ``srlinux``: Nokia SR Linux 25.3 in its native YANG (:mod:`labs.emulator.srlinux`).

An :class:`EmulatedPlatform` says what Capabilities lists, which origins and
path manners gNMI uses, what a Set is checked against (:class:`Validation`),
which operational state the switch reports (:class:`StateModel`), what
``validate: full`` checks, and how the Linux dataplane reads the config.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from labs.emulator.errors import SpecError
from labs.emulator.txn import Op
from labs.emulator.validate import Validation
from models.oc.path import Path
from models.oc.tree import Tree

if TYPE_CHECKING:
    from labs.emulator.linux.overlay import Overlay, VniWant


class IncrementalOverlay(Protocol):
    """A switch's overlay read again only where its commits changed it."""

    def touch(self, paths: Iterable[Path] | None) -> None:
        """These (leaf) paths changed since the last read; None: anything may have."""

    def read(self, config: Tree) -> Overlay:
        """The overlay of ``config``, as ``EmulatedPlatform.overlay`` reads it."""


class StateModel(Protocol):
    """The operational state a platform reports (LLDP, interfaces, counters)."""

    #: seconds between two moves of the counters (0: none move)
    tick_s: float

    def start_ops(self, ports: Iterable[str], config: Tree) -> list[Op]:
        """LLDP on the ports and every interface's state, at start (and after a reboot)."""
        ...

    def interface_names(self, config: Tree) -> list[str]: ...

    def touched_interfaces(self, paths: Iterable[Path]) -> list[str]:
        """The interfaces a change of these (config) paths may change the state of."""
        ...

    def interface_ops(self, config: Tree, names: Iterable[str]) -> list[Op]: ...

    def neighbors_at(self, port: str, chassis_id: str | None = None) -> Path:
        """The neighbours of a port (all, or the one with that chassis id): a pattern."""
        ...

    def neighbor_ops(self, port: str, leaves: dict[str, Any]) -> list[Op]:
        """A neighbour on a port, from its leaves in OpenConfig's names (``id``,
        ``system-name``, ``port-id``...; a platform keeps those it has)."""
        ...

    def tick(self, state: Tree, interval: float) -> list[Op]:
        """The counters after ``interval`` more seconds."""
        ...


class FullCheck(Protocol):
    """``validate: full``: the result of every Set against the vendor's models."""

    def missing(self) -> str | None:
        """Why it cannot run here (models absent...), or None."""
        ...

    def documents(self, config: Tree, anchors: Iterable[Path]) -> Any: ...

    def check(self, docs: Any) -> list[str]:
        """Problems (blocking: run in a worker thread)."""
        ...


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class EmulatedPlatform:
    name: str
    organization: str
    #: Capabilities: model -> revision
    models: Mapping[str, str]
    #: path origins accepted (the empty one: none given)
    origins: frozenset[str]
    #: where the configuration lists the interfaces (for messages)
    interfaces_at: str
    #: answers name the module on a path element where it changes
    #: (``srl_nokia-interfaces:interface``), as SR Linux does
    qualify_paths: bool
    #: the datastore's checks, given the switch's ports
    validation: Callable[[Iterable[str]], Validation]
    #: the operational state, given the switch's ports
    state: Callable[[Iterable[str]], StateModel]
    full: FullCheck
    #: the Linux dataplane's reading of the config (router id: the VTEP fallback)
    overlay: Callable[[Tree, str], Overlay]
    #: where and how the Linux dataplane reports a VNI (its problems, if any)
    vni_report: Callable[[VniWant, list[str]], tuple[Path, Any]]
    #: where and how a VNI's flood list (remote VTEPs) is reported: one entry
    #: per remote VTEP, a function of the VNI and that VTEP alone (the
    #: in-memory fabric reports a VTEP that comes or goes on its own)
    flood_report: Callable[[VniWant, frozenset[str]], dict[Path, Any]]
    #: whether a change at this path may move the overlay's VNIs, MAC-VRFs or
    #: VTEP (what the in-memory EVPN fabric reads); when in doubt, True
    moves_evpn: Callable[[Path], bool] = lambda path: True
    #: the same reading kept current commit by commit (given the router id),
    #: for the in-memory EVPN fabric; None: ``overlay`` at every change
    overlay_reader: Callable[[str], IncrementalOverlay] | None = None


def platform(name: str) -> EmulatedPlatform:
    """The emulated platform named ``name`` (SpecError naming the known ones)."""
    from labs.emulator.platforms import PLATFORMS

    try:
        return PLATFORMS[name]
    except KeyError:
        raise SpecError(f"platform {name!r} is not emulated (only {', '.join(sorted(PLATFORMS))})") from None
