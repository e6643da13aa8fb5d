"""The error tree of the pure core.

::

    FabricError
     ├── PermanentError            the request or configuration must change; never retried
     │    ├── ValidationError      every problem of a request (field, value, why)
     │    ├── NotFoundError        a named thing does not exist
     │    ├── AlreadyExistsError   a name or identifier is taken
     │    ├── PreconditionError    the state does not allow it now (e.g. attachments remain)
     │    ├── PlacementConflict    a NIC's placement cannot keep its VLAN
     │    ├── PoolExhaustedError   no VLAN (or EVI) left in a pool
     │    ├── QuotaExceededError   a node holds the most attachments it may
     │    ├── PermissionDeniedError  the caller may not do this
     │    └── PlatformError        a platform or port name no profile knows
     │         ├── UnknownPlatformError
     │         └── PortNameError
     └── TemporaryError            retry later (``delay`` seconds hint)
          └── SupersededError      a concurrent request changed what this one waited for

Other packages root their errors here: the controller's gNMI failures
(``controller.gnmi.errors``: a switch unavailable or busy is temporary, a
switch that rejects or does not support a request is permanent) and its
store (``controller.store.base``: temporary, and fatal to the daemon). The
controller maps each to one gRPC status code, in one place
(``controller.api.errors``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable


class FabricError(Exception):
    """Root of every error fabricd raises on purpose."""


class PermanentError(FabricError):
    pass


class TemporaryError(FabricError):
    def __init__(self, message: str, *, delay: float = 1.0) -> None:
        super().__init__(message)
        self.delay = delay


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a request: ``field`` (dotted, e.g.
    ``network.vni``), the offending ``value`` and ``why``."""

    field: str
    value: object
    why: str

    def __str__(self) -> str:
        return f"{self.field}: {shown(self.value)} {self.why}"


#: the longest value an error message repeats (a hostile 8 MB name must not
#: come back in a message, a log line or gRPC trailing metadata)
SHOWN_MAX = 80


def shown(value: object, limit: int = SHOWN_MAX) -> str:
    """``repr(value)``, cut to ``limit`` characters with the full length said."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = len(value) if isinstance(value, str | bytes | list | tuple | dict) else len(text)
    return f"{text[: limit - 3]}... ({size} characters)"


class ValidationError(PermanentError):
    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems) or "invalid request")


class NotFoundError(PermanentError):
    pass


class AlreadyExistsError(PermanentError):
    pass


class PreconditionError(PermanentError):
    pass


class PlacementConflict(PermanentError):
    pass


class PoolExhaustedError(PermanentError):
    def __init__(self, message: str, *, switch: str = "", pool: str = "") -> None:
        super().__init__(message)
        self.switch = switch
        self.pool = pool


class QuotaExceededError(PermanentError):
    """A per-caller limit is reached (e.g. attachments per node)."""


class SupersededError(TemporaryError):
    """What the request waited for was changed by another request meanwhile
    (an Attach whose attachment was detached or replaced before the leaf
    confirmed it)."""


class PermissionDeniedError(PermanentError):
    """Authorization refused the request (the caller's identity may not do it)."""


class PlatformError(PermanentError):
    """A platform name or a port name that no platform profile knows."""


class UnknownPlatformError(PlatformError):
    """A platform name no profile (or no renderer) is registered for."""


class PortNameError(PlatformError):
    """A port name that is none of the platform's forms."""


def raise_if(problems: Iterable[Problem]) -> None:
    collected = tuple(problems)
    if collected:
        raise ValidationError(collected)
