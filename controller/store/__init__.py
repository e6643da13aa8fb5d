"""Durable intent: the Store seam and its SQLite implementation.

The store holds networks (with their EVIs), attachments (with their placement
and VLAN) and per-leaf VLAN allocations; what the switches have is read from
the switches themselves.
The daemon keeps the working copy in memory (:class:`models.fabric_state.FabricState`)
and writes every change as a :class:`Mutation`; ``commit`` returns once the
mutation is durable, so Attach/Detach are acknowledged only after that. An
etcd backend would implement the same protocol.
"""

from __future__ import annotations

from controller.store.base import Mutation, Snapshot, Store, StoreError, StoreLockedError

__all__ = ["Mutation", "Snapshot", "Store", "StoreError", "StoreLockedError"]
