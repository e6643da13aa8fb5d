"""Start and stop a tagger inside a network namespace, tracked by pid.

Python 3.11 has no ``os.setns``: the tagger runs as
``ip netns exec NS python -m cni.vlan.tagger ...``, which executes the
command in place (no fork), so the spawned pid *is* the tagger. It leads
its own session and is recorded as a :class:`labs.run.procs.ProcessRecord`
(pid + start time): the lab runner puts ``TaggerProcess.record`` into its
state file's ``processes`` and ``down`` stops it with ``procs.stop`` like
every other process of the lab, before the namespace is deleted.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from cni.vlan.client import TaggerVlanBackend
from cni.vlan.errors import VlanError
from labs.errors import LabRunError
from labs.run import procs

ROLE = "vlan-tagger"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class TaggerProcess:
    netns: str | None  # None: the caller's namespace
    socket: str
    pid_file: str
    log_file: str
    record: procs.ProcessRecord

    @property
    def pid(self) -> int:
        return self.record.pid

    def client(self, *, timeout: float = 10.0) -> TaggerVlanBackend:
        """A client for callers outside the tagger's namespace (the lab
        runner, tests): it does not insist on being in the same namespace."""
        return TaggerVlanBackend(self.socket, timeout=timeout, same_netns=False)


def tagger_argv(
    *, netns: str | None, socket: str, pid_file: str, log_file: str, python: str = sys.executable
) -> list[str]:
    inner = [python, "-m", "cni.vlan.tagger", "--socket", socket, "--pid-file", pid_file, "--log", log_file]
    return ["ip", "netns", "exec", netns, *inner] if netns else inner


def _env() -> dict[str, str]:
    """The caller's environment, with this checkout first on the path: the
    tagger runs the code its caller imported."""
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}


def _spawn(argv: Sequence[str], log: Path) -> int:
    try:
        return procs.spawn_detached(argv, log, env=_env())
    except OSError as e:
        raise LabRunError(f"cannot start the VLAN tagger {shlex.join(argv)}: {e.strerror}") from None


def start_tagger(
    *,
    netns: str | None,
    socket: Path | str,
    pid_file: Path | str | None = None,
    log_file: Path | str | None = None,
    role: str = ROLE,
    timeout: float = 20.0,
) -> TaggerProcess:
    """Start a tagger in network namespace ``netns`` and wait until it
    answers on ``socket``. ``pid_file``/``log_file`` default to the socket's
    path with ``.pid``/``.log``. LabRunError (with the log's tail) if it
    exits or does not answer within ``timeout`` seconds; nothing is left
    running then."""
    sock = Path(socket).absolute()
    pid_path = Path(pid_file).absolute() if pid_file else sock.with_suffix(".pid")
    log_path = Path(log_file).absolute() if log_file else sock.with_suffix(".log")
    argv = tagger_argv(netns=netns, socket=str(sock), pid_file=str(pid_path), log_file=str(log_path))
    pid = _spawn(argv, log_path)
    rec = procs.record(role, pid, argv=argv) or procs.ProcessRecord(
        role=role, pid=pid, start_time=-1, cmdline=tuple(argv)
    )
    proc = TaggerProcess(netns=netns, socket=str(sock), pid_file=str(pid_path), log_file=str(log_path), record=rec)
    where = f"in network namespace {netns}" if netns else "in this network namespace"
    client = proc.client(timeout=2.0)
    deadline = time.monotonic() + timeout
    try:
        while True:
            code = procs.reap(pid)
            if code is None and not procs.alive(rec):
                code = procs.exit_code(pid)  # it exited between the two looks: get its code
            if code is not None or not procs.alive(rec):
                why = f"exited with code {code}" if code is not None else "is gone"
                raise LabRunError(f"the VLAN tagger {where} {why} before it answered on {sock}:\n{_tail(log_path)}")
            try:
                if client.ping().get("pid") == pid:
                    return proc
            except VlanError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise LabRunError(
                    f"the VLAN tagger {where} did not answer on {sock} within {timeout:.0f} s:\n{_tail(log_path)}"
                )
            time.sleep(0.05)
    except BaseException:
        procs.stop(rec, grace=5.0)
        raise


def stop_tagger(proc: TaggerProcess, *, grace: float = 10.0) -> bool:
    """SIGTERM (SIGKILL after ``grace``) the tagger; True if it was running.
    A SIGTERM removes its taps, socket and pid file."""
    return procs.stop(proc.record, grace=grace)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        tail = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return "  (no log)"
    return "\n".join(f"  | {line}" for line in tail) or "  (the log is empty)"
