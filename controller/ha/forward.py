"""Forwarding a follower's request to the leader, on behalf of its caller.

The follower calls the leader's API with its own peer certificate
(``O=fabricd:peers``, ``ha.peer_tls``) and names the original caller in the
``x-fabricd-on-behalf-of`` metadata; the leader authorizes the request as
that caller's (:mod:`controller.api.identity`). The deadline is the caller's,
less a margin so the follower answers before its caller gives up. The
leader's error comes back unchanged (:class:`Relayed`).
"""

from __future__ import annotations

from typing import Any

import grpc

from controller.service.authz import Caller
from controller.service.relay import Relayed, claim_of
from controller.settings.address import parse_address
from controller.settings.ha import PeerTlsSettings
from models.errors import TemporaryError
from proto.fabric.v1 import ON_BEHALF_OF, fabric_pb2_grpc

MARGIN = 0.1


class Forwarder:
    def __init__(self, peer_tls: PeerTlsSettings | None, *, default_timeout: float) -> None:
        self._tls = peer_tls
        self._default_timeout = default_timeout
        self._channels: dict[str, tuple[grpc.aio.Channel, Any]] = {}

    def _stub(self, address: str) -> Any:
        got = self._channels.get(address)
        if got is None:
            target = parse_address(address).grpc
            options: list[tuple[str, Any]] = [("grpc.enable_retries", 0)]
            if self._tls is not None:
                if self._tls.server_name:
                    options.append(("grpc.ssl_target_name_override", self._tls.server_name))
                creds = grpc.ssl_channel_credentials(
                    root_certificates=self._tls.ca.read_bytes(),
                    private_key=self._tls.key.read_bytes(),
                    certificate_chain=self._tls.cert.read_bytes(),
                )
                channel = grpc.aio.secure_channel(target, creds, options=options)
            else:
                channel = grpc.aio.insecure_channel(target, options=options)
            got = self._channels[address] = (channel, fabric_pb2_grpc.FabricStub(channel))
        return got[1]

    async def call(self, address: str, method: str, request: Any, caller: Caller, remaining: float | None) -> Any:
        deadline = max(0.05, (remaining if remaining is not None else self._default_timeout) - MARGIN)
        stub = self._stub(address)
        try:
            return await getattr(stub, method)(request, timeout=deadline, metadata=((ON_BEHALF_OF, claim_of(caller)),))
        except grpc.aio.AioRpcError as e:
            code = e.code()
            if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED) and _unreached(e.details()):
                raise TemporaryError(f"the leader fabricd at {address} cannot be reached: {e.details()}") from None
            raise Relayed(code.name, e.details() or code.name) from None

    async def close(self) -> None:
        for channel, _ in self._channels.values():
            await channel.close()
        self._channels.clear()


def _unreached(details: str | None) -> bool:
    d = (details or "").lower()
    return any(s in d for s in ("failed to connect", "connection refused", "no such file", "connect failed", "dns"))
