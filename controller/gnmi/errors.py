"""gNMI failures, classified once where they are caught (the session).

::

    GnmiError                       a gNMI call to a switch failed (switch, method, code, details)
     ├── SwitchUnavailable  (Temporary)  no session: reconnect with backoff
     ├── SwitchBusy         (Temporary)  the call may be retried; ``timed_out``: a Set may have landed
     ├── SwitchRejected     (Permanent)  the switch refused this request (a bad Set, malformed data)
     ├── SwitchUnsupported  (Permanent)  the switch does not implement this (a subscription mode...)
     ├── SwitchMalformed    (Permanent)  the switch sent data fabricd cannot read
     └── PathNotFound       (Permanent)  a Get of a path the switch does not have

Callers catch by class; nothing outside this module looks at status codes.
"""

from __future__ import annotations

from models.errors import FabricError, PermanentError, TemporaryError


class GnmiError(FabricError):
    """A gNMI call failed; ``code`` is the gRPC status code's name."""

    def __init__(self, switch: str, method: str, code: str, details: str) -> None:
        Exception.__init__(self, f"{switch}: gNMI {method}: {code}: {details}")
        self.switch = switch
        self.method = method
        self.code = code
        self.details = details
        self.delay = 1.0


class SwitchUnavailable(GnmiError, TemporaryError):
    """The switch cannot be reached or the session ended."""


class SwitchBusy(GnmiError, TemporaryError):
    """The call failed for now (deadline, overload, an aborted transaction)."""

    @property
    def timed_out(self) -> bool:
        """The deadline passed: the switch may still apply (or have applied) a Set."""
        return self.code == "DEADLINE_EXCEEDED"


class SwitchRejected(GnmiError, PermanentError):
    """The switch refused this request; the same request will fail again."""


class SwitchUnsupported(GnmiError, PermanentError):
    """The switch does not implement what was asked."""


class SwitchMalformed(GnmiError, PermanentError):
    """The switch answered with data fabricd cannot read (a hostile or broken switch)."""


class PathNotFound(GnmiError, PermanentError):
    """The switch has nothing at the path asked for."""


_BUSY = frozenset({"DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "ABORTED", "CANCELLED", "UNKNOWN", "INTERNAL"})
_UNSUPPORTED = frozenset({"UNIMPLEMENTED"})


def classify(switch: str, method: str, code: str, details: str) -> GnmiError:
    """The error for a gRPC status code name (the one place codes are read)."""
    if code == "UNAVAILABLE":
        return SwitchUnavailable(switch, method, code, details)
    if code in _BUSY:
        return SwitchBusy(switch, method, code, details)
    if code in _UNSUPPORTED:
        return SwitchUnsupported(switch, method, code, details)
    if code == "DATA_LOSS":
        return SwitchMalformed(switch, method, code, details)
    if code == "NOT_FOUND":
        return PathNotFound(switch, method, code, details)
    return SwitchRejected(switch, method, code, details)
