"""Running the commands of the Linux dataplane: the one place where their
failures become :class:`labs.errors.LabCommandError` (exit code and stderr
in the message). Synchronous for the runner, asynchronous for the emulator.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Sequence

from labs.errors import LabCommandError

TIMEOUT_S = 30.0


def run(argv: Sequence[str], *, input: str | None = None, check: bool = True, timeout: float = TIMEOUT_S) -> str:
    """Run a command to completion; its stdout. Raises LabCommandError when it
    cannot run, times out, or (with ``check``) exits non-zero."""
    try:
        proc = subprocess.run(
            list(argv),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise LabCommandError(argv, None, f"{argv[0]}: not installed (make deps)") from None
    except subprocess.TimeoutExpired:
        raise LabCommandError(argv, None, f"no answer within {timeout:.0f} s") from None
    except OSError as e:
        raise LabCommandError(argv, None, str(e.strerror or e)) from None
    if check and proc.returncode != 0:
        raise LabCommandError(argv, proc.returncode, proc.stderr or proc.stdout)
    return proc.stdout


async def arun(argv: Sequence[str], *, input: str | None = None, check: bool = True, limit_s: float = TIMEOUT_S) -> str:
    """:func:`run` for an event loop (the emulator): never blocks the loop;
    the command is killed after ``limit_s`` seconds."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except FileNotFoundError:
        raise LabCommandError(argv, None, f"{argv[0]}: not installed (make deps)") from None
    except OSError as e:
        raise LabCommandError(argv, None, str(e.strerror or e)) from None
    try:
        async with asyncio.timeout(limit_s):
            out, err = await proc.communicate(input.encode() if input is not None else None)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise LabCommandError(argv, None, f"no answer within {limit_s:.0f} s") from None
    except asyncio.CancelledError:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if check and proc.returncode != 0:
        raise LabCommandError(argv, proc.returncode, (err or out).decode(errors="replace"))
    return out.decode(errors="replace")
