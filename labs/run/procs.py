"""Processes the lab runner starts, and how it stops exactly those.

A process is recorded with its pid, its start time (``/proc/PID/stat`` field
22, clock ticks since boot) and its command line; it is ours only while a
process with that pid *and* that start time exists, so a reused pid is never
signalled. Every process the runner starts leads its own session; stopping
it stops every process left in that session, also after the leader died
(a session id cannot be reused while a member lives).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

PROC = Path("/proc")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ProcStat:
    pid: int
    state: str  # R, S, D, Z, ...
    session: int
    start_time: int

    @property
    def zombie(self) -> bool:
        return self.state in ("Z", "X")


def stat(pid: int) -> ProcStat | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # the command name (field 2) is in parentheses and may hold spaces
    fields = text[text.rindex(")") + 2 :].split()
    return ProcStat(pid=pid, state=fields[0], session=int(fields[3]), start_time=int(fields[19]))


def cmdline(pid: int) -> tuple[str, ...]:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ()
    return tuple(a.decode(errors="replace") for a in raw.split(b"\0") if a)


def pids() -> Iterator[int]:
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            yield int(entry.name)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ProcessRecord:
    """A process the runner started (a session leader)."""

    role: str  # e.g. "emulator-host"
    pid: int
    start_time: int
    cmdline: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "pid": self.pid,
            "start_time": self.start_time,
            "cmdline": list(self.cmdline),
        }

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> ProcessRecord:
        return ProcessRecord(
            role=str(d["role"]),
            pid=int(d["pid"]),
            start_time=int(d["start_time"]),
            cmdline=tuple(d["cmdline"]),
        )


def spawn_detached(argv: Sequence[str], log: Path, *, env: Mapping[str, str] | None = None, mode: int = 0o600) -> int:
    """Start ``argv`` in its own session, stdin /dev/null, stdout and stderr
    appended to ``log``; its pid. Raises OSError (callers say what failed)."""
    exe = shutil.which(argv[0]) or argv[0]
    return os.posix_spawn(
        exe,
        list(argv),
        dict(env if env is not None else os.environ),
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_CREAT | os.O_APPEND, mode),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ],
        setsid=True,
    )


def record(role: str, pid: int, *, argv: Sequence[str] = ()) -> ProcessRecord | None:
    """The identity of a live process; ``argv``: the command line it was
    started with (right after a spawn /proc may not show it yet)."""
    st = stat(pid)
    if st is None:
        return None
    return ProcessRecord(role=role, pid=pid, start_time=st.start_time, cmdline=tuple(argv) or cmdline(pid))


def reap(pid: int) -> int | None:
    """Collect a child that exited; its exit code (or -signal), else None."""
    try:
        return _collect(pid)
    except ChildProcessError:
        return None


def exit_code(pid: int, *, within: float = 2.0) -> int | None:
    """The exit code of a child already seen gone (``alive`` false). A
    thread-group leader shows as a zombie while its other threads still
    exit, and waitpid cannot collect it until they have: wait up to
    ``within`` seconds for that. None at once if it is not (or no longer) ours."""
    deadline = time.monotonic() + within
    while True:
        try:
            code = _collect(pid)
        except ChildProcessError:
            return None  # collected elsewhere, or never our child
        if code is not None or time.monotonic() >= deadline:
            return code
        time.sleep(0.01)


def _collect(pid: int) -> int | None:
    """waitpid without blocking: the exit code, None while it runs;
    ChildProcessError if it is not (or no longer) our child."""
    done, status = os.waitpid(pid, os.WNOHANG)
    return os.waitstatus_to_exitcode(status) if done else None


def alive(rec: ProcessRecord) -> bool:
    """The recorded process itself still runs (not a zombie, not a reused pid)."""
    st = stat(rec.pid)
    return st is not None and not st.zombie and st.start_time == rec.start_time


def _members(rec: ProcessRecord) -> list[int]:
    """The recorded process and the live members of its session (it leads
    one when the runner started it); none if the pid was reused."""
    leader = stat(rec.pid)
    if leader is not None and leader.start_time != rec.start_time:
        return []  # another process owns this pid (and maybe a session of that id)
    out = [rec.pid] if leader is not None and not leader.zombie else []
    for pid in pids():
        st = stat(pid)
        if st is not None and st.session == rec.pid and not st.zombie and pid != rec.pid:
            out.append(pid)
    return out


def _signal(pids_: Sequence[int], sig: signal.Signals) -> None:
    for pid in pids_:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _wait_gone(rec: ProcessRecord, deadline: float) -> list[int]:
    while True:
        reap(rec.pid)
        left = _members(rec)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)


def stop(rec: ProcessRecord, *, grace: float = 10.0) -> bool:
    """SIGTERM every process of the recorded session, SIGKILL what is left
    after ``grace`` seconds. True if something of ours was running."""
    return bool(stop_all([rec], grace=grace))


def stop_all(recs: Sequence[ProcessRecord], *, grace: float = 10.0) -> list[ProcessRecord]:
    """:func:`stop` for many at once (all are signalled, then waited for
    together); those that were running, in the given order."""
    running = []
    for rec in recs:
        members = _members(rec)
        reap(rec.pid)
        if members:
            running.append(rec)
            _signal(members, signal.SIGTERM)
    deadline = time.monotonic() + grace
    left = {rec.pid: _wait_gone(rec, deadline) for rec in running}
    stubborn = [rec for rec in running if left[rec.pid]]
    for rec in stubborn:
        _signal(left[rec.pid], signal.SIGKILL)
    for rec in stubborn:
        _wait_gone(rec, time.monotonic() + 5.0)
    return running


def find_with_argument(arg: str) -> list[int]:
    """Live processes with ``arg`` as one of their arguments (the sweep for
    processes started by a run that crashed before recording them)."""
    me = os.getpid()
    out = []
    for pid in pids():
        if pid == me:
            continue
        st = stat(pid)
        if st is not None and not st.zombie and arg in cmdline(pid):
            out.append(pid)
    return out


def stop_with_argument(arg: str, *, grace: float = 10.0) -> list[int]:
    found = find_with_argument(arg)
    for pid in found:
        rec = record("sweep", pid)
        if rec is not None:
            stop(rec, grace=grace)
    return found
