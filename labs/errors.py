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
        +-- LabCommandError      a command of the Linux dataplane failed (ip,
                                 lldpcli, vtysh...): names the command, its
                                 exit code and its stderr

Library errors (yaml, OSError, the platform profile's PortNameError) are
translated into these once, where they happen; the CLI maps them to exit
codes in one place (:mod:`labs.cli`).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
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


class LabCommandError(LabRunError):
    """A command the Linux dataplane ran failed."""

    def __init__(self, argv: Sequence[str], code: int | None, stderr: str) -> None:
        self.argv = tuple(argv)
        self.code = code
        self.stderr = stderr.strip()
        how = f"exited with {code}" if code is not None else "could not run"
        detail = f": {self.stderr}" if self.stderr else ""
        super().__init__(f"`{shlex.join(self.argv)}` {how}{detail}")
