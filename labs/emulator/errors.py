"""The emulator's one error tree.

::

    EmulatorError
    +-- PermanentError             the request or the spec is wrong: retrying cannot help
    |   +-- SpecError              a SwitchSpec the emulator cannot serve (bad day-0, TLS, address)
    |   +-- InvalidRequest         a malformed gNMI request (bad path, value, mode)   INVALID_ARGUMENT
    |   |   +-- ConfigRejected     a Set whose result fails validation (.problems)    INVALID_ARGUMENT
    |   +-- PathNotFound           a Get of an exact path with no data                NOT_FOUND
    |   +-- Unsupported            an encoding, origin or feature the emulator lacks  UNIMPLEMENTED
    |   +-- Unauthenticated        missing or wrong username/password metadata        UNAUTHENTICATED
    +-- TemporaryError             the target cannot answer now: retry with backoff
        +-- Rebooting              a "reboot" fault is in progress                    UNAVAILABLE
        +-- InjectedFault          a fault rule fired (.code: any gRPC status)

gRPC status codes are assigned once, in :func:`labs.emulator.status.status_of`.
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc


class EmulatorError(Exception):
    """Root of every error the emulator raises on purpose."""


class PermanentError(EmulatorError):
    """The caller must change something; never retried."""


class TemporaryError(EmulatorError):
    """Retry later."""


class SpecError(PermanentError):
    """A SwitchSpec the emulator cannot serve."""


class InvalidRequest(PermanentError):
    """A malformed request; the message names the field or path and value."""


class ConfigRejected(InvalidRequest):
    """A Set whose resulting configuration breaks the rules; every problem is named."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        n = len(self.problems)
        super().__init__(f"Set rejected, {n} problem{'s' if n != 1 else ''}: " + "; ".join(self.problems))


class PathNotFound(PermanentError):
    """A Get of an exact path that holds no data."""


class Unsupported(PermanentError):
    """An encoding, origin or feature the emulator does not implement."""


class Unauthenticated(PermanentError):
    """Credentials missing or wrong (the message never holds the password)."""


class Rebooting(TemporaryError):
    """The switch is "rebooting" (a fault)."""


class InjectedFault(TemporaryError):
    """A fault rule fired; the RPC fails with ``code``."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
