"""Start a daemon inside a node: its network namespace (``ip netns exec``,
which also mounts the namespace's own ``/sys``) and its UTS namespace
(``nsenter --uts``). Neither forks, so the pid returned is the daemon's own,
leading its own session: :func:`labs.run.procs.stop` stops it and every process
it forked (lldpd's privilege-separated child, lldpcli) by that session.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from labs.errors import LabRunError
from labs.run import procs
from labs.run.statefile import NodeRecord


def in_node(node: NodeRecord, argv: Sequence[str]) -> list[str]:
    """The command line running ``argv`` inside ``node``."""
    return ["ip", "netns", "exec", node.netns, "nsenter", f"--uts={node.uts}", "--", *argv]


def spawn(role: str, node: NodeRecord, argv: Sequence[str], log: Path) -> procs.ProcessRecord:
    """Start ``argv`` in ``node`` detached (own session, stdin /dev/null,
    stdout and stderr appended to ``log``); its record."""
    full = in_node(node, argv)
    try:
        pid = procs.spawn_detached(full, log, mode=0o640)
    except OSError as e:
        raise LabRunError(f"{node.name}: cannot start {argv[0]}: {e.strerror}") from None
    rec = procs.record(role, pid, argv=full)
    return rec or procs.ProcessRecord(role=role, pid=pid, start_time=-1, cmdline=tuple(full))
