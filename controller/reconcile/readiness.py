"""Readiness at the fleet: each leaf's view for :mod:`models.readiness`.

The comparison is pure (:func:`models.readiness.forwarding_gaps`); this
module gathers its inputs from the workers (session, in sync, the VXLAN
operational state each one follows) and the intent, and offers a
:class:`Pulse` that wakes whoever waits when any of them changed (no polling).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from controller.reconcile.status import SessionState
from controller.reconcile.worker import SwitchWorker
from controller.settings.model import Settings
from models.fabric_state import FabricState
from models.ids import SwitchName, Vni
from models.intent import Network
from models.readiness import Gap, LeafView, forwarding_gaps


class Pulse:
    """Wakes every waiter on the next :meth:`fire`."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        await self._event.wait()


def readiness_of(net: Network, settings: Settings) -> str:
    """A network's readiness level: its own, else the fabric's default."""
    return net.readiness or settings.fabric.readiness


def leaf_views(workers: Iterable[SwitchWorker], state: FabricState) -> dict[SwitchName, LeafView]:
    out: dict[SwitchName, LeafView] = {}
    for w in workers:
        st = w.status()
        intent = state.leaves.get(w.name)
        vnis = frozenset(a.vni for a in intent.vlans.allocations() if not a.releasing) if intent else frozenset()
        out[w.name] = LeafView(
            name=w.name,
            vtep=w.leaf.router_id,
            vnis=vnis,
            healthy=st.in_sync and st.session is SessionState.CONNECTED,
            oper=w.oper.vnis,
        )
    return out


class Views:
    """:func:`leaf_views`, rebuilt only when the fleet's ``generation`` moved
    (every mark, commit, session or operational state change counts), so
    answering many attachments (a List, a scrape) costs one build."""

    def __init__(self) -> None:
        self._at = -1
        self._views: dict[SwitchName, LeafView] = {}

    def get(self, workers: Iterable[SwitchWorker], state: FabricState, generation: int) -> dict[SwitchName, LeafView]:
        if generation != self._at:
            self._views = leaf_views(workers, state)
            self._at = generation
        return self._views

    def gaps(
        self, workers: Iterable[SwitchWorker], state: FabricState, generation: int, switch: SwitchName, vni: Vni
    ) -> list[Gap]:
        return forwarding_gaps(switch, vni, self.get(workers, state, generation))
