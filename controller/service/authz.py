"""Who may do what: operators everything, a node only for itself."""

from __future__ import annotations

import dataclasses

from controller.log import get_logger
from controller.metrics import Metrics
from models.errors import PermissionDeniedError


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """Who calls: the client certificate's name; operators may do everything,
    a node identity acts only for its own node."""

    identity: str
    operator: bool

    @staticmethod
    def trusted() -> Caller:
        return Caller(identity="", operator=True)


class Authorizer:
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._log = get_logger("authz")

    def deny(self, method: str, why: str) -> PermissionDeniedError:
        self._metrics.authz_denied.labels(method).inc()
        self._log.warning("authz.denied", method=method, why=why)
        return PermissionDeniedError(why)

    def require_operator(self, caller: Caller, method: str) -> None:
        if not caller.operator:
            raise self.deny(method, f"{method} needs an operator identity; {caller.identity!r} is a node")

    def require_node(self, caller: Caller, node: str, method: str) -> None:
        if not caller.operator and caller.identity != node:
            raise self.deny(method, f"identity {caller.identity!r} may not act for node {node!r}")
