"""Whether a worker may start a gNMI Set now.

Without HA the gate is always open. With HA (:mod:`controller.ha`) it is the
leader's lease: no Set is *started* after the leader's local lease deadline,
which is computed conservatively from when it last renewed; a Set already in
flight may still land (at most one per switch: a worker sends one at a time),
and the next leader's first act on every switch is a full resync.
"""

from __future__ import annotations

from typing import Protocol

from models.errors import TemporaryError


class LeaseExpired(TemporaryError):
    """This fabricd may no longer change switches (its leadership lapsed)."""


class SetGate(Protocol):
    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """gNMI metadata sent with every call of the workers (names the leader's term)."""
        ...

    def may_set(self) -> bool: ...


class OpenGate:
    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return ()

    def may_set(self) -> bool:
        return True


OPEN = OpenGate()
