"""The fabric service: the intent, its durable store and the switch fleet,
behind the operations of the API.

It restores the intent from the store, runs the fleet of leaf workers, and
offers :class:`Networks` and :class:`Attachments` (the API's operations) and
:meth:`FabricService.follow` (a new topology). Workers call back when a leaf
confirmed removals or rejected objects (:class:`WorkerHost`).
"""

from __future__ import annotations

import time
from typing import Any

from controller.events import EventBus
from controller.gnmi.session import GnmiSession
from controller.log import get_logger
from controller.metrics import Metrics
from controller.reconcile.fleet import Fleet, Reloaded
from controller.reconcile.gate import OPEN, SetGate
from controller.service.attachments import Attachments
from controller.service.audit import Auditor
from controller.service.authz import Authorizer, Caller
from controller.service.context import Context
from controller.service.durable import Durable
from controller.service.networks import Networks
from controller.service.topology import follow
from controller.settings.inventory import Inventory
from controller.settings.model import Settings
from controller.store import Mutation, Store
from controller.supervise import Tasks
from models.errors import PreconditionError, Problem, ValidationError
from models.fabric_state import FabricState
from models.ids import SwitchName, Vni
from models.platforms.base import ObjectKey
from topology import TopologySnapshot


class FabricService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        inventory: Inventory,
        topology: TopologySnapshot,
        *,
        metrics: Metrics,
        events: EventBus,
        session_factory: Any = GnmiSession,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.events = events
        self.inventory = inventory
        self.log = get_logger("fabric")
        #: may the workers start a Set now (HA: the leader's lease)
        self.gate: SetGate = OPEN
        snap = store.load()
        self.state = FabricState.restore(
            settings.fabric,
            networks=[(n, evi) for n, evi, _ in snap.networks],
            allocations=snap.allocations,
            attachments=[p for p, _ in snap.attachments],
        )
        self.claims: set[SwitchName] = set(snap.claims)
        self.tasks = Tasks("fabric", metrics)
        self.fleet = Fleet(self, session_factory=session_factory)
        self.ctx = Context(
            settings=settings,
            state=self.state,
            fleet=self.fleet,
            durable=Durable(store, metrics, self.tasks),
            authz=Authorizer(metrics),
            events=events,
            metrics=metrics,
            topology=topology,
            net_created={n.key: t for n, _, t in snap.networks},
            created={p.attachment.id: t for p, t in snap.attachments},
        )
        self.networks = Networks(self.ctx)
        self.attachments = Attachments(self.ctx)
        self.auditor = Auditor(self.ctx)

    @property
    def topology(self) -> TopologySnapshot:
        return self.ctx.topology

    @property
    def store(self) -> Store:
        return self.ctx.durable.store

    @property
    def authz(self) -> Authorizer:
        return self.ctx.authz

    @property
    def fatal(self) -> Any:
        """Set when the store failed: the daemon must stop."""
        return self.ctx.durable.fatal

    # ----------------------------------------------------------- lifecycle

    async def start(self) -> None:
        self.fleet.start(self.inventory.leaves)
        self.tasks.loop("audit", self.auditor.run)
        self.log.info(
            "fabric.started",
            leaves=len(self.fleet),
            networks=len(self.state.networks),
            attachments=len(self.state.attachments),
            store=self.ctx.durable.store.location,
        )

    async def stop(self) -> None:
        await self.fleet.stop()
        await self.tasks.drain(grace=10)
        await self.tasks.stop()

    async def reload_inventory(self, inventory: Inventory, topology: TopologySnapshot) -> Reloaded:
        result = await self.fleet.reload(inventory.leaves)
        self.inventory = inventory
        self.ctx.topology = topology
        text = {k: ",".join(v) for k, v in result.as_dict().items()}
        self.log.info("inventory.reloaded", **{k: v or "-" for k, v in text.items()})
        self.events.publish("switch", "inventory", "reloaded", **text)
        return result

    def follow(self, snap: TopologySnapshot) -> None:
        follow(self.ctx, snap)

    def set_discovering(self, discovering: Any) -> None:
        self.ctx.discovering = discovering

    async def release(self, name: str, caller: Caller) -> int:
        """ReleaseSwitch: the intent wins on a held switch; how many object groups it was held for."""
        self.authz.require_operator(caller, "ReleaseSwitch")
        worker = self.fleet.get(name)
        if worker is None:
            raise ValidationError([Problem("name", name, "is not a managed leaf")])
        if not worker.held():
            if not worker.claimed:
                raise PreconditionError(f"switch {name} has not been read yet: nothing is known to release")
            return 0
        await self.claim(worker.name)  # durable first: a restart after the removal must not hold it again
        return worker.release()

    # ------------------------------------------------------ WorkerHost

    def removed(self, switch: SwitchName, vnis: list[Vni]) -> None:
        freed = self.state.confirm_removed(switch, vnis)
        if freed:
            self.log.info("vlans.freed", switch=switch, vlans=",".join(str(v) for _, v in freed))
            m = Mutation(delete_allocations=[(switch, vni) for vni, _ in freed])
            self.ctx.durable.commit_soon(m, "vlans-freed")

    async def claim(self, switch: SwitchName) -> None:
        if switch not in self.claims:
            await self.ctx.durable.commit(Mutation(put_claims=[(switch, time.time())]))
            self.claims.add(switch)
            self.log.info("custody.claim_written", switch=switch)

    def keys_failed(self, switch: SwitchName, failures: dict[ObjectKey, str]) -> None:
        for key, why in failures.items():
            self.events.publish("switch", switch, f"rejected {key}: {why}")
