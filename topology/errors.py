"""The one error tree of :mod:`topology`.

::

    TopologyError                 root: everything topology/ raises
    ├── PermanentError            the input is wrong; the operator must fix it; never retried
    │   ├── FactsError            a fact the core cannot accept (unknown platform, bad port
    │   │                         name, bad role, an LLDP subtype it does not know)
    │   └── PortMapError          a static port map that does not parse or validate; carries
    │                             every problem, each naming its line and entry
    └── NotFound                  a query names what the snapshot does not place; ``reason``
                                  says why (unknown node, unknown NIC, stale, in conflict).
                                  Whether waiting helps depends on the reason: a stale or
                                  conflicted NIC can come back with the next snapshot;
                                  ``unknown-switch`` for switch queries.

The tree hangs off the one error tree of fabricd (:mod:`models.errors`):
``TopologyError`` is a ``FabricError``, ``PermanentError`` a
``models.errors.PermanentError`` and ``NotFound`` a ``NotFoundError``, so the
API maps them to status codes like every other error.

Errors of :mod:`models.platforms` (``PortNameError``, ``UnknownPlatformError``)
are translated into :class:`FactsError` / :class:`PortMapError` where a name
enters the topology; they never leak out of this package.
"""

from __future__ import annotations

import dataclasses
import enum

from models import errors as core
from models.ids import NicName, NodeName, SwitchName


class TopologyError(core.FabricError):
    """Root of every error raised by :mod:`topology`."""


class PermanentError(TopologyError, core.PermanentError):
    """The input is wrong: retrying cannot help, the operator must fix it."""


class FactsError(PermanentError):
    """A switch fact, LLDP record or identity setting the core cannot accept."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PortMapProblem:
    """One problem of a static port map: where it is and what is wrong."""

    line: int  # 1-based line in the YAML text; 0 when the text as a whole is wrong
    entry: str  # the entry as written (``server1/eth1: sw1/e1-1``), or "" for the whole text
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "port map"
        return f"{where}: {self.entry}: {self.message}" if self.entry else f"{where}: {self.message}"


class PortMapError(PermanentError):
    """A static port map with problems; ``problems`` lists every one of them."""

    def __init__(self, source: str, problems: tuple[PortMapProblem, ...]) -> None:
        self.source = source
        self.problems = problems
        n = len(problems)
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {n} problem{'s' if n != 1 else ''}:\n{lines}")


class NotFoundReason(enum.StrEnum):
    UNKNOWN_NODE = "unknown-node"
    UNKNOWN_NIC = "unknown-nic"
    STALE = "stale"
    CONFLICT = "conflict"
    UNKNOWN_SWITCH = "unknown-switch"


class NotFound(TopologyError, core.NotFoundError):
    """A query names what the snapshot does not place; the message names what is missing."""

    def __init__(
        self,
        message: str,
        *,
        reason: NotFoundReason,
        node: NodeName | None = None,
        nic: NicName | None = None,
        switch: SwitchName | None = None,
    ) -> None:
        self.reason = reason
        self.node = node
        self.nic = nic
        self.switch = switch
        super().__init__(message)
