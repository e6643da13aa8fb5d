"""Remove what ``up`` created, from the state file: also after a crash, a
half-finished ``up`` or with no readable state file at all.

Order: the recorded processes (by pid and start time, with their sessions),
then any process still running with this lab's SPECS.json as an argument
(started by an ``up`` that died before recording it), then the recorded
resources in reverse order by the handler of their kind, then anything still
mounted below the state directory, then the state directory (only if it
carries the marker).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from labs.dataplane.resources import HANDLERS as LINUX_HANDLERS
from labs.dataplane.resources import unmount_under
from labs.errors import LabStateError
from labs.run import kube, procs
from labs.run.statefile import LabState, is_state_dir, read_state

SPECS_FILE = "specs.json"

ResourceHandler = Callable[[Mapping[str, Any]], None]

#: resource kind -> what removes it: the Linux dataplane's kinds (network
#: namespaces, UTS namespace mounts, FRR's temporary directories)
RESOURCE_KINDS: Mapping[str, ResourceHandler] = MappingProxyType(dict(LINUX_HANDLERS))


def teardown(
    path: Path,
    *,
    grace: float = 10.0,
    handlers: Mapping[str, ResourceHandler] = RESOURCE_KINDS,
) -> list[str]:
    """Remove the lab in state directory ``path``; what was removed, as text."""
    done: list[str] = []
    for rec in kube.stop_dir(path / kube.DIR):  # the lab's Kubernetes (kubelets first), if it has one
        done.append(f"stopped {rec.role} (pid {rec.pid})")
    state: LabState | None
    try:
        state = read_state(path)
    except LabStateError as e:
        state = None
        done.append(f"unreadable state file ignored ({e})")
    if state is not None:
        for rec in procs.stop_all(list(reversed(state.processes)), grace=grace):
            done.append(f"stopped {rec.role} (pid {rec.pid})")
        for res in reversed(state.resources):
            kind = str(res.get("kind"))
            handler = handlers.get(kind)
            if handler is None:
                raise LabStateError(
                    f"{path}: cannot remove a resource of kind {kind!r} ({dict(res)}); "
                    f"left the state directory in place"
                )
            handler(res)
            done.append(f"removed {kind} {res.get('name', '')}".rstrip())
    for pid in procs.stop_with_argument(str(path / SPECS_FILE), grace=grace):
        done.append(f"stopped a leftover process (pid {pid})")
    if is_state_dir(path):
        for mount in unmount_under(path):
            done.append(f"unmounted {mount}")
        shutil.rmtree(path)
        done.append(f"removed {path}")
    elif path.exists() and any(path.iterdir()):
        raise LabStateError(f"{path} is not a fabric-lab state directory: not removing it")
    return done
