"""The one error tree of ``labs`` (the lab files and the lab runner)::

    LabError                     root: every error fabric-lab reports
    +-- LabFileError             permanent: a topology file or its sidecar is
    |                            malformed; names the file, the field, the value
    +-- LabStateError            permanent: the state directory cannot be used
    |                            (unreadable state file, a resource kind this
    |                            version cannot tear down)
    +-- LabRunError              temporary: starting the lab failed (the emulator
        |                        host died or missed its deadline); ``up`` again
        +-- LabNotRunning        the lab is not running (``status`` exits 3)

Library errors (yaml, OSError, the platform profile's PortNameError) are
translated into these once, where they happen; the CLI maps them to exit
codes in one place (:mod:`labs.cli`).
"""

from __future__ import annotations

from pathlib import Path


class LabError(Exception):
    """Root of the lab errors."""


class LabFileError(LabError):
    """A malformed topology or sidecar file. ``str()`` is
    ``FILE: FIELD: MESSAGE``; the message quotes the offending value."""

    def __init__(self, file: Path | str, field: str, message: str) -> None:
        self.file = str(file)
        self.field = field
        self.message = message
        super().__init__(f"{self.file}: {field}: {message}")


class LabStateError(LabError):
    """The lab's state directory or state file cannot be used."""


class LabRunError(LabError):
    """Starting or reaching the lab failed; trying again may help."""


class LabNotRunning(LabRunError):
    """The lab has no running emulator host."""
