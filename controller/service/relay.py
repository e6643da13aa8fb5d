"""Where a request is served when several fabricd share one etcd store.

The API asks a :class:`Router` (the HA node, :mod:`controller.ha`) before it
serves a request: ``None`` means "serve it here" (this instance leads, or it
is a read a follower answers from its copy), a message is the leader's
answer to the forwarded request, and :class:`Relayed` carries the leader's
error status back unchanged (the caller sees the leader's code and message).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

from controller.service.authz import Caller
from models.errors import FabricError


def claim_of(caller: Caller) -> str:
    """How a forwarding peer names ``caller`` in ``x-fabricd-on-behalf-of``
    (``operator:NAME``, ``node:NAME``; ``trusted:`` on an insecure API)."""
    if caller.identity == "" and caller.operator:
        return "trusted:"
    return f"{'operator' if caller.operator else 'node'}:{caller.identity}"


class Relayed(FabricError):
    """The leader's answer to a forwarded request was an error: ``code`` is
    its gRPC status code name, the message its details."""

    def __init__(self, code: str, details: str) -> None:
        super().__init__(details)
        self.code = code


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ControllerStatus:
    """What ``GetController``, ``/readyz`` and ``fabricctl status`` show."""

    instance: str
    role: str
    leader: str = ""
    leader_address: str = ""
    term: int = 0
    store: str = ""
    replica_age: float = 0.0


class Router(Protocol):
    def status(self) -> ControllerStatus: ...

    async def route(self, method: str, caller: Caller, request: Any, remaining: float | None) -> Any | None:
        """The leader's answer (forwarded), or None to serve here; raises a
        FabricError (UNAVAILABLE while no leader is known)."""
        ...
