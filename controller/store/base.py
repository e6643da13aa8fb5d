"""The store protocol and the data it moves."""

from __future__ import annotations

import dataclasses
from typing import Protocol

from models.alloc import VlanAllocation
from models.errors import TemporaryError
from models.fabric_state import PlacedAttachment
from models.ids import Evi, SwitchName, Vni
from models.intent import AttachmentId, Network, NetworkKey


class StoreError(TemporaryError):
    """The store cannot be opened or written: fabricd stops (fail-stop) and
    restarts from what is durable."""


class StoreLockedError(StoreError):
    """Another fabricd holds the store."""


@dataclasses.dataclass(slots=True, kw_only=True)
class Mutation:
    """One change, written atomically (several may share a transaction)."""

    put_networks: list[tuple[Network, Evi, float]] = dataclasses.field(default_factory=list)
    delete_networks: list[NetworkKey] = dataclasses.field(default_factory=list)
    put_attachments: list[tuple[PlacedAttachment, float]] = dataclasses.field(default_factory=list)
    delete_attachments: list[AttachmentId] = dataclasses.field(default_factory=list)
    put_allocations: list[VlanAllocation] = dataclasses.field(default_factory=list)
    delete_allocations: list[tuple[SwitchName, Vni]] = dataclasses.field(default_factory=list)
    #: switches this store now accounts for (SwitchWorker, "custody"), with when: never removed
    put_claims: list[tuple[SwitchName, float]] = dataclasses.field(default_factory=list)

    def __bool__(self) -> bool:
        return any(
            (
                self.put_networks,
                self.delete_networks,
                self.put_attachments,
                self.delete_attachments,
                self.put_allocations,
                self.delete_allocations,
                self.put_claims,
            )
        )


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """Everything the store holds, as loaded at start-up."""

    networks: tuple[tuple[Network, Evi, float], ...]
    attachments: tuple[tuple[PlacedAttachment, float], ...]
    allocations: tuple[VlanAllocation, ...]
    #: switches the store accounts for the objects of fabricd on (sorted)
    claims: tuple[SwitchName, ...] = ()


class Store(Protocol):
    @property
    def location(self) -> str: ...

    def load(self) -> Snapshot: ...

    async def commit(self, mutation: Mutation) -> None:
        """Returns once the mutation is durable; raises StoreError."""
        ...

    async def barrier(self) -> None:
        """Returns once every mutation committed before it is durable (an
        answer that repeats an earlier one must not run ahead of its write)."""
        ...

    def close(self) -> None: ...
