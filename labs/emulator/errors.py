"""The emulator's one error tree.

::

    EmulatorError
    +-- EmulatorPermanentError     the request or the spec is wrong: retrying cannot help
    |   +-- SpecError              a SwitchSpec the emulator cannot serve (bad day-0, TLS, address)
    |   +-- InvalidRequest         a malformed gNMI request (bad path, value, mode)   INVALID_ARGUMENT
    |   |   +-- ConfigRejected     a Set whose result fails validation (.problems)    INVALID_ARGUMENT
    |   +-- PathNotFound           a Get of an exact path with no data                NOT_FOUND
    |   +-- Unsupported            an encoding, origin or feature the emulator lacks  UNIMPLEMENTED
    |   +-- Unauthenticated        missing or wrong username/password metadata        UNAUTHENTICATED
    +-- EmulatorTemporaryError     the target cannot answer now: retry with backoff
        +-- Rebooting              a "reboot" fault is in progress                    UNAVAILABLE
        +-- InjectedFault          a fault rule fired (.code: any gRPC status)

gRPC status codes are assigned once, in :func:`labs.emulator.status.status_of`.
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc


class EmulatorError(Exception):
    """Root of every error the emulator raises on purpose."""


class EmulatorPermanentError(EmulatorError):
    """The caller must change something; never retried."""


class EmulatorTemporaryError(EmulatorError):
    """Retry later."""


class SpecError(EmulatorPermanentError):
    """A SwitchSpec the emulator cannot serve."""


class InvalidRequest(EmulatorPermanentError):
    """A malformed request; the message names the field or path and value."""


class ConfigRejected(InvalidRequest):
    """A Set whose resulting configuration breaks the rules; every problem is named."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        n = len(self.problems)
        super().__init__(f"Set rejected, {n} problem{'s' if n != 1 else ''}: " + "; ".join(self.problems))


class PathNotFound(EmulatorPermanentError):
    """A Get of an exact path that holds no data."""


class Unsupported(EmulatorPermanentError):
    """An encoding, origin or feature the emulator does not implement."""


class Unauthenticated(EmulatorPermanentError):
    """Credentials missing or wrong (the message never holds the password)."""


class Rebooting(EmulatorTemporaryError):
    """The switch is "rebooting" (a fault)."""


class InjectedFault(EmulatorTemporaryError):
    """A fault rule fired; the RPC fails with ``code``."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
