"""Networks: create (idempotent) and delete (only without attachments)."""

from __future__ import annotations

import time

from controller.service.authz import Caller
from controller.service.context import Context
from controller.store import Mutation
from models.errors import raise_if
from models.ids import Evi
from models.intent import Network, NetworkKey
from models.validation import network_problems


class Networks:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    async def create(self, net: Network, caller: Caller) -> tuple[Network, Evi, bool]:
        """(network, EVI, created); an identical re-creation is a no-op."""
        ctx = self._ctx
        ctx.authz.require_operator(caller, "CreateNetwork")
        raise_if(network_problems(net))
        existing, evi, created = ctx.state.create_network(net)
        if created:
            now = time.time()
            ctx.net_created[net.key] = now
            await ctx.durable.commit(Mutation(put_networks=[(net, evi, now)]))
            ctx.events.publish("network", str(net.key), "created", vni=net.vni, evi=evi)
        return existing, evi, created

    async def delete(self, key: NetworkKey, caller: Caller) -> bool:
        ctx = self._ctx
        ctx.authz.require_operator(caller, "DeleteNetwork")
        net = ctx.state.delete_network(key)
        if net is None:
            return False
        ctx.net_created.pop(key, None)
        await ctx.durable.commit(Mutation(delete_networks=[key]))
        ctx.events.publish("network", str(key), "deleted", vni=net.vni)
        return True

    def get(self, key: NetworkKey) -> Network:
        return self._ctx.state.network(key)

    def created_at(self, key: NetworkKey) -> float:
        return self._ctx.net_created.get(key, 0.0)
