"""fabricd's own threads, named where the OS shows them.

Python names a thread for Python only; ``top -H``, ``ps -L``, ``py-spy``'s
native view and ``/proc/PID/task/TID/comm`` show the interpreter's name for
every thread. Each thread fabricd starts calls :func:`name_os_thread` first,
so the store writer and the metrics server are told apart from the event loop
(the process's main thread) and from gRPC's I/O threads (``event_engine``)
when an operator or a benchmark splits the process's CPU by thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

#: the kernel keeps 15 bytes of a thread's name
OS_NAME_MAX = 15


def name_os_thread(name: str) -> None:
    """Name the calling thread for the OS (Linux; elsewhere nothing)."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/comm", "w") as f:
            f.write(name[:OS_NAME_MAX])
    except OSError:
        pass  # not Linux, or /proc not mounted: the name is cosmetic


def thread(target: Callable[[], object], name: str) -> threading.Thread:
    """A daemon thread called ``name`` for Python and for the OS."""

    def run() -> None:
        name_os_thread(name)
        target()

    return threading.Thread(target=run, name=name, daemon=True)
