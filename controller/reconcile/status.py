"""What a switch's worker tells the rest of the daemon: read-only values."""

from __future__ import annotations

import dataclasses
import enum

from models.ids import SwitchName


class SessionState(enum.Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


class AttachmentState(enum.Enum):
    PENDING = "pending"
    READY = "ready"
    CONFLICT = "conflict"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SwitchStatus:
    """One switch as its worker sees it, at one moment."""

    name: SwitchName
    platform: str
    session: SessionState
    #: the switch's state has been read and ``current`` reflects it
    known: bool
    #: the switch has exactly the desired owned configuration
    in_sync: bool
    #: object groups waiting to be applied
    pending: int
    #: object groups the switch rejected (kept out of its Sets until the intent changes)
    rejected: int
    #: Unix time of the last full pass (read + diff); 0 = never
    last_sync: float
    last_error: str
    #: Sets sent by this worker
    sets: int
    #: object groups of fabricd found on the switch that the store has no record of: no Set until released
    held: int = 0
