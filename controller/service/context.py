"""What the parts of the fabric service share: the intent, the fleet, the
durable writer, authorization, events and the topology in use."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from controller.events import EventBus
from controller.metrics import Metrics
from controller.reconcile.fleet import Fleet
from controller.service.authz import Authorizer
from controller.service.durable import Durable
from controller.service.pods import NoPods, PodDirectory
from controller.settings.model import Settings
from models.fabric_state import FabricState
from models.intent import AttachmentId, NetworkKey
from topology import TopologySnapshot


@dataclasses.dataclass(slots=True, kw_only=True)
class Context:
    settings: Settings
    state: FabricState
    fleet: Fleet
    durable: Durable
    authz: Authorizer
    events: EventBus
    metrics: Metrics
    #: the topology placements are resolved with (replaced on every change)
    topology: TopologySnapshot
    #: when each network and attachment was created (Unix time, as stored)
    net_created: dict[NetworkKey, float] = dataclasses.field(default_factory=dict)
    created: dict[AttachmentId, float] = dataclasses.field(default_factory=dict)
    #: True while discovery has not heard from every switch (set by the daemon)
    discovering: Callable[[], bool] = lambda: False
    #: what the Kubernetes API says about pods (set while the Kubernetes controllers run)
    pods: PodDirectory = dataclasses.field(default_factory=NoPods)
    #: set on an HA follower's service: why its attachments' leaf state is not known here
    follower: str = ""
