"""Networks: create (idempotent) and delete (only without attachments)."""

from __future__ import annotations

import time

from controller.service.authz import Caller
from controller.service.context import Context
from controller.store import Mutation
from models.errors import PreconditionError, Problem, ValidationError, raise_if
from models.ids import Evi, Vni
from models.intent import OWNER_API, Network, NetworkKey
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

    async def delete(self, key: NetworkKey, caller: Caller, *, owner: str = OWNER_API) -> bool:
        """Delete ``key`` if ``owner`` owns it: a network a NAD created goes
        with its NAD, never through the API, and the Kubernetes controllers
        never delete one the API created."""
        ctx = self._ctx
        ctx.authz.require_operator(caller, "DeleteNetwork")
        existing = ctx.state.networks.get(key)
        if existing is not None and existing.owner != owner:
            how = (
                "delete it with fabricctl network delete"
                if existing.owner == OWNER_API
                else "delete its NetworkAttachmentDefinition instead"
            )
            raise PreconditionError(f"network {key} is owned by {existing.owner!r}, not {owner!r}: {how}")
        net = ctx.state.delete_network(key)
        if net is None:
            return False
        ctx.net_created.pop(key, None)
        await ctx.durable.commit(Mutation(delete_networks=[key]))
        ctx.events.publish("network", str(key), "deleted", vni=net.vni)
        return True

    def get(self, key: NetworkKey) -> Network:
        return self._ctx.state.network(key)

    def resolve(self, namespace: str, name: str, vni: int, *, pod_namespace: str | None) -> NetworkKey:
        """A network reference as the API gives it: namespace/name, or a VNI
        alone, which names the network with that VNI; with ``pod_namespace``
        that network must be usable from it (a NAD naming only a VNI)."""
        if not vni:
            return NetworkKey(namespace, name)
        if namespace or name:
            raise ValidationError([Problem("network", f"{namespace}/{name} and vni {vni}", "gives both: give one")])
        net = self._ctx.state.network_by_vni(Vni(vni))
        if net is None or (pod_namespace is not None and not net.usable_from(pod_namespace)):
            where = f" that pod namespace {pod_namespace!r} may use" if pod_namespace is not None else ""
            raise PreconditionError(f"no network with VNI {vni}{where}")
        return net.key

    def created_at(self, key: NetworkKey) -> float:
        return self._ctx.net_created.get(key, 0.0)
