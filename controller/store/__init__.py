"""Durable intent: the Store seam and its SQLite implementation.

The store holds networks (with their EVIs), attachments (with their placement
and VLAN), per-leaf VLAN allocations and what was last applied per switch.
The daemon keeps the working copy in memory (:class:`models.state.FabricState`)
and writes every change as a :class:`Mutation`; ``commit`` returns once the
mutation is durable, so Attach/Detach are acknowledged only after that. An
etcd backend would implement the same protocol.
"""

from __future__ import annotations

from controller.store.base import Mutation, Snapshot, Store, StoreError, StoreLockedError, SwitchApplied

__all__ = ["Mutation", "Snapshot", "Store", "StoreError", "StoreLockedError", "SwitchApplied"]
